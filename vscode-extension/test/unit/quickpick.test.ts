import { afterEach, describe, expect, it, vi } from 'vitest';
// The same module instance the code under test gets as `vscode`.
import * as mockVscode from '../__mocks__/vscode';
import type { MirrordApi } from '../../src/common/api';
import type { TargetPickerItemsParams, TargetPickerItemsResult } from '../../src/common/protocol';
import { pickTarget, type EntryItem } from '../../src/picker/quickpick';

type FakeQP = mockVscode.FakeQuickPick<EntryItem>;
const mock = mockVscode as unknown as { quickPicks: FakeQP[]; window: { showWarningMessage: ReturnType<typeof vi.fn> } };

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const items = (ns: string): TargetPickerItemsResult => ({
  namespace: ns,
  skipDialog: false,
  preselected: null,
  items: [
    { label: 'No Target ("targetless")', kind: 'targetless', path: null },
    { label: `deployment/web`, kind: 'target', path: 'deployment/web', namespace: ns, available: true },
    { label: `pod/web-1/container/app`, kind: 'target', path: 'pod/web-1/container/app', namespace: ns, available: true },
    { label: `pod/web-2`, kind: 'target', path: 'pod/web-2', namespace: ns, available: false, detail: 'pod is Pending' },
    { label: 'payments', kind: 'namespace', namespace: 'payments' },
  ],
});

function fakeApi(impl: (p: TargetPickerItemsParams) => Promise<TargetPickerItemsResult>): MirrordApi & { calls: TargetPickerItemsParams[] } {
  const calls: TargetPickerItemsParams[] = [];
  return {
    calls,
    targetPickerItems: (p) => {
      calls.push(p);
      return impl(p);
    },
    listNamespaces: () => Promise.resolve({ namespaces: ['default', 'payments', 'shop'], current: 'default' }),
    startSession: vi.fn(),
    stopSession: vi.fn(),
    setTarget: vi.fn(),
  };
}

const flush = () => new Promise((r) => setTimeout(r, 0));
const lastPicker = () => mock.quickPicks[mock.quickPicks.length - 1];
const row = (qp: FakeQP, label: string) => {
  const item = qp.items.find((i) => i.label.includes(label) && i.entry.type !== 'separator');
  if (!item) {
    throw new Error(`no row ${label} in ${qp.items.map((i) => i.label).join(', ')}`);
  }
  return item;
};

afterEach(() => {
  mock.quickPicks.length = 0;
  vi.clearAllMocks();
});

