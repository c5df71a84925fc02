// Watches the debug adapter of every launch that carries a mirrord session: VS Code
// reports a failed start only through the adapter (it cannot be launched, it exits,
// or it answers initialize/launch/attach with an error), never to the provider.
import type * as vscode from 'vscode';
import { sessionIdOf, type SessionTracker } from './sessions';

const START_REQUESTS = new Set(['initialize', 'launch', 'attach']);

interface DapResponse {
  type?: unknown;
  command?: unknown;
  success?: unknown;
  message?: unknown;
  body?: { error?: { format?: unknown; variables?: Record<string, unknown> } };
}

/** An error response's text: the detailed `body.error` (with its variables) over the short `message`. */
export function dapErrorText(m: DapResponse): string {
  const error = m.body?.error;
  if (error && typeof error.format === 'string') {
    return error.format.replace(/\{(\w+)\}/g, (all, key: string) => {
      const v = error.variables?.[key];
      return typeof v === 'string' ? v : all;
    });
  }
  return typeof m.message === 'string' ? m.message : '';
}

export type StartWatchTracker = Pick<SessionTracker, 'onAdapterStarting' | 'onStartFailed'>;

export function createStartWatchFactory(tracker: StartWatchTracker): vscode.DebugAdapterTrackerFactory {
  return {
    createDebugAdapterTracker(session: vscode.DebugSession): vscode.DebugAdapterTracker | undefined {
      const configuration = session.configuration as Record<string, unknown>;
      if (sessionIdOf(configuration) === undefined) {
        return undefined;
      }
      return {
        onWillStartSession: () => tracker.onAdapterStarting(configuration),
        onDidSendMessage: (message: unknown) => {
          const m = (message ?? {}) as DapResponse;
          if (m.type === 'response' && m.success === false && typeof m.command === 'string' && START_REQUESTS.has(m.command)) {
            const text = dapErrorText(m);
            const why = text ? `: ${text}` : '';
            void tracker.onStartFailed(configuration, `the debug adapter refused "${m.command}"${why}`);
          }
        },
        onError: (error: Error) => void tracker.onStartFailed(configuration, `debug adapter error: ${error.message}`),
        onExit: (code: number | undefined, signal: string | undefined) =>
          void tracker.onStartFailed(configuration, `the debug adapter exited (${code !== undefined ? `code ${code}` : `signal ${signal ?? 'unknown'}`})`),
      };
    },
  };
}
