import { describe, expect, it } from 'vitest';
import type { TargetPickerItemsResult } from '../../src/common/protocol';
import { buildEntries, initialActive, targetType } from '../../src/picker/items';

const result: TargetPickerItemsResult = {
  namespace: 'shop',
  skipDialog: false,
  preselected: null,
  items: [
    { label: 'No Target ("targetless")', kind: 'targetless', path: null },
    { label: 'Deployments', kind: 'separator' },
    { label: 'deployment/cart/container/app', kind: 'target', path: 'deployment/cart/container/app', namespace: 'shop', available: true },
    { label: 'Pods', kind: 'separator' },
    { label: 'pod/cart-1/container/app', kind: 'target', path: 'pod/cart-1/container/app', namespace: 'shop', available: true },
    { label: 'pod/solo', kind: 'target', path: 'pod/solo', namespace: 'shop', available: true, description: 'container main' },
    { label: 'pod/cart-2/container/app', kind: 'target', path: 'pod/cart-2/container/app', namespace: 'shop', available: false, detail: 'pod is Pending' },
    { label: 'Namespaces', kind: 'separator' },
    { label: 'All namespaces', kind: 'namespace', allNamespaces: true },
    { label: 'payments', kind: 'namespace', namespace: 'payments' },
  ],
};

const labels = (entries: ReturnType<typeof buildEntries>) => entries.map((e) => `${e.type}:${e.label}`);

describe('buildEntries', () => {
  it('groups targets under their own separators in server order, targetless once', () => {
    const entries = buildEntries({ result });
    expect(labels(entries)).toEqual([
      'separator:Deployments',
      'target:deployment/cart/container/app',
      'separator:Pods',
      'target:pod/cart-1/container/app',
      'target:pod/solo',
      'target:pod/cart-2/container/app',
      'separator:Other',
      'targetless:No Target ("targetless")',
      'separator:Namespaces',
      'namespace:All namespaces',
      'namespace:payments',
    ]);
    expect(entries.filter((e) => e.type === 'targetless')).toHaveLength(1);
  });

  it('describes namespace and container, and unavailable targets with their reason', () => {
    const entries = buildEntries({ result });
    const cart1 = entries.find((e) => e.label === 'pod/cart-1/container/app');
    expect(cart1).toMatchObject({ description: 'shop · container app', available: true });
    const cart2 = entries.find((e) => e.label === 'pod/cart-2/container/app');
    expect(cart2).toMatchObject({ available: false, reason: 'pod is Pending', description: 'shop · container app · unavailable' });
    expect(entries.find((e) => e.label === 'pod/solo')).toMatchObject({ description: 'shop · container main' });
  });

  it('puts the remembered choice first under Recent and does not repeat it', () => {
    const entries = buildEntries({ result, recent: { context: '', namespace: 'shop', target: 'pod/cart-1/container/app' } });
    expect(labels(entries).slice(0, 2)).toEqual(['separator:Recent', 'target:pod/cart-1/container/app']);
    expect(entries.filter((e) => e.label === 'pod/cart-1/container/app')).toHaveLength(1);
    expect(entries[1]).toMatchObject({ recent: true, description: 'shop · container app · last used' });
    expect(initialActive(entries)).toBe(entries[1]);
  });

  it('marks a remembered target that is gone from its namespace as unavailable', () => {
    const entries = buildEntries({ result, recent: { context: '', namespace: 'shop', target: 'pod/old-9/container/app' } });
    expect(entries[1]).toMatchObject({ type: 'target', available: false, reason: 'not found in namespace shop any more' });
    // It stays unknown, not gone, while the list is loading.
    const loading = buildEntries({ recent: { context: '', namespace: 'shop', target: 'pod/old-9/container/app' }, loading: true });
    expect(loading[1]).toMatchObject({ available: true });
  });

  it('offers a remembered targetless choice first and not twice', () => {
    const entries = buildEntries({ result, recent: { context: '', namespace: 'shop', target: null } });
    expect(labels(entries).slice(0, 2)).toEqual(['separator:Recent', 'targetless:No Target ("targetless")']);
    expect(entries.filter((e) => e.type === 'targetless')).toHaveLength(1);
  });

  it('shows errors and server messages as rows, keeping targetless', () => {
    const entries = buildEntries({
      error: 'Could not list targets: cluster unreachable',
      result: { namespace: 'x', skipDialog: false, items: [{ label: 'namespace x not found', kind: 'message' }] },
    });
    expect(labels(entries)).toEqual([
      'message:Could not list targets: cluster unreachable',
      'message:namespace x not found',
      'separator:Other',
      'targetless:No Target ("targetless")',
    ]);
  });

  it('shows a loading row and the targetless choice before the server answers', () => {
    expect(labels(buildEntries({ loading: true, namespace: 'default' }))).toEqual([
      'message:Loading targets…',
      'separator:Other',
      'targetless:No Target ("targetless")',
    ]);
  });

  it('keeps the namespace of each target in the all-namespaces view', () => {
    const entries = buildEntries({
      result: {
        namespace: '',
        skipDialog: false,
        items: [
          { label: 'pod/a', kind: 'target', path: 'pod/a', namespace: 'shop' },
          { label: 'pod/b', kind: 'target', path: 'pod/b', namespace: 'payments' },
        ],
      },
    });
    expect(entries.filter((e) => e.type === 'target').map((e) => e.description)).toEqual(['shop', 'payments']);
  });

  it('passes on why targetless is ruled out', () => {
    const entries = buildEntries({
      result: { namespace: 'a', skipDialog: false, items: [{ label: 'x', kind: 'targetless', available: false, detail: 'copy_target needs a target' }] },
    });
    expect(entries.find((e) => e.type === 'targetless')).toMatchObject({ available: false, reason: 'copy_target needs a target' });
  });

  it('knows the deploy alias', () => {
    expect(targetType('deploy/x')).toBe('deployment');
    expect(targetType('rollout/x/container/y')).toBe('rollout');
  });
});
