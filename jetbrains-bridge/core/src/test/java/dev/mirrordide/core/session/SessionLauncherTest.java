package dev.mirrordide.core.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.mirrordide.core.api.MirrordApi;
import dev.mirrordide.core.api.PickerItems;
import dev.mirrordide.core.api.ScriptedChannel;
import dev.mirrordide.core.lsp.ErrorKind;
import dev.mirrordide.core.lsp.ResponseErrorException;
import dev.mirrordide.core.picker.PickerDialogModel;
import dev.mirrordide.core.picker.PickerDialogModelTestAccess;
import dev.mirrordide.core.picker.RecentChoices;
import dev.mirrordide.core.picker.TargetPickerFlow;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(20)
class SessionLauncherTest {
  static final String SESSION = "{\"sessionId\":\"s1\",\"target\":\"deployment/web/container/app\",\"namespace\":\"shop\","
      + "\"agent\":{\"pod\":\"a\",\"namespace\":\"shop\",\"node\":\"n1\",\"port\":1,\"localAddress\":\"127.0.0.1:9\"},"
      + "\"env\":{\"DB\":\"remote\",\"MIRRORD_TARGET_NAMESPACE\":\"shop\"}}";

  private static TargetPickerFlow flow(MirrordApi api, java.util.function.Function<PickerDialogModel, dev.mirrordide.core.picker.PickerOutcome> view) {
    return new TargetPickerFlow(ns -> join(api.targetPickerItems(null, ns, false, null)), view::apply, RecentChoices.inMemory());
  }

