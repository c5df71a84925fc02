// What the user is told about a started or ended session: the engine's information and
// warnings, that a session mirrors no traffic (once per workspace, with the way out), and why
// a session ended when the server ended it.
import * as vscode from 'vscode';
import type { SessionEndedParams, StartSessionResult } from '../common/protocol';
import { openSettings } from '../common/vscodeapi';
import type { StateStore } from '../picker/recent';

const NO_TRAFFIC_KEY = 'mirrord.noTrafficNoticeShown';
export const OPEN_CLI_SETTING = 'Set mirrord.cliPath';

/** Human words for an engine id. */
export function engineLabel(engine: string | undefined): string | undefined {
  switch (engine) {
    case undefined:
      return undefined;
    case 'mirrord-cli':
      return 'mirrord CLI';
    case 'builtin':
      return 'built-in';
    default:
      return engine;
  }
}

/**
 * Pure: the plain-words notice for a session on a target that gets no incoming traffic
 * because of the engine, else undefined. A targetless session has no traffic to mirror, and
 * the mirrord CLI mirrors whatever the config asks for: neither is fixed by a CLI.
 */
export function noTrafficNotice(session: Pick<StartSessionResult, 'capabilities' | 'engine' | 'target'>): string | undefined {
  if (session.capabilities?.incoming !== 'off' || session.target === null || session.engine === 'mirrord-cli') {
    return undefined;
  }
  const env = session.capabilities.env === 'process' ? "the target's environment" : "the environment declared in the target's pod spec";
  return (
    `mirrord: this session gives your program ${env}, but no incoming traffic from the cluster reaches it` +
    ` (the ${engineLabel(session.engine) ?? 'current'} engine does not mirror traffic).` +
    ' To receive traffic, install mirrord or set mirrord.cliPath.'
  );
}

/** Pure: the message shown when the server ended a session. */
export function endedMessage(ended: SessionEndedParams, target: string | null | undefined): string {
  const what = target === undefined ? `session ${ended.sessionId}` : `session on ${target ?? 'targetless'}`;
  const why: Record<string, string> = {
    'agent-exited': 'the agent exited',
    'connection-lost': 'the connection to the agent was lost',
    'cli-exited': 'the mirrord CLI exited',
    'server-exit': 'the language server stopped',
    stopped: 'it was stopped',
  };
  const reason = why[ended.reason] ?? ended.reason;
  const detail = ended.message && ended.message !== reason ? `: ${ended.message}` : '';
  return `mirrord: the ${what} ended (${reason})${detail}. The program keeps running without the cluster; restart the debug session to reconnect.`;
}

/** The non-blank strings of a list the server sent, if it sent a list. */
function lines(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string' && v.trim() !== '') : [];
}

export class SessionNotices {
  constructor(
    private readonly state: StateStore,
    private readonly log: (message: string) => void,
  ) {}

  /**
   * After a session started: its information, its warnings, then the no-traffic notice once per
   * workspace. Information is shown as information and warnings as warnings, as mirrord's own
   * extension shows the CLI's Info and Warning messages (metalbear-co/mirrord-vscode,
   * src/api.ts: the switch on message["type"] and handleIdeMessage).
   */
  started(session: StartSessionResult): void {
    for (const i of lines(session.info)) {
      this.log(`mirrord session ${session.sessionId}: ${i}`);
      void vscode.window.showInformationMessage(`mirrord: ${i}`);
    }
    for (const w of lines(session.warnings)) {
      this.log(`mirrord session ${session.sessionId}: warning: ${w}`);
      void vscode.window.showWarningMessage(`mirrord: ${w}`);
    }
    const notice = noTrafficNotice(session);
    if (notice && !this.state.get<boolean>(NO_TRAFFIC_KEY)) {
      void this.state.update(NO_TRAFFIC_KEY, true);
      void vscode.window.showInformationMessage(notice, OPEN_CLI_SETTING).then((choice) => {
        if (choice === OPEN_CLI_SETTING) {
          void openSettings('mirrord.cliPath');
        }
      });
    }
  }

  /** The server ended a session this window started. */
  ended(ended: SessionEndedParams, target: string | null | undefined): void {
    const text = endedMessage(ended, target);
    this.log(text);
    if (ended.reason !== 'stopped') {
      void vscode.window.showWarningMessage(text);
    }
  }
}
