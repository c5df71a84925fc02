package dev.mirrordide.core.env;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Merges a session's env into a run configuration's env, with the server's precedence.
 *
 * <p>The rule:
 *
 * <ol>
 *   <li>Start from the run configuration's own variables.
 *   <li>Add every variable of the session env; for ordinary names the session wins, because the
 *       debuggee must see the target's environment (as mirrord's remote env overrides the local
 *       one).
 *   <li>Except {@code MIRRORD_*} variables the user already set, in the run configuration or in
 *       the environment the debuggee inherits: those are the user's explicit settings and win, as
 *       env values win over the config file on the server.
 * </ol>
 *
 * The same user env is sent to the server as {@code startSession}'s {@code env}, so the session
 * was already resolved with those values; keeping them here keeps the debuggee consistent with it.
 */
public final class EnvMerge {
  public static final String MIRRORD_PREFIX = "MIRRORD_";

  private EnvMerge() {}

  /**
   * @param runConfigEnv the variables set in the run configuration (not modified)
   * @param inheritedEnv what the debuggee inherits from the IDE (empty when the run configuration
   *     does not pass the parent environment)
   * @param sessionEnv the {@code env} of the startSession result
   * @return the run configuration's new env map, in insertion order: its own variables first
   */
  public static Map<String, String> merge(
      Map<String, String> runConfigEnv, Map<String, String> inheritedEnv, Map<String, String> sessionEnv) {
    Map<String, String> out = new LinkedHashMap<>(runConfigEnv);
    sessionEnv.forEach(
        (key, value) -> {
          if (key == null || value == null) {
            return;
          }
          if (isUserMirrordSetting(key, runConfigEnv, inheritedEnv)) {
            return;
          }
          out.put(key, value);
        });
    return out;
  }

  /** The environment the debuggee would have without mirrord: inherited, then the run config's. */
  public static Map<String, String> debuggeeEnv(Map<String, String> runConfigEnv, Map<String, String> inheritedEnv) {
    Map<String, String> out = new LinkedHashMap<>(inheritedEnv);
    out.putAll(runConfigEnv);
    return out;
  }

  static boolean isUserMirrordSetting(String key, Map<String, String> runConfigEnv, Map<String, String> inheritedEnv) {
    return key.startsWith(MIRRORD_PREFIX) && (runConfigEnv.containsKey(key) || inheritedEnv.containsKey(key));
  }
}
