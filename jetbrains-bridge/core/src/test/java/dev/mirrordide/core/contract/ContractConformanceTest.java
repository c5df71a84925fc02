package dev.mirrordide.core.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.mirrordide.core.config.ConfigFileNames;
import dev.mirrordide.core.lsp.ErrorKind;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The Java side of the client contract: the shared table of config file cases, and the error kinds. */
class ContractConformanceTest {
  record Case(String path, boolean config) {
    @Override
    public String toString() {
      return path + " -> " + config;
    }
  }

  static Stream<Case> configFileCases() throws Exception {
    Path root = Path.of(System.getProperty("mirrordide.repoRoot", "../.."));
    JsonObject table = JsonParser.parseString(
        Files.readString(root.resolve("contract/cases/config-files.json"), StandardCharsets.UTF_8)).getAsJsonObject();
    List<Case> out = new ArrayList<>();
    for (JsonElement e : table.getAsJsonArray("cases")) {
      JsonObject c = e.getAsJsonObject();
      out.add(new Case(c.get("path").getAsString(), c.get("config").getAsBoolean()));
    }
    return out.stream();
  }

  @ParameterizedTest
  @MethodSource("configFileCases")
  void configFileCases(Case c) {
    assertEquals(c.config(), ConfigFileNames.isConfigPath(c.path()), c.path());
    assertEquals(c.config(), ConfigFileNames.isConfigPath(c.path().replace('/', '\\')), c.path());
    int slash = c.path().lastIndexOf('/');
    if (slash > 0) {
      // The plugin asks with the folder's name and the file's name.
      String parent = c.path().substring(0, slash);
      String parentName = parent.substring(parent.lastIndexOf('/') + 1);
      assertEquals(c.config(), ConfigFileNames.isConfigFile(parentName, c.path().substring(slash + 1)), c.path());
    }
  }

  @Test
  void globsTranslateAsTheOtherReadersDo() {
    assertEquals(List.of("a.x", "a.y"), Contract.expandBraces("a.{x,y}"));
    String regex = Contract.globToRegex("**/*.m.{x,y}");
    assertEquals(true, "d/e/f.m.x".matches(regex));
    assertEquals(true, ".m.y".matches(regex));
    assertFalse("d/e.m.z".matches(regex));
    assertFalse("d/e.M.x".matches(regex));
  }

  @Test
  void everyErrorKindOfTheContractIsKnown() {
    Contract contract = Contract.get();
    assertEquals(2, contract.protocolVersion());
    TreeSet<String> known = new TreeSet<>();
    for (ErrorKind k : ErrorKind.values()) {
      known.add(k.wireName());
    }
    for (String kind : contract.errorCodes().keySet()) {
      assertNotEquals(ErrorKind.UNKNOWN, ErrorKind.fromWire(kind), kind);
    }
    assertEquals(known.size() - 2, contract.errorCodes().size(), "all but cancelled and unknown come from the contract");
  }
}
