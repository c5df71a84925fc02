import { describe, expect, it } from 'vitest';
import { MirrordStatusBar, statusText } from '../../src/statusbar';
import type { StateStore } from '../../src/picker/recent';

describe('status bar', () => {
  it('shows off, on, the active target and a failed server', () => {
    expect(statusText(false, 'running').text).toBe('$(debug-disconnect) mirrord: off');
    expect(statusText(true, 'running').text).toBe('$(plug) mirrord: on');
    expect(statusText(true, 'starting').text).toBe('$(sync~spin) mirrord: on');
    expect(statusText(true, 'running', { target: 'pod/a', namespace: 'shop' })).toMatchObject({ text: '$(plug) mirrord: pod/a' });
    expect(statusText(true, 'running', { target: null, namespace: 'shop' }).text).toBe('$(plug) mirrord: targetless');
    expect(statusText(true, 'failed').text).toContain('server failed');
  });

  it('keeps the toggle in workspace state, so it survives a reload', async () => {
    const data = new Map<string, unknown>();
    const state: StateStore = { get: <T>(k: string) => data.get(k) as T, update: (k, v) => (data.set(k, v), Promise.resolve()) };
    const bar = new MirrordStatusBar(state, () => false);
    expect(bar.enabled).toBe(false);
    expect(await bar.toggle()).toBe(true);
    const reloaded = new MirrordStatusBar(state, () => false);
    expect(reloaded.enabled).toBe(true);
  });

  it('names the engine that ran the session, and says when the server ended it', () => {
    expect(statusText(true, 'running', { target: 'pod/a', namespace: 'shop', engine: 'mirrord-cli' }).text).toBe('$(plug) mirrord: pod/a (mirrord CLI)');
    const ended = statusText(true, 'running', { target: null, namespace: 'shop', engine: 'builtin', ended: { reason: 'connection-lost', message: 'no pong for 10 s' } });
    expect(ended.text).toBe('$(warning) mirrord: targetless ended');
    expect(ended.tooltip).toContain('no pong for 10 s');
  });
});
