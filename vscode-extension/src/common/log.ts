// One output channel for the extension and the server's stderr.
import * as vscode from 'vscode';

let channel: vscode.LogOutputChannel | undefined;

export function getLogChannel(): vscode.LogOutputChannel {
  if (!channel) {
    channel = vscode.window.createOutputChannel('mirrord', { log: true });
  }
  return channel;
}

export function logInfo(message: string): void {
  getLogChannel().info(message);
}

export function logError(message: string): void {
  getLogChannel().error(message);
}

export function showLog(): void {
  getLogChannel().show(true);
}