describe('target picker', () => {
  it('shows at once, busy, with Recent and targetless while loading, then the targets', async () => {
    const answer = deferred<TargetPickerItemsResult>();
    const api = fakeApi(() => answer.promise);
    const picked = pickTarget({ api, recent: { context: '', namespace: 'default', target: 'pod/web-1/container/app' } });
    await new Promise((r) => setTimeout(r, 200));
    const qp = lastPicker();
    expect(qp.visible).toBe(true);
    expect(qp.busy).toBe(true);
    expect(qp.items.map((i) => i.label)).toEqual(['Recent', 'pod/web-1/container/app', '$(warning) Loading targets…', 'Other', 'No Target ("targetless")']);
    answer.resolve(items('default'));
    await flush();
    expect(qp.busy).toBe(false);
    expect(qp.items.map((i) => i.label)).toContain('deployment/web');
    expect(qp.activeItems[0].label).toBe('pod/web-1/container/app');
    qp.pick(row(qp, 'deployment/web'));
    await expect(picked).resolves.toEqual({ target: 'deployment/web', namespace: 'default' });
    expect(qp.disposed).toBe(true);
  });

  it('Esc cancels: resolves undefined, never targetless', async () => {
    const api = fakeApi(() => Promise.resolve(items('default')));
    const picked = pickTarget({ api });
    await flush();
    await flush();
    lastPicker().escape();
    await expect(picked).resolves.toBeUndefined();
  });

  it('targetless is an explicit choice', async () => {
    const api = fakeApi(() => Promise.resolve(items('shop')));
    const picked = pickTarget({ api });
    await flush();
    const qp = lastPicker();
    qp.pick(row(qp, 'No Target'));
    await expect(picked).resolves.toEqual({ target: null, namespace: 'shop' });
  });

  it('an unavailable target shows why and keeps the picker open', async () => {
    const api = fakeApi(() => Promise.resolve(items('default')));
    const picked = pickTarget({ api });
    await flush();
    const qp = lastPicker();
    qp.pick(row(qp, 'pod/web-2'));
    expect(mock.window.showWarningMessage).toHaveBeenCalledWith(expect.stringContaining('pod is Pending'));
    expect(qp.disposed).toBe(false);
    qp.escape();
    await expect(picked).resolves.toBeUndefined();
  });

  it('switches namespace from a namespace row and from the namespace button', async () => {
    const api = fakeApi((p) => Promise.resolve(items(p.namespace ?? 'default')));
    const picked = pickTarget({ api });
    await flush();
    const qp = lastPicker();
    qp.pick(row(qp, 'payments'));
    await flush();
    expect(api.calls[1]).toMatchObject({ namespace: 'payments', allNamespaces: false });
    expect(qp.title).toContain('payments');
    // The namespace button lists namespaces in the same picker.
    qp.pressButton(qp.buttons[1]);
    await flush();
    expect(qp.items.map((i) => i.label)).toEqual(['$(symbol-namespace) default', '$(symbol-namespace) payments', '$(symbol-namespace) shop']);
    qp.pick(row(qp, 'shop'));
    await flush();
    expect(api.calls[2]).toMatchObject({ namespace: 'shop' });
    qp.pick(row(qp, 'deployment/web'));
    await expect(picked).resolves.toEqual({ target: 'deployment/web', namespace: 'shop' });
  });

  it('toggles all namespaces and refreshes while keeping the shown rows', async () => {
    let answer = deferred<TargetPickerItemsResult>();
    const api = fakeApi(() => answer.promise);
    const picked = pickTarget({ api });
    answer.resolve(items('default'));
    await flush();
    const qp = lastPicker();
    answer = deferred();
    qp.pressButton(qp.buttons[2]);
    expect(api.calls[1]).toMatchObject({ allNamespaces: true });
    expect(qp.busy).toBe(true);
    expect(qp.items.map((i) => i.label)).toContain('deployment/web');
    answer.resolve(items(''));
    await flush();
    expect(qp.busy).toBe(false);
    answer = deferred();
    qp.pressButton(qp.buttons[0]);
    expect(api.calls).toHaveLength(3);
    answer.reject(Object.assign(new Error('x'), { data: { kind: 'unreachable', message: 'cluster unreachable', hint: 'is the VPN up?' } }));
    await flush();
    const labels = qp.items.map((i) => i.label);
    expect(labels).toContain('$(warning) Could not list targets: cluster unreachable (is the VPN up?)');
    expect(labels).toContain('deployment/web');
    qp.escape();
    await picked;
  });

  it('skips the dialog when the config already names the target', async () => {
    const api = fakeApi(() => Promise.resolve({ ...items('shop'), skipDialog: true, preselected: 'deployment/api' }));
    await expect(pickTarget({ api, honourSkipDialog: true })).resolves.toEqual({ target: 'deployment/api', namespace: 'shop', fromConfig: true });
    expect(lastPicker().visible).toBe(false);
  });

  it('saves a row into the config through its item button', async () => {
    const api = fakeApi(() => Promise.resolve(items('default')));
    const onSave = vi.fn(() => Promise.resolve());
    const picked = pickTarget({ api, onSave });
    await flush();
    const qp = lastPicker();
    const target = row(qp, 'pod/web-1');
    qp.pressItemButton(target, target.buttons?.[0]);
    await flush();
    expect(onSave).toHaveBeenCalledWith({ target: 'pod/web-1/container/app', namespace: 'default' });
    expect(qp.disposed).toBe(false);
    qp.escape();
    await picked;
  });
  it('shows a stale listing busy as "refreshing" until the live one replaces it', async () => {
    const live = deferred<TargetPickerItemsResult>();
    const api = fakeApi((p) =>
      p.allowStale === true ? Promise.resolve({ ...items('default'), stale: true }) : live.promise,
    );
    void pickTarget({ api });
    await flush();
    await flush();
    const qp = lastPicker();
    expect(api.calls[0].allowStale).toBe(true);
    expect(api.calls).toHaveLength(2);
    expect(api.calls[1].allowStale).toBeUndefined();
    expect(qp.items.map((i) => i.label)).toContain('deployment/web');
    expect(qp.busy).toBe(true);
    expect(qp.title).toContain('refreshing');
    const fresh = items('default');
    fresh.items = fresh.items.filter((i) => i.path !== 'deployment/web');
    live.resolve(fresh);
    await flush();
    expect(qp.busy).toBe(false);
    expect(qp.title).not.toContain('refreshing');
    expect(qp.items.map((i) => i.label)).not.toContain('deployment/web');
  });
});
