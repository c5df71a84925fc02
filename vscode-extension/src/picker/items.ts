// Pure: turns the server's picker items, the remembered choice and any error into the
// rows of the target picker (separators, descriptions, availability).
import { TARGETLESS_LABEL, type PickerItem, type TargetPickerItemsResult } from '../common/protocol';
import type { RecentChoice } from './recent';

export type Entry =
  | { type: 'separator'; label: string }
  | {
      type: 'target';
      label: string;
      description: string;
      detail?: string;
      path: string;
      namespace: string;
      available: boolean;
      reason?: string;
      recent: boolean;
    }
  | {
      type: 'targetless';
      label: string;
      description: string;
      namespace: string;
      recent: boolean;
      available: boolean;
      reason?: string;
    }
  // Without a namespace the row opens the namespace list (or the all-namespaces view).
  | { type: 'namespace'; label: string; description?: string; namespace?: string; allNamespaces?: boolean }
  | { type: 'message'; label: string; detail?: string };

const KIND_TITLES: Record<string, string> = {
  deployment: 'Deployments',
  rollout: 'Rollouts',
  statefulset: 'StatefulSets',
  cronjob: 'CronJobs',
  job: 'Jobs',
  pod: 'Pods',
  service: 'Services',
  replicaset: 'ReplicaSets',
};

/** The target type of a path: `deploy/x` → deployment. */
export function targetType(path: string): string {
  const t = path.split('/')[0];
  return t === 'deploy' ? 'deployment' : t;
}

export function containerOf(path: string): string | undefined {
  const idx = path.lastIndexOf('/container/');
  return idx >= 0 ? path.slice(idx + '/container/'.length) : undefined;
}

function describe(namespace: string, container: string | undefined, extra?: string): string {
  return [namespace, container ? `container ${container}` : undefined, extra].filter(Boolean).join(' · ');
}

export interface BuildOptions {
  result?: TargetPickerItemsResult;
  recent?: RecentChoice;
  // The namespace shown before the server answered.
  namespace?: string;
  error?: string;
  loading?: boolean;
}

export function buildEntries(opts: BuildOptions): Entry[] {
  const result = opts.result;
  const namespace = result?.namespace ?? opts.namespace ?? '';
  const targets = (result?.items ?? []).filter((i) => i.kind === 'target' && i.path);
  const entries: Entry[] = [];
  const recent = opts.recent;
  let recentPath: string | null | undefined;

  if (recent) {
    entries.push({ type: 'separator', label: 'Recent' });
    recentPath = recent.target;
    if (recent.target === null) {
      entries.push({
        type: 'targetless',
        label: TARGETLESS_LABEL,
        description: describe(recent.namespace, undefined, 'last used'),
        namespace: recent.namespace,
        recent: true,
        available: true,
      });
    } else {
      const listed = targets.find((t) => t.path === recent.target && (t.namespace ?? namespace) === recent.namespace);
      // Only a loaded list of the same namespace can tell that the target is gone.
      const gone = !!result && !listed && recent.namespace === namespace && !opts.error;
      const available = listed ? listed.available !== false : !gone;
      entries.push({
        type: 'target',
        label: recent.target,
        description: describe(recent.namespace, containerOf(recent.target), 'last used'),
        path: recent.target,
        namespace: recent.namespace,
        available,
        reason: listed?.reason ?? (gone ? `not found in namespace ${namespace} any more` : undefined),
        recent: true,
      });
    }
  }

  if (opts.error) {
    entries.push({ type: 'message', label: opts.error });
  }
  for (const m of (result?.items ?? []).filter((i) => i.kind === 'message')) {
    entries.push({ type: 'message', label: m.label, detail: m.detail ?? m.description });
  }

  let currentGroup: string | undefined;
  for (const item of targets) {
    const path = item.path as string;
    const itemNs = item.namespace ?? namespace;
    if (recentPath === path && recent?.namespace === itemNs) {
      continue;
    }
    const group = KIND_TITLES[targetType(path)] ?? 'Other targets';
    if (group !== currentGroup) {
      entries.push({ type: 'separator', label: group });
      currentGroup = group;
    }
    entries.push(targetEntry(item, path, itemNs));
  }
  if (opts.loading && !result && !opts.error) {
    entries.push({ type: 'message', label: 'Loading targets…' });
  }

  entries.push({ type: 'separator', label: 'Other' });
  if (!(recent && recent.target === null && recent.namespace === namespace)) {
    // The server may rule targetless out (e.g. with copy_target); say why.
    const server = result?.items.find((i) => i.kind === 'targetless');
    const available = server?.available !== false;
    entries.push({
      type: 'targetless',
      label: TARGETLESS_LABEL,
      description: describe(namespace, undefined, available ? 'run without a target' : 'unavailable'),
      namespace,
      recent: false,
      available,
      reason: available ? undefined : (server?.reason ?? server?.detail ?? 'not available with this config'),
    });
  }
  const namespaces = (result?.items ?? []).filter((i) => i.kind === 'namespace');
  if (namespaces.length) {
    entries.push({ type: 'separator', label: 'Namespaces' });
    for (const ns of namespaces) {
      entries.push({
        type: 'namespace',
        label: ns.label || (ns.namespace ? `Namespace ${ns.namespace}` : 'Other namespaces…'),
        description: ns.description,
        namespace: ns.namespace || undefined,
        allNamespaces: ns.allNamespaces === true ? true : undefined,
      });
    }
  }
  return entries;
}

function targetEntry(item: PickerItem, path: string, namespace: string): Entry {
  const available = item.available !== false;
  const container = item.container ?? containerOf(path);
  // Without a container in the path, the server's description names it.
  const serverParts = (item.description ?? '')
    .split(' · ')
    .filter((p) => p && p !== namespace && !p.startsWith('unavailable'));
  const parts = [namespace, ...(container ? [`container ${container}`] : serverParts)];
  if (!available) {
    parts.push('unavailable');
  }
  return {
    type: 'target',
    label: item.label || path,
    description: parts.join(' · '),
    detail: available ? item.detail : (item.reason ?? item.detail ?? 'not available'),
    path,
    namespace,
    available,
    reason: item.reason ?? (available ? undefined : item.detail),
    recent: false,
  };
}

/** The row to focus first: the remembered choice when present, else the first target. */
export function initialActive(entries: Entry[]): Entry | undefined {
  return (
    entries.find((e) => (e.type === 'target' || e.type === 'targetless') && e.recent) ??
    entries.find((e) => e.type === 'target' && e.available)
  );
}
