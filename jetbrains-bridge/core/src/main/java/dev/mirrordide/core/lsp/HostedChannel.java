package dev.mirrordide.core.lsp;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * A channel over a connection the IDE's LSP client owns (LSP4IJ), so run requests share the
 * editor's server process. The host sends through {@link Transport} and hands back what the server
 * sends: {@link #deliverNotification} for custom notifications ({@code mirrord/sessionEnded}) and
 * {@link #deliverProgress} for {@code $/progress}. One channel outlives server restarts: handlers
 * registered on it keep receiving from the next server.
 */
public final class HostedChannel implements RpcChannel {
  /** Sends to the host's current server; fails the future when there is none. */
  public interface Transport {
    CompletableFuture<JsonElement> request(String method, JsonElement params);

    void notify(String method, JsonElement params) throws IOException;
  }

  static final String TARGETLESS = "targetless";

  private final Transport transport;
  private final ProgressRouter progress = new ProgressRouter();
  private final NotificationRouter notifications = new NotificationRouter();

  public HostedChannel(Transport transport) {
    this.transport = Objects.requireNonNull(transport);
  }

  @Override
  public CompletableFuture<JsonElement> request(String method, Object params) {
    return transport.request(method, keepTargetless(PlainJson.toJsonTree(params)));
  }

  /**
   * LSP4J writes params with Gson's default of leaving null members out, and the one null of the
   * contract that means something is {@code "target": null} (targetless, not "not given"). The
   * server takes the target path {@code "targetless"} as the same choice
   * (server/mirrord_ide/config/target_path.py), so that is what goes on this wire.
   */
  static JsonElement keepTargetless(JsonElement params) {
    if (params instanceof JsonObject o && o.has("target") && o.get("target").isJsonNull()) {
      JsonObject copy = o.deepCopy();
      copy.addProperty("target", TARGETLESS);
      return copy;
    }
    return params;
  }

  @Override
  public void notify(String method, Object params) throws IOException {
    transport.notify(method, PlainJson.toJsonTree(params));
  }

  @Override
  public ProgressRouter progress() {
    return progress;
  }

  @Override
  public AutoCloseable onNotification(String method, NotificationHandler handler) {
    return notifications.add(method, handler);
  }

  /** @return whether a handler took the notification */
  public boolean deliverNotification(String method, JsonElement params) {
    return notifications.dispatch(method, params);
  }

  /**
   * @return whether the token is one this channel made (false: the host's own progress handling
   *     should take it). A late value for a request that has finished is dropped, so the host never
   *     shows it as a task of its own.
   */
  public boolean deliverProgress(ProgressEvent event) {
    return progress.dispatch(event) || ProgressRouter.isClientToken(event.token());
  }
}
