// The `mirrord/*` requests, typed, over whatever carries them (the language client).
import type {
  ListNamespacesResult,
  SetTargetParams,
  SetTargetResult,
  StartSessionParams,
  StartSessionResult,
  StopSessionResult,
  TargetPickerItemsParams,
  TargetPickerItemsResult,
} from './protocol';

export interface CancelToken {
  isCancellationRequested: boolean;
  onCancellationRequested: (listener: () => void) => { dispose(): void };
}

export interface ProgressReport {
  kind: 'begin' | 'report' | 'end';
  title?: string;
  message?: string;
  percentage?: number;
}

export interface MirrordApi {
  listNamespaces(token?: CancelToken): Promise<ListNamespacesResult>;
  targetPickerItems(params: TargetPickerItemsParams, token?: CancelToken): Promise<TargetPickerItemsResult>;
  startSession(
    params: StartSessionParams,
    token: CancelToken,
    onProgress: (p: ProgressReport) => void,
  ): Promise<StartSessionResult>;
  stopSession(sessionId: string): Promise<StopSessionResult>;
  setTarget(params: SetTargetParams): Promise<SetTargetResult>;
}

/** Saving a target into a config: the server's edit, and the client's converter of it into editor edits. */
export interface TargetEditor<E> {
  setTarget(params: SetTargetParams): Promise<SetTargetResult>;
  toWorkspaceEdit(edit: SetTargetResult['edit']): Promise<E>;
}

/** The subset of vscode-languageclient's client the API uses. */
export interface RequestChannel {
  sendRequest<R>(method: string, params: unknown, token?: CancelToken): Promise<R>;
  sendNotification(method: string, params: unknown): Promise<void>;
  onProgress<P>(type: unknown, token: string | number, handler: (params: P) => void): { dispose(): void };
}

let tokenCounter = 0;

export function newProgressToken(): string {
  tokenCounter += 1;
  return `mirrord-${Date.now().toString(36)}-${tokenCounter}`;
}

export function createApi(channel: RequestChannel, workDoneProgressType: unknown): MirrordApi {
  return {
    listNamespaces: (token) => channel.sendRequest('mirrord/listNamespaces', {}, token),
    targetPickerItems: (params, token) => channel.sendRequest('mirrord/targetPickerItems', params, token),
    async startSession(params, token, onProgress) {
      const workDoneToken = newProgressToken();
      const sub = channel.onProgress<ProgressReport>(workDoneProgressType, workDoneToken, onProgress);
      // The server honours both $/cancelRequest and window/workDoneProgress/cancel.
      const cancelSub = token.onCancellationRequested(() => {
        void channel.sendNotification('window/workDoneProgress/cancel', { token: workDoneToken }).catch(() => undefined);
      });
      try {
        return await channel.sendRequest<StartSessionResult>('mirrord/startSession', { ...params, workDoneToken }, token);
      } finally {
        sub.dispose();
        cancelSub.dispose();
      }
    },
    stopSession: (sessionId) => channel.sendRequest('mirrord/stopSession', { sessionId }),
    setTarget: (params) => channel.sendRequest('mirrord/setTarget', params),
  };
}
