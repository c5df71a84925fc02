// Reads the `mirrord.*` settings in one place, with paths already expanded.
import * as os from 'node:os';
import * as vscode from 'vscode';
import { resolvePathSetting, type ExpansionContext } from './paths';

export interface MirrordSettings {
  serverPath: string;
  serverPython: string;
  kubeconfig: string;
  context: string;
  enabledByDefault: boolean;
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
  };
}

/** The `mirrord` section of the server's initialization options. */
export function initializationOptions(settings: MirrordSettings): {
  mirrord: { kubeconfig?: string; context?: string };
} {
  const mirrord: { kubeconfig?: string; context?: string } = {};
  if (settings.kubeconfig) {
    mirrord.kubeconfig = settings.kubeconfig;
  }
  if (settings.context) {
    mirrord.context = settings.context;
  }
  return { mirrord };
}

/** Settings whose change needs a server restart (`mirrord.server` covers every `mirrord.server.*`). */
export const RESTART_SETTINGS = ['mirrord.server', 'mirrord.kubeconfig', 'mirrord.context'];
