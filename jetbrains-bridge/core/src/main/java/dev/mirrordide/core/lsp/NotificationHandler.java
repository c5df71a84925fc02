package dev.mirrordide.core.lsp;

import com.google.gson.JsonElement;

/** Receives a notification from the server. Runs on the connection's dispatch thread. */
@FunctionalInterface
public interface NotificationHandler {
  void handle(String method, JsonElement params);
}
