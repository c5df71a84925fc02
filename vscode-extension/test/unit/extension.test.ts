import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as mockVscode from '../__mocks__/vscode';

// A language client that answers the mirrord requests and records what it was sent.
const clients: FakeClient[] = [];
/** While set, a starting client waits for it (a slow server start). */
let startGate: Promise<void> | undefined;
class FakeClient {
  state = 2; // Running
  requests: Array<[string, unknown]> = [];
  stopped = false;
  constructor() {
    clients.push(this);
  }
  start = vi.fn(() => startGate ?? Promise.resolve());
  stop = vi.fn(() => {
    this.stopped = true;
    this.state = 1;
    return Promise.resolve();
  });
  dispose = vi.fn(() => Promise.resolve());
  onDidChangeState = vi.fn(() => ({ dispose: vi.fn() }));
  onProgress = vi.fn(() => ({ dispose: vi.fn() }));
  notificationHandlers = new Map<string, (params: unknown) => void>();
  onNotification = vi.fn((method: string, handler: (params: unknown) => void) => {
    this.notificationHandlers.set(method, handler);
    return { dispose: vi.fn() };
  });
  sendNotification = vi.fn((_method: string, _params?: unknown) => Promise.resolve());
  sendRequest = vi.fn((method: string, params: { sessionId?: string; target?: string }) => {
    if (this.stopped) {
      return Promise.reject(new Error('client is stopped'));
    }
    this.requests.push([method, params]);
    if (method === 'mirrord/startSession') {
      const n = this.requests.filter(([m]) => m === method).length;
      return Promise.resolve({
        sessionId: `s-${n}`,
        target: params.target ?? 'pod/greeter',
        namespace: 'default',
        agent: { pod: 'mirrord-agent-x', namespace: 'default', node: null, port: 1, localAddress: '127.0.0.1:1' },
        env: { GREETING: 'hello' },
        engine: 'builtin',
        capabilities: { env: 'spec', incoming: 'off', outgoing: false, files: false },
        envToUnset: [],
        warnings: [],
      });
    }
    if (method === 'mirrord/stopSession') {
      return Promise.resolve({ stopped: true });
    }
    return Promise.reject(new Error(`unexpected ${method}`));
  });
}

vi.mock('vscode-languageclient/node', () => ({
  LanguageClient: vi.fn(function () {
    return new FakeClient();
  }),
  WorkDoneProgress: { type: {} },
  State: { Stopped: 1, Running: 2, Starting: 3 },
}));

const memento = () => {
  const data = new Map<string, unknown>();
  return { get: (k: string) => data.get(k), update: (k: string, v: unknown) => Promise.resolve(void data.set(k, v)) };
};

function context() {
  return {
    subscriptions: [] as Array<{ dispose(): unknown }>,
    workspaceState: memento(),
    globalState: memento(),
    extensionPath: '/nonexistent',
    globalStorageUri: mockVscode.Uri.file('/tmp/mirrord-test-storage'),
  };
}

const flush = () => new Promise((r) => setTimeout(r, 0));
const requestsOf = (method: string) => clients.flatMap((c) => c.requests.filter(([m]) => m === method).map(([, p]) => p));

type Provider = { resolveDebugConfigurationWithSubstitutedVariables(folder: unknown, config: Record<string, unknown>): Promise<Record<string, unknown> | undefined> };
type Tracker = { onWillStartSession?(): void; onExit?(code: number | undefined, signal: string | undefined): void };
type Factory = { createDebugAdapterTracker(session: { configuration: unknown }): Tracker | undefined };

async function activated() {
  const ext = await import('../../src/extension');
  // An installed server: the client starts it directly.
  mockVscode.__setConfig({ 'mirrord.server.path': process.execPath, 'mirrord.enabled': true });
  ext.activate(context() as never);
  await flush();
  const provider = mockVscode.debug.registerDebugConfigurationProvider.mock.calls[0][1] as Provider;
  const factory = mockVscode.debug.registerDebugAdapterTrackerFactory.mock.calls[0][1] as Factory;
  const onStart = mockVscode.debug.onDidStartDebugSession.mock.calls[0][0];
  const onConfig = mockVscode.workspace.onDidChangeConfiguration.mock.calls[0][0];
  // A launch naming its target skips the picker.
  const launch = () =>
    provider.resolveDebugConfigurationWithSubstitutedVariables(undefined, {
      type: 'node',
      request: 'launch',
      name: 'Run app',
      env: { MIRRORD_IMPERSONATED_TARGET: 'pod/greeter' },
    });
  const statusItem = mockVscode.window.createStatusBarItem.mock.results[0].value as { text: string; tooltip: string };
  return { ext, provider, factory, onStart, onConfig, launch, statusItem };
}

