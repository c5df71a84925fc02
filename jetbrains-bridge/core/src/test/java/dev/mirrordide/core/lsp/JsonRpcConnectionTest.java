package dev.mirrordide.core.lsp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(20)
class JsonRpcConnectionTest {
  @Test
  void responsesAreMatchedByIdInAnyOrder() throws Exception {
    try (FakePeer peer = new FakePeer()) {
      peer.client.start();
      CompletableFuture<JsonElement> a = peer.client.request("a", new JsonObject());
      CompletableFuture<JsonElement> b = peer.client.request("b", null);
      JsonObject ra = peer.next();
      JsonObject rb = peer.next();
      assertEquals("2.0", ra.get("jsonrpc").getAsString());
      assertEquals("a", ra.get("method").getAsString());
      assertFalse(rb.has("params"), "null params are omitted");
      peer.send("{\"jsonrpc\":\"2.0\",\"id\":" + rb.get("id") + ",\"result\":\"B\"}");
      peer.send("{\"jsonrpc\":\"2.0\",\"id\":" + ra.get("id") + ",\"result\":{\"x\":1}}");
      assertEquals("B", b.get(5, TimeUnit.SECONDS).getAsString());
      assertEquals(1, a.get(5, TimeUnit.SECONDS).getAsJsonObject().get("x").getAsInt());
    }
  }

