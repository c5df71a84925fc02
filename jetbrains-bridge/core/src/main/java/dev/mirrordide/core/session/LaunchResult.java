package dev.mirrordide.core.session;

import dev.mirrordide.core.api.MirrordRequestException;
import java.util.Map;

/** How a pre-launch ended. Only {@link Started} lets the run go on. */
public sealed interface LaunchResult {
  /** The agent is up; {@code env} is the run configuration's env with the session's merged in. */
  record Started(MirrordSession session, Map<String, String> env) implements LaunchResult {}

  /** The user cancelled the dialog or the launch; the run must not start. */
  record Cancelled(String reason) implements LaunchResult {}

  /** The server refused or failed; {@code error} has the kind, message and hint. */
  record Failed(MirrordRequestException error) implements LaunchResult {}
}
