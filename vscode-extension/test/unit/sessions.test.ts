import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { MirrordApi } from '../../src/common/api';
import { SESSION_KEY, SessionTracker } from '../../src/debug/sessions';
import { createStartWatchFactory } from '../../src/debug/startWatch';

const TIMEOUT = 60_000;

function setup(opts: { busy?: () => boolean; failStop?: boolean } = {}) {
  const stopped: string[] = [];
  const logs: string[] = [];
  const api = {
    stopSession: vi.fn((id: string) => {
      stopped.push(id);
      return opts.failStop ? Promise.reject(new Error('server gone')) : Promise.resolve({ stopped: true });
    }),
  } as unknown as MirrordApi;
  const onChange = vi.fn();
  const tracker = new SessionTracker(() => Promise.resolve(api), (m) => logs.push(m), onChange, {
    startTimeoutMs: TIMEOUT,
    isBusy: opts.busy,
  });
  return { tracker, stopped, logs, onChange };
}

const config = (id: string, extra: Record<string, unknown> = {}) => ({ type: 'node', request: 'launch', name: 'Run app', [SESSION_KEY]: id, ...extra });
const add = (t: SessionTracker, id: string) => t.add({ sessionId: id, target: `pod/${id}`, namespace: 'shop' });
/** Lets the stop's awaited promises settle. */
const settle = () => vi.advanceTimersByTimeAsync(0);

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('session tracker', () => {
  it('stops a session when no debug session starts with it in time', async () => {
    const t = setup();
    add(t.tracker, 's-1');
    await vi.advanceTimersByTimeAsync(TIMEOUT - 1);
    expect(t.stopped).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(t.stopped).toEqual(['s-1']);
    expect(t.tracker.size).toBe(0);
    expect(t.onChange).toHaveBeenLastCalledWith(undefined);
    expect(t.logs.join('\n')).toContain('no debug session started with mirrord session s-1');
  });

  it('keeps a session whose debug session started, and stops it when that ends', async () => {
    const t = setup();
    add(t.tracker, 's-1');
    t.tracker.onAdapterStarting(config('s-1'));
    t.tracker.onStarted(config('s-1'));
    expect(t.tracker.phase('s-1')).toBe('running');
    await vi.advanceTimersByTimeAsync(TIMEOUT * 5);
    expect(t.stopped).toEqual([]);
    await t.tracker.onTerminated(config('s-1'));
    await t.tracker.onTerminated(config('s-1'));
    expect(t.stopped).toEqual(['s-1']);
  });

  it('waits while a task (a preLaunchTask build) runs, then gives up', async () => {
    let busy = true;
    const t = setup({ busy: () => busy });
    add(t.tracker, 's-1');
    await vi.advanceTimersByTimeAsync(TIMEOUT * 3);
    expect(t.stopped).toEqual([]);
    busy = false;
    await vi.advanceTimersByTimeAsync(TIMEOUT);
    expect(t.stopped).toEqual(['s-1']);
  });

  it('once the adapter is starting, waits for it instead of a clock', async () => {
    const t = setup();
    add(t.tracker, 's-1');
    t.tracker.onAdapterStarting(config('s-1'));
    expect(t.tracker.phase('s-1')).toBe('launching');
    await vi.advanceTimersByTimeAsync(TIMEOUT * 2);
    expect(t.stopped).toEqual([]);
    await t.tracker.onStartFailed(config('s-1'), 'the debug adapter exited (code 1)');
    expect(t.stopped).toEqual(['s-1']);
    expect(t.logs.join('\n')).toContain('did not start (the debug adapter exited (code 1))');
  });

  it('ignores start failures of a running session and of unrelated launches', async () => {
    const t = setup();
    add(t.tracker, 's-1');
    t.tracker.onStarted(config('s-1'));
    await t.tracker.onStartFailed(config('s-1'), 'child adapter exited');
    await t.tracker.onStartFailed({ type: 'node' }, 'x');
    await t.tracker.onStartFailed(config('other'), 'x');
    expect(t.stopped).toEqual([]);
    expect(t.tracker.size).toBe(1);
  });

  it('stopAll stops every session, pending or running, and cancels their timers', async () => {
    const t = setup();
    add(t.tracker, 's-1');
    add(t.tracker, 's-2');
    t.tracker.onStarted(config('s-2'));
    await t.tracker.stopAll();
    expect(t.stopped.sort()).toEqual(['s-1', 's-2']);
    await vi.advanceTimersByTimeAsync(TIMEOUT * 2);
    expect(t.stopped).toHaveLength(2);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a failing stop is logged, not thrown', async () => {
    const t = setup({ failStop: true });
    add(t.tracker, 's-1');
    await expect(t.tracker.stopAll()).resolves.toBeUndefined();
    await settle();
    expect(t.logs.join('\n')).toContain('stopping mirrord session s-1 failed: server gone');
  });
});

