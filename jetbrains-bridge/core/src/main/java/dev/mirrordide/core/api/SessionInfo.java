package dev.mirrordide.core.api;

import java.util.Map;

/** Result of {@code mirrord/startSession}; {@code env} is added to the debuggee's environment. */
public record SessionInfo(
    String sessionId, String target, String namespace, AgentInfo agent, Map<String, String> env) {
  public SessionInfo {
    env = env == null ? Map.of() : Map.copyOf(env);
  }
}
