import { describe, expect, it } from 'vitest';
import { COMMAND_PALETTE, RecentStore, type StateStore } from '../../src/picker/recent';

function memento(): StateStore {
  const data = new Map<string, unknown>();
  return {
    get: <T>(k: string) => data.get(k) as T | undefined,
    update: (k, v) => {
      data.set(k, JSON.parse(JSON.stringify(v)));
      return Promise.resolve();
    },
  };
}

describe('RecentStore', () => {
  it('remembers context, namespace and target per launch configuration', async () => {
    const store = new RecentStore(memento());
    await store.set('API', { context: 'prod', namespace: 'shop', target: 'pod/a' });
    await store.set('Worker', { context: 'prod', namespace: 'payments', target: null });
    expect(store.get('API', 'prod')).toEqual({ context: 'prod', namespace: 'shop', target: 'pod/a' });
    expect(store.get('Worker', 'prod')).toEqual({ context: 'prod', namespace: 'payments', target: null });
  });

  it('does not offer a choice made in another kube context', async () => {
    const store = new RecentStore(memento());
    await store.set('API', { context: 'prod', namespace: 'shop', target: 'pod/a' });
    expect(store.get('API', 'staging')).toBeUndefined();
  });

  it('falls back to the last choice made from the command palette', async () => {
    const store = new RecentStore(memento());
    await store.set(COMMAND_PALETTE, { context: '', namespace: 'default', target: 'deployment/web' });
    expect(store.get('New launch', '')).toEqual({ context: '', namespace: 'default', target: 'deployment/web' });
    await store.set('New launch', { context: '', namespace: 'shop', target: 'pod/b' });
    expect(store.get('New launch', '')?.target).toBe('pod/b');
  });
});
