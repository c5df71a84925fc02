package dev.mirrordide.core.lsp;

import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Routes {@code $/progress} to the listener of its token and answers the server's {@code
 * window/workDoneProgress/create} requests. Tokens the client creates (for {@code workDoneToken}
 * params) and tokens the server creates both work; progress for tokens nobody listens to goes to
 * the fallback listener, if any.
 */
public final class ProgressRouter {
  private final Map<String, ProgressListener> listeners = new ConcurrentHashMap<>();
  private final Set<String> serverCreated = ConcurrentHashMap.newKeySet();
  private static final String TOKEN_PREFIX = "mirrord-ide-jb-";
  private final AtomicLong counter = new AtomicLong();
  private volatile ProgressListener fallback;

  public void install(JsonRpcConnection connection) {
    connection.onRequest("window/workDoneProgress/create", this::onCreate);
    connection.onNotification("$/progress", (method, params) -> onProgress(params));
  }

  /** A fresh token for a request's {@code workDoneToken}; progress for it goes to {@code listener}. */
  public String newToken(ProgressListener listener) {
    String token = TOKEN_PREFIX + counter.incrementAndGet();
    listeners.put(token, listener);
    return token;
  }

  /** Whether {@code token} is one {@link #newToken} makes (even one already released). */
  public static boolean isClientToken(String token) {
    return token != null && token.startsWith(TOKEN_PREFIX);
  }

  public void release(String token) {
    listeners.remove(token);
    serverCreated.remove(token);
  }

  public void setFallback(ProgressListener listener) {
    this.fallback = listener;
  }

  /** Whether the server announced this token with {@code window/workDoneProgress/create}. */
  public boolean wasCreatedByServer(String token) {
    return serverCreated.contains(token);
  }

  private JsonElement onCreate(JsonElement params) {
    if (params instanceof JsonObject o && o.has("token")) {
      serverCreated.add(o.get("token").getAsString());
    }
    return JsonNull.INSTANCE;
  }

  private void onProgress(JsonElement params) {
    ProgressEvent event = parse(params);
    if (event != null && !dispatch(event)) {
      ProgressListener f = fallback;
      if (f != null) {
        f.onProgress(event);
      }
    }
  }

  /**
   * Hands a progress value to the listener of its token, for hosts whose LSP client receives
   * {@code $/progress} itself.
   *
   * @return whether a request of this router owns the token (false: leave it to the host)
   */
  public boolean dispatch(ProgressEvent event) {
    ProgressListener listener = listeners.get(event.token());
    if (listener == null) {
      return false;
    }
    listener.onProgress(event);
    return true;
  }

  /** Parses {@code {token, value: {kind, title?, message?, percentage?, cancellable?}}}. */
  static ProgressEvent parse(JsonElement params) {
    if (!(params instanceof JsonObject o) || !o.has("token") || !(o.get("value") instanceof JsonObject v)) {
      return null;
    }
    String kindText = str(v, "kind");
    if (kindText == null) {
      return null;
    }
    ProgressEvent.Kind kind;
    try {
      kind = ProgressEvent.Kind.valueOf(kindText.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      return null;
    }
    Integer percentage = v.has("percentage") && v.get("percentage").isJsonPrimitive()
        ? v.get("percentage").getAsInt()
        : null;
    Boolean cancellable = v.has("cancellable") && v.get("cancellable").isJsonPrimitive()
        ? v.get("cancellable").getAsBoolean()
        : null;
    return new ProgressEvent(
        o.get("token").getAsString(), kind, str(v, "title"), str(v, "message"), percentage, cancellable);
  }

  private static String str(JsonObject o, String key) {
    return o.has(key) && o.get(key).isJsonPrimitive() ? o.get(key).getAsString() : null;
  }
}
