package dev.mirrordide.core.lsp;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.Consumer;

/**
 * Drains a child's stderr (a full pipe would block the server) and keeps the last lines, so a
 * server that dies at start-up can be reported with its own words.
 */
final class StderrTail {
  private final Deque<String> lines = new ArrayDeque<>();
  private final int maxLines;

  StderrTail(int maxLines) {
    this.maxLines = maxLines;
  }

  Thread drain(InputStream stream, Consumer<String> sink, String name) {
    Thread t = new Thread(() -> run(stream, sink), name);
    t.setDaemon(true);
    t.start();
    return t;
  }

  private void run(InputStream stream, Consumer<String> sink) {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        synchronized (lines) {
          lines.addLast(line);
          while (lines.size() > maxLines) {
            lines.removeFirst();
          }
        }
        if (sink != null) {
          sink.accept(line);
        }
      }
    } catch (IOException ignored) {
      // the process went away
    }
  }

  String text() {
    synchronized (lines) {
      return String.join("\n", lines);
    }
  }
}
