package dev.mirrordide.core.api;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import dev.mirrordide.core.lsp.ConnectionClosedException;
import dev.mirrordide.core.lsp.ErrorKind;
import dev.mirrordide.core.lsp.ProgressListener;
import dev.mirrordide.core.lsp.ResponseErrorException;
import dev.mirrordide.core.lsp.RpcChannel;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The typed {@code mirrord/*} requests of the contract. Every future fails with a {@link
 * MirrordRequestException} (or a {@link CancellationException} after a cancel).
 */
public final class MirrordApi {
  private static final Logger LOG = Logger.getLogger(MirrordApi.class.getName());
  private static final Gson GSON = new Gson();

  private final RpcChannel channel;

  public MirrordApi(RpcChannel channel) {
    this.channel = channel;
  }

  public CompletableFuture<Namespaces> listNamespaces() {
    return call("mirrord/listNamespaces", new JsonObject(), Namespaces.class);
  }

  /**
   * @param namespace null for the current namespace
   * @param configUri null when no config file applies
   */
  public CompletableFuture<TargetList> listTargets(String namespace, String configUri, boolean allNamespaces) {
    JsonObject p = new JsonObject();
    putIfNotNull(p, "namespace", namespace);
    putIfNotNull(p, "configUri", configUri);
    if (allNamespaces) {
      p.addProperty("allNamespaces", true);
    }
    return call("mirrord/listTargets", p, TargetList.class);
  }

  public CompletableFuture<PickerItems> targetPickerItems(
      String configUri, String namespace, boolean allNamespaces, String filter) {
    JsonObject p = new JsonObject();
    putIfNotNull(p, "configUri", configUri);
    putIfNotNull(p, "namespace", namespace);
    if (allNamespaces) {
      p.addProperty("allNamespaces", true);
    }
    putIfNotNull(p, "filter", filter);
    return call("mirrord/targetPickerItems", p, PickerItems.class);
  }

  /**
   * Starts a session; {@code progress} (may be null) receives the server's work-done progress.
   */
  public StartingSession startSession(StartSessionRequest request, ProgressListener progress) {
    JsonObject p = startParams(request);
    String token = channel.progress().newToken(progress == null ? e -> {} : progress);
    p.addProperty("workDoneToken", token);
    CompletableFuture<JsonElement> raw = channel.request("mirrord/startSession", p);
    CompletableFuture<SessionInfo> result = convert("mirrord/startSession", raw, SessionInfo.class);
    result.whenComplete((r, e) -> channel.progress().release(token));
    return new StartingSession() {
      @Override
      public CompletableFuture<SessionInfo> result() {
        return result;
      }

      @Override
      public void cancel() {
        JsonObject c = new JsonObject();
        c.addProperty("token", token);
        try {
          channel.notify("window/workDoneProgress/cancel", c);
        } catch (IOException e) {
          LOG.log(Level.FINE, "could not send progress cancel", e);
        }
        raw.cancel(false); // sends $/cancelRequest
        result.cancel(false);
      }
    };
  }

  static JsonObject startParams(StartSessionRequest r) {
    JsonObject p = new JsonObject();
    putIfNotNull(p, "configUri", r.configUri());
    if (r.targetless()) {
      p.add("target", JsonNull.INSTANCE);
    } else {
      putIfNotNull(p, "target", r.target());
    }
    putIfNotNull(p, "namespace", r.namespace());
    putIfNotNull(p, "agentNamespace", r.agentNamespace());
    JsonObject env = new JsonObject();
    r.env().forEach(env::addProperty);
    p.add("env", env);
    return p;
  }

  /**
   * Calls {@code listener} for each {@code mirrord/sessionEnded} notification (on the connection's
   * dispatch thread; keep it short). Closing the returned handle removes it.
   */
  public AutoCloseable onSessionEnded(Consumer<SessionEnded> listener) {
    return channel.onNotification(SessionEnded.METHOD, (method, params) -> SessionEnded.parse(params).ifPresentOrElse(
        listener, () -> LOG.log(Level.FINE, "ignoring a malformed {0} notification", method)));
  }

  /**
   * The edit that saves a target choice into a config file (created by the edit when missing),
   * keeping its comments and layout; apply it with {@link TargetEdit#applyTo}.
   *
   * @param target a target path, or null for targetless
   * @param namespace null to leave the config's namespace as it is
   */
  public CompletableFuture<TargetEdit> setTarget(String configUri, String target, String namespace) {
    JsonObject p = new JsonObject();
    p.addProperty("configUri", configUri);
    p.add("target", target == null ? JsonNull.INSTANCE : new com.google.gson.JsonPrimitive(target));
    putIfNotNull(p, "namespace", namespace);
    return convert("mirrord/setTarget", channel.request("mirrord/setTarget", p), JsonObject.class)
        .thenApply(o -> {
          try {
            return TargetEdit.parse(configUri, o.get("edit"));
          } catch (IllegalStateException | IllegalArgumentException | NullPointerException
              | UnsupportedOperationException e) {
            throw new MirrordRequestException(ErrorKind.UNKNOWN,
                "mirrord/setTarget returned an edit this client cannot read: " + e.getMessage(), null, false, e);
          }
        });
  }

  /** @return whether the server stopped a session by that id */
  public CompletableFuture<Boolean> stopSession(String sessionId) {
    JsonObject p = new JsonObject();
    p.addProperty("sessionId", sessionId);
    return convert("mirrord/stopSession", channel.request("mirrord/stopSession", p), JsonObject.class)
        .thenApply(o -> o.has("stopped") && o.get("stopped").isJsonPrimitive() && o.get("stopped").getAsBoolean());
  }

  public CompletableFuture<List<SessionSummary>> listSessions() {
    return convert("mirrord/listSessions", channel.request("mirrord/listSessions", new JsonObject()), JsonObject.class)
        .thenApply(o -> {
          List<SessionSummary> out = new ArrayList<>();
          if (o.get("sessions") instanceof JsonArray a) {
            for (JsonElement e : a) {
              if (e.isJsonObject()) {
                out.add(GSON.fromJson(e, SessionSummary.class));
              }
            }
          }
          return List.copyOf(out);
        });
  }

  private <T> CompletableFuture<T> call(String method, JsonObject params, Class<T> type) {
    return convert(method, channel.request(method, params), type);
  }

  private static <T> CompletableFuture<T> convert(String method, CompletableFuture<JsonElement> raw, Class<T> type) {
    CompletableFuture<T> out = new CompletableFuture<>();
    raw.whenComplete(
        (json, error) -> {
          if (error != null) {
            out.completeExceptionally(mapError(method, error));
            return;
          }
          if (json == null || !json.isJsonObject()) {
            out.completeExceptionally(new MirrordRequestException(
                ErrorKind.UNKNOWN, method + " returned " + json + " instead of an object", null, false, null));
            return;
          }
          try {
            out.complete(GSON.fromJson(json, type));
          } catch (JsonParseException | IllegalArgumentException e) {
            out.completeExceptionally(new MirrordRequestException(
                ErrorKind.UNKNOWN, method + " returned an answer this client cannot read: " + e.getMessage(), null, false, e));
          }
        });
    return out;
  }

  static Throwable mapError(String method, Throwable error) {
    Throwable e = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    if (e instanceof CancellationException) {
      return e;
    }
    if (e instanceof ResponseErrorException re) {
      if (re.code() == ResponseErrorException.REQUEST_CANCELLED) {
        CancellationException c = new CancellationException(method + " was cancelled");
        c.initCause(re);
        return c;
      }
      return MirrordRequestException.from(method, re);
    }
    if (e instanceof ConnectionClosedException) {
      return new MirrordRequestException(
          ErrorKind.UNKNOWN, "The mirrord language server stopped while answering " + method + ".", null, false, e);
    }
    return new MirrordRequestException(ErrorKind.UNKNOWN, method + " failed: " + e, null, false, e);
  }

  private static void putIfNotNull(JsonObject o, String key, String value) {
    if (value != null) {
      o.addProperty(key, value);
    }
  }
}
