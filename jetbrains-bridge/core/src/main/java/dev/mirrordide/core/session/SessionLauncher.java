package dev.mirrordide.core.session;

import dev.mirrordide.core.api.MirrordApi;
import dev.mirrordide.core.api.MirrordRequestException;
import dev.mirrordide.core.api.SessionInfo;
import dev.mirrordide.core.api.StartSessionRequest;
import dev.mirrordide.core.api.StartingSession;
import dev.mirrordide.core.env.EnvMerge;
import dev.mirrordide.core.lsp.ErrorKind;
import dev.mirrordide.core.lsp.ProgressListener;
import dev.mirrordide.core.picker.PickerOutcome;
import dev.mirrordide.core.picker.TargetPickerFlow;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/**
 * Everything that happens before a mirrord run: pick the target, start the session with progress
 * and cancellation, merge the env. Blocking; call it from a background task, never under a read
 * lock or on the UI thread.
 */
public final class SessionLauncher {
  private static final long POLL_MILLIS = 100;

  private final MirrordApi api;
  private final TargetPickerFlow picker;
  private final Duration timeout;

  public SessionLauncher(MirrordApi api, TargetPickerFlow picker, Duration timeout) {
    this.api = api;
    this.picker = picker;
    this.timeout = timeout;
  }

  /** What the run configuration contributes. */
  public record RunContext(
      String runConfigKey, String configUri, Map<String, String> runConfigEnv, Map<String, String> inheritedEnv) {
    public RunContext {
      runConfigEnv = Map.copyOf(runConfigEnv);
      inheritedEnv = Map.copyOf(inheritedEnv);
    }
  }

  /**
   * @param progress receives the server's progress (may be null)
   * @param cancelled polled while waiting; true cancels the launch and removes what was created
   */
  public LaunchResult launch(RunContext run, ProgressListener progress, BooleanSupplier cancelled) {
    Map<String, String> debuggeeEnv = EnvMerge.debuggeeEnv(run.runConfigEnv(), run.inheritedEnv());
    PickerOutcome outcome = picker.run(run.runConfigKey(), debuggeeEnv);
    StartSessionRequest request;
    if (outcome instanceof PickerOutcome.Selected s) {
      request = s.isTargetless()
          ? StartSessionRequest.forTargetless(run.configUri(), s.namespace(), debuggeeEnv)
          : StartSessionRequest.forTarget(run.configUri(), s.target(), s.namespace(), debuggeeEnv);
    } else if (outcome instanceof PickerOutcome.Preset) {
      request = StartSessionRequest.fromConfig(run.configUri(), debuggeeEnv);
    } else {
      return new LaunchResult.Cancelled("target selection cancelled");
    }
    if (cancelled.getAsBoolean()) {
      return new LaunchResult.Cancelled("launch cancelled");
    }
    StartingSession starting = api.startSession(request, progress);
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      while (true) {
        if (cancelled.getAsBoolean()) {
          starting.cancel();
          return new LaunchResult.Cancelled("launch cancelled");
        }
        if (System.nanoTime() > deadline) {
          starting.cancel();
          return new LaunchResult.Failed(new MirrordRequestException(
              ErrorKind.TIMEOUT, "mirrord did not start within " + timeout.toSeconds() + " s; the launch was cancelled.",
              "Check the agent pod with kubectl, or raise the launch timeout in Settings | Tools | mirrord.", false, null));
        }
        try {
          SessionInfo info = starting.result().get(POLL_MILLIS, TimeUnit.MILLISECONDS);
          EnvMerge.Applied env = EnvMerge.apply(run.runConfigEnv(), run.inheritedEnv(), info.env(), info.envToUnset());
          return new LaunchResult.Started(new MirrordSession(api, info), env.env(), env.unset());
        } catch (TimeoutException e) {
          // keep polling for cancellation
        }
      }
    } catch (CancellationException e) {
      return new LaunchResult.Cancelled("launch cancelled");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof CancellationException) {
        return new LaunchResult.Cancelled("launch cancelled by the server");
      }
      if (cause instanceof MirrordRequestException m) {
        return new LaunchResult.Failed(m);
      }
      return new LaunchResult.Failed(new MirrordRequestException(ErrorKind.UNKNOWN, String.valueOf(cause), null, false, cause));
    } catch (InterruptedException e) {
      starting.cancel();
      Thread.currentThread().interrupt();
      return new LaunchResult.Cancelled("interrupted");
    }
  }
}
