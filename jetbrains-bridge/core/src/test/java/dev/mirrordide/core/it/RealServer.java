package dev.mirrordide.core.it;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.mirrordide.core.lsp.LspClient;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** The real Python server and simulated cluster, as child processes, for the bridge's tests. */
public final class RealServer {
  private RealServer() {}

  public static Path repoRoot() {
    return Path.of(System.getProperty("mirrordide.repoRoot", "../..")).toAbsolutePath().normalize();
  }

  /** {@code MIRRORD_IDE_PYTHON}, else the repository's {@code .venv/bin/python}. */
  public static String python() {
    String configured = System.getenv("MIRRORD_IDE_PYTHON");
    Path p = configured != null && !configured.isBlank()
        ? Path.of(configured)
        : repoRoot().resolve(".venv/bin/python");
    if (!Files.isExecutable(p)) {
      throw new AssertionError("No Python interpreter with mirrord-ide at " + p
          + ": set MIRRORD_IDE_PYTHON or create the venv (bash scripts/test.sh does).");
    }
    return p.toString();
  }

  public static void deleteTree(Path dir) throws IOException {
    if (dir == null || !Files.exists(dir)) {
      return;
    }
    try (var paths = Files.walk(dir)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  public static List<String> serverCommand() {
    return List.of(python(), "-m", "mirrord_ide", "serve");
  }

  /** The server with the built-in engine (a mirrord CLI on this machine must not change the tests). */
  public static LspClient startServer(Path kubeconfig, Path workspace) throws Exception {
    JsonObject settings = new JsonObject();
    settings.addProperty("engine", "builtin");
    return startServer(kubeconfig, workspace, settings, Map.of());
  }

  /** @param settings the {@code mirrord} settings section; @param env more server environment */
  public static LspClient startServer(Path kubeconfig, Path workspace, JsonObject settings, Map<String, String> env)
      throws Exception {
    Map<String, String> all = new java.util.HashMap<>(env);
    all.put("KUBECONFIG", kubeconfig.toString());
    return LspClient.start(serverCommand(), all, workspace, settings, Duration.ofSeconds(30), null);
  }

  /** The fake mirrord CLI the tests drive the mirrord-cli engine with. */
  public static Path fakeMirrord() {
    Path p = repoRoot().resolve("tests/fakes/mirrord");
    if (!Files.isExecutable(p)) {
      throw new AssertionError("no executable fake mirrord CLI at " + p);
    }
    return p;
  }

  /** {@code mirrord-ide demo-cluster}, stopped with SIGTERM by {@link #close()}. */
  public static final class DemoCluster implements AutoCloseable {
    public final Process process;
    public final String url;
    public final Path kubeconfig;

    private DemoCluster(Process process, String url, Path kubeconfig) {
      this.process = process;
      this.url = url;
      this.kubeconfig = kubeconfig;
    }

    public static DemoCluster start(Path dir) throws Exception {
      Path kc = dir.resolve("kubeconfig");
      Process p = new ProcessBuilder(python(), "-m", "mirrord_ide", "demo-cluster", "--port", "0", "--kubeconfig", kc.toString())
          .redirectError(dir.resolve("demo-cluster.stderr").toFile())
          .start();
      BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
      String first;
      try {
        first = CompletableFuture.supplyAsync(() -> {
          try {
            return out.readLine();
          } catch (IOException e) {
            return null;
          }
        }).get(60, TimeUnit.SECONDS);
      } catch (Exception e) {
        p.destroyForcibly();
        throw new AssertionError("demo-cluster printed nothing within 60 s", e);
      }
      if (first == null) {
        p.waitFor(5, TimeUnit.SECONDS);
        String err = Files.exists(dir.resolve("demo-cluster.stderr")) ? Files.readString(dir.resolve("demo-cluster.stderr")) : "";
        throw new AssertionError("demo-cluster exited before printing its address:\n" + err);
      }
      // Keep draining stdout so the child never blocks on a full pipe.
      Thread drain = new Thread(() -> {
        try {
          while (out.readLine() != null) {
            // discard
          }
        } catch (IOException ignored) {
          // process ended
        }
      }, "demo-cluster-stdout");
      drain.setDaemon(true);
      drain.start();
      JsonObject info = JsonParser.parseString(first).getAsJsonObject();
      return new DemoCluster(p, info.get("url").getAsString(), Path.of(info.get("kubeconfig").getAsString()));
    }

    @Override
    public void close() throws InterruptedException {
      process.destroy(); // SIGTERM
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
      }
    }
  }
}
