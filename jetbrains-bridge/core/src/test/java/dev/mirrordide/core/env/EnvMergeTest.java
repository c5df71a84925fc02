package dev.mirrordide.core.env;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EnvMergeTest {
  @Test
  void sessionEnvIsAddedAndOverridesOrdinaryVariables() {
    Map<String, String> merged = EnvMerge.merge(
        Map.of("DATABASE_URL", "localhost", "DEBUG", "1"), Map.of(), Map.of("DATABASE_URL", "postgres://remote", "REGION", "eu"));
    assertEquals("postgres://remote", merged.get("DATABASE_URL"));
    assertEquals("eu", merged.get("REGION"));
    assertEquals("1", merged.get("DEBUG"));
  }

  @Test
  void usersExplicitMirrordValuesWin() {
    Map<String, String> merged = EnvMerge.merge(
        Map.of("MIRRORD_TARGET_NAMESPACE", "staging"),
        Map.of("MIRRORD_AGENT_NAMESPACE", "agents"),
        Map.of("MIRRORD_TARGET_NAMESPACE", "default", "MIRRORD_AGENT_NAMESPACE", "default",
            "MIRRORD_LAYER_INTPROXY_ADDR", "127.0.0.1:5555"));
    assertEquals("staging", merged.get("MIRRORD_TARGET_NAMESPACE"));
    assertEquals(null, merged.get("MIRRORD_AGENT_NAMESPACE"), "the inherited value stays in effect; not overwritten");
    assertEquals("127.0.0.1:5555", merged.get("MIRRORD_LAYER_INTPROXY_ADDR"));
  }

  @Test
  void runConfigVariablesComeFirstAndInputsAreNotModified() {
    Map<String, String> runConfig = new java.util.LinkedHashMap<>();
    runConfig.put("B", "b");
    runConfig.put("A", "a");
    Map<String, String> merged = EnvMerge.merge(runConfig, Map.of(), Map.of("C", "c"));
    assertEquals(List.of("B", "A", "C"), List.copyOf(merged.keySet()));
    assertEquals(2, runConfig.size());
  }

  @Test
  void debuggeeEnvPrefersTheRunConfiguration() {
    assertEquals(Map.of("X", "run", "Y", "ide"), EnvMerge.debuggeeEnv(Map.of("X", "run"), Map.of("X", "ide", "Y", "ide")));
  }

  @Test
  void envToUnsetNamesLeaveTheRunConfigurationAndTheInheritedEnvironment() {
    EnvMerge.Applied applied = EnvMerge.apply(
        Map.of("LOCAL_ONLY", "1", "KEEP", "k"),
        Map.of("HOME", "/h", "DYLD_INSERT_LIBRARIES", "/old/layer.dylib"),
        Map.of("FROM_CLI", "yes", "LOCAL_ONLY", "remote"),
        java.util.Arrays.asList("LOCAL_ONLY", "DYLD_INSERT_LIBRARIES", "", null));
    assertEquals(Map.of("KEEP", "k", "FROM_CLI", "yes"), applied.env(), "removal wins over the session's own value");
    assertEquals(java.util.Set.of("LOCAL_ONLY", "DYLD_INSERT_LIBRARIES"), applied.unset());
    Map<String, String> inherited = Map.of("HOME", "/h", "DYLD_INSERT_LIBRARIES", "/old/layer.dylib");
    assertEquals(true, applied.needsInheritedFiltered(inherited));
    assertEquals(Map.of("HOME", "/h", "KEEP", "k", "FROM_CLI", "yes"), applied.effective(inherited));
    assertEquals(false, EnvMerge.apply(Map.of(), Map.of(), Map.of("A", "1"), List.of()).needsInheritedFiltered(inherited));
  }
}
