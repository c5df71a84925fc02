import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DebugConfiguration, WorkspaceFolder } from 'vscode';
import type { CancelToken, MirrordApi, ProgressReport } from '../../src/common/api';
import type { StartSessionParams, StartSessionResult } from '../../src/common/protocol';
import { MirrordDebugProvider, type DebugHookDeps } from '../../src/debug/provider';
import { SessionTracker } from '../../src/debug/sessions';
import type { PickResult } from '../../src/picker/quickpick';
import type { RecentChoice } from '../../src/picker/recent';
import * as mockVscode from '../__mocks__/vscode';

const folder = { uri: mockVscode.Uri.file('/ws'), name: 'ws', index: 0 } as unknown as WorkspaceFolder;

function session(id: string, env: Record<string, string>): StartSessionResult {
  return {
    sessionId: id,
    target: 'pod/web-1',
    namespace: 'shop',
    agent: { pod: 'mirrord-agent-x', namespace: 'shop', node: 'node-1', port: 44128, localAddress: '127.0.0.1:40000' },
    env,
  };
}

type Start = (p: StartSessionParams, t: CancelToken, on: (p: ProgressReport) => void) => Promise<StartSessionResult>;

function setup(opts: { enabled?: boolean; trusted?: boolean; pick?: PickResult | undefined; start?: Start } = {}) {
  const started: StartSessionParams[] = [];
  const stopped: string[] = [];
  const api: MirrordApi = {
    listNamespaces: vi.fn(),
    targetPickerItems: vi.fn(),
    startSession: (p, t, on) => {
      started.push(p);
      return opts.start ? opts.start(p, t, on) : Promise.resolve(session('s-1', { GREETING: 'hello', MIRRORD_AGENT_CONNECT_INFO: '{}' }));
    },
    stopSession: (id) => {
      stopped.push(id);
      return Promise.resolve({ stopped: true });
    },
    setTarget: vi.fn(),
  };
  const recentData: Record<string, RecentChoice> = {};
  const pick = vi.fn(() => Promise.resolve('pick' in opts ? opts.pick : { target: 'pod/web-1', namespace: 'shop' }));
  const onChange = vi.fn();
  const sessions = new SessionTracker(() => Promise.resolve(api), () => undefined, onChange);
  const deps: DebugHookDeps = {
    api: () => Promise.resolve(api),
    isEnabled: () => opts.enabled ?? true,
    isTrusted: () => opts.trusted ?? true,
    kubeContext: () => 'ctx',
    configFile: () => '/ws/.mirrord/mirrord.json',
    pick,
    recent: {
      get: (name) => recentData[name],
      set: (name, c) => {
        recentData[name] = c;
        return Promise.resolve();
      },
    },
    sessions,
    saveTarget: vi.fn(() => Promise.resolve()),
    announce: vi.fn(),
    log: () => undefined,
  };
  return { provider: new MirrordDebugProvider(deps), started, stopped, pick, recentData, sessions, onChange, announce: deps.announce };
}

const launch = (extra: Record<string, unknown> = {}): DebugConfiguration => ({ type: 'node', name: 'Run app', request: 'launch', program: 'app.js', ...extra });

afterEach(() => vi.clearAllMocks());

