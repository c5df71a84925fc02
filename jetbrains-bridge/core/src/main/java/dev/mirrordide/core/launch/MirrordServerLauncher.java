package dev.mirrordide.core.launch;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Finds the {@code mirrord-ide} language server. In order:
 *
 * <ol>
 *   <li>the configured path: a {@code mirrord-ide} executable, or a Python interpreter (any file
 *       named {@code python*}) that has the package installed;
 *   <li>{@code mirrord-ide} on {@code PATH};
 *   <li>the interpreter named by {@code MIRRORD_IDE_PYTHON};
 *   <li>{@code python3} (then {@code python}) on {@code PATH}.
 * </ol>
 *
 * Interpreters are started as {@code python -m mirrord_ide serve}.
 */
public final class MirrordServerLauncher {
  public static final String EXECUTABLE = "mirrord-ide";
  public static final String PYTHON_ENV = "MIRRORD_IDE_PYTHON";

  private final Map<String, String> env;
  private final Predicate<Path> isExecutable;
  private final boolean windows;

  public MirrordServerLauncher(Map<String, String> env, Predicate<Path> isExecutable, boolean windows) {
    this.env = Map.copyOf(env);
    this.isExecutable = isExecutable;
    this.windows = windows;
  }

  public static MirrordServerLauncher forCurrentSystem() {
    boolean windows = System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("windows");
    return new MirrordServerLauncher(
        System.getenv(), p -> Files.isRegularFile(p) && Files.isExecutable(p), windows);
  }

  /**
   * @param configuredPath the user's setting; blank means "find it"
   * @throws ServerNotFoundException with a message naming what was tried
   */
  public ServerCommand resolve(String configuredPath) throws ServerNotFoundException {
    if (configuredPath != null && !configuredPath.isBlank()) {
      Path p = Path.of(expandHome(configuredPath.trim()));
      if (!isExecutable.test(p)) {
        throw new ServerNotFoundException(
            "The configured mirrord-ide path '" + configuredPath + "' is not an executable file.");
      }
      return commandFor(p, "configured path");
    }
    Path onPath = findOnPath(EXECUTABLE);
    if (onPath != null) {
      return new ServerCommand(List.of(onPath.toString(), "serve"), "PATH");
    }
    String python = env.get(PYTHON_ENV);
    if (python != null && !python.isBlank()) {
      Path p = Path.of(expandHome(python.trim()));
      if (!isExecutable.test(p)) {
        throw new ServerNotFoundException(PYTHON_ENV + "='" + python + "' is not an executable file.");
      }
      return pythonCommand(p, PYTHON_ENV);
    }
    for (String name : List.of("python3", "python")) {
      Path p = findOnPath(name);
      if (p != null) {
        return pythonCommand(p, name + " on PATH");
      }
    }
    throw new ServerNotFoundException(
        "mirrord-ide was not found: install it (pip install mirrord-ide) so that 'mirrord-ide' is on"
            + " PATH, or set its path (or a Python interpreter that has it) in Settings | Tools | mirrord.");
  }

  private ServerCommand commandFor(Path p, String origin) {
    String name = p.getFileName().toString().toLowerCase(Locale.ROOT);
    if (name.startsWith("python")) {
      return pythonCommand(p, origin);
    }
    return new ServerCommand(List.of(p.toString(), "serve"), origin);
  }

  private static ServerCommand pythonCommand(Path python, String origin) {
    return new ServerCommand(List.of(python.toString(), "-m", "mirrord_ide", "serve"), origin);
  }

  /** The first executable {@code name} in {@code PATH} (with Windows' {@code .exe}). */
  Path findOnPath(String name) {
    String path = env.getOrDefault("PATH", env.getOrDefault("Path", ""));
    List<String> names = new ArrayList<>();
    if (windows) {
      names.add(name + ".exe");
    }
    names.add(name);
    for (String dir : path.split(windows ? ";" : File.pathSeparator)) {
      if (dir.isBlank()) {
        continue;
      }
      for (String n : names) {
        Path candidate = Path.of(dir, n);
        if (isExecutable.test(candidate)) {
          return candidate;
        }
      }
    }
    return null;
  }

  private String expandHome(String path) {
    if (path.equals("~") || path.startsWith("~/")) {
      String home = env.getOrDefault("HOME", System.getProperty("user.home"));
      return home + path.substring(1);
    }
    return path;
  }
}
