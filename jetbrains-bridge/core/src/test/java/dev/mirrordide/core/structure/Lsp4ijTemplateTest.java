package dev.mirrordide.core.structure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.mirrordide.core.config.ConfigFileNames;
import dev.mirrordide.core.it.RealServer;
import dev.mirrordide.core.lsp.LspClient;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The LSP4IJ user-defined server template: its command starts the server, its patterns are the contract's. */
class Lsp4ijTemplateTest {
  static final Path TEMPLATE = RealServer.repoRoot().resolve("jetbrains-bridge/lsp4ij-template");

  static JsonObject json(String file) throws Exception {
    return JsonParser.parseString(Files.readString(TEMPLATE.resolve(file))).getAsJsonObject();
  }

  static List<String> patterns() throws Exception {
    List<String> out = new ArrayList<>();
    for (JsonElement m : json("template.json").getAsJsonArray("fileTypeMappings")) {
      for (JsonElement p : m.getAsJsonObject().getAsJsonObject("fileType").getAsJsonArray("patterns")) {
        out.add(p.getAsString());
      }
    }
    return out;
  }

  /** LSP4IJ's file-name patterns: `*` is any run of characters, matched against the name only. */
  static boolean matches(String pattern, String fileName) {
    String regex = Arrays.stream(pattern.split("\\*", -1)).map(Pattern::quote).reduce((a, b) -> a + ".*" + b).orElse("");
    return fileName.matches(regex);
  }

  static boolean anyMatch(List<String> patterns, String name) {
    return patterns.stream().anyMatch(p -> matches(p, name));
  }

  @Test
  void hasTheRequiredFiles() throws Exception {
    JsonObject t = json("template.json");
    assertEquals("mirrord-ide", t.get("id").getAsString());
    assertFalse(t.get("name").getAsString().isBlank());
    assertTrue(t.has("languageMappings"));
    assertNotNull(json("settings.json").getAsJsonObject("mirrord"));
    assertNotNull(json("initializationOptions.json").getAsJsonObject("mirrord"));
    assertTrue(Files.readString(TEMPLATE.resolve("README.md")).contains(".mirrord/"), "README documents the folder gap");
  }

  @Test
  void patternsAreExactlyTheContractsFileNames() throws Exception {
    List<String> patterns = patterns();
    assertEquals(new TreeSet<>(ConfigFileNames.fileNamePatterns()), new TreeSet<>(patterns));
    for (String ok : List.of("mirrord.json", "mirrord.toml", "mirrord.yaml", "mirrord.yml", "staging.mirrord.json",
        "a.b.mirrord.yaml", "dev.mirrord.toml", "x.mirrord.yml")) {
      assertTrue(anyMatch(patterns, ok), ok);
      assertTrue(ConfigFileNames.isConfigFile("app", ok), ok);
    }
    for (String no : List.of("package.json", "tsconfig.json", "mirrord.txt", "mirrord.json.bak", "values.yaml",
        "Cargo.toml", "notmirrord.json", "mirrord-config.json", "settings.json")) {
      assertFalse(anyMatch(patterns, no), no);
      assertFalse(ConfigFileNames.isConfigFile("app", no), no);
    }
    // The documented gap: `.mirrord/<any>.json` is a config the name patterns cannot see.
    assertTrue(ConfigFileNames.isConfigFile(".mirrord", "staging.json"));
    assertFalse(anyMatch(patterns, "staging.json"));
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void commandStartsTheRealServer(@TempDir Path dir) throws Exception {
    List<String> argv = new ArrayList<>(Arrays.asList(
        json("template.json").getAsJsonObject("programArgs").get("default").getAsString().trim().split("\\s+")));
    argv.set(0, executable(argv.get(0)));
    JsonObject init = json("initializationOptions.json").getAsJsonObject("mirrord");
    try (LspClient client = LspClient.start(argv, Map.of("KUBECONFIG", dir.resolve("none").toString()), dir, init,
        Duration.ofSeconds(30), null)) {
      assertTrue(client.isAlive());
      JsonObject caps = client.serverCapabilities();
      assertNotNull(caps.get("textDocumentSync"), caps.toString());
      assertTrue(caps.has("completionProvider"), "completion is offered: " + caps);
      assertTrue(caps.has("hoverProvider"), "hover is offered: " + caps);
      client.shutdown(Duration.ofSeconds(5));
      assertFalse(client.isAlive());
    }
  }

  /** `mirrord-ide` on PATH, else next to the test interpreter (the venv's console script). */
  static String executable(String name) {
    for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path p = Path.of(d.isEmpty() ? "." : d, name);
      if (Files.isExecutable(p)) {
        return p.toString();
      }
    }
    Path beside = Path.of(RealServer.python()).resolveSibling(name);
    assertTrue(Files.isExecutable(beside), name + " is neither on PATH nor at " + beside);
    return beside.toString();
  }

}
