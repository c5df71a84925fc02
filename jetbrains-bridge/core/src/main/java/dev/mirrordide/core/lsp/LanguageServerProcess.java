package dev.mirrordide.core.lsp;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A language server child process and the JSON-RPC connection over its stdin/stdout. Started with
 * an argument list (no shell), its stderr drained. {@link #close()} always reaps the process.
 */
public final class LanguageServerProcess implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(LanguageServerProcess.class.getName());

  private final Process process;
  private final JsonRpcConnection connection;
  private final StderrTail stderr;

  private LanguageServerProcess(Process process, JsonRpcConnection connection, StderrTail stderr) {
    this.process = process;
    this.connection = connection;
    this.stderr = stderr;
  }

  /**
   * Starts {@code argv} with {@code extraEnv} added to this JVM's environment (a null value
   * removes a variable).
   *
   * @param stderrSink receives each stderr line (may be null)
   * @param beforeStart registers handlers on the connection before any message is read
   */
  public static LanguageServerProcess start(
      List<String> argv,
      Map<String, String> extraEnv,
      Path workingDirectory,
      Consumer<String> stderrSink,
      Consumer<JsonRpcConnection> beforeStart)
      throws IOException {
    if (argv.isEmpty()) {
      throw new IllegalArgumentException("empty server command");
    }
    ProcessBuilder pb = new ProcessBuilder(argv);
    if (workingDirectory != null) {
      pb.directory(workingDirectory.toFile());
    }
    Map<String, String> env = pb.environment();
    extraEnv.forEach(
        (k, v) -> {
          if (v == null) {
            env.remove(k);
          } else {
            env.put(k, v);
          }
        });
    Process process = pb.start();
    StderrTail tail = new StderrTail(50);
    tail.drain(process.getErrorStream(), stderrSink, "mirrord-ide-stderr");
    JsonRpcConnection connection =
        new JsonRpcConnection(process.getInputStream(), process.getOutputStream(), "mirrord-ide");
    if (beforeStart != null) {
      beforeStart.accept(connection);
    }
    connection.start();
    return new LanguageServerProcess(process, connection, tail);
  }

  public JsonRpcConnection connection() {
    return connection;
  }

  public Process process() {
    return process;
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** The last lines the server wrote to stderr (for error reports). */
  public String stderrTail() {
    return stderr.text();
  }

  /** Waits up to {@code grace} for a voluntary exit, then terminates, then kills. */
  public void reap(Duration grace) {
    try {
      if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroy();
        if (!process.waitFor(2, TimeUnit.SECONDS)) {
          process.destroyForcibly();
          process.waitFor(2, TimeUnit.SECONDS);
        }
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    connection.close();
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      LOG.log(Level.FINE, "terminating language server pid {0}", process.pid());
    }
    reap(Duration.ZERO);
  }
}
