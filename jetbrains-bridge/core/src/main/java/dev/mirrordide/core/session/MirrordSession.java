package dev.mirrordide.core.session;

import dev.mirrordide.core.api.MirrordApi;
import dev.mirrordide.core.api.SessionEnded;
import dev.mirrordide.core.api.SessionInfo;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A running session. {@link #stop()} is idempotent and asynchronous; {@link #stopWhenExits} ties
 * the session to the debuggee so the agent is removed when the process ends. When the server ends
 * the session itself ({@code mirrord/sessionEnded}), {@link #ended()} completes and a later stop
 * asks the server nothing.
 */
public final class MirrordSession implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(MirrordSession.class.getName());

  private final MirrordApi api;
  private final SessionInfo info;
  private final AtomicReference<CompletableFuture<Boolean>> stopping = new AtomicReference<>();
  private final CompletableFuture<SessionEnded> ended = new CompletableFuture<>();

  public MirrordSession(MirrordApi api, SessionInfo info) {
    this.api = api;
    this.info = info;
  }

  public SessionInfo info() {
    return info;
  }

  public String id() {
    return info.sessionId();
  }

  public boolean isStopping() {
    return stopping.get() != null;
  }

  /** Completes when the server reports the session ended (its agent or CLI is gone, or a stop). */
  public CompletableFuture<SessionEnded> ended() {
    return ended;
  }

  /** @return whether this was the first report of the session's end */
  public boolean markEnded(SessionEnded event) {
    return event.sessionId().equals(info.sessionId()) && ended.complete(event);
  }

  /** Asks the server to stop the session once; later calls return the same future. */
  public CompletableFuture<Boolean> stop() {
    CompletableFuture<Boolean> fresh = new CompletableFuture<>();
    if (!stopping.compareAndSet(null, fresh)) {
      return stopping.get();
    }
    if (ended.isDone()) {
      fresh.complete(false); // the server already removed it
      return fresh;
    }
    api.stopSession(info.sessionId()).whenComplete((stopped, error) -> {
      if (error != null) {
        LOG.log(Level.WARNING, "could not stop mirrord session " + info.sessionId(), error);
        fresh.completeExceptionally(error);
      } else {
        fresh.complete(stopped);
      }
    });
    return fresh;
  }

  /** Stops the session when {@code process} exits. */
  public MirrordSession stopWhenExits(Process process) {
    process.onExit().thenRun(this::stop);
    return this;
  }

  /** Stops the session when {@code ended} completes, normally or not. */
  public MirrordSession stopWhen(CompletableFuture<?> ended) {
    ended.whenComplete((r, e) -> stop());
    return this;
  }

  /** Stops and waits up to {@code timeout}; failures are logged, not thrown. */
  public boolean stopAndWait(Duration timeout) {
    try {
      return Boolean.TRUE.equals(stop().get(timeout.toMillis(), TimeUnit.MILLISECONDS));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      LOG.log(Level.WARNING, "stopping mirrord session " + info.sessionId() + " failed", e);
    }
    return false;
  }

  @Override
  public void close() {
    stopAndWait(Duration.ofSeconds(10));
  }
}
