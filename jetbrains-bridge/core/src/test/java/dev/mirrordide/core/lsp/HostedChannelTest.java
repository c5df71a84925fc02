package dev.mirrordide.core.lsp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.mirrordide.core.api.MirrordApi;
import dev.mirrordide.core.api.MirrordRequestException;
import dev.mirrordide.core.api.PickerItems;
import dev.mirrordide.core.api.SessionEnded;
import dev.mirrordide.core.api.SessionInfo;
import dev.mirrordide.core.api.StartSessionRequest;
import dev.mirrordide.core.api.StartingSession;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The typed API over a connection the IDE's LSP client owns, with values crossing as plain JDK types. */
class HostedChannelTest {
  /** A host like LSP4IJ: takes and gives plain values (numbers as doubles), answers from a script. */
  private static final class PlainHost implements HostedChannel.Transport {
    final List<String> methods = new ArrayList<>();
    final List<Object> sentPlain = new ArrayList<>();
    final Map<String, CompletableFuture<Object>> answers = new LinkedHashMap<>();

    @Override
    public CompletableFuture<JsonElement> request(String method, JsonElement params) {
      methods.add(method);
      sentPlain.add(PlainJson.toPlain(params));
      CompletableFuture<Object> answer = answers.getOrDefault(method, CompletableFuture.failedFuture(
          new ResponseErrorException(ResponseErrorException.METHOD_NOT_FOUND, "no " + method, null)));
      return answer.thenApply(PlainJson::toJsonTree);
    }

    @Override
    public void notify(String method, JsonElement params) {
      methods.add(method);
      sentPlain.add(PlainJson.toPlain(params));
    }
  }

  private static Object gsonPlain(String json) {
    // What another Gson's Object adapter produces: maps, lists and doubles.
    return new com.google.gson.Gson().fromJson(json, Object.class);
  }

  @Test
  void requestsAndResultsCrossAsPlainValues() throws Exception {
    PlainHost host = new PlainHost();
    host.answers.put("mirrord/targetPickerItems", CompletableFuture.completedFuture(gsonPlain(
        "{\"namespace\":\"shop\",\"skipDialog\":false,\"items\":[{\"label\":\"No Target\",\"kind\":\"targetless\",\"path\":null}]}")));
    MirrordApi api = new MirrordApi(new HostedChannel(host));
    PickerItems items = api.targetPickerItems("file:///p/.mirrord/a.json", "shop", false, null).get(5, TimeUnit.SECONDS);
    assertEquals("shop", items.namespace());
    assertEquals("targetless", items.items().get(0).kind());
    assertEquals(List.of("mirrord/targetPickerItems"), host.methods);
    assertEquals(Map.of("configUri", "file:///p/.mirrord/a.json", "namespace", "shop"), host.sentPlain.get(0));
  }

  @Test
  void wholeNumbersComeBackAsIntegersAndProgressFollowsItsToken() throws Exception {
    PlainHost host = new PlainHost();
    CompletableFuture<Object> answer = new CompletableFuture<>();
    host.answers.put("mirrord/startSession", answer);
    HostedChannel channel = new HostedChannel(host);
    MirrordApi api = new MirrordApi(channel);
    List<ProgressEvent> seen = new ArrayList<>();
    StartingSession s = api.startSession(StartSessionRequest.forTargetless(null, "shop", Map.of()), seen::add);
    @SuppressWarnings("unchecked")
    String token = (String) ((Map<String, Object>) host.sentPlain.get(0)).get("workDoneToken");
    assertTrue(channel.deliverProgress(new ProgressEvent(token, ProgressEvent.Kind.REPORT, null, "creating the agent", 40, null)));
    assertFalse(channel.deliverProgress(new ProgressEvent("server-made", ProgressEvent.Kind.BEGIN, "indexing", null, null, null)),
        "a token of another request is left to the host");
    answer.complete(gsonPlain("{\"sessionId\":\"s1\",\"target\":null,\"namespace\":\"shop\",\"env\":{\"A\":\"1\"},"
        + "\"agent\":{\"pod\":\"mirrord-agent-x\",\"namespace\":\"shop\",\"node\":null,\"port\":44128,\"localAddress\":\"127.0.0.1:44128\"}}"));
    SessionInfo info = s.result().get(5, TimeUnit.SECONDS);
    assertEquals("s1", info.sessionId());
    assertEquals(44128, info.agent().port());
    assertEquals("creating the agent", seen.get(0).text());
    assertTrue(channel.deliverProgress(new ProgressEvent(token, ProgressEvent.Kind.END, null, null, null, null)),
        "a late value of a finished request is not left to the host");
    assertEquals(1, seen.size(), "the token was released with the result");
  }

