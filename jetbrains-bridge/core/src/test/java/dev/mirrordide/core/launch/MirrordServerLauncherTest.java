package dev.mirrordide.core.launch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class MirrordServerLauncherTest {
  private static MirrordServerLauncher launcher(Map<String, String> env, Set<String> executables) {
    return new MirrordServerLauncher(env, p -> executables.contains(p.toString()), false);
  }

  @Test
  void configuredExecutableWins() throws Exception {
    ServerCommand c = launcher(Map.of("PATH", "/usr/bin"), Set.of("/opt/m/mirrord-ide", "/usr/bin/mirrord-ide"))
        .resolve("/opt/m/mirrord-ide");
    assertEquals(List.of("/opt/m/mirrord-ide", "serve"), c.argv());
  }

  @Test
  void configuredPythonRunsTheModule() throws Exception {
    ServerCommand c = launcher(Map.of(), Set.of("/w/.venv/bin/python3.11")).resolve("/w/.venv/bin/python3.11");
    assertEquals(List.of("/w/.venv/bin/python3.11", "-m", "mirrord_ide", "serve"), c.argv());
  }

  @Test
  void configuredButMissingIsAClearError() {
    ServerNotFoundException e = assertThrows(ServerNotFoundException.class,
        () -> launcher(Map.of("PATH", "/usr/bin"), Set.of("/usr/bin/mirrord-ide")).resolve("/nope/mirrord-ide"));
    assertTrue(e.getMessage().contains("/nope/mirrord-ide"));
  }

  @Test
  void pathThenPythonEnvThenPythonOnPath() throws Exception {
    assertEquals(List.of("/b/mirrord-ide", "serve"),
        launcher(Map.of("PATH", "/a:/b", "MIRRORD_IDE_PYTHON", "/p/python"), Set.of("/b/mirrord-ide", "/p/python", "/a/python3"))
            .resolve(" ").argv());
    assertEquals(List.of("/p/python", "-m", "mirrord_ide", "serve"),
        launcher(Map.of("PATH", "/a:/b", "MIRRORD_IDE_PYTHON", "/p/python"), Set.of("/p/python", "/a/python3"))
            .resolve(null).argv());
    assertEquals(List.of("/a/python3", "-m", "mirrord_ide", "serve"),
        launcher(Map.of("PATH", "/a:/b"), Set.of("/a/python3", "/b/python")).resolve("").argv());
  }

  @Test
  void nothingFoundSaysHowToFixIt() {
    ServerNotFoundException e = assertThrows(ServerNotFoundException.class,
        () -> launcher(Map.of("PATH", "/a"), Set.of()).resolve(null));
    assertTrue(e.getMessage().contains("pip install"), e.getMessage());
  }

  @Test
  void windowsLooksForExe() throws Exception {
    MirrordServerLauncher l = new MirrordServerLauncher(
        Map.of("Path", "C:\\tools;C:\\py"), p -> p.equals(Path.of("C:\\py", "mirrord-ide.exe")), true);
    assertEquals(Path.of("C:\\py", "mirrord-ide.exe").toString(), l.resolve(null).argv().get(0));
  }
}
