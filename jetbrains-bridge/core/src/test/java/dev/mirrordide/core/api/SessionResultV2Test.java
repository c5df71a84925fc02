package dev.mirrordide.core.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** startSession results and notifications of protocol version 2 ("Session engines"). */
class SessionResultV2Test {
  static final String CLI_RESULT = "{\"sessionId\":\"s-7\",\"target\":\"deployment/greeter\",\"namespace\":\"default\","
      + "\"agent\":null,\"env\":{\"LD_PRELOAD\":\"/x/libmirrord_layer.so\",\"FROM_CLI\":\"yes\"},"
      + "\"engine\":\"mirrord-cli\",\"capabilities\":{\"env\":\"process\",\"incoming\":\"mirror\",\"outgoing\":true,\"files\":true},"
      + "\"cli\":{\"path\":\"/usr/local/bin/mirrord\",\"version\":\"3.250.0\"},"
      + "\"envToUnset\":[\"DYLD_INSERT_LIBRARIES\",\"\",null],\"warnings\":[\"Agent version 3.1.0 does not match\",\" \"],"
      + "\"info\":[\"session ID: 0123-fake\",\"\",null,\"queue splitting (Docs: https://x)\"]}";

  @Test
  void parsesEngineCapabilitiesCliUnsetWarningsAndInfo() throws Exception {
    ScriptedChannel ch = new ScriptedChannel().answer("mirrord/startSession", CLI_RESULT);
    SessionInfo info = new MirrordApi(ch).startSession(StartSessionRequest.fromConfig(null, Map.of()), null)
        .result().get(5, TimeUnit.SECONDS);
    assertNull(info.agent(), "the CLI owns its agent");
    assertEquals("mirrord-cli", info.engine());
    assertEquals(new SessionCapabilities("process", "mirror", true, true), info.capabilities());
    assertEquals(new CliInfo("/usr/local/bin/mirrord", "3.250.0"), info.cli());
    assertEquals(List.of("DYLD_INSERT_LIBRARIES"), info.envToUnset(), "empty and null names are dropped");
    assertEquals(List.of("Agent version 3.1.0 does not match"), info.warnings());
    assertEquals(List.of("session ID: 0123-fake", "queue splitting (Docs: https://x)"), info.info(),
        "in order; blank and null lines are dropped");
    assertEquals("mirrord CLI 3.250.0", info.engineLabel());
    assertFalse(info.mirrorsNoTraffic());
  }

  @Test
  void aVersionOneResultStillReads() throws Exception {
    ScriptedChannel ch = new ScriptedChannel().answer("mirrord/startSession",
        "{\"sessionId\":\"s1\",\"target\":null,\"namespace\":\"shop\",\"agent\":{\"pod\":\"a\",\"namespace\":\"shop\","
            + "\"node\":null,\"port\":1,\"localAddress\":\"127.0.0.1:9\"},\"env\":{\"A\":\"1\"}}");
    SessionInfo info = new MirrordApi(ch).startSession(StartSessionRequest.fromConfig(null, Map.of()), null)
        .result().get(5, TimeUnit.SECONDS);
    assertNull(info.engine());
    assertNull(info.engineLabel());
    assertEquals(List.of(), info.envToUnset());
    assertEquals(List.of(), info.warnings());
    assertEquals(List.of(), info.info());
    assertFalse(info.mirrorsNoTraffic(), "no claim either way without capabilities");
    assertEquals("a", info.agent().pod());
  }

  @Test
  void builtinWithoutTrafficSaysSo() {
    SessionInfo info = new SessionInfo("s", null, "default", null, Map.of(), "builtin",
        new SessionCapabilities("spec", "off", false, false), null, List.of(), List.of(), List.of());
    assertTrue(info.mirrorsNoTraffic());
    assertEquals("built-in", info.engineLabel());
    assertEquals(List.of(), info.info(), "a server without info tells nothing as information");
  }

  @Test
  void sessionEndedNotificationsReachListenersAndMalformedOnesAreDropped() throws Exception {
    ScriptedChannel ch = new ScriptedChannel();
    List<SessionEnded> seen = new CopyOnWriteArrayList<>();
    AutoCloseable handle = new MirrordApi(ch).onSessionEnded(seen::add);
    ch.serverNotifies(SessionEnded.METHOD, "{\"sessionId\":\"s-1\",\"reason\":\"agent-exited\",\"message\":\"pod deleted\"}");
    ch.serverNotifies(SessionEnded.METHOD, "{\"reason\":\"stopped\"}");
    ch.serverNotifies(SessionEnded.METHOD, "[1]");
    ch.serverNotifies(SessionEnded.METHOD, "{\"sessionId\":\"s-2\"}");
    assertEquals(List.of(new SessionEnded("s-1", "agent-exited", "pod deleted"), new SessionEnded("s-2", "unknown", "")), seen);
    assertEquals("the agent exited", seen.get(0).reasonText());
    handle.close();
    assertFalse(ch.serverNotifies(SessionEnded.METHOD, "{\"sessionId\":\"s-3\"}"), "a closed handle gets nothing");
    assertEquals(2, seen.size());
  }
}
