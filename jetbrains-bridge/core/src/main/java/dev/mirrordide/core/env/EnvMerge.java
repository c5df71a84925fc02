package dev.mirrordide.core.env;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

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
 *
 * <p>Then the session's {@code envToUnset} names are taken out (mirrord's CLI lists variables the
 * debuggee must not see, e.g. ones that would load a second layer): from the run configuration's
 * variables and, through {@link Applied#unset()}, from what the debuggee inherits. Removal wins
 * over a session value of the same name.
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

  /**
   * The run configuration's env and the names its process must not inherit.
   *
   * @param env the run configuration's new variables (see {@link #merge})
   * @param unset names to remove from the inherited environment too; a run configuration that
   *     passes the parent environment must filter them out of it (IntelliJ: build the full env
   *     with {@link #effective} and stop passing the parent's)
   */
  public record Applied(Map<String, String> env, Set<String> unset) {
    public Applied {
      env = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(env));
      unset = java.util.Collections.unmodifiableSet(new LinkedHashSet<>(unset));
    }

    /** The debuggee's whole environment: {@code inherited} without the unset names, then {@link #env}. */
    public Map<String, String> effective(Map<String, String> inherited) {
      Map<String, String> out = new LinkedHashMap<>(inherited);
      out.keySet().removeAll(unset);
      out.putAll(env);
      return out;
    }

    /** True when the inherited environment holds a name the debuggee must not see. */
    public boolean needsInheritedFiltered(Map<String, String> inherited) {
      return unset.stream().anyMatch(inherited::containsKey);
    }
  }

  /** {@link #merge}, then the {@code envToUnset} names removed. */
  public static Applied apply(
      Map<String, String> runConfigEnv,
      Map<String, String> inheritedEnv,
      Map<String, String> sessionEnv,
      Collection<String> envToUnset) {
    Map<String, String> env = merge(runConfigEnv, inheritedEnv, sessionEnv);
    Set<String> unset = new LinkedHashSet<>();
    for (String name : envToUnset) {
      if (name != null && !name.isEmpty()) {
        unset.add(name);
      }
    }
    env.keySet().removeAll(unset);
    return new Applied(env, unset);
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
