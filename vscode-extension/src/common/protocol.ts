// Types of the `mirrord/*` requests, as the server's contract defines them.
import type { WorkspaceEdit } from 'vscode-languageclient/node';

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
  // Accept the listing kept from an earlier session, marked `stale`, when the
  // server has not listed this view yet.
  allowStale?: boolean;
}

export interface TargetPickerItemsResult {
  namespace: string;
  skipDialog: boolean;
  preselected?: string | null;
  items: PickerItem[];
  // The items come from the listing kept on disk; a live one follows on request.
  stale?: boolean;
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

/** Which engine ran a session: the user's mirrord CLI, or the server's own agent launch. */
export type SessionEngine = 'mirrord-cli' | 'builtin';

/** What a session really gives the debuggee (protocol version 2). */
export interface SessionCapabilities {
  /** `process`: the target process's env; `spec`: only what the pod spec declares. */
  env: 'process' | 'spec';
  /** `off`: no incoming traffic reaches the debuggee. */
  incoming: 'mirror' | 'steal' | 'off';
  outgoing: boolean;
  files: boolean;
}

export interface AgentInfo {
  pod: string;
  namespace: string;
  node: string | null;
  port: number;
  localAddress: string;
}

export interface StartSessionResult {
  sessionId: string;
  target: string | null;
  namespace: string;
  /** Null when mirrord's CLI owns its agent. */
  agent: AgentInfo | null;
  env: Record<string, string>;
  // Protocol version 2; absent from older servers.
  /** A {@link SessionEngine}, or one a newer server added. */
  engine?: string;
  capabilities?: SessionCapabilities;
  cli?: { path: string; version: string };
  /** Names the debuggee must not inherit. */
  envToUnset?: string[];
  warnings?: string[];
  /** What the engine tells the user as information (mirrord's Info messages), in order; absent from older servers. */
  info?: string[];
}

export type SessionEndReason = 'stopped' | 'agent-exited' | 'connection-lost' | 'cli-exited' | 'server-exit';

/** The `mirrord/sessionEnded` notification. */
export interface SessionEndedParams {
  sessionId: string;
  /** A {@link SessionEndReason}, or one a newer server added. */
  reason: string;
  message: string;
}

export const SESSION_ENDED = 'mirrord/sessionEnded';

/** The notification's params, or undefined when they name no session. */
export function parseSessionEnded(params: unknown): SessionEndedParams | undefined {
  if (!params || typeof params !== 'object') {
    return undefined;
  }
  const p = params as Record<string, unknown>;
  if (typeof p.sessionId !== 'string') {
    return undefined;
  }
  return {
    sessionId: p.sessionId,
    reason: typeof p.reason === 'string' ? p.reason : 'unknown',
    message: typeof p.message === 'string' ? p.message : '',
  };
}

export interface StopSessionResult {
  stopped: boolean;
}

/** `mirrord/setTarget`: `target` null means targetless. */
export interface SetTargetParams {
  configUri: string;
  target: string | null;
  namespace?: string;
}

/** An LSP WorkspaceEdit for the one config file, as the server sends it. */
export interface SetTargetResult {
  edit: WorkspaceEdit;
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
