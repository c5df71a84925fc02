// Tracks the mirrord session behind each debug session and stops it when the debug
// session ends, when no debug session ever starts with it (the adapter failed, a
// later prompt was cancelled, another provider dropped the launch), or when the
// extension shuts down. An agent nobody uses must not outlive the launch.
import type { MirrordApi } from '../common/api';
import { describeError, type SessionEndedParams } from '../common/protocol';

export const SESSION_KEY = 'mirrordSessionId';

/** How long a started mirrord session may wait for its debug adapter. */
export const DEFAULT_START_TIMEOUT_MS = 120_000;

export interface ActiveSession {
  sessionId: string;
  target: string | null;
  namespace: string;
  /** The engine that ran it (`mirrord-cli`, `builtin`), when the server says. */
  engine?: string;
  /** Set once the server ended the session (its agent or CLI is gone). */
  ended?: { reason: string; message: string };
}

/**
 * `pending`: returned to VS Code, no adapter yet (a preLaunchTask may be running);
 * `launching`: its adapter is starting; `running`: VS Code announced the debug session.
 */
export type SessionPhase = 'pending' | 'launching' | 'running';

interface Tracked extends ActiveSession {
  phase: SessionPhase;
  timer?: ReturnType<typeof setTimeout>;
}

export interface SessionTrackerOptions {
  /** Time from the start of the mirrord session until its debug adapter starts. */
  startTimeoutMs?: number;
  /** True while the launch may legitimately wait longer (a task such as a build is running). */
  isBusy?: () => boolean;
}

export function sessionIdOf(configuration: Record<string, unknown> | undefined): string | undefined {
  const id = configuration?.[SESSION_KEY];
  return typeof id === 'string' ? id : undefined;
}

export class SessionTracker {
  private readonly sessions = new Map<string, Tracked>();
  private readonly startTimeoutMs: number;
  private readonly isBusy: () => boolean;

  constructor(
    private readonly api: () => Promise<MirrordApi>,
    private readonly log: (message: string) => void,
    private readonly onChange: (active: ActiveSession | undefined) => void,
    options: SessionTrackerOptions = {},
  ) {
    this.startTimeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
    this.isBusy = options.isBusy ?? (() => false);
  }

  /** A session whose debug configuration was just handed back to VS Code. */
  add(session: ActiveSession): void {
    const tracked: Tracked = { ...session, phase: 'pending' };
    this.sessions.set(session.sessionId, tracked);
    this.armStartTimer(tracked);
    this.onChange(this.latest());
  }

  /**
   * The server ended a session (`mirrord/sessionEnded`). It stays tracked until its debug
   * session ends, so the status bar can say so; there is nothing left to stop on the server.
   * Returns the session when this window started it.
   */
  ended(params: SessionEndedParams): ActiveSession | undefined {
    const s = this.sessions.get(params.sessionId);
    if (!s || s.ended) {
      return undefined;
    }
    s.ended = { reason: String(params.reason), message: String(params.message ?? '') };
    this.onChange(this.latest());
    return snapshot(s);
  }

  get size(): number {
    return this.sessions.size;
  }

  phase(sessionId: string): SessionPhase | undefined {
    return this.sessions.get(sessionId)?.phase;
  }

  latest(): ActiveSession | undefined {
    const last = [...this.sessions.values()].pop();
    return last && snapshot(last);
  }

  /** A debug adapter is being started for this configuration. */
  onAdapterStarting(configuration: Record<string, unknown>): void {
    const s = this.find(configuration);
    if (s && s.phase === 'pending') {
      // From here the adapter's exit or the session's end always follows.
      this.clearTimer(s);
      s.phase = 'launching';
    }
  }

  /** VS Code announced a debug session (onDidStartDebugSession). */
  onStarted(configuration: Record<string, unknown>): void {
    const s = this.find(configuration);
    if (s) {
      this.clearTimer(s);
      s.phase = 'running';
    }
  }

  /**
   * The adapter failed before its debug session started: it could not be launched,
   * exited, or answered `launch` with an error. A running session is left alone.
   */
  async onStartFailed(configuration: Record<string, unknown>, reason: string): Promise<void> {
    const s = this.find(configuration);
    if (s && s.phase !== 'running') {
      this.log(`debug session for mirrord session ${s.sessionId} did not start (${reason})`);
      await this.stop(s.sessionId);
    }
  }

  /** Called with a terminated debug session's configuration. */
  async onTerminated(configuration: Record<string, unknown>): Promise<void> {
    const s = this.find(configuration);
    if (s) {
      await this.stop(s.sessionId);
    }
  }

  async stop(sessionId: string): Promise<void> {
    const s = this.sessions.get(sessionId);
    // Forget it first: the child and parent debug sessions of one launch both end.
    if (!s) {
      return;
    }
    this.clearTimer(s);
    this.sessions.delete(sessionId);
    this.onChange(this.latest());
    if (s.ended) {
      this.log(`mirrord session ${sessionId} had already ended (${s.ended.reason})`);
      return;
    }
    try {
      const api = await this.api();
      const r = await api.stopSession(sessionId);
      this.log(`mirrord session ${sessionId} stopped (${r.stopped ? 'agent removed' : 'already gone'})`);
    } catch (err) {
      this.log(`stopping mirrord session ${sessionId} failed: ${describeError(err)}`);
    }
  }

  /** Stops every session this window started (extension shutdown, server restart). */
  async stopAll(): Promise<void> {
    await Promise.all([...this.sessions.keys()].map((id) => this.stop(id)));
  }

  private find(configuration: Record<string, unknown> | undefined): Tracked | undefined {
    const id = sessionIdOf(configuration);
    return id === undefined ? undefined : this.sessions.get(id);
  }

  private armStartTimer(s: Tracked): void {
    this.clearTimer(s);
    s.timer = setTimeout(() => {
      s.timer = undefined;
      if (this.sessions.get(s.sessionId) !== s || s.phase !== 'pending') {
        return;
      }
      if (this.isBusy()) {
        // A preLaunchTask (a build, say) runs between the launch config and the adapter.
        this.armStartTimer(s);
        return;
      }
      this.log(`no debug session started with mirrord session ${s.sessionId} within ${Math.round(this.startTimeoutMs / 1000)} s`);
      void this.stop(s.sessionId);
    }, this.startTimeoutMs);
    // Never keep the extension host alive for this timer alone.
    (s.timer as { unref?: () => void }).unref?.();
  }

  private clearTimer(s: Tracked): void {
    if (s.timer !== undefined) {
      clearTimeout(s.timer);
      s.timer = undefined;
    }
  }
}

function snapshot(s: Tracked): ActiveSession {
  const out: ActiveSession = { sessionId: s.sessionId, target: s.target, namespace: s.namespace };
  if (s.engine !== undefined) {
    out.engine = s.engine;
  }
  if (s.ended) {
    out.ended = { ...s.ended };
  }
  return out;
}