beforeEach(() => {
  clients.length = 0;
  startGate = undefined;
  vi.clearAllMocks();
});

afterEach(async () => {
  const { deactivate } = await import('../../src/extension');
  await deactivate();
  mockVscode.__setConfig({});
});

describe('activate', () => {
  it('registers every contributed command, the debug hook and its watchers', async () => {
    await activated();
    const registered = mockVscode.commands.registerCommand.mock.calls.map((c) => c[0]);
    const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'));
    const contributed = manifest.contributes.commands.map((c: { command: string }) => c.command);
    expect(registered.sort()).toEqual([...contributed].sort());
    expect(mockVscode.debug.registerDebugConfigurationProvider).toHaveBeenCalledWith('*', expect.anything());
    expect(mockVscode.debug.registerDebugAdapterTrackerFactory).toHaveBeenCalledWith('*', expect.anything());
    expect(mockVscode.debug.onDidStartDebugSession).toHaveBeenCalled();
    expect(mockVscode.debug.onDidTerminateDebugSession).toHaveBeenCalled();
  });

  it('restarts the language client when a server, kubeconfig or context setting changes', async () => {
    const { onConfig } = await activated();
    expect(clients).toHaveLength(1);
    onConfig(mockVscode.__configChange('mirrord.enabled', 'editor.fontSize'));
    await flush();
    expect(clients).toHaveLength(1);
    let expected = 1;
    for (const setting of ['mirrord.server.path', 'mirrord.server.python', 'mirrord.kubeconfig', 'mirrord.context']) {
      onConfig(mockVscode.__configChange(setting));
      await flush();
      await flush();
      expected += 1;
      expect(clients, setting).toHaveLength(expected);
      expect(clients[expected - 2].stop).toHaveBeenCalled();
      expect(clients[expected - 1].stopped).toBe(false);
    }
  });

  it('merges restarts asked for in a burst into one', async () => {
    const { onConfig } = await activated();
    onConfig(mockVscode.__configChange('mirrord.kubeconfig'));
    onConfig(mockVscode.__configChange('mirrord.context'));
    onConfig(mockVscode.__configChange('mirrord.server.path'));
    for (let i = 0; i < 5; i++) {
      await flush();
    }
    expect(clients).toHaveLength(2);
    expect(clients[1].stopped).toBe(false);
  });

  it('a change during a slow start replaces the server that read the old settings', async () => {
    let open = () => undefined as void;
    startGate = new Promise<void>((r) => (open = r));
    const { onConfig } = await activated();
    expect(clients).toHaveLength(1);
    onConfig(mockVscode.__configChange('mirrord.kubeconfig'));
    await flush();
    startGate = undefined;
    open();
    for (let i = 0; i < 5; i++) {
      await flush();
    }
    expect(clients).toHaveLength(2);
    expect(clients[0].stopped).toBe(true);
    expect(clients[1].stopped).toBe(false);
  });
});

