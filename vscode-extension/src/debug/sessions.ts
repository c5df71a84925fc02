// Tracks the mirrord session behind each debug session and stops it when the debug
// session ends (or the extension shuts down).
import type { MirrordApi } from '../common/api';
import { describeError } from '../common/protocol';

export const SESSION_KEY = 'mirrordSessionId';

export interface ActiveSession {
  sessionId: string;
  target: string | null;
  namespace: string;
}

export class SessionTracker {
  private readonly sessions = new Map<string, ActiveSession>();

  constructor(
    private readonly api: () => Promise<MirrordApi>,
    private readonly log: (message: string) => void,
    private readonly onChange: (active: ActiveSession | undefined) => void,
  ) {}

  add(session: ActiveSession): void {
    this.sessions.set(session.sessionId, session);
    this.onChange(session);
  }

  latest(): ActiveSession | undefined {
    return [...this.sessions.values()].pop();
  }

  /** Called with a terminated debug session's configuration. */
  async onTerminated(configuration: Record<string, unknown>): Promise<void> {
    const id = configuration[SESSION_KEY];
    if (typeof id === 'string' && this.sessions.has(id)) {
      await this.stop(id);
    }
  }

  async stop(sessionId: string): Promise<void> {
    // Forget it first: the child and parent debug sessions of one launch both end.
    if (!this.sessions.delete(sessionId)) {
      return;
    }
    this.onChange(this.latest());
    try {
      const api = await this.api();
      const r = await api.stopSession(sessionId);
      this.log(`mirrord session ${sessionId} stopped (${r.stopped ? 'agent removed' : 'already gone'})`);
    } catch (err) {
      this.log(`stopping mirrord session ${sessionId} failed: ${describeError(err)}`);
    }
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.sessions.keys()].map((id) => this.stop(id)));
  }
}
