import { afterEach, describe, expect, it, vi } from 'vitest';
import type { WorkspaceEdit } from 'vscode';
import { createApi, type RequestChannel, type TargetEditor } from '../../src/common/api';
import type { SetTargetParams, SetTargetResult } from '../../src/common/protocol';
import { targetSaver } from '../../src/config/commands';
import * as mockVscode from '../__mocks__/vscode';

const SERVER_EDIT: SetTargetResult['edit'] = {
  changes: {
    'file:///ws/.mirrord/mirrord.yaml': [
      { range: { start: { line: 2, character: 7 }, end: { line: 2, character: 14 } }, newText: 'pod/new' },
    ],
  },
};

function fakeServer(result: Promise<SetTargetResult> = Promise.resolve({ edit: SERVER_EDIT })) {
  const converted = new mockVscode.WorkspaceEdit() as unknown as WorkspaceEdit;
  const setTarget = vi.fn((_p: SetTargetParams) => result);
  const toWorkspaceEdit = vi.fn((_e: SetTargetResult['edit']) => Promise.resolve(converted));
  const editor: TargetEditor<WorkspaceEdit> = { setTarget, toWorkspaceEdit };
  return { editor, setTarget, toWorkspaceEdit, converted };
}

function openDoc() {
  const doc = { save: vi.fn(() => Promise.resolve(true)) };
  mockVscode.workspace.openTextDocument.mockImplementation(() => Promise.resolve(doc));
  return doc;
}

describe('saving a target into the config file', () => {
  afterEach(() => {
    vi.clearAllMocks();
    mockVscode.workspace.workspaceFolders = undefined;
  });

  it('asks the server for the edit, applies the converted edit and saves the file', async () => {
    const server = fakeServer();
    const doc = openDoc();
    const uri = await targetSaver(() => Promise.resolve(server.editor))('pod/new', 'shop', '/ws/.mirrord/mirrord.yaml');
    expect(server.setTarget).toHaveBeenCalledWith({ configUri: 'file:///ws/.mirrord/mirrord.yaml', target: 'pod/new', namespace: 'shop' });
    expect(server.toWorkspaceEdit).toHaveBeenCalledWith(SERVER_EDIT);
    expect(mockVscode.workspace.applyEdit).toHaveBeenCalledWith(server.converted);
    expect(uri.fsPath).toBe('/ws/.mirrord/mirrord.yaml');
    expect(doc.save).toHaveBeenCalled();
    expect(mockVscode.window.showInformationMessage).toHaveBeenCalledWith(expect.stringContaining('saved pod/new (namespace shop)'));
  });

  it('sends null for targetless and creates .mirrord/mirrord.json when there is no config', async () => {
    mockVscode.workspace.workspaceFolders = [{ uri: mockVscode.Uri.file('/ws'), name: 'ws', index: 0 }];
    const server = fakeServer();
    openDoc();
    await targetSaver(() => Promise.resolve(server.editor))(null, 'default');
    expect(server.setTarget).toHaveBeenCalledWith({ configUri: 'file:///ws/.mirrord/mirrord.json', target: null, namespace: 'default' });
  });

  it('leaves the file alone when the server refuses, and reports an editor that refuses the edit', async () => {
    const refused = fakeServer(Promise.reject(new Error('cannot save the target into mirrord.toml')));
    const doc = openDoc();
    const save = targetSaver(() => Promise.resolve(refused.editor));
    await expect(save('pod/new', 'shop', '/ws/mirrord.toml')).rejects.toThrow(/cannot save the target/);
    expect(mockVscode.workspace.applyEdit).not.toHaveBeenCalled();
    expect(doc.save).not.toHaveBeenCalled();

    const server = fakeServer();
    mockVscode.workspace.applyEdit.mockImplementationOnce(() => Promise.resolve(false));
    await expect(targetSaver(() => Promise.resolve(server.editor))('pod/new', 'shop', '/ws/mirrord.json')).rejects.toThrow(/could not be edited/);
    expect(doc.save).not.toHaveBeenCalled();
  });
});

describe('the setTarget request', () => {
  it('is sent as mirrord/setTarget with the params as given', async () => {
    const sendRequest = vi.fn((_method: string, _params: unknown) => Promise.resolve({ edit: SERVER_EDIT }));
    const channel = { sendRequest, sendNotification: vi.fn(), onProgress: vi.fn() } as unknown as RequestChannel;
    const result = await createApi(channel, {}).setTarget({ configUri: 'file:///ws/mirrord.json', target: null });
    expect(sendRequest).toHaveBeenCalledWith('mirrord/setTarget', { configUri: 'file:///ws/mirrord.json', target: null });
    expect(result.edit).toBe(SERVER_EDIT);
  });
});
