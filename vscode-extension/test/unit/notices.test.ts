import { afterEach, describe, expect, it, vi } from 'vitest';
import type { StartSessionResult } from '../../src/common/protocol';
import { parseSessionEnded } from '../../src/common/protocol';
import { endedMessage, noTrafficNotice, OPEN_CLI_SETTING, SessionNotices } from '../../src/debug/notices';
import type { StateStore } from '../../src/picker/recent';
import * as mockVscode from '../__mocks__/vscode';

const result = (over: Partial<StartSessionResult> = {}): StartSessionResult => ({
  sessionId: 's-1',
  target: 'deployment/greeter',
  namespace: 'default',
  agent: null,
  env: {},
  ...over,
});

function store(): StateStore {
  const data = new Map<string, unknown>();
  return { get: <T>(k: string) => data.get(k) as T, update: (k, v) => (data.set(k, v), Promise.resolve()) };
}

afterEach(() => vi.clearAllMocks());

describe('session notices', () => {
  it('says in plain words when no traffic is mirrored, with the way out', () => {
    const off = { env: 'spec', incoming: 'off', outgoing: false, files: false } as const;
    const spec = noTrafficNotice({ target: 'pod/a', engine: 'builtin', capabilities: off });
    expect(spec).toContain("the environment declared in the target's pod spec");
    expect(spec).toContain('no incoming traffic');
    expect(spec).toContain('install mirrord or set mirrord.cliPath');
    expect(noTrafficNotice({ target: 'pod/a', engine: 'builtin', capabilities: { env: 'process', incoming: 'mirror', outgoing: false, files: false } })).toBeUndefined();
    expect(noTrafficNotice({ target: 'pod/a', engine: 'mirrord-cli', capabilities: { env: 'process', incoming: 'steal', outgoing: true, files: true } })).toBeUndefined();
    // An older server says nothing about capabilities: no claim either way.
    expect(noTrafficNotice({ target: 'pod/a' })).toBeUndefined();
    // Targetless has no traffic to mirror; the CLI follows the config: nothing a CLI would fix.
    expect(noTrafficNotice({ target: null, engine: 'builtin', capabilities: off })).toBeUndefined();
    expect(noTrafficNotice({ target: 'pod/a', engine: 'mirrord-cli', capabilities: off })).toBeUndefined();
  });

  it('shows every warning, and the no-traffic notice once per workspace', async () => {
    const state = store();
    const logs: string[] = [];
    const notices = new SessionNotices(state, (m) => logs.push(m));
    mockVscode.window.showInformationMessage.mockResolvedValueOnce(OPEN_CLI_SETTING as never);
    const off = result({ warnings: ['agent version 3.100 is older than the CLI', ' '], capabilities: { env: 'spec', incoming: 'off', outgoing: false, files: false } });
    notices.started(off);
    notices.started({ ...off, sessionId: 's-2', warnings: [] });
    expect(mockVscode.window.showWarningMessage.mock.calls).toEqual([['mirrord: agent version 3.100 is older than the CLI']]);
    expect(mockVscode.window.showInformationMessage).toHaveBeenCalledTimes(1);
    await new Promise((r) => setTimeout(r, 0));
    expect(mockVscode.commands.executeCommand).toHaveBeenCalledWith('workbench.action.openSettings', 'mirrord.cliPath');
    expect(logs).toEqual(['mirrord session s-1: warning: agent version 3.100 is older than the CLI']);
    // Another workspace (its own state) is told again.
    new SessionNotices(store(), () => undefined).started(off);
    expect(mockVscode.window.showInformationMessage).toHaveBeenCalledTimes(2);
  });

  it('shows the engine\'s information as information and its warnings as warnings, each in order', () => {
    const logs: string[] = [];
    const notices = new SessionNotices(store(), (m) => logs.push(m));
    notices.started(
      result({
        engine: 'mirrord-cli',
        info: ['session ID: 0123-fake', ' ', 'queue splitting can help (Docs: https://example.com/q)'],
        warnings: ['Agent version 3.1.0 does not match the local mirrord version'],
      }),
    );
    const info = mockVscode.window.showInformationMessage;
    const warning = mockVscode.window.showWarningMessage;
    expect(info.mock.calls).toEqual([['mirrord: session ID: 0123-fake'], ['mirrord: queue splitting can help (Docs: https://example.com/q)']]);
    expect(warning.mock.calls).toEqual([['mirrord: Agent version 3.1.0 does not match the local mirrord version']]);
    expect(info.mock.invocationCallOrder[1]).toBeLessThan(warning.mock.invocationCallOrder[0]);
    expect(logs).toEqual([
      'mirrord session s-1: session ID: 0123-fake',
      'mirrord session s-1: queue splitting can help (Docs: https://example.com/q)',
      'mirrord session s-1: warning: Agent version 3.1.0 does not match the local mirrord version',
    ]);
    // An older server sends no info; a malformed one is ignored, not thrown on.
    notices.started(result({ sessionId: 's-2', info: 'session ID' as unknown as string[], warnings: [3 as unknown as string] }));
    expect(info).toHaveBeenCalledTimes(2);
    expect(warning).toHaveBeenCalledTimes(1);
  });

  it('explains why a session ended; a stop the user asked for is only logged', () => {
    expect(endedMessage({ sessionId: 's-1', reason: 'cli-exited', message: 'mirrord exited with code 1' }, 'pod/a')).toBe(
      'mirrord: the session on pod/a ended (the mirrord CLI exited): mirrord exited with code 1. The program keeps running without the cluster; restart the debug session to reconnect.',
    );
    expect(endedMessage({ sessionId: 's-9', reason: 'something-new', message: '' }, undefined)).toContain('session s-9 ended (something-new)');
    const logs: string[] = [];
    const notices = new SessionNotices(store(), (m) => logs.push(m));
    notices.ended({ sessionId: 's-1', reason: 'stopped', message: 'stopped by the client' }, null);
    expect(mockVscode.window.showWarningMessage).not.toHaveBeenCalled();
    expect(logs[0]).toContain('session on targetless ended (it was stopped)');
    notices.ended({ sessionId: 's-1', reason: 'server-exit', message: 'the server is shutting down' }, null);
    expect(mockVscode.window.showWarningMessage).toHaveBeenCalledTimes(1);
  });

  it('reads sessionEnded params defensively', () => {
    expect(parseSessionEnded({ sessionId: 's', reason: 'agent-exited', message: 'gone' })).toEqual({ sessionId: 's', reason: 'agent-exited', message: 'gone' });
    expect(parseSessionEnded({ sessionId: 's', reason: 3 })).toEqual({ sessionId: 's', reason: 'unknown', message: '' });
    expect(parseSessionEnded({ reason: 'stopped' })).toBeUndefined();
    expect(parseSessionEnded(null)).toBeUndefined();
    expect(parseSessionEnded('s-1')).toBeUndefined();
  });
});
