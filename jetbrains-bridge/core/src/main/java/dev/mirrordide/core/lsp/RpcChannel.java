package dev.mirrordide.core.lsp;

import com.google.gson.JsonElement;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;

/** What the typed API needs from a connection: requests, notifications and progress routing. */
public interface RpcChannel {
  CompletableFuture<JsonElement> request(String method, Object params);

  void notify(String method, Object params) throws IOException;

  ProgressRouter progress();

  /**
   * Calls {@code handler} for each notification {@code method} the server sends, on the
   * connection's dispatch thread; closing the returned handle removes it.
   */
  AutoCloseable onNotification(String method, NotificationHandler handler);

  /** A channel over a bare connection whose progress messages {@code router} already receives. */
  static RpcChannel of(JsonRpcConnection connection, ProgressRouter router) {
    NotificationRouter notifications = new NotificationRouter();
    return new RpcChannel() {
      @Override
      public AutoCloseable onNotification(String method, NotificationHandler handler) {
        connection.onNotification(method, notifications::dispatch);
        return notifications.add(method, handler);
      }

      @Override
      public CompletableFuture<JsonElement> request(String method, Object params) {
        return connection.request(method, params);
      }

      @Override
      public void notify(String method, Object params) throws IOException {
        connection.notify(method, params);
      }

      @Override
      public ProgressRouter progress() {
        return router;
      }
    };
  }
}
