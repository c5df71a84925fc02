package dev.mirrordide.core.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mirrordide.core.api.CliInfo;
import dev.mirrordide.core.api.MirrordApi;
import dev.mirrordide.core.api.ScriptedChannel;
import dev.mirrordide.core.api.SessionCapabilities;
import dev.mirrordide.core.api.SessionEnded;
import dev.mirrordide.core.api.SessionInfo;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(20)
class SessionEndTest {
  private static SessionInfo info(String id, String engine, SessionCapabilities caps, List<String> warnings) {
    return new SessionInfo(id, "deployment/greeter", "default", null, Map.of(), engine, caps,
        "mirrord-cli".equals(engine) ? new CliInfo("/bin/mirrord", "3.250.0") : null, List.of(), warnings, List.of());
  }

  @Test
  void theServerEndingASessionMarksItOnceAndAStopThenAsksNothing() throws Exception {
    ScriptedChannel ch = new ScriptedChannel().answer("mirrord/stopSession", "{\"stopped\":true}");
    MirrordApi api = new MirrordApi(ch);
    List<String> told = new CopyOnWriteArrayList<>();
    try (SessionRegistry registry = new SessionRegistry(api, (s, e) -> told.add(s.id() + ":" + e.reason()))) {
      MirrordSession ended = new MirrordSession(api, info("s-1", "builtin", null, List.of()));
      MirrordSession other = new MirrordSession(api, info("s-2", "builtin", null, List.of()));
      registry.add(ended);
      registry.add(other);
      ch.serverNotifies(SessionEnded.METHOD, "{\"sessionId\":\"s-1\",\"reason\":\"connection-lost\",\"message\":\"no pong\"}");
      ch.serverNotifies(SessionEnded.METHOD, "{\"sessionId\":\"s-1\",\"reason\":\"connection-lost\",\"message\":\"again\"}");
      ch.serverNotifies(SessionEnded.METHOD, "{\"sessionId\":\"elsewhere\",\"reason\":\"stopped\",\"message\":\"\"}");
      assertEquals(List.of("s-1:connection-lost"), told);
      assertEquals("no pong", ended.ended().get(1, TimeUnit.SECONDS).message());
      assertEquals(List.of(other), List.copyOf(registry.sessions()));
      assertFalse(ended.stop().get(1, TimeUnit.SECONDS), "nothing left to stop");
      assertTrue(ch.calls("mirrord/stopSession").isEmpty());
      assertTrue(other.stop().get(1, TimeUnit.SECONDS));
      assertEquals(1, ch.calls("mirrord/stopSession").size());
    }
  }

  @Test
  void noticesWarningsAndTheNoTrafficNoticeOncePerProject() {
    Set<String> shown = new HashSet<>();
    SessionInfo off = info("s-1", "builtin", new SessionCapabilities("spec", "off", false, false), List.of("agent image is old"));
    List<SessionNotices.Notice> first = SessionNotices.started(off, shown::add);
    assertEquals(2, first.size());
    assertEquals(new SessionNotices.Notice(SessionNotices.Level.WARNING, "mirrord: agent image is old", null), first.get(0));
    SessionNotices.Notice noTraffic = first.get(1);
    assertEquals(SessionNotices.Level.INFO, noTraffic.level());
    assertTrue(noTraffic.text().contains("no incoming traffic"), noTraffic.text());
    assertTrue(noTraffic.text().contains("install mirrord or set mirrord.cliPath"), noTraffic.text());
    assertTrue(noTraffic.text().contains("pod spec"), noTraffic.text());
    assertEquals("mirrord.cliPath", noTraffic.action());
    assertEquals(List.of(), SessionNotices.started(info("s-2", "builtin", off.capabilities(), List.of()), shown::add));
    SessionInfo cli = info("s-3", "mirrord-cli", new SessionCapabilities("process", "mirror", true, true), List.of());
    assertNull(SessionNotices.noTrafficText(cli));
    assertEquals("mirrord: deployment/greeter in default (mirrord CLI 3.250.0)", SessionNotices.summary(cli));
  }

  @Test
  void theEnginesInformationComesFirstAsInfoThenItsWarnings() {
    SessionInfo cli = new SessionInfo("s-4", "deployment/greeter", "default", null, Map.of(), "mirrord-cli",
        new SessionCapabilities("process", "mirror", true, true), new CliInfo("/bin/mirrord", "3.250.0"), List.of(),
        List.of("Agent version 3.1.0 does not match"), List.of("session ID: 0123-fake", "queue splitting (Docs: https://x)"));
    assertEquals(List.of(
        new SessionNotices.Notice(SessionNotices.Level.INFO, "mirrord: session ID: 0123-fake", null),
        new SessionNotices.Notice(SessionNotices.Level.INFO, "mirrord: queue splitting (Docs: https://x)", null),
        new SessionNotices.Notice(SessionNotices.Level.WARNING, "mirrord: Agent version 3.1.0 does not match", null)),
        SessionNotices.started(cli, k -> true));
  }

  @Test
  void endedNoticesSayWhyAndARequestedStopIsNoWarning() {
    SessionInfo s = info("s-1", "mirrord-cli", null, List.of());
    SessionNotices.Notice cliExit = SessionNotices.ended(new SessionEnded("s-1", "cli-exited", "exit code 1"), s);
    assertEquals(SessionNotices.Level.WARNING, cliExit.level());
    assertTrue(cliExit.text().startsWith("mirrord: the session on deployment/greeter ended (the mirrord CLI exited): exit code 1."), cliExit.text());
    SessionNotices.Notice stopped = SessionNotices.ended(new SessionEnded("s-9", "stopped", ""), null);
    assertEquals(new SessionNotices.Notice(SessionNotices.Level.INFO, "mirrord: the session s-9 ended (it was stopped).", null), stopped);
  }
}
