package dev.mirrordide.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class ConfigFileNamesTest {
  @ParameterizedTest
  @CsvSource({
    "app, mirrord.json, true", "app, mirrord.toml, true", "app, mirrord.yaml, true", "app, mirrord.yml, true",
    "app, staging.mirrord.json, true", "app, a.b.mirrord.yml, true", ".mirrord, anything.json, true",
    ".mirrord, x.toml, true", "app, package.json, false", "app, mirrord.txt, false", "app, .mirrord.json, true", "app, mirrord.JSON, false",
    "app, notmirrord.json, false", "app, mirrord.json.bak, false", ".mirrord, notes.md, false", "mirrord, x.json, false",
  })
  void matchesTheContractsNames(String parent, String name, boolean expected) {
    assertEquals(expected, ConfigFileNames.isConfigFile(parent, name), parent + "/" + name);
  }

  @Test
  void patternsCoverEveryExtension() {
    assertEquals(8, ConfigFileNames.fileNamePatterns().size());
    assertTrue(ConfigFileNames.fileNamePatterns().contains("*.mirrord.yml"));
    assertFalse(ConfigFileNames.isConfigFile(null, null));
  }
}
