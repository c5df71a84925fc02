package dev.mirrordide.core.api;

import java.util.concurrent.CompletableFuture;

/** A {@code mirrord/startSession} in flight. */
public interface StartingSession {
  /** Completes with the session, or exceptionally with a {@link MirrordRequestException}. */
  CompletableFuture<SessionInfo> result();

  /**
   * Asks the server to stop and remove whatever it created so far (both {@code $/cancelRequest}
   * and {@code window/workDoneProgress/cancel}); {@link #result()} completes with a cancellation.
   */
  void cancel();
}