describe('debug adapter start watch', () => {
  type Tracker = {
    onWillStartSession?(): void;
    onDidSendMessage?(m: unknown): void;
    onError?(e: Error): void;
    onExit?(code: number | undefined, signal: string | undefined): void;
  };
  const watch = (t: SessionTracker, configuration: Record<string, unknown>) =>
    createStartWatchFactory(t).createDebugAdapterTracker({ configuration } as never) as Tracker | undefined;

  it('does not watch launches without a mirrord session', () => {
    expect(watch(setup().tracker, { type: 'node', request: 'launch', name: 'x' })).toBeUndefined();
  });

  it('a refused launch stops the session', async () => {
    const t = setup();
    add(t.tracker, 's-1');
    const w = watch(t.tracker, config('s-1'))!;
    w.onWillStartSession?.();
    w.onDidSendMessage?.({ type: 'response', command: 'initialize', success: true });
    w.onDidSendMessage?.({ type: 'response', command: 'setBreakpoints', success: false, message: 'no' });
    expect(t.stopped).toEqual([]);
    w.onDidSendMessage?.({ type: 'response', command: 'launch', success: false, message: 'Cannot find program app.js' });
    await settle();
    expect(t.stopped).toEqual(['s-1']);
    expect(t.logs.join('\n')).toContain('Cannot find program app.js');
  });

  it('reports the detailed error of a refused start', async () => {
    const t = setup();
    add(t.tracker, 's-1');
    watch(t.tracker, config('s-1'))!.onDidSendMessage?.({
      type: 'response',
      command: 'launch',
      success: false,
      message: '',
      body: { error: { id: 9, format: "Can't find Node.js binary {path}", variables: { path: '"/nonexistent/node"' } } },
    });
    await settle();
    expect(t.stopped).toEqual(['s-1']);
    expect(t.logs.join('\n')).toContain('refused "launch": Can\'t find Node.js binary "/nonexistent/node"');
  });

  it('an adapter that cannot be spawned or exits before the session starts stops it', async () => {
    const t = setup();
    add(t.tracker, 's-1');
    add(t.tracker, 's-2');
    watch(t.tracker, config('s-1'))!.onError?.(new Error('spawn debugpy ENOENT'));
    watch(t.tracker, config('s-2'))!.onExit?.(undefined, 'SIGKILL');
    await settle();
    expect(t.stopped.sort()).toEqual(['s-1', 's-2']);
  });

  it('leaves a running session to the end of its debug session', async () => {
    const t = setup();
    add(t.tracker, 's-1');
    const w = watch(t.tracker, config('s-1'))!;
    w.onWillStartSession?.();
    t.tracker.onStarted(config('s-1'));
    w.onError?.(new Error('transient'));
    await settle();
    expect(t.stopped).toEqual([]);
  });
});

describe('sessions the server ended', () => {
  it('marks the session ended, reports it once, and never asks the server to stop it', async () => {
    const t = setup();
    t.tracker.add({ sessionId: 's-1', target: 'pod/a', namespace: 'shop', engine: 'builtin' });
    t.tracker.onStarted(config('s-1'));
    const ended = t.tracker.ended({ sessionId: 's-1', reason: 'agent-exited', message: 'agent pod deleted' });
    expect(ended).toEqual({ sessionId: 's-1', target: 'pod/a', namespace: 'shop', engine: 'builtin', ended: { reason: 'agent-exited', message: 'agent pod deleted' } });
    expect(t.onChange).toHaveBeenLastCalledWith(ended);
    expect(t.tracker.ended({ sessionId: 's-1', reason: 'agent-exited', message: 'again' })).toBeUndefined();
    expect(t.tracker.ended({ sessionId: 'unknown', reason: 'stopped', message: '' })).toBeUndefined();
    await t.tracker.onTerminated(config('s-1'));
    await settle();
    expect(t.stopped).toEqual([]);
    expect(t.tracker.size).toBe(0);
    expect(t.onChange).toHaveBeenLastCalledWith(undefined);
  });
});