  private static PickerItems join(CompletableFuture<PickerItems> f) {
    try {
      return f.get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static ScriptedChannel channel() {
    return new ScriptedChannel().answer("mirrord/targetPickerItems", PickerDialogModelTestAccess.itemsJson());
  }

  @Test
  void pickStartAndMerge() {
    ScriptedChannel ch = channel().answer("mirrord/startSession", SESSION);
    MirrordApi api = new MirrordApi(ch);
    SessionLauncher launcher = new SessionLauncher(api, flow(api, m -> m.choose(m.sections().get(0).entries().get(0))), Duration.ofSeconds(5));
    LaunchResult r = launcher.launch(new SessionLauncher.RunContext("cfg", "file:///w/.mirrord/mirrord.json",
        Map.of("DB", "local", "MIRRORD_TARGET_NAMESPACE", "mine"), Map.of("HOME", "/h")), null, () -> false);
    LaunchResult.Started s = assertInstanceOf(LaunchResult.Started.class, r);
    assertEquals("remote", s.env().get("DB"));
    assertEquals("mine", s.env().get("MIRRORD_TARGET_NAMESPACE"));
    assertFalse(s.env().containsKey("HOME"), "inherited variables are not copied into the run configuration");
    JsonObject sent = ch.calls("mirrord/startSession").get(0).params();
    assertEquals("deployment/web/container/app", sent.get("target").getAsString());
    assertEquals("file:///w/.mirrord/mirrord.json", sent.get("configUri").getAsString());
    assertEquals("/h", sent.getAsJsonObject("env").get("HOME").getAsString(), "the server sees the debuggee's env");
    assertEquals(java.util.Set.of(), s.unset());
  }

  @Test
  void theSessionsEnvToUnsetIsAppliedToTheRunConfiguration() {
    ScriptedChannel ch = channel().answer("mirrord/startSession",
        "{\"sessionId\":\"s2\",\"target\":null,\"namespace\":\"shop\",\"agent\":null,\"env\":{\"FROM_CLI\":\"1\"},"
            + "\"engine\":\"mirrord-cli\",\"envToUnset\":[\"SECRET_LOCAL\",\"INHERITED\"]}");
    MirrordApi api = new MirrordApi(ch);
    SessionLauncher launcher = new SessionLauncher(api, flow(api, m -> m.choose(m.sections().get(0).entries().get(0))), Duration.ofSeconds(5));
    LaunchResult r = launcher.launch(new SessionLauncher.RunContext("cfg", null, Map.of("SECRET_LOCAL", "s", "KEEP", "k"),
        Map.of("INHERITED", "i")), null, () -> false);
    LaunchResult.Started s = assertInstanceOf(LaunchResult.Started.class, r);
    assertEquals(Map.of("KEEP", "k", "FROM_CLI", "1"), s.env());
    assertEquals(java.util.Set.of("SECRET_LOCAL", "INHERITED"), s.unset());
    assertEquals("mirrord-cli", s.session().info().engine());
  }

  @Test
  void cancelInTheDialogNeverStartsASession() {
    ScriptedChannel ch = channel().answer("mirrord/startSession", SESSION);
    MirrordApi api = new MirrordApi(ch);
    LaunchResult r = new SessionLauncher(api, flow(api, PickerDialogModel::cancel), Duration.ofSeconds(5))
        .launch(new SessionLauncher.RunContext("cfg", null, Map.of(), Map.of()), null, () -> false);
    assertInstanceOf(LaunchResult.Cancelled.class, r);
    assertTrue(ch.calls("mirrord/startSession").isEmpty());
  }

  @Test
  void cancellingWhileStartingCancelsTheRequest() {
    CompletableFuture<JsonElement> pending = new CompletableFuture<>();
    ScriptedChannel ch = channel().answer("mirrord/startSession", p -> pending);
    MirrordApi api = new MirrordApi(ch);
    AtomicBoolean cancel = new AtomicBoolean();
    SessionLauncher launcher = new SessionLauncher(api, flow(api, m -> m.choose(m.targetless())), Duration.ofSeconds(10));
    new Thread(() -> {
      try {
        Thread.sleep(300);
      } catch (InterruptedException ignored) {
        // test ends anyway
      }
      cancel.set(true);
    }).start();
    LaunchResult r = launcher.launch(new SessionLauncher.RunContext("cfg", null, Map.of(), Map.of()), null, cancel::get);
    assertInstanceOf(LaunchResult.Cancelled.class, r);
    assertTrue(pending.isCancelled());
    assertEquals("window/workDoneProgress/cancel", ch.notifications.get(0).method());
  }

  @Test
  void timeoutCancelsAndFails() {
    CompletableFuture<JsonElement> pending = new CompletableFuture<>();
    ScriptedChannel ch = channel().answer("mirrord/startSession", p -> pending);
    MirrordApi api = new MirrordApi(ch);
    LaunchResult r = new SessionLauncher(api, flow(api, m -> m.choose(m.targetless())), Duration.ofMillis(300))
        .launch(new SessionLauncher.RunContext("cfg", null, Map.of(), Map.of()), null, () -> false);
    assertEquals(ErrorKind.TIMEOUT, assertInstanceOf(LaunchResult.Failed.class, r).error().kind());
    assertTrue(pending.isCancelled());
  }

  @Test
  void serverErrorsAreFailuresWithKind() {
    ScriptedChannel ch = channel().answer("mirrord/startSession", p -> CompletableFuture.failedFuture(new ResponseErrorException(
        -33004, "nf", JsonParser.parseString("{\"kind\":\"not-found\",\"message\":\"deployment web not found\"}"))));
    MirrordApi api = new MirrordApi(ch);
    LaunchResult r = new SessionLauncher(api, flow(api, m -> m.choose(m.targetless())), Duration.ofSeconds(5))
        .launch(new SessionLauncher.RunContext("cfg", null, Map.of(), Map.of()), null, () -> false);
    LaunchResult.Failed f = assertInstanceOf(LaunchResult.Failed.class, r);
    assertEquals(ErrorKind.NOT_FOUND, f.error().kind());
    assertEquals("deployment web not found", f.error().getMessage());
  }

  @Test
  void sessionStopsOnceWhenTheProcessExits() throws Exception {
    ScriptedChannel ch = new ScriptedChannel().answer("mirrord/stopSession", "{\"stopped\":true}");
    MirrordApi api = new MirrordApi(ch);
    MirrordSession session = new MirrordSession(api, new com.google.gson.Gson().fromJson(SESSION, dev.mirrordide.core.api.SessionInfo.class));
    String java = ProcessHandle.current().info().command().orElse("java");
    Process p = new ProcessBuilder(List.of(java, "-version")).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    session.stopWhenExits(p);
    p.waitFor(10, TimeUnit.SECONDS);
    assertTrue(session.stop().get(5, TimeUnit.SECONDS));
    session.close();
    assertEquals(1, ch.calls("mirrord/stopSession").size(), "stop is idempotent");
  }
}
