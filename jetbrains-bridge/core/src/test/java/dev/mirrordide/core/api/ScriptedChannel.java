package dev.mirrordide.core.api;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.mirrordide.core.lsp.NotificationHandler;
import dev.mirrordide.core.lsp.NotificationRouter;
import dev.mirrordide.core.lsp.ProgressRouter;
import dev.mirrordide.core.lsp.RpcChannel;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/** An in-process server: each method answers from a function of its params; calls are recorded. */
public final class ScriptedChannel implements RpcChannel {
  public record Call(String method, JsonObject params) {}

  public final List<Call> calls = new CopyOnWriteArrayList<>();
  public final List<Call> notifications = new CopyOnWriteArrayList<>();
  public final Map<String, CompletableFuture<JsonElement>> inFlight = new ConcurrentHashMap<>();
  private final Map<String, Function<JsonObject, CompletableFuture<JsonElement>>> answers = new ConcurrentHashMap<>();
  private final ProgressRouter router = new ProgressRouter();
  private final NotificationRouter serverNotifications = new NotificationRouter();

  /** Delivers a notification from the "server" to the handlers the client added. */
  public boolean serverNotifies(String method, String json) {
    return serverNotifications.dispatch(method, JsonParser.parseString(json));
  }

  @Override
  public AutoCloseable onNotification(String method, NotificationHandler handler) {
    return serverNotifications.add(method, handler);
  }

  public ScriptedChannel answer(String method, String json) {
    answers.put(method, p -> CompletableFuture.completedFuture(JsonParser.parseString(json)));
    return this;
  }

  public ScriptedChannel answer(String method, Function<JsonObject, CompletableFuture<JsonElement>> f) {
    answers.put(method, f);
    return this;
  }

  public List<Call> calls(String method) {
    return calls.stream().filter(c -> c.method().equals(method)).toList();
  }

  @Override
  public CompletableFuture<JsonElement> request(String method, Object params) {
    JsonObject p = params instanceof JsonObject o ? o.deepCopy() : new JsonObject();
    calls.add(new Call(method, p));
    Function<JsonObject, CompletableFuture<JsonElement>> f = answers.get(method);
    CompletableFuture<JsonElement> result = f == null
        ? CompletableFuture.failedFuture(new dev.mirrordide.core.lsp.ResponseErrorException(-32601, "no " + method, null))
        : f.apply(p);
    inFlight.put(method, result);
    return result;
  }

  @Override
  public void notify(String method, Object params) {
    notifications.add(new Call(method, params instanceof JsonObject o ? o.deepCopy() : new JsonObject()));
  }

  @Override
  public ProgressRouter progress() {
    return router;
  }
}
