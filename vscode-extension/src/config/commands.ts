// Commands on config files: create from the template, open, save a picked target.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { expansionContext } from '../common/settings';
import { findConfigFile } from './find';
import { CONFIG_TEMPLATE } from './template';
import type { TargetEditor } from '../common/api';

export function currentConfigFile(folder?: vscode.WorkspaceFolder, launchEnv?: Record<string, string>): string | undefined {
  const f = folder ?? vscode.workspace.workspaceFolders?.[0];
  return findConfigFile({
    folder: f?.uri.fsPath,
    launchEnv,
    activeFile: vscode.window.activeTextEditor?.document.uri.fsPath,
    ctx: expansionContext(f),
  });
}

export async function createConfig(folder?: vscode.WorkspaceFolder): Promise<vscode.Uri | undefined> {
  const f = folder ?? vscode.workspace.workspaceFolders?.[0];
  if (!f) {
    void vscode.window.showErrorMessage('mirrord: open a folder first; the config is created in its .mirrord folder.');
    return undefined;
  }
  const uri = vscode.Uri.file(path.join(f.uri.fsPath, '.mirrord', 'mirrord.json'));
  try {
    await vscode.workspace.fs.stat(uri);
  } catch {
    await vscode.workspace.fs.createDirectory(vscode.Uri.file(path.dirname(uri.fsPath)));
    await vscode.workspace.fs.writeFile(uri, Buffer.from(CONFIG_TEMPLATE, 'utf8'));
  }
  await vscode.window.showTextDocument(uri);
  return uri;
}

export async function openConfig(): Promise<void> {
  const file = currentConfigFile();
  if (file) {
    await vscode.window.showTextDocument(vscode.Uri.file(file));
    return;
  }
  const choice = await vscode.window.showInformationMessage('mirrord: this workspace has no mirrord config yet.', 'Create Config');
  if (choice === 'Create Config') {
    await createConfig();
  }
}

export type SaveTarget = (target: string | null, namespace: string, configFile?: string) => Promise<vscode.Uri>;

/**
 * Saving a choice into the config file: the server computes the edit (JSON, TOML and
 * YAML alike, comments and layout kept; the file is created when missing) and the
 * editor applies it, so it can be undone like any edit.
 */
export function targetSaver(editor: () => Promise<TargetEditor<vscode.WorkspaceEdit>>): SaveTarget {
  return async (target, namespace, configFile) => {
    const file = configFile ?? currentConfigFile() ?? defaultConfigFile();
    const uri = vscode.Uri.file(file);
    const server = await editor();
    const result = await server.setTarget({ configUri: uri.toString(), target, namespace });
    const edit = await server.toWorkspaceEdit(result.edit);
    if (!(await vscode.workspace.applyEdit(edit))) {
      throw new Error(`${vscode.workspace.asRelativePath(uri)} could not be edited`);
    }
    const doc = await vscode.workspace.openTextDocument(uri);
    await doc.save();
    void vscode.window.showInformationMessage(`mirrord: saved ${target ?? 'targetless'} (namespace ${namespace}) to ${vscode.workspace.asRelativePath(uri)}`);
    return uri;
  };
}

/** Where a new config goes: `.mirrord/mirrord.json` in the first workspace folder. */
function defaultConfigFile(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) {
    throw new Error('no workspace folder to create the config in');
  }
  return path.join(folder.uri.fsPath, '.mirrord', 'mirrord.json');
}
