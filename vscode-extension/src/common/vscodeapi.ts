// A narrow seam over the `vscode` module for the calls whose results tests replace.
import * as vscode from 'vscode';

export function isWorkspaceTrusted(): boolean {
  return vscode.workspace.isTrusted;
}

export function registerCommand(command: string, callback: (...args: unknown[]) => unknown): vscode.Disposable {
  return vscode.commands.registerCommand(command, callback);
}

export function openSettings(query: string): Thenable<unknown> {
  return vscode.commands.executeCommand('workbench.action.openSettings', query);
}

export function workspaceFolders(): readonly vscode.WorkspaceFolder[] {
  return vscode.workspace.workspaceFolders ?? [];
}
