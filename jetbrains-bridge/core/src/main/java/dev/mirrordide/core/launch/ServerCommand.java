package dev.mirrordide.core.launch;

import java.util.List;

/**
 * How to start the language server: an argument list for {@link ProcessBuilder} (never a shell
 * line) and where it was found, for messages.
 */
public record ServerCommand(List<String> argv, String origin) {
  public ServerCommand {
    argv = List.copyOf(argv);
    if (argv.isEmpty()) {
      throw new IllegalArgumentException("empty server command");
    }
  }
}
