// The status bar item: mirrord on/off (kept in workspace state across reloads),
// the server's state and the active target. Clicking it toggles mirrord.
import * as vscode from 'vscode';
import type { ActiveSession } from './debug/sessions';
import { engineLabel } from './debug/notices';
import type { StateStore } from './picker/recent';

const ENABLED_KEY = 'mirrord.enabled';

export type ServerState = 'starting' | 'running' | 'stopped' | 'failed';

export interface StatusText {
  text: string;
  tooltip: string;
}

/** Pure: what the item shows. */
export function statusText(enabled: boolean, server: ServerState, active?: Pick<ActiveSession, 'target' | 'namespace' | 'engine' | 'ended'>): StatusText {
  if (!enabled) {
    return { text: '$(debug-disconnect) mirrord: off', tooltip: 'mirrord is off: debug sessions run locally. Click to turn it on.' };
  }
  if (server === 'failed') {
    return { text: '$(error) mirrord: server failed', tooltip: 'The mirrord language server could not start. Click to turn mirrord off; see "mirrord: Show Server Log".' };
  }
  if (active) {
    const target = active.target ?? 'targetless';
    const engine = engineLabel(active.engine);
    const via = engine ? ` (${engine})` : '';
    if (active.ended) {
      const why = active.ended.message || active.ended.reason;
      return {
        text: `$(warning) mirrord: ${target} ended`,
        tooltip: `The mirrord session on ${target} in namespace ${active.namespace}${via} ended: ${why}. Restart the debug session to reconnect. Click to turn mirrord off.`,
      };
    }
    return {
      text: `$(plug) mirrord: ${target}${via}`,
      tooltip: `mirrord is on: debug sessions run against ${target} in namespace ${active.namespace}${engine ? `, through the ${engine} engine` : ''}. Click to turn it off.`,
    };
  }
  const spin = server === 'starting' ? '$(sync~spin) ' : '$(plug) ';
  return { text: `${spin}mirrord: on`, tooltip: 'mirrord is on: the next debug session asks for a target. Click to turn it off.' };
}

export class MirrordStatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private server: ServerState = 'stopped';
  private active: ActiveSession | undefined;

  constructor(
    private readonly state: StateStore,
    private readonly defaultEnabled: () => boolean,
  ) {
    this.item = vscode.window.createStatusBarItem('mirrord.status', vscode.StatusBarAlignment.Left, 50);
    this.item.name = 'mirrord';
    this.item.command = 'mirrord.toggle';
    this.render();
    this.item.show();
  }

  get enabled(): boolean {
    return this.state.get<boolean>(ENABLED_KEY) ?? this.defaultEnabled();
  }

  async toggle(): Promise<boolean> {
    const next = !this.enabled;
    await this.state.update(ENABLED_KEY, next);
    this.render();
    return next;
  }

  setServerState(state: ServerState): void {
    this.server = state;
    this.render();
  }

  setActive(active: ActiveSession | undefined): void {
    this.active = active;
    this.render();
  }

  /** Re-reads the default state (after a settings change). */
  refresh(): void {
    this.render();
  }

  private render(): void {
    const s = statusText(this.enabled, this.server, this.active);
    this.item.text = s.text;
    this.item.tooltip = s.tooltip;
  }

  dispose(): void {
    this.item.dispose();
  }
}
