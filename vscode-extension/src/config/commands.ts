// Commands on config files: create from the template, open, save a picked target.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { expansionContext } from '../common/settings';
import { findConfigFile } from './find';
import { CONFIG_TEMPLATE } from './template';
import { minimalChange } from './textEdit';
import { configFormat, setTargetInConfig } from './writeTarget';

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

/**
 * Writes the choice into the config file (created when missing) as a workspace edit of
 * just the changed text, for JSON, TOML and YAML configs alike.
 */
export async function saveTargetToConfig(target: string | null, namespace: string, configFile?: string): Promise<vscode.Uri> {
  let file = configFile ?? currentConfigFile();
  if (!file) {
    const created = await createConfig();
    if (!created) {
      throw new Error('no workspace folder to create the config in');
    }
    file = created.fsPath;
  }
  if (!configFormat(file)) {
    throw new Error(`${path.basename(file)}: mirrord reads only .json, .toml, .yaml and .yml configs`);
  }
  const uri = vscode.Uri.file(file);
  const doc = await vscode.workspace.openTextDocument(uri);
  const before = doc.getText();
  const change = minimalChange(before, setTargetInConfig(file, before, target, namespace));
  if (change) {
    const edit = new vscode.WorkspaceEdit();
    edit.replace(uri, new vscode.Range(doc.positionAt(change.start), doc.positionAt(change.end)), change.text);
    if (!(await vscode.workspace.applyEdit(edit))) {
      throw new Error(`${vscode.workspace.asRelativePath(uri)} could not be edited`);
    }
  }
  await doc.save();
  void vscode.window.showInformationMessage(`mirrord: saved ${target ?? 'targetless'} (namespace ${namespace}) to ${vscode.workspace.asRelativePath(uri)}`);
  return uri;
}
