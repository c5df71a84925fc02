import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import * as mockVscode from '../__mocks__/vscode';

vi.mock('vscode-languageclient/node', () => ({
  LanguageClient: vi.fn(),
  WorkDoneProgress: { type: {} },
  State: { Stopped: 1, Running: 2, Starting: 3 },
}));

describe('activate', () => {
  it('registers every contributed command and a debug provider for all debug types', async () => {
    const { activate } = await import('../../src/extension');
    const memento = { get: () => undefined, update: () => Promise.resolve() };
    const context = {
      subscriptions: [] as unknown[],
      workspaceState: memento,
      globalState: memento,
      extensionPath: '/nonexistent',
      globalStorageUri: mockVscode.Uri.file('/tmp/mirrord-test-storage'),
    };
    // No interpreter setting and no wheel: the background start fails with a notification.
    activate(context as never);
    const registered = mockVscode.commands.registerCommand.mock.calls.map((c) => c[0]);
    const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'));
    const contributed = manifest.contributes.commands.map((c: { command: string }) => c.command);
    expect(registered.sort()).toEqual([...contributed].sort());
    expect(mockVscode.debug.registerDebugConfigurationProvider).toHaveBeenCalledWith('*', expect.anything());
    expect(mockVscode.debug.onDidTerminateDebugSession).toHaveBeenCalled();
  });
});
