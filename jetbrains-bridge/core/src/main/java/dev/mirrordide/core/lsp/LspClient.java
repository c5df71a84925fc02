package dev.mirrordide.core.lsp;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * An initialized LSP session with a {@code mirrord-ide serve} child: the handshake, the client
 * side of {@code workspace/configuration}, progress routing, and an orderly {@code shutdown} /
 * {@code exit} that always ends with the process reaped.
 */
public final class LspClient implements RpcChannel, AutoCloseable {
  private static final Logger LOG = Logger.getLogger(LspClient.class.getName());
  public static final String CLIENT_NAME = "mirrord-ide-jetbrains";

  private final LanguageServerProcess server;
  private final ProgressRouter progress;
  private final NotificationRouter notifications;
  private volatile JsonObject serverCapabilities = new JsonObject();

  private LspClient(LanguageServerProcess server, ProgressRouter progress, NotificationRouter notifications) {
    this.server = server;
    this.progress = progress;
    this.notifications = notifications;
  }

  /**
   * Starts the server and completes the {@code initialize} handshake.
   *
   * @param settings the {@code mirrord} settings section ({@code kubeconfig}, {@code context});
   *     sent as initialization options and served to {@code workspace/configuration}
   * @throws ServerStartException when the process cannot start or the handshake fails
   */
  public static LspClient start(
      List<String> argv,
      Map<String, String> env,
      Path workspaceRoot,
      JsonObject settings,
      Duration initializeTimeout,
      Consumer<String> stderrSink)
      throws ServerStartException {
    ProgressRouter progress = new ProgressRouter();
    NotificationRouter notifications = new NotificationRouter();
    JsonObject section = settings == null ? new JsonObject() : settings.deepCopy();
    LanguageServerProcess proc;
    try {
      proc = LanguageServerProcess.start(
          argv,
          env,
          workspaceRoot,
          stderrSink,
          conn -> {
            progress.install(conn);
            conn.onRequest("workspace/configuration", params -> configuration(params, section));
            conn.onRequest("client/registerCapability", params -> JsonNull.INSTANCE);
            conn.onRequest("client/unregisterCapability", params -> JsonNull.INSTANCE);
            conn.onRequest("window/showMessageRequest", params -> JsonNull.INSTANCE);
            conn.onOtherNotification((method, params) -> {
              if (!notifications.dispatch(method, params)) {
                LOG.log(Level.FINE, "server notification {0}", method);
              }
            });
          });
    } catch (IOException e) {
      throw new ServerStartException("could not start the mirrord language server " + argv + ": " + e.getMessage(), "", e);
    }
    LspClient client = new LspClient(proc, progress, notifications);
    try {
      client.initialize(workspaceRoot, section, initializeTimeout);
    } catch (ServerStartException e) {
      client.close();
      throw e;
    }
    return client;
  }

  private void initialize(Path root, JsonObject section, Duration timeout) throws ServerStartException {
    JsonObject params = new JsonObject();
    params.addProperty("processId", ProcessHandle.current().pid());
    JsonObject info = new JsonObject();
    info.addProperty("name", CLIENT_NAME);
    params.add("clientInfo", info);
    if (root != null) {
      params.addProperty("rootUri", root.toUri().toString());
      JsonArray folders = new JsonArray();
      JsonObject folder = new JsonObject();
      folder.addProperty("uri", root.toUri().toString());
      folder.addProperty("name", root.getFileName() == null ? root.toString() : root.getFileName().toString());
      folders.add(folder);
      params.add("workspaceFolders", folders);
    } else {
      params.add("rootUri", JsonNull.INSTANCE);
    }
    params.add("capabilities", capabilities());
    JsonObject init = new JsonObject();
    init.add("mirrord", section);
    params.add("initializationOptions", init);
    try {
      JsonElement result =
          server.connection().request("initialize", params).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (result instanceof JsonObject o && o.get("capabilities") instanceof JsonObject caps) {
        serverCapabilities = caps;
      }
      server.connection().notify("initialized", new JsonObject());
    } catch (TimeoutException e) {
      throw new ServerStartException("the mirrord language server did not answer initialize within " + timeout.toSeconds() + " s", server.stderrTail(), e);
    } catch (ExecutionException e) {
      throw new ServerStartException("the mirrord language server failed to initialize: " + e.getCause().getMessage(), server.stderrTail(), e.getCause());
    } catch (IOException e) {
      throw new ServerStartException("the mirrord language server failed to initialize: " + e.getMessage(), server.stderrTail(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ServerStartException("interrupted while starting the mirrord language server", server.stderrTail(), e);
    }
  }

  private static JsonObject capabilities() {
    JsonObject window = new JsonObject();
    window.addProperty("workDoneProgress", true);
    JsonObject workspace = new JsonObject();
    workspace.addProperty("configuration", true);
    JsonObject general = new JsonObject();
    JsonArray encodings = new JsonArray();
    encodings.add("utf-16");
    general.add("positionEncodings", encodings);
    JsonObject caps = new JsonObject();
    caps.add("window", window);
    caps.add("workspace", workspace);
    caps.add("general", general);
    return caps;
  }

  /** Answers {@code workspace/configuration}: the {@code mirrord} section, null for others. */
  static JsonElement configuration(JsonElement params, JsonObject section) {
    JsonArray result = new JsonArray();
    if (params instanceof JsonObject o && o.get("items") instanceof JsonArray items) {
      for (JsonElement item : items) {
        String name = item instanceof JsonObject io && io.has("section") && io.get("section").isJsonPrimitive()
            ? io.get("section").getAsString()
            : null;
        if ("mirrord".equals(name)) {
          result.add(section.deepCopy());
        } else if (name != null && name.startsWith("mirrord.")) {
          JsonElement v = section.get(name.substring("mirrord.".length()));
          result.add(v == null ? JsonNull.INSTANCE : v);
        } else {
          result.add(JsonNull.INSTANCE);
        }
      }
    }
    return result;
  }

  @Override
  public CompletableFuture<JsonElement> request(String method, Object params) {
    return server.connection().request(method, params);
  }

  @Override
  public void notify(String method, Object params) throws IOException {
    server.connection().notify(method, params);
  }

  @Override
  public ProgressRouter progress() {
    return progress;
  }

  @Override
  public AutoCloseable onNotification(String method, NotificationHandler handler) {
    return notifications.add(method, handler);
  }

  public JsonObject serverCapabilities() {
    return serverCapabilities;
  }

  public boolean isAlive() {
    return server.isAlive() && !server.connection().isClosed();
  }

  public String stderrTail() {
    return server.stderrTail();
  }

  /** Completes when the server process has exited. */
  public CompletableFuture<Process> onExit() {
    return server.process().onExit();
  }

  /** {@code shutdown} then {@code exit}, waiting briefly for each; the process is always reaped. */
  public void shutdown(Duration timeout) {
    try {
      if (isAlive()) {
        server.connection().request("shutdown", null).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        server.connection().notify("exit", null);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException | IOException | RuntimeException e) {
      LOG.log(Level.FINE, "orderly shutdown failed; terminating the server", e);
    } finally {
      server.reap(timeout);
    }
  }

  @Override
  public void close() {
    shutdown(Duration.ofSeconds(3));
  }
}
