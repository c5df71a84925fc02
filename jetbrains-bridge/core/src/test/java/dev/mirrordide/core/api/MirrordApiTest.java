package dev.mirrordide.core.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.mirrordide.core.lsp.ErrorKind;
import dev.mirrordide.core.lsp.ResponseErrorException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class MirrordApiTest {
  @Test
  void parsesTargetsAndSendsOnlyGivenParams() throws Exception {
    ScriptedChannel ch = new ScriptedChannel().answer("mirrord/listTargets",
        "{\"namespace\":\"shop\",\"targets\":[{\"path\":\"deployment/web/container/app\",\"kind\":\"deployment\","
            + "\"name\":\"web\",\"namespace\":\"shop\",\"container\":\"app\",\"available\":true},"
            + "{\"path\":\"pod/db-0/container/pg\",\"kind\":\"pod\",\"name\":\"db-0\",\"namespace\":\"shop\","
            + "\"container\":\"pg\",\"available\":false,\"reason\":\"pod is Pending\"}]}");
    TargetList list = new MirrordApi(ch).listTargets("shop", null, false).get(5, TimeUnit.SECONDS);
    assertEquals("shop", list.namespace());
    assertEquals(2, list.targets().size());
    assertEquals("deployment/web/container/app", list.targets().get(0).path());
    assertFalse(list.targets().get(1).available());
    assertEquals("pod is Pending", list.targets().get(1).reason());
    JsonObject sent = ch.calls("mirrord/listTargets").get(0).params();
    assertEquals("shop", sent.get("namespace").getAsString());
    assertFalse(sent.has("configUri"));
    assertFalse(sent.has("allNamespaces"));
  }

  @Test
  void targetlessSendsAnExplicitNullTarget() {
    JsonObject p = MirrordApi.startParams(StartSessionRequest.forTargetless("file:///w/mirrord.json", "shop", Map.of("A", "1")));
    assertTrue(p.has("target") && p.get("target").isJsonNull());
    assertEquals("shop", p.get("namespace").getAsString());
    assertEquals("1", p.getAsJsonObject("env").get("A").getAsString());
    JsonObject fromConfig = MirrordApi.startParams(StartSessionRequest.fromConfig(null, Map.of()));
    assertFalse(fromConfig.has("target"), "no target param: the env and config decide");
    assertFalse(fromConfig.has("namespace"));
    assertThrows(IllegalArgumentException.class,
        () -> new StartSessionRequest(null, "pod/x", true, null, null, Map.of()));
  }

  @Test
  void errorsKeepKindMessageAndHint() {
    ScriptedChannel ch = new ScriptedChannel().answer("mirrord/listNamespaces", p -> CompletableFuture.failedFuture(
        new ResponseErrorException(-33003, "x", com.google.gson.JsonParser.parseString(
            "{\"kind\":\"forbidden\",\"message\":\"cannot list namespaces\",\"hint\":\"ask for RBAC\"}"))));
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> new MirrordApi(ch).listNamespaces().get(5, TimeUnit.SECONDS));
    MirrordRequestException m = assertInstanceOf(MirrordRequestException.class, e.getCause());
    assertEquals(ErrorKind.FORBIDDEN, m.kind());
    assertEquals("cannot list namespaces", m.getMessage());
    assertEquals("cannot list namespaces\nask for RBAC", m.describe());
  }

  @Test
  void missingMethodAndMalformedAnswersAreReported() {
    ScriptedChannel ch = new ScriptedChannel().answer("mirrord/listNamespaces", "[1,2]");
    MirrordApi api = new MirrordApi(ch);
    MirrordRequestException nf = assertInstanceOf(MirrordRequestException.class,
        assertThrows(ExecutionException.class, () -> api.listSessions().get(5, TimeUnit.SECONDS)).getCause());
    assertTrue(nf.isMethodNotFound());
    MirrordRequestException bad = assertInstanceOf(MirrordRequestException.class,
        assertThrows(ExecutionException.class, () -> api.listNamespaces().get(5, TimeUnit.SECONDS)).getCause());
    assertEquals(ErrorKind.UNKNOWN, bad.kind());
  }

  @Test
  void serverSideCancellationIsACancellation() {
    ScriptedChannel ch = new ScriptedChannel().answer("mirrord/targetPickerItems",
        p -> CompletableFuture.failedFuture(new ResponseErrorException(-32800, "cancelled", null)));
    CancellationException e = assertThrows(CancellationException.class,
        () -> new MirrordApi(ch).targetPickerItems(null, null, false, null).get(5, TimeUnit.SECONDS));
    assertInstanceOf(ResponseErrorException.class, e.getCause());
  }

  @Test
  void startSessionPassesATokenAndCancelUsesBothChannels() throws Exception {
    CompletableFuture<JsonElement> never = new CompletableFuture<>();
    ScriptedChannel ch = new ScriptedChannel().answer("mirrord/startSession", p -> never);
    StartingSession s = new MirrordApi(ch).startSession(
        StartSessionRequest.forTarget(null, "pod/web/container/app", "default", Map.of()), null);
    String token = ch.calls("mirrord/startSession").get(0).params().get("workDoneToken").getAsString();
    assertFalse(token.isBlank());
    s.cancel();
    assertTrue(never.isCancelled(), "the raw request is cancelled, which sends $/cancelRequest");
    assertEquals(token, ch.notifications.get(0).params().get("token").getAsString());
    assertEquals("window/workDoneProgress/cancel", ch.notifications.get(0).method());
    assertThrows(CancellationException.class, () -> s.result().get(1, TimeUnit.SECONDS));
  }

  @Test
  void sessionsAndStopParse() throws Exception {
    ScriptedChannel ch = new ScriptedChannel()
        .answer("mirrord/startSession", "{\"sessionId\":\"s1\",\"target\":null,\"namespace\":\"default\","
            + "\"agent\":{\"pod\":\"mirrord-agent-x\",\"namespace\":\"default\",\"node\":null,\"port\":44000,"
            + "\"localAddress\":\"127.0.0.1:5555\"},\"env\":{\"DB\":\"postgres://db\"}}")
        .answer("mirrord/listSessions", "{\"sessions\":[{\"sessionId\":\"s1\",\"target\":null,\"namespace\":\"default\"}]}")
        .answer("mirrord/stopSession", "{\"stopped\":true}");
    MirrordApi api = new MirrordApi(ch);
    SessionInfo info = api.startSession(StartSessionRequest.forTargetless(null, null, Map.of()), null)
        .result().get(5, TimeUnit.SECONDS);
    assertEquals("s1", info.sessionId());
    assertNull(info.target());
    assertEquals("127.0.0.1:5555", info.agent().localAddress());
    assertEquals(Map.of("DB", "postgres://db"), info.env());
    List<SessionSummary> sessions = api.listSessions().get(5, TimeUnit.SECONDS);
    assertEquals("s1", sessions.get(0).sessionId());
    assertTrue(api.stopSession("s1").get(5, TimeUnit.SECONDS));
    assertEquals("s1", ch.calls("mirrord/stopSession").get(0).params().get("sessionId").getAsString());
  }
}