describe('mirrord sessions of the window', () => {
  it('stops a session whose debug adapter exits before the debug session starts', async () => {
    const { factory, launch } = await activated();
    const config = await launch();
    expect(config?.env).toMatchObject({ GREETING: 'hello' });
    const tracker = factory.createDebugAdapterTracker({ configuration: config })!;
    tracker.onWillStartSession?.();
    tracker.onExit?.(1, undefined);
    await flush();
    expect(requestsOf('mirrord/stopSession')).toEqual([{ sessionId: 's-1' }]);
  });

  it('stops every session this window started on deactivate, before the server stops', async () => {
    const { ext, onStart, launch } = await activated();
    const running = await launch();
    onStart({ configuration: running });
    await launch(); // still pending
    await ext.deactivate();
    expect(requestsOf('mirrord/stopSession').map((p) => (p as { sessionId: string }).sessionId).sort()).toEqual(['s-1', 's-2']);
    expect(clients[0].stop).toHaveBeenCalled();
  });

  it('ends the sessions cleanly before a settings restart takes the server away', async () => {
    const { onConfig, onStart, launch } = await activated();
    onStart({ configuration: await launch() });
    onConfig(mockVscode.__configChange('mirrord.context'));
    await flush();
    await flush();
    expect(mockVscode.window.showWarningMessage).toHaveBeenCalledWith(expect.stringContaining('ends 1 running mirrord session'));
    expect(clients[0].requests.filter(([m]) => m === 'mirrord/stopSession')).toEqual([['mirrord/stopSession', { sessionId: 's-1' }]]);
    expect(clients).toHaveLength(2);
  });

  it('a stop never starts a server that is gone', async () => {
    const { ext, launch } = await activated();
    await launch();
    clients[0].state = 1; // the server died and the client gave up
    await ext.deactivate();
    expect(clients).toHaveLength(1);
  });

  it('shows the engine in the status bar and says once per workspace that no traffic is mirrored', async () => {
    const { onStart, launch, statusItem } = await activated();
    onStart({ configuration: await launch() });
    expect(statusItem.text).toBe('$(plug) mirrord: pod/greeter (built-in)');
    const notice = (mockVscode.window.showInformationMessage.mock.calls).filter((c) => String(c[0]).includes('no incoming traffic'));
    expect(notice).toHaveLength(1);
    expect(notice[0][0]).toContain('install mirrord or set mirrord.cliPath');
    await launch();
    expect((mockVscode.window.showInformationMessage.mock.calls).filter((c) => String(c[0]).includes('no incoming traffic'))).toHaveLength(1);
  });

  it('on mirrord/sessionEnded shows the reason and message, marks the status bar, and does not stop it again', async () => {
    const { onStart, launch, statusItem } = await activated();
    const config = await launch();
    onStart({ configuration: config });
    const handler = clients[0].notificationHandlers.get('mirrord/sessionEnded');
    expect(handler).toBeDefined();
    handler!({ sessionId: 's-1', reason: 'agent-exited', message: 'the agent pod mirrord-agent-x was deleted' });
    expect(mockVscode.window.showWarningMessage).toHaveBeenCalledWith(expect.stringMatching(/session on pod\/greeter ended \(the agent exited\): the agent pod mirrord-agent-x was deleted/));
    expect(statusItem.text).toBe('$(warning) mirrord: pod/greeter ended');
    expect(statusItem.tooltip).toContain('the agent pod mirrord-agent-x was deleted');
    // An unknown session (another window's) is only logged.
    handler!({ sessionId: 'other', reason: 'cli-exited', message: 'x' });
    expect(mockVscode.window.showWarningMessage).toHaveBeenCalledTimes(1);
    const { deactivate } = await import('../../src/extension');
    await deactivate();
    expect(requestsOf('mirrord/stopSession')).toEqual([]);
    expect(statusItem.text).toBe('$(plug) mirrord: on');
  });

  it('sends engine and cliPath in the initialization options and live, without a restart', async () => {
    mockVscode.__setConfig({ 'mirrord.engine': 'mirrord-cli', 'mirrord.cliPath': '/opt/mirrord/bin/mirrord' });
    const ext = await import('../../src/extension');
    mockVscode.__setConfig({
      'mirrord.server.path': process.execPath,
      'mirrord.engine': 'mirrord-cli',
      'mirrord.cliPath': '/opt/mirrord/bin/mirrord',
    });
    ext.activate(context() as never);
    await flush();
    const { LanguageClient } = await import('vscode-languageclient/node');
    const options = (LanguageClient as unknown as { mock: { calls: unknown[][] } }).mock.calls[0][3] as { initializationOptions: unknown };
    expect(options.initializationOptions).toEqual({ mirrord: { engine: 'mirrord-cli', cliPath: '/opt/mirrord/bin/mirrord' } });
    const onConfig = mockVscode.workspace.onDidChangeConfiguration.mock.calls[0][0];
    mockVscode.__setConfig({ 'mirrord.server.path': process.execPath, 'mirrord.engine': 'bogus', 'mirrord.cliPath': '' });
    onConfig(mockVscode.__configChange('mirrord.engine'));
    await flush();
    expect(clients).toHaveLength(1);
    expect(clients[0].sendNotification).toHaveBeenCalledWith('workspace/didChangeConfiguration', {
      settings: { mirrord: { engine: 'auto', cliPath: '' } },
    });
  });
});
