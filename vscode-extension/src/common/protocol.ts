// Types of the `mirrord/*` requests, as the server's contract defines them.

export type TargetKind = 'pod' | 'deployment' | 'rollout' | 'statefulset' | 'job' | 'cronjob';

export interface Target {
  path: string;
  kind: TargetKind;
  name: string;
  namespace: string;
  container: string | null;
  available: boolean;
  reason?: string;
}

export type PickerItemKind = 'target' | 'targetless' | 'namespace' | 'separator' | 'message';

export interface PickerItem {
  label: string;
  description?: string;
  detail?: string;
  kind: PickerItemKind;
  path?: string | null;
  namespace?: string;
  // Not in every server version: availability of a target and why not.
  available?: boolean;
  reason?: string;
  container?: string | null;
  // On a namespace item: switches to the all-namespaces view.
  allNamespaces?: boolean;
}

export interface TargetPickerItemsParams {
  configUri?: string;
  namespace?: string;
  allNamespaces?: boolean;
  filter?: string;
}

export interface TargetPickerItemsResult {
  namespace: string;
  skipDialog: boolean;
  preselected?: string | null;
  items: PickerItem[];
}

export interface ListNamespacesResult {
  namespaces: string[];
  current: string;
}

export interface StartSessionParams {
  configUri?: string;
  target?: string | null;
  namespace?: string;
  agentNamespace?: string;
  env?: Record<string, string>;
  debugType?: string;
  workDoneToken?: string;
}

export interface StartSessionResult {
  sessionId: string;
  target: string | null;
  namespace: string;
  agent: { pod: string; namespace: string; node: string | null; port: number; localAddress: string };
  env: Record<string, string>;
}

export interface StopSessionResult {
  stopped: boolean;
}

export type ErrorKind =
  | 'unreachable'
  | 'unauthorized'
  | 'forbidden'
  | 'not-found'
  | 'invalid-config'
  | 'timeout'
  | 'conflict';

export interface ErrorData {
  kind: ErrorKind;
  message: string;
  hint?: string;
}

export const TARGETLESS_LABEL = 'No Target ("targetless")';

/** A readable message from a failed request: the server's message and hint when present. */
export function describeError(err: unknown): string {
  if (err && typeof err === 'object') {
    const data = (err as { data?: unknown }).data;
    if (data && typeof data === 'object' && typeof (data as ErrorData).message === 'string') {
      const d = data as ErrorData;
      return d.hint ? `${d.message} (${d.hint})` : d.message;
    }
    const message = (err as { message?: unknown }).message;
    if (typeof message === 'string' && message) {
      return message;
    }
  }
  return String(err);
}

/** True when a request failed because it was cancelled (LSP RequestCancelled, -32800). */
export function isCancellation(err: unknown): boolean {
  return !!err && typeof err === 'object' && (err as { code?: unknown }).code === -32800;
}
