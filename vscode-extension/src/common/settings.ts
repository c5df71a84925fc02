// Reads the `mirrord.*` settings in one place, with paths already expanded.
import * as os from 'node:os';
import * as vscode from 'vscode';
import { resolvePathSetting, type ExpansionContext } from './paths';

/** Which engine runs a session: the server picks the mirrord CLI when it finds one (`auto`). */
export type EngineSetting = 'auto' | 'mirrord-cli' | 'builtin';
export const ENGINES: readonly EngineSetting[] = ['auto', 'mirrord-cli', 'builtin'];

export interface MirrordSettings {
  serverPath: string;
  serverPython: string;
  kubeconfig: string;
  context: string;
  enabledByDefault: boolean;
  engine: EngineSetting;
  /** The mirrord CLI to use, expanded; empty: the server looks for one. */
  cliPath: string;
}

export function expansionContext(folder?: vscode.WorkspaceFolder): ExpansionContext {
  const folders: Record<string, string> = {};
  for (const f of vscode.workspace.workspaceFolders ?? []) {
    folders[f.name] = f.uri.fsPath;
  }
  const first = folder ?? vscode.workspace.workspaceFolders?.[0];
  return { workspaceFolder: first?.uri.fsPath, folders, home: os.homedir(), env: process.env };
}

export function readSettings(folder?: vscode.WorkspaceFolder): MirrordSettings {
  const cfg = vscode.workspace.getConfiguration('mirrord', folder?.uri);
  const ctx = expansionContext(folder);
  return {
    serverPath: resolvePathSetting(cfg.get<string>('server.path'), ctx),
    serverPython: resolvePathSetting(cfg.get<string>('server.python'), ctx),
    kubeconfig: resolvePathSetting(cfg.get<string>('kubeconfig'), ctx),
    context: (cfg.get<string>('context') ?? '').trim(),
    enabledByDefault: cfg.get<boolean>('enabled') ?? false,
    engine: parseEngine(cfg.get<string>('engine')),
    cliPath: resolvePathSetting(cfg.get<string>('cliPath'), ctx),
  };
}

function parseEngine(value: string | undefined): EngineSetting {
  const v = (value ?? '').trim() as EngineSetting;
  return ENGINES.includes(v) ? v : 'auto';
}

/** The `mirrord` section's session settings, as sent to the server. */
export interface ServerSettingsSection {
  kubeconfig?: string;
  context?: string;
  engine?: EngineSetting;
  cliPath?: string;
}

/** The `mirrord` section of the server's initialization options. */
export function initializationOptions(settings: MirrordSettings): { mirrord: ServerSettingsSection } {
  const mirrord: ServerSettingsSection = {};
  if (settings.kubeconfig) {
    mirrord.kubeconfig = settings.kubeconfig;
  }
  if (settings.context) {
    mirrord.context = settings.context;
  }
  mirrord.engine = settings.engine;
  if (settings.cliPath) {
    mirrord.cliPath = settings.cliPath;
  }
  return { mirrord };
}

/**
 * The `workspace/didChangeConfiguration` settings for the session settings the server
 * applies live; an empty value tells the server to drop the setting.
 */
export function engineSettingsChange(settings: MirrordSettings): { mirrord: ServerSettingsSection } {
  return { mirrord: { engine: settings.engine, cliPath: settings.cliPath } };
}

/** Settings whose change needs a server restart (`mirrord.server` covers every `mirrord.server.*`). */
export const RESTART_SETTINGS = ['mirrord.server', 'mirrord.kubeconfig', 'mirrord.context'];

/** Settings the running server takes through `workspace/didChangeConfiguration`, without a restart. */
export const LIVE_SETTINGS = ['mirrord.engine', 'mirrord.cliPath'];
