package dev.mirrordide.core.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import dev.mirrordide.core.api.MirrordApi;
import dev.mirrordide.core.api.MirrordRequestException;
import dev.mirrordide.core.api.PickerItems;
import dev.mirrordide.core.api.SessionEnded;
import dev.mirrordide.core.api.SessionInfo;
import dev.mirrordide.core.lsp.ErrorKind;
import dev.mirrordide.core.lsp.LspClient;
import dev.mirrordide.core.picker.RecentChoices;
import dev.mirrordide.core.picker.TargetPickerFlow;
import dev.mirrordide.core.session.LaunchResult;
import dev.mirrordide.core.session.MirrordSession;
import dev.mirrordide.core.session.SessionLauncher;
import dev.mirrordide.core.session.SessionNotices;
import dev.mirrordide.core.session.SessionRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The bridge against the real server driving the fake mirrord CLI (tests/fakes/mirrord) through the
 * mirrord-cli engine: the result's engine, CLI, info, warnings and {@code envToUnset} as the core applies
 * them to a run configuration, the CLI's errors, and {@code mirrord/sessionEnded}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CliEngineServerTest {
  private Path dir;
  private RealServer.DemoCluster cluster;
  private LspClient client;
  private MirrordApi api;

  @BeforeAll
  void start() throws Exception {
    dir = Files.createTempDirectory("mirrord-ide-cli-it");
    cluster = RealServer.DemoCluster.start(dir);
    JsonObject settings = new JsonObject();
    settings.addProperty("engine", "mirrord-cli");
    settings.addProperty("cliPath", RealServer.fakeMirrord().toString());
    client = RealServer.startServer(cluster.kubeconfig, dir, settings, Map.of());
    api = new MirrordApi(client);
  }

  @AfterAll
  void stop() throws Exception {
    if (client != null) {
      client.shutdown(Duration.ofSeconds(5));
    }
    if (cluster != null) {
      cluster.close();
    }
    RealServer.deleteTree(dir);
  }

  private SessionLauncher launcher() {
    TargetPickerFlow flow = new TargetPickerFlow(
        ns -> join(api.targetPickerItems(null, ns, false, null)), m -> m.choose(m.targetless()), RecentChoices.inMemory());
    return new SessionLauncher(api, flow, Duration.ofSeconds(60));
  }

  @Test
  void aCliSessionAppliesTheCliEnvironmentAndRemovesItsUnsetNames() throws Exception {
    List<SessionEnded> ended = new CopyOnWriteArrayList<>();
    try (SessionRegistry registry = new SessionRegistry(api, (s, e) -> ended.add(e))) {
      Map<String, String> runEnv = Map.of(
          "APP_MODE", "dev",
          "LOCAL_SECRET", "must-not-reach-the-debuggee",
          "FAKE_MIRRORD_ENVIRONMENT", "{\"FROM_MIRRORD_CLI\":\"cli-env\"}",
          "FAKE_MIRRORD_UNSET", "LOCAL_SECRET,INHERITED_TOKEN");
      LaunchResult r = launcher().launch(
          new SessionLauncher.RunContext("it-cli", null, runEnv, Map.of("INHERITED_TOKEN", "t", "HOME", "/h")), null, () -> false);
      if (!(r instanceof LaunchResult.Started s)) {
        throw new AssertionError("expected a started session, got " + r);
      }
      SessionInfo info = s.session().info();
      assertEquals(SessionInfo.ENGINE_CLI, info.engine());
      assertNotNull(info.cli(), "the result names the CLI");
      assertEquals(RealServer.fakeMirrord().toString(), info.cli().path());
      assertEquals("3.250.0", info.cli().version());
      assertNotNull(info.capabilities());
      assertEquals("process", info.capabilities().env());
      assertTrue(info.mirrorsNoTraffic(), "a targetless session has no incoming traffic");
      assertEquals(null, SessionNotices.noTrafficText(info), "and nothing to tell the user about it");
      assertTrue(info.warnings().stream().anyMatch(w -> w.contains("does not match the local mirrord version")), info.warnings().toString());
      assertEquals("session ID: 0123-fake", info.info().get(0), "mirrord's Info is information: " + info.info());
      assertFalse(info.warnings().contains("session ID: 0123-fake"), info.warnings().toString());
      SessionNotices.Notice first = SessionNotices.started(info, k -> true).get(0);
      assertEquals(new SessionNotices.Notice(SessionNotices.Level.INFO, "mirrord: session ID: 0123-fake", null), first);
      assertTrue(info.envToUnset().containsAll(List.of("LOCAL_SECRET", "INHERITED_TOKEN")), info.envToUnset().toString());
      assertEquals("cli-env", s.env().get("FROM_MIRRORD_CLI"));
      assertEquals("dev", s.env().get("APP_MODE"));
      assertFalse(s.env().containsKey("LOCAL_SECRET"), "envToUnset leaves the run configuration");
      assertEquals(java.util.Set.of("LOCAL_SECRET", "INHERITED_TOKEN"), s.unset());
      Map<String, String> effective = new dev.mirrordide.core.env.EnvMerge.Applied(s.env(), s.unset())
          .effective(Map.of("INHERITED_TOKEN", "t", "HOME", "/h"));
      assertFalse(effective.containsKey("INHERITED_TOKEN"), "and what the process inherits");
      assertEquals("/h", effective.get("HOME"));
      assertTrue(SessionNotices.summary(info).endsWith("(mirrord CLI 3.250.0)"), SessionNotices.summary(info));

      MirrordSession session = s.session();
      registry.add(session);
      assertTrue(session.stopAndWait(Duration.ofSeconds(30)) || session.ended().isDone());
      assertFalse(await(api.listSessions()).stream().anyMatch(x -> info.sessionId().equals(x.sessionId())));
    }
  }

  @Test
  void theCliErrorKeepsItsOwnWords() throws Exception {
    LaunchResult r = launcher().launch(new SessionLauncher.RunContext("it-cli-error", null,
        Map.of("FAKE_MIRRORD_MODE", "error", "FAKE_MIRRORD_ERROR", "Failed to find resource pod/ghost: not found"),
        Map.of()), null, () -> false);
    if (!(r instanceof LaunchResult.Failed f)) {
      throw new AssertionError("expected a failure, got " + r);
    }
    MirrordRequestException e = f.error();
    assertTrue(e.describe().contains("Failed to find resource pod/ghost"), e.describe());
    assertTrue(e.kind() != ErrorKind.UNKNOWN, "the error has one of the contract's kinds: " + e.kind());
  }

  @Test
  void aCliThatExitsAfterTheHandoverEndsTheSessionWithAReason() throws Exception {
    List<SessionEnded> ended = new CopyOnWriteArrayList<>();
    try (SessionRegistry registry = new SessionRegistry(api, (s, e) -> ended.add(e))) {
      LaunchResult r = launcher().launch(new SessionLauncher.RunContext("it-cli-exit", null,
          Map.of("FAKE_MIRRORD_MODE", "exit-after-handover", "FAKE_MIRRORD_DELAY", "1"), Map.of()), null, () -> false);
      if (!(r instanceof LaunchResult.Started s)) {
        throw new AssertionError("expected a started session, got " + r);
      }
      registry.add(s.session());
      SessionEnded e = s.session().ended().get(30, TimeUnit.SECONDS);
      assertEquals(s.session().id(), e.sessionId());
      assertFalse(e.wasRequested(), e.toString());
      assertFalse(e.message().isBlank(), "the reason comes with the server's message");
      assertEquals(List.of(e), ended);
      assertFalse(s.session().stop().get(5, TimeUnit.SECONDS), "an ended session is not stopped again");
      String text = SessionNotices.ended(e, s.session().info()).text();
      assertTrue(text.contains("ended (" + e.reasonText() + ")"), text);
    }
  }

  private static <T> T await(java.util.concurrent.CompletableFuture<T> f) throws Exception {
    return f.get(60, TimeUnit.SECONDS);
  }

  private static PickerItems join(java.util.concurrent.CompletableFuture<PickerItems> f) {
    try {
      return f.get(60, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof MirrordRequestException m) {
        throw m;
      }
      throw new AssertionError(e);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