  @Test
  void targetlessSurvivesAWireThatDropsNulls() {
    PlainHost host = new PlainHost();
    MirrordApi api = new MirrordApi(new HostedChannel(host));
    api.startSession(StartSessionRequest.forTargetless(null, "shop", Map.of()), null);
    api.startSession(StartSessionRequest.fromConfig(null, Map.of()), null);
    api.setTarget("file:///p/mirrord.json", null, null);
    assertEquals("targetless", ((Map<?, ?>) host.sentPlain.get(0)).get("target"));
    assertFalse(((Map<?, ?>) host.sentPlain.get(1)).containsKey("target"), "no target stays no target");
    assertEquals("targetless", ((Map<?, ?>) host.sentPlain.get(2)).get("target"));
  }

  @Test
  void serverErrorsKeepTheirKind() {
    PlainHost host = new PlainHost();
    JsonObject data = JsonParser.parseString("{\"kind\":\"forbidden\",\"message\":\"cannot list pods\",\"hint\":\"ask for RBAC\"}")
        .getAsJsonObject();
    host.answers.put("mirrord/listNamespaces", CompletableFuture.failedFuture(new ResponseErrorException(-32001, "denied", data)));
    MirrordApi api = new MirrordApi(new HostedChannel(host));
    ExecutionException e = assertThrows(ExecutionException.class, () -> api.listNamespaces().get(5, TimeUnit.SECONDS));
    MirrordRequestException m = assertInstanceOf(MirrordRequestException.class, e.getCause());
    assertEquals(ErrorKind.FORBIDDEN, m.kind());
    assertEquals("ask for RBAC", m.hint());
  }

  @Test
  void sessionEndedReachesItsListenerUntilClosed() throws Exception {
    HostedChannel channel = new HostedChannel(new PlainHost());
    MirrordApi api = new MirrordApi(channel);
    List<SessionEnded> ended = new ArrayList<>();
    AutoCloseable handle = api.onSessionEnded(ended::add);
    JsonElement params = PlainJson.toJsonTree(gsonPlain("{\"sessionId\":\"s1\",\"reason\":\"agent-exited\",\"message\":\"gone\"}"));
    assertTrue(channel.deliverNotification(SessionEnded.METHOD, params));
    assertEquals("s1", ended.get(0).sessionId());
    handle.close();
    assertFalse(channel.deliverNotification(SessionEnded.METHOD, params));
    assertEquals(1, ended.size());
  }

  @Test
  void plainJsonRoundTrip() {
    JsonElement tree = JsonParser.parseString("{\"a\":[1,2.5,true,null,\"x\"],\"b\":{\"c\":-3}}");
    Object plain = PlainJson.toPlain(tree);
    assertEquals(Map.of("c", -3L), ((Map<?, ?>) plain).get("b"));
    assertEquals(tree, PlainJson.toJsonTree(plain));
    assertEquals(tree, PlainJson.toJsonTree(gsonPlain(tree.toString())), "doubles that are whole become integers");
    assertEquals(JsonParser.parseString("9007199254740993"), PlainJson.toJsonTree(9007199254740993L), "longs stay exact");
  }
}