describe('debug hook', () => {
  it('leaves the launch alone when mirrord is off', async () => {
    const t = setup({ enabled: false });
    const config = launch();
    expect(await t.provider.resolveDebugConfigurationWithSubstitutedVariables(folder, config)).toBe(config);
    expect(t.pick).not.toHaveBeenCalled();
  });

  it('MIRRORD_ACTIVE=1 forces it on and MIRRORD_ACTIVE=0 off', async () => {
    const on = setup({ enabled: false });
    const r = await on.provider.resolveDebugConfigurationWithSubstitutedVariables(folder, launch({ env: { MIRRORD_ACTIVE: '1' } }));
    expect(on.started).toHaveLength(1);
    expect(r?.env.GREETING).toBe('hello');
    const off = setup({ enabled: true });
    await off.provider.resolveDebugConfigurationWithSubstitutedVariables(folder, launch({ env: { MIRRORD_ACTIVE: '0' } }));
    expect(off.started).toHaveLength(0);
  });

  it('picks, starts the session with the launch env, merges the env and remembers the choice', async () => {
    const t = setup();
    const r = await t.provider.resolveDebugConfigurationWithSubstitutedVariables(folder, launch({ env: { LOCAL: '1' } }));
    expect(t.pick).toHaveBeenCalledWith(expect.objectContaining({ configUri: 'file:///ws/.mirrord/mirrord.json', honourSkipDialog: true }));
    expect(t.started[0]).toMatchObject({
      configUri: 'file:///ws/.mirrord/mirrord.json',
      target: 'pod/web-1',
      namespace: 'shop',
      env: { LOCAL: '1' },
      debugType: 'node',
    });
    expect(r?.env).toEqual({ LOCAL: '1', GREETING: 'hello', MIRRORD_AGENT_CONNECT_INFO: '{}' });
    expect(r?.mirrordSessionId).toBe('s-1');
    expect(t.recentData['Run app']).toEqual({ context: 'ctx', namespace: 'shop', target: 'pod/web-1' });
    expect(t.onChange).toHaveBeenLastCalledWith({ sessionId: 's-1', target: 'pod/web-1', namespace: 'shop' });
  });

  it('Esc in the picker cancels the launch and starts nothing', async () => {
    const t = setup({ pick: undefined });
    expect(await t.provider.resolveDebugConfigurationWithSubstitutedVariables(folder, launch())).toBeUndefined();
    expect(t.started).toHaveLength(0);
  });

  it('lets the server resolve a target named by the config', async () => {
    const t = setup({ pick: { target: 'deployment/api', namespace: 'shop', fromConfig: true } });
    await t.provider.resolveDebugConfigurationWithSubstitutedVariables(folder, launch());
    expect(t.started[0].target).toBeUndefined();
    expect(t.recentData).toEqual({});
  });

  it('never starts an agent in an untrusted workspace', async () => {
    const t = setup({ trusted: false });
    expect(await t.provider.resolveDebugConfigurationWithSubstitutedVariables(folder, launch())).toBeUndefined();
    expect(t.pick).not.toHaveBeenCalled();
    expect(t.started).toHaveLength(0);
    expect(mockVscode.window.showErrorMessage).toHaveBeenCalled();
  });

  it('skips attach requests and debugger child sessions', async () => {
    const t = setup();
    await t.provider.resolveDebugConfigurationWithSubstitutedVariables(folder, launch({ request: 'attach' }));
    await t.provider.resolveDebugConfigurationWithSubstitutedVariables(folder, launch({ __pendingTargetId: 'x' }));
    expect(t.pick).not.toHaveBeenCalled();
  });

  it('shows progress and cancelling the notification cancels the request', async () => {
    const t = setup({
      start: (_p, token, on) =>
        new Promise((_resolve, reject) => {
          on({ kind: 'report', message: 'creating the agent' });
          token.onCancellationRequested(() => reject(Object.assign(new Error('cancelled'), { code: -32800 })));
        }),
    });
    const result = t.provider.resolveDebugConfigurationWithSubstitutedVariables(folder, launch());
    await new Promise((r) => setTimeout(r, 0));
    expect(mockVscode.progressReports).toContainEqual({ message: 'creating the agent' });
    mockVscode.progressCancel.current?.cancel();
    expect(await result).toBeUndefined();
    expect(mockVscode.window.showErrorMessage).not.toHaveBeenCalled();
  });

  it('reports a failed start and cancels the launch', async () => {
    const t = setup({ start: () => Promise.reject(Object.assign(new Error('x'), { data: { kind: 'forbidden', message: 'cannot create pods in shop' } })) });
    expect(await t.provider.resolveDebugConfigurationWithSubstitutedVariables(folder, launch())).toBeUndefined();
    expect(mockVscode.window.showErrorMessage).toHaveBeenCalledWith(expect.stringContaining('cannot create pods in shop'));
  });

  it('stops the new session when VS Code gave up on the launch meanwhile, and tracks it as pending otherwise', async () => {
    const cts = new mockVscode.CancellationTokenSource();
    const t = setup({
      start: () => {
        cts.cancel();
        return Promise.resolve(session('s-9', {}));
      },
    });
    const r = await t.provider.resolveDebugConfigurationWithSubstitutedVariables(folder, launch(), cts.token);
    expect(r).toBeUndefined();
    expect(t.stopped).toEqual(['s-9']);
    expect(t.sessions.size).toBe(0);
    const ok = setup();
    await ok.provider.resolveDebugConfigurationWithSubstitutedVariables(folder, launch());
    expect(ok.sessions.phase('s-1')).toBe('pending');
    await ok.sessions.stopAll();
  });

  it('stops the session once when the debug session (and its child) ends', async () => {
    const t = setup();
    const r = await t.provider.resolveDebugConfigurationWithSubstitutedVariables(folder, launch());
    await t.sessions.onTerminated({ ...r });
    await t.sessions.onTerminated({ ...r });
    await t.sessions.onTerminated({ type: 'node' });
    expect(t.stopped).toEqual(['s-1']);
    expect(t.onChange).toHaveBeenLastCalledWith(undefined);
  });

  it('applies the session: its env in, the envToUnset names out (also from what the debuggee inherits), and announces it', async () => {
    const result: StartSessionResult = {
      ...session('s-2', { FROM_CLI: 'yes', DROP_ME: 'x' }),
      agent: null,
      engine: 'mirrord-cli',
      capabilities: { env: 'process', incoming: 'mirror', outgoing: true, files: true },
      cli: { path: '/usr/local/bin/mirrord', version: '3.160.0' },
      envToUnset: ['DROP_ME', 'LOCAL_SECRET', 'INHERITED'],
      warnings: ['agent image is old'],
    };
    const t = setup({ start: () => Promise.resolve(result) });
    const r = await t.provider.resolveDebugConfigurationWithSubstitutedVariables(folder, launch({ env: { LOCAL: '1', LOCAL_SECRET: 's' } }));
    // js-debug removes a variable given as null, inherited ones included.
    expect(r?.env).toEqual({ LOCAL: '1', FROM_CLI: 'yes', DROP_ME: null, LOCAL_SECRET: null, INHERITED: null });
    expect(t.announce).toHaveBeenCalledWith(result);
    expect(t.onChange).toHaveBeenLastCalledWith({ sessionId: 's-2', target: 'pod/web-1', namespace: 'shop', engine: 'mirrord-cli' });
  });

  it('takes unset names out of environment arrays for debuggers that have no null', async () => {
    const t = setup({ start: () => Promise.resolve({ ...session('s-3', { A: 'remote' }), envToUnset: ['B'] }) });
    const r = await t.provider.resolveDebugConfigurationWithSubstitutedVariables(
      folder,
      launch({ type: 'cppdbg', environment: [{ name: 'B', value: 'local' }, { name: 'C', value: 'c' }] }),
    );
    expect(r?.environment).toEqual([{ name: 'C', value: 'c' }, { name: 'A', value: 'remote' }]);
    expect(r?.env).toBeUndefined();
  });
});
