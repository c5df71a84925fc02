package dev.mirrordide.core.session;

import dev.mirrordide.core.api.MirrordRequestException;
import java.util.Map;
import java.util.Set;

/** How a pre-launch ended. Only {@link Started} lets the run go on. */
public sealed interface LaunchResult {
  /**
   * The session is up; {@code env} is the run configuration's env with the session's merged in
   * and the {@code unset} names removed; {@code unset} must also be kept out of what the process
   * inherits (see {@link dev.mirrordide.core.env.EnvMerge.Applied#effective}).
   */
  record Started(MirrordSession session, Map<String, String> env, Set<String> unset) implements LaunchResult {
    public Started {
      unset = Set.copyOf(unset);
    }

    public Started(MirrordSession session, Map<String, String> env) {
      this(session, env, Set.of());
    }
  }

  /** The user cancelled the dialog or the launch; the run must not start. */
  record Cancelled(String reason) implements LaunchResult {}

  /** The server refused or failed; {@code error} has the kind, message and hint. */
  record Failed(MirrordRequestException error) implements LaunchResult {}
}
