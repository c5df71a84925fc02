package dev.mirrordide.core.lsp;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * JSON-RPC 2.0 over a pair of streams with LSP framing.
 *
 * <p>One reader thread parses messages. Responses complete their futures on that thread (so
 * dependants should be cheap or use the {@code *Async} variants); notifications and server
 * requests run in arrival order on one dispatch thread, so a {@code $/progress} never overtakes
 * the {@code window/workDoneProgress/create} that announced its token.
 */
public final class JsonRpcConnection implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(JsonRpcConnection.class.getName());
  static final Gson GSON = new GsonBuilder().serializeNulls().disableHtmlEscaping().create();

  private final InputStream in;
  private final OutputStream out;
  private final Object writeLock = new Object();
  private final AtomicInteger nextId = new AtomicInteger(1);
  private final Map<String, CompletableFuture<JsonElement>> pending = new ConcurrentHashMap<>();
  private final Map<String, ServerRequestHandler> requestHandlers = new ConcurrentHashMap<>();
  private final Map<String, NotificationHandler> notificationHandlers = new ConcurrentHashMap<>();
  private final List<NotificationHandler> fallbackNotificationHandlers = new CopyOnWriteArrayList<>();
  private final ExecutorService dispatcher;
  private final Thread reader;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final CompletableFuture<Void> terminated = new CompletableFuture<>();

  public JsonRpcConnection(InputStream in, OutputStream out, String name) {
    this.in = in;
    this.out = out;
    this.dispatcher = Executors.newSingleThreadExecutor(r -> daemon(r, name + "-dispatch"));
    this.reader = daemon(this::readLoop, name + "-reader");
  }

  /** Starts reading. Register handlers before calling this so no early message is missed. */
  public JsonRpcConnection start() {
    reader.start();
    return this;
  }

  public void onRequest(String method, ServerRequestHandler handler) {
    requestHandlers.put(method, handler);
  }

  public void onNotification(String method, NotificationHandler handler) {
    notificationHandlers.put(method, handler);
  }

  /** Receives notifications no specific handler claimed (e.g. for logging). */
  public void onOtherNotification(NotificationHandler handler) {
    fallbackNotificationHandlers.add(handler);
  }

  /** Completes (normally) once the connection is closed or the peer's stream ended. */
  public CompletableFuture<Void> terminated() {
    return terminated;
  }

  public boolean isClosed() {
    return closed.get();
  }

  /**
   * Sends a request. Cancelling the returned future sends {@code $/cancelRequest}; a late response
   * is then ignored.
   */
  public CompletableFuture<JsonElement> request(String method, Object params) {
    String id = Integer.toString(nextId.getAndIncrement());
    CompletableFuture<JsonElement> future = new CompletableFuture<>();
    if (closed.get()) {
      future.completeExceptionally(new ConnectionClosedException("connection is closed", null));
      return future;
    }
    pending.put(id, future);
    future.whenComplete(
        (r, e) -> {
          pending.remove(id);
          if (e instanceof CancellationException && !closed.get()) {
            JsonObject p = new JsonObject();
            p.addProperty("id", Integer.parseInt(id));
            sendQuietly(envelopeNotification("$/cancelRequest", p));
          }
        });
    JsonObject msg = new JsonObject();
    msg.addProperty("jsonrpc", "2.0");
    msg.addProperty("id", Integer.parseInt(id));
    msg.addProperty("method", method);
    if (params != null) {
      msg.add("params", GSON.toJsonTree(params));
    }
    try {
      send(msg);
    } catch (IOException e) {
      future.completeExceptionally(new ConnectionClosedException("could not send " + method, e));
    }
    return future;
  }

  public void notify(String method, Object params) throws IOException {
    send(envelopeNotification(method, params == null ? null : GSON.toJsonTree(params)));
  }

  private static JsonObject envelopeNotification(String method, JsonElement params) {
    JsonObject msg = new JsonObject();
    msg.addProperty("jsonrpc", "2.0");
    msg.addProperty("method", method);
    if (params != null) {
      msg.add("params", params);
    }
    return msg;
  }

  private void send(JsonObject msg) throws IOException {
    if (closed.get()) {
      throw new IOException("connection is closed");
    }
    String text = GSON.toJson(msg);
    synchronized (writeLock) {
      MessageFraming.write(out, text);
    }
  }

  private void sendQuietly(JsonObject msg) {
    try {
      send(msg);
    } catch (IOException e) {
      LOG.log(Level.FINE, "could not send " + msg.get("method"), e);
    }
  }

  private void readLoop() {
    Throwable cause = null;
    try {
      while (!closed.get()) {
        String text = MessageFraming.read(in);
        if (text == null) {
          break;
        }
        handleMessage(text);
      }
    } catch (IOException e) {
      cause = e;
    } catch (RuntimeException e) {
      cause = e;
      LOG.log(Level.WARNING, "language server connection failed", e);
    } finally {
      shutdownInternal(cause);
    }
  }

  private void handleMessage(String text) throws ProtocolException {
    JsonObject msg;
    try {
      JsonElement parsed = JsonParser.parseString(text);
      if (!parsed.isJsonObject()) {
        throw new ProtocolException("message is not a JSON object");
      }
      msg = parsed.getAsJsonObject();
    } catch (JsonParseException e) {
      throw new ProtocolException("invalid JSON from server: " + e.getMessage());
    }
    boolean hasMethod = msg.has("method") && msg.get("method").isJsonPrimitive();
    boolean hasId = msg.has("id") && !msg.get("id").isJsonNull();
    if (hasMethod && hasId) {
      JsonElement id = msg.get("id");
      String method = msg.get("method").getAsString();
      JsonElement params = msg.get("params");
      dispatcher.execute(() -> answerServerRequest(id, method, params));
    } else if (hasMethod) {
      String method = msg.get("method").getAsString();
      JsonElement params = msg.get("params");
      dispatcher.execute(() -> dispatchNotification(method, params));
    } else if (hasId) {
      completeResponse(msg);
    } else {
      LOG.fine("ignoring message without id or method");
    }
  }

  private void completeResponse(JsonObject msg) {
    String id = idKey(msg.get("id"));
    CompletableFuture<JsonElement> future = pending.remove(id);
    if (future == null) {
      return; // cancelled earlier, or a duplicate
    }
    if (msg.has("error") && msg.get("error").isJsonObject()) {
      JsonObject error = msg.getAsJsonObject("error");
      int code = error.has("code") ? error.get("code").getAsInt() : ResponseErrorException.INTERNAL_ERROR;
      String message = error.has("message") && !error.get("message").isJsonNull()
          ? error.get("message").getAsString()
          : null;
      future.completeExceptionally(new ResponseErrorException(code, message, error.get("data")));
    } else {
      JsonElement result = msg.get("result");
      future.complete(result == null ? JsonNull.INSTANCE : result);
    }
  }

  private static String idKey(JsonElement id) {
    if (id instanceof JsonPrimitive p && p.isNumber()) {
      return Long.toString(p.getAsLong());
    }
    return id.getAsString();
  }

  private void answerServerRequest(JsonElement id, String method, JsonElement params) {
    JsonObject reply = new JsonObject();
    reply.addProperty("jsonrpc", "2.0");
    reply.add("id", id);
    ServerRequestHandler handler = requestHandlers.get(method);
    if (handler == null) {
      reply.add("error", errorObject(ResponseErrorException.METHOD_NOT_FOUND, "unhandled method " + method));
    } else {
      try {
        JsonElement result = handler.handle(params);
        reply.add("result", result == null ? JsonNull.INSTANCE : result);
      } catch (ResponseErrorException e) {
        JsonObject err = errorObject(e.code(), e.getMessage());
        if (e.data() != null) {
          err.add("data", e.data());
        }
        reply.add("error", err);
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "handler for " + method + " failed", e);
        reply.add("error", errorObject(ResponseErrorException.INTERNAL_ERROR, "client error in " + method));
      }
    }
    sendQuietly(reply);
  }

  private static JsonObject errorObject(int code, String message) {
    JsonObject err = new JsonObject();
    err.addProperty("code", code);
    err.addProperty("message", message);
    return err;
  }

  private void dispatchNotification(String method, JsonElement params) {
    NotificationHandler handler = notificationHandlers.get(method);
    List<NotificationHandler> targets = new ArrayList<>();
    if (handler != null) {
      targets.add(handler);
    } else {
      targets.addAll(fallbackNotificationHandlers);
    }
    for (NotificationHandler h : targets) {
      try {
        h.handle(method, params);
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "notification handler for " + method + " failed", e);
      }
    }
  }

  private void shutdownInternal(Throwable cause) {
    closed.set(true);
    ConnectionClosedException error =
        new ConnectionClosedException(
            cause == null ? "language server closed the connection" : "language server connection failed: " + cause.getMessage(),
            cause);
    for (CompletableFuture<JsonElement> f : List.copyOf(pending.values())) {
      f.completeExceptionally(error);
    }
    pending.clear();
    dispatcher.shutdown();
    terminated.complete(null);
  }

  /** Stops reading and fails every pending request. Does not close the streams' owner process. */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      try {
        out.close();
      } catch (IOException ignored) {
        // already gone
      }
      try {
        in.close();
      } catch (IOException ignored) {
        // already gone
      }
    }
    reader.interrupt();
    // The reader fails pending requests when its stream closes; do it here too in case it is
    // blocked in a read that close() did not interrupt.
    shutdownInternal(null);
    try {
      dispatcher.awaitTermination(1, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }
}
