package dev.mirrordide.core.api;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Result of {@code mirrord/startSession}. {@code env} is added to the debuggee's environment and
 * the {@code envToUnset} names are taken out of it. Protocol version 2 adds {@code engine}
 * ({@code "mirrord-cli"} or {@code "builtin"}), {@code capabilities}, {@code cli}, {@code
 * warnings} and {@code info} (what the engine tells the user as information, such as mirrord's
 * Info messages, in order); they are null or empty from an older server. {@code agent} is null
 * when mirrord's CLI owns its agent.
 */
public record SessionInfo(
    String sessionId,
    String target,
    String namespace,
    AgentInfo agent,
    Map<String, String> env,
    String engine,
    SessionCapabilities capabilities,
    CliInfo cli,
    List<String> envToUnset,
    List<String> warnings,
    List<String> info) {
  public static final String ENGINE_CLI = "mirrord-cli";
  public static final String ENGINE_BUILTIN = "builtin";

  public SessionInfo {
    env = env == null ? Map.of() : Map.copyOf(env);
    envToUnset = envToUnset == null ? List.of() : envToUnset.stream().filter(Objects::nonNull).filter(n -> !n.isEmpty()).toList();
    warnings = lines(warnings);
    info = lines(info);
  }

  /** A session as a protocol version 1 server describes it. */
  public SessionInfo(String sessionId, String target, String namespace, AgentInfo agent, Map<String, String> env) {
    this(sessionId, target, namespace, agent, env, null, null, null, null, null, null);
  }

  /** The non-blank lines of a list the server sent; none when it sent none. */
  private static List<String> lines(List<String> lines) {
    return lines == null ? List.of() : lines.stream().filter(Objects::nonNull).filter(l -> !l.isBlank()).toList();
  }

  /** The engine in words: "mirrord CLI 3.250.0", "built-in"; null when the server did not say. */
  public String engineLabel() {
    if (engine == null) {
      return null;
    }
    return switch (engine) {
      case ENGINE_CLI -> cli != null && cli.version() != null ? "mirrord CLI " + cli.version() : "mirrord CLI";
      case ENGINE_BUILTIN -> "built-in";
      default -> engine;
    };
  }

  /** True when the server said no incoming traffic reaches the debuggee. */
  public boolean mirrorsNoTraffic() {
    return capabilities != null && capabilities.noIncomingTraffic();
  }
}
