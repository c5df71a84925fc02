package dev.mirrordide.core.api;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.Optional;

/**
 * The {@code mirrord/sessionEnded} notification: the server ended a session. {@code reason} is one
 * of {@code stopped}, {@code agent-exited}, {@code connection-lost}, {@code cli-exited}, {@code
 * server-exit} (or one a newer server added).
 */
public record SessionEnded(String sessionId, String reason, String message) {
  public static final String METHOD = "mirrord/sessionEnded";
  public static final String STOPPED = "stopped";

  /** The notification's params, or empty when they carry no session id. */
  public static Optional<SessionEnded> parse(JsonElement params) {
    if (!(params instanceof JsonObject o) || !isString(o, "sessionId")) {
      return Optional.empty();
    }
    String reason = isString(o, "reason") ? o.get("reason").getAsString() : "unknown";
    String message = isString(o, "message") ? o.get("message").getAsString() : "";
    return Optional.of(new SessionEnded(o.get("sessionId").getAsString(), reason, message));
  }

  /** True when the session ended because someone asked for it, not because something broke. */
  public boolean wasRequested() {
    return STOPPED.equals(reason);
  }

  /** The reason in words. */
  public String reasonText() {
    return switch (reason) {
      case "agent-exited" -> "the agent exited";
      case "connection-lost" -> "the connection to the agent was lost";
      case "cli-exited" -> "the mirrord CLI exited";
      case "server-exit" -> "the language server stopped";
      case STOPPED -> "it was stopped";
      default -> reason;
    };
  }

  private static boolean isString(JsonObject o, String key) {
    return o.has(key) && o.get(key).isJsonPrimitive() && o.get(key).getAsJsonPrimitive().isString();
  }
}
