package dev.mirrordide.core.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mirrordide.core.api.MirrordApi;
import dev.mirrordide.core.api.MirrordRequestException;
import dev.mirrordide.core.api.Namespaces;
import dev.mirrordide.core.api.PickerItem;
import dev.mirrordide.core.api.PickerItems;
import dev.mirrordide.core.api.SessionInfo;
import dev.mirrordide.core.api.SessionSummary;
import dev.mirrordide.core.api.StartSessionRequest;
import dev.mirrordide.core.api.StartingSession;
import dev.mirrordide.core.api.Target;
import dev.mirrordide.core.api.TargetList;
import dev.mirrordide.core.lsp.LspClient;
import dev.mirrordide.core.lsp.ProgressEvent;
import dev.mirrordide.core.picker.PickerDialogModel;
import dev.mirrordide.core.picker.PickerEntry;
import dev.mirrordide.core.picker.RecentChoices;
import dev.mirrordide.core.picker.TargetPickerFlow;
import dev.mirrordide.core.session.LaunchResult;
import dev.mirrordide.core.session.SessionLauncher;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/** The bridge against the real {@code mirrord-ide serve} and the simulated cluster. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class RealServerTest {
  private Path dir;
  private RealServer.DemoCluster cluster;
  private LspClient client;
  private MirrordApi api;

  @BeforeAll
  void start() throws Exception {
    dir = Files.createTempDirectory("mirrord-ide-it");
    cluster = RealServer.DemoCluster.start(dir);
    client = RealServer.startServer(cluster.kubeconfig, dir);
    api = new MirrordApi(client);
  }

  @AfterAll
  void stop() throws Exception {
    if (client != null) {
      client.shutdown(Duration.ofSeconds(5));
      assertFalse(client.isAlive(), "the server process is reaped");
    }
    if (cluster != null) {
      cluster.close();
    }
    RealServer.deleteTree(dir);
  }

  private static <T> T await(java.util.concurrent.CompletableFuture<T> f) throws Exception {
    return f.get(60, TimeUnit.SECONDS);
  }

  @Test
  void setTargetEditsAConfigKeepingItsComments() throws Exception {
    Path config = dir.resolve("team.mirrord.toml");
    String text = "# agent settings\n[agent]\nttl = 3\n";
    Files.writeString(config, text);
    dev.mirrordide.core.api.TargetEdit edit = await(api.setTarget(config.toUri().toString(), "deploy/api", "shop"));
    assertFalse(edit.createsFile());
    assertEquals("target = { path = \"deployment/api\", namespace = \"shop\" }\n\n" + text, edit.applyTo(text));

    Path missing = dir.resolve("new").resolve("mirrord.yaml");
    dev.mirrordide.core.api.TargetEdit created = await(api.setTarget(missing.toUri().toString(), null, null));
    assertTrue(created.createsFile());
    assertEquals("target: targetless\n", created.applyTo(null));

    ExecutionException bad = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
        () -> await(api.setTarget(config.toUri().toString(), "pods/api", null)));
    assertEquals(dev.mirrordide.core.lsp.ErrorKind.INVALID_CONFIG, ((MirrordRequestException) bad.getCause()).kind());
  }

  @Test
  void savingAChoiceKeepsTheConfigsCommentsAndCreatesAMissingOne() throws Exception {
    Path project = Files.createDirectories(dir.resolve("save-project"));
    Path config = project.resolve("mirrord.yaml");
    String text = "# who we impersonate\ntarget: pod/old\nagent:\n  ttl: 3 # keep\n";
    Files.writeString(config, text);
    dev.mirrordide.core.config.TargetSaver saver = new dev.mirrordide.core.config.TargetSaver(
        api, new dev.mirrordide.core.config.DiskConfigText(), Runnable::run);

    saver.save(config, new dev.mirrordide.core.picker.PickerOutcome.Selected("deployment/api", "shop")).get(60, TimeUnit.SECONDS);
    String saved = Files.readString(config);
    assertTrue(saved.startsWith("# who we impersonate\n") && saved.endsWith("agent:\n  ttl: 3 # keep\n"), saved);
    assertTrue(saved.contains("deployment/api") && saved.contains("shop") && !saved.contains("pod/old"), saved);

    // mirrord reads JSON strictly: a config with a comment is refused, not rewritten.
    Path strict = project.resolve("strict.mirrord.json");
    Files.writeString(strict, "{\n  // no\n  \"target\": \"pod/a\"\n}\n");
    ExecutionException refused = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
        () -> saver.save(strict, new dev.mirrordide.core.picker.PickerOutcome.Selected("pod/b", null)).get(60, TimeUnit.SECONDS));
    assertEquals(dev.mirrordide.core.lsp.ErrorKind.INVALID_CONFIG, ((MirrordRequestException) refused.getCause()).kind());
    assertTrue(Files.readString(strict).contains("pod/a"));

    Path fresh = dev.mirrordide.core.config.TargetSaver.configFileFor(null, project);
    dev.mirrordide.core.config.TargetSaver.Saved created = saver.save(
        fresh, new dev.mirrordide.core.picker.PickerOutcome.Selected(null, null)).get(60, TimeUnit.SECONDS);
    assertTrue(created.created());
    assertEquals("targetless", com.google.gson.JsonParser.parseString(Files.readString(fresh))
        .getAsJsonObject().get("target").getAsString());
  }

  @Test
  void initializeAnnouncesCapabilities() {
    assertTrue(client.isAlive());
    assertNotNull(client.serverCapabilities().get("textDocumentSync"), client.serverCapabilities().toString());
  }

  @Test
  void listsNamespacesAndTargets() throws Exception {
    Namespaces ns = await(api.listNamespaces());
    assertTrue(ns.namespaces().contains("default"), ns.toString());
    assertEquals("default", ns.current());
    TargetList list = await(api.listTargets(null, null, false));
    assertEquals("default", list.namespace());
    assertFalse(list.targets().isEmpty(), "the demo cluster has targets");
    for (Target t : list.targets()) {
      assertTrue(t.path().startsWith(t.kind() + "/"), t.toString());
      assertEquals("default", t.namespace());
    }
  }

  @Test
  void pickerItemsAlwaysOfferTargetless() throws Exception {
    PickerItems items = await(api.targetPickerItems(null, null, false, null));
    long targetless = items.items().stream().filter(i -> PickerItem.TARGETLESS.equals(i.kind())).count();
    assertEquals(1, targetless);
    PickerItem tl = items.items().stream().filter(i -> PickerItem.TARGETLESS.equals(i.kind())).findFirst().orElseThrow();
    assertEquals(PickerItem.TARGETLESS_LABEL, tl.label());
    assertEquals(null, tl.path());
    PickerDialogModel model = PickerDialogModel.build(items, Optional.empty());
    assertTrue(model.entries().stream().anyMatch(e -> e.kind() == PickerEntry.Kind.TARGET && e.selectable()),
        "the dialog has selectable targets: " + model.sections());
  }

  @Test
  void startAndStopSessionWithProgress() throws Exception {
    Target target = await(api.listTargets(null, null, false)).targets().stream()
        .filter(Target::available).findFirst().orElseThrow(() -> new AssertionError("no available target"));
    List<ProgressEvent> progress = new CopyOnWriteArrayList<>();
    StartingSession starting = api.startSession(
        StartSessionRequest.forTarget(null, target.path(), target.namespace(), Map.of()), progress::add);
    SessionInfo info;
    try {
      info = await(starting.result());
    } catch (ExecutionException e) {
      if (e.getCause() instanceof MirrordRequestException m && m.isMethodNotFound()) {
        Assumptions.abort("this server does not implement mirrord/startSession yet (MethodNotFound)");
      }
      throw e;
    }
    assertFalse(info.sessionId().isBlank());
    assertEquals(target.namespace(), info.namespace());
    assertNotNull(info.agent());
    assertTrue(info.agent().localAddress().startsWith("127.0.0.1:"), info.agent().toString());
    assertEquals(SessionInfo.ENGINE_BUILTIN, info.engine(), "the server names the engine that ran");
    assertNotNull(info.capabilities(), "and what the session gives");
    assertEquals("built-in", info.engineLabel());
    assertFalse(progress.isEmpty(), "work-done progress was reported");
    assertEquals(ProgressEvent.Kind.BEGIN, progress.get(0).kind());
    List<String> ids = await(api.listSessions()).stream().map(SessionSummary::sessionId).toList();
    assertTrue(ids.contains(info.sessionId()), ids.toString());
    assertTrue(await(api.stopSession(info.sessionId())));
    assertFalse(await(api.listSessions()).stream().anyMatch(s -> info.sessionId().equals(s.sessionId())));
  }

  @Test
  void fullPreLaunchTargetlessMergesEnv() throws Exception {
    TargetPickerFlow flow = new TargetPickerFlow(
        ns -> join(api.targetPickerItems(null, ns, false, null)), m -> m.choose(m.targetless()), RecentChoices.inMemory());
    SessionLauncher launcher = new SessionLauncher(api, flow, Duration.ofSeconds(60));
    LaunchResult r = launcher.launch(
        new SessionLauncher.RunContext("it", null, Map.of("APP_MODE", "dev"), Map.of()), null, () -> false);
    if (r instanceof LaunchResult.Failed f && f.error().isMethodNotFound()) {
      Assumptions.abort("this server does not implement mirrord/startSession yet (MethodNotFound)");
    }
    LaunchResult.Started s = (LaunchResult.Started) assertInstanceOfStarted(r);
    assertEquals("dev", s.env().get("APP_MODE"));
    assertTrue(s.env().keySet().containsAll(s.session().info().env().keySet()));
    assertTrue(s.session().stopAndWait(Duration.ofSeconds(30)));
  }

  private static Object assertInstanceOfStarted(LaunchResult r) {
    if (!(r instanceof LaunchResult.Started)) {
      throw new AssertionError("expected a started session, got " + r);
    }
    return r;
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
