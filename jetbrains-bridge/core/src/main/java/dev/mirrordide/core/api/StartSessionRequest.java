package dev.mirrordide.core.api;

import java.util.Map;

/**
 * Params of {@code mirrord/startSession}. {@code target} and {@code namespace} play the role of
 * mirrord's {@code -t}/{@code -n}; leave them null to let the server apply the env and the config
 * file. {@code env} is the debuggee's environment (its {@code MIRRORD_*} values are honoured).
 * {@code targetless} sends an explicit JSON null target.
 */
public record StartSessionRequest(
    String configUri,
    String target,
    boolean targetless,
    String namespace,
    String agentNamespace,
    Map<String, String> env) {

  public StartSessionRequest {
    env = env == null ? Map.of() : Map.copyOf(env);
    if (targetless && target != null) {
      throw new IllegalArgumentException("a targetless session cannot name a target");
    }
  }

  public static StartSessionRequest forTarget(String configUri, String target, String namespace, Map<String, String> env) {
    return new StartSessionRequest(configUri, target, false, namespace, null, env);
  }

  public static StartSessionRequest forTargetless(String configUri, String namespace, Map<String, String> env) {
    return new StartSessionRequest(configUri, null, true, namespace, null, env);
  }

  /** Neither target nor namespace: the env and config file decide. */
  public static StartSessionRequest fromConfig(String configUri, Map<String, String> env) {
    return new StartSessionRequest(configUri, null, false, null, null, env);
  }
}