  @Test
  void errorResponsesCarryKindAndHint() throws Exception {
    try (FakePeer peer = new FakePeer()) {
      peer.client.start();
      CompletableFuture<JsonElement> f = peer.client.request("mirrord/listTargets", new JsonObject());
      JsonObject req = peer.next();
      peer.send("{\"jsonrpc\":\"2.0\",\"id\":" + req.get("id") + ",\"error\":{\"code\":-33001,\"message\":\"m\","
          + "\"data\":{\"kind\":\"unreachable\",\"message\":\"cluster at https://x is unreachable\",\"hint\":\"check VPN\"}}}");
      ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(5, TimeUnit.SECONDS));
      ResponseErrorException re = assertInstanceOf(ResponseErrorException.class, e.getCause());
      assertEquals(-33001, re.code());
      assertEquals(ErrorKind.UNREACHABLE, re.kind());
      assertEquals("check VPN", re.hint());
      assertEquals("cluster at https://x is unreachable", re.userMessage());
    }
  }

  @Test
  void unknownKindAndMethodNotFound() throws Exception {
    try (FakePeer peer = new FakePeer()) {
      peer.client.start();
      CompletableFuture<JsonElement> f = peer.client.request("mirrord/startSession", new JsonObject());
      JsonObject req = peer.next();
      peer.send("{\"jsonrpc\":\"2.0\",\"id\":" + req.get("id") + ",\"error\":{\"code\":-32601,\"message\":\"no such\"}}");
      ResponseErrorException re = assertInstanceOf(
          ResponseErrorException.class, assertThrows(ExecutionException.class, () -> f.get(5, TimeUnit.SECONDS)).getCause());
      assertTrue(re.isMethodNotFound());
      assertEquals(ErrorKind.UNKNOWN, re.kind());
      assertNull(re.hint());
    }
  }

  @Test
  void serverRequestsAreAnsweredAndUnknownOnesGetMethodNotFound() throws Exception {
    try (FakePeer peer = new FakePeer()) {
      ProgressRouter router = new ProgressRouter();
      router.install(peer.client);
      peer.client.start();
      peer.send("{\"jsonrpc\":\"2.0\",\"id\":\"s1\",\"method\":\"window/workDoneProgress/create\",\"params\":{\"token\":\"t1\"}}");
      JsonObject reply = peer.next();
      assertEquals("s1", reply.get("id").getAsString());
      assertTrue(reply.has("result") && reply.get("result").isJsonNull(), reply.toString());
      assertTrue(router.wasCreatedByServer("t1"));
      peer.send("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"workspace/unknownThing\"}");
      JsonObject err = peer.next();
      assertEquals(7, err.get("id").getAsInt());
      assertEquals(-32601, err.getAsJsonObject("error").get("code").getAsInt());
    }
  }

  @Test
  void handlerErrorsBecomeErrorResponsesNotCrashes() throws Exception {
    java.util.logging.Logger log = java.util.logging.Logger.getLogger(JsonRpcConnection.class.getName());
    java.util.logging.Level before = log.getLevel();
    log.setLevel(java.util.logging.Level.OFF); // the failure is expected; keep the output clean
    try (FakePeer peer = new FakePeer()) {
      peer.client.onRequest("boom", p -> {
        throw new IllegalStateException("bug");
      });
      peer.client.onRequest("refuse", p -> {
        throw new ResponseErrorException(-32602, "bad params", new JsonPrimitive("d"));
      });
      peer.client.start();
      peer.send("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"boom\"}");
      assertEquals(-32603, peer.next().getAsJsonObject("error").get("code").getAsInt());
      peer.send("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"refuse\"}");
      JsonObject e = peer.next().getAsJsonObject("error");
      assertEquals(-32602, e.get("code").getAsInt());
      assertEquals("d", e.get("data").getAsString());
    } finally {
      log.setLevel(before);
    }
  }

  @Test
  void progressIsRoutedByTokenInOrder() throws Exception {
    try (FakePeer peer = new FakePeer()) {
      ProgressRouter router = new ProgressRouter();
      router.install(peer.client);
      List<ProgressEvent> mine = new CopyOnWriteArrayList<>();
      List<ProgressEvent> other = new CopyOnWriteArrayList<>();
      CountDownLatch done = new CountDownLatch(1);
      String token = router.newToken(ev -> {
        mine.add(ev);
        if (ev.kind() == ProgressEvent.Kind.END) {
          done.countDown();
        }
      });
      router.setFallback(other::add);
      peer.client.start();
      peer.send(progress(token, "{\"kind\":\"begin\",\"title\":\"Starting mirrord\",\"cancellable\":true,\"percentage\":0}"));
      peer.send(progress("someone-else", "{\"kind\":\"begin\",\"title\":\"other\"}"));
      peer.send(progress(token, "{\"kind\":\"report\",\"message\":\"creating agent\",\"percentage\":40}"));
      peer.send(progress(token, "{\"kind\":\"end\"}"));
      assertTrue(done.await(5, TimeUnit.SECONDS));
      assertEquals(3, mine.size());
      assertEquals(ProgressEvent.Kind.BEGIN, mine.get(0).kind());
      assertEquals("Starting mirrord", mine.get(0).text());
      assertEquals(Boolean.TRUE, mine.get(0).cancellable());
      assertEquals("creating agent", mine.get(1).text());
      assertEquals(40, mine.get(1).percentage());
      assertEquals(1, other.size());
    }
  }

  private static String progress(String token, String value) {
    return "{\"jsonrpc\":\"2.0\",\"method\":\"$/progress\",\"params\":{\"token\":\"" + token + "\",\"value\":" + value + "}}";
  }

  @Test
  void cancellingARequestSendsCancelRequest() throws Exception {
    try (FakePeer peer = new FakePeer()) {
      peer.client.start();
      CompletableFuture<JsonElement> f = peer.client.request("mirrord/startSession", new JsonObject());
      int id = peer.next().get("id").getAsInt();
      f.cancel(false);
      JsonObject cancel = peer.nextWithMethod("$/cancelRequest");
      assertEquals(id, cancel.getAsJsonObject("params").get("id").getAsInt());
      // A late answer for the cancelled id is ignored.
      peer.send("{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"result\":{}}");
      assertTrue(f.isCancelled());
    }
  }

  @Test
  void peerClosingFailsPendingRequests() throws Exception {
    try (FakePeer peer = new FakePeer()) {
      peer.client.start();
      CompletableFuture<JsonElement> f = peer.client.request("x", null);
      peer.next();
      peer.closeServerSide();
      ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(5, TimeUnit.SECONDS));
      assertInstanceOf(ConnectionClosedException.class, e.getCause());
      peer.client.terminated().get(5, TimeUnit.SECONDS);
      CompletableFuture<JsonElement> after = peer.client.request("y", null);
      assertInstanceOf(ConnectionClosedException.class,
          assertThrows(ExecutionException.class, () -> after.get(1, TimeUnit.SECONDS)).getCause());
    }
  }

  @Test
  void garbageFromThePeerClosesTheConnectionCleanly() throws Exception {
    try (FakePeer peer = new FakePeer()) {
      peer.client.start();
      CompletableFuture<JsonElement> f = peer.client.request("x", null);
      peer.next();
      peer.send("this is not json");
      ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(5, TimeUnit.SECONDS));
      ConnectionClosedException c = assertInstanceOf(ConnectionClosedException.class, e.getCause());
      assertInstanceOf(ProtocolException.class, c.getCause());
    }
  }

  @Test
  void notificationsReachHandlers() throws Exception {
    try (FakePeer peer = new FakePeer()) {
      CountDownLatch got = new CountDownLatch(2);
      List<String> methods = new CopyOnWriteArrayList<>();
      peer.client.onNotification("textDocument/publishDiagnostics", (m, p) -> {
        methods.add(m + ":" + p.getAsJsonObject().get("version").getAsInt());
        got.countDown();
      });
      peer.client.onOtherNotification((m, p) -> {
        methods.add(m);
        got.countDown();
      });
      peer.client.start();
      peer.send("{\"jsonrpc\":\"2.0\",\"method\":\"textDocument/publishDiagnostics\",\"params\":{\"uri\":\"file:///m.json\",\"version\":3,\"diagnostics\":[]}}");
      peer.send("{\"jsonrpc\":\"2.0\",\"method\":\"window/logMessage\",\"params\":{\"type\":3,\"message\":\"hi\"}}");
      assertTrue(got.await(5, TimeUnit.SECONDS));
      assertEquals(List.of("textDocument/publishDiagnostics:3", "window/logMessage"), methods);
      peer.client.notify("initialized", new JsonObject());
      JsonObject n = peer.next();
      assertFalse(n.has("id"));
      assertEquals("initialized", n.get("method").getAsString());
    }
  }
}
