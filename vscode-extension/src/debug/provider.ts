// The debug hook: for every debug type, when mirrord is on, picks the target, starts
// a mirrord session with cancellable progress, and injects its env into the debuggee.
import * as vscode from 'vscode';
import type { MirrordApi, ProgressReport } from '../common/api';
import { describeError, isCancellation, type StartSessionResult } from '../common/protocol';
import type { PickerOptions, PickResult } from '../picker/quickpick';
import type { RecentChoice } from '../picker/recent';
import { activeOverride, applySessionEnv, launchEnv, type LaunchConfig } from './env';
import { SESSION_KEY, type SessionTracker } from './sessions';

export interface DebugHookDeps {
  api(): Promise<MirrordApi>;
  isEnabled(): boolean;
  isTrusted(): boolean;
  kubeContext(): string;
  configFile(folder: vscode.WorkspaceFolder | undefined, env: Record<string, string>): string | undefined;
  pick(opts: PickerOptions): Promise<PickResult | undefined>;
  recent: { get(name: string, context: string): RecentChoice | undefined; set(name: string, choice: RecentChoice): Promise<void> };
  sessions: SessionTracker;
  saveTarget(target: string | null, namespace: string, configFile?: string): Promise<unknown>;
  /** Tells the user what the started session gives (warnings, no traffic). */
  announce(session: StartSessionResult): void;
  log(message: string): void;
}

export function isChildSession(config: Record<string, unknown>): boolean {
  return '__pendingTargetId' in config || '__parentId' in config;
}

export class MirrordDebugProvider implements vscode.DebugConfigurationProvider {
  constructor(private readonly deps: DebugHookDeps) {}

  async resolveDebugConfigurationWithSubstitutedVariables(
    folder: vscode.WorkspaceFolder | undefined,
    debugConfiguration: vscode.DebugConfiguration,
    token?: vscode.CancellationToken,
  ): Promise<vscode.DebugConfiguration | undefined | null> {
    const config = debugConfiguration as LaunchConfig;
    const forced = activeOverride(config);
    const enabled = forced ?? this.deps.isEnabled();
    // An attach cannot change an already running process's environment, and a
    // debugger's child session (js-debug's `__pendingTargetId`) belongs to a launch
    // that already has its session.
    if (!enabled || config.request === 'attach' || config[SESSION_KEY] || isChildSession(config)) {
      return debugConfiguration;
    }
    if (!this.deps.isTrusted()) {
      void vscode.window.showErrorMessage(
        'mirrord: this workspace is not trusted, so no agent is started in the cluster. Trust the workspace or turn mirrord off.',
      );
      return undefined;
    }
    let api: MirrordApi;
    try {
      api = await this.deps.api();
    } catch (err) {
      void vscode.window.showErrorMessage(`mirrord: cannot launch with mirrord: ${describeError(err)}`);
      return undefined;
    }
    const env = launchEnv(config);
    const configFile = this.deps.configFile(folder, env);
    const configUri = configFile ? vscode.Uri.file(configFile).toString() : undefined;
    const context = this.deps.kubeContext();
    const launchName = config.name ?? '';

    let choice: PickResult | undefined;
    if (env.MIRRORD_IMPERSONATED_TARGET) {
      // The launch names its target: the server resolves it with the env below.
      choice = { target: env.MIRRORD_IMPERSONATED_TARGET, namespace: env.MIRRORD_TARGET_NAMESPACE ?? '', fromConfig: true };
    } else {
      choice = await this.deps.pick({
        api,
        configUri,
        recent: this.deps.recent.get(launchName, context),
        title: `mirrord: target for "${launchName}"`,
        placeholder: 'Type to filter targets; Esc cancels the launch',
        honourSkipDialog: true,
        onSave: (c) => this.deps.saveTarget(c.target, c.namespace, configFile).then(() => undefined),
      });
    }
    if (!choice || token?.isCancellationRequested) {
      this.deps.log(`launch "${launchName}" cancelled in the target picker`);
      return undefined;
    }
    if (!choice.fromConfig) {
      await this.deps.recent.set(launchName, { context, namespace: choice.namespace, target: choice.target });
    }

    let session: StartSessionResult | undefined;
    try {
      session = await this.startSession(api, {
        configUri,
        // A target from the config or launch env is resolved by the server itself.
        target: choice.fromConfig ? undefined : choice.target,
        namespace: choice.fromConfig ? undefined : choice.namespace || undefined,
        env,
        debugType: config.type,
      });
    } catch (err) {
      if (isCancellation(err)) {
        this.deps.log(`launch "${launchName}" cancelled while starting the agent`);
        return undefined;
      }
      void vscode.window.showErrorMessage(`mirrord: could not start the session: ${describeError(err)}`);
      return undefined;
    }
    if (!session) {
      return undefined;
    }
    if (token?.isCancellationRequested) {
      // VS Code gave up on the launch while the agent was starting.
      this.deps.log(`launch "${launchName}" cancelled; stopping mirrord session ${session.sessionId}`);
      void api.stopSession(session.sessionId).catch(() => undefined);
      return undefined;
    }
    const engine = typeof session.engine === 'string' ? session.engine : undefined;
    this.deps.sessions.add({ sessionId: session.sessionId, target: session.target, namespace: session.namespace, engine });
    const unset = Array.isArray(session.envToUnset) ? session.envToUnset.filter((n): n is string => typeof n === 'string') : [];
    const via = engine ? ` via ${engine}${session.cli ? ` (${session.cli.path} ${session.cli.version})` : ''}` : '';
    const agent = session.agent ? `, agent ${session.agent.pod}` : '';
    this.deps.log(
      `mirrord session ${session.sessionId}: ${session.target ?? 'targetless'} in ${session.namespace}${via}${agent};` +
        ` ${Object.keys(session.env ?? {}).length} variables set, ${unset.length} unset`,
    );
    this.deps.announce(session);
    const merged = applySessionEnv(config, session.env ?? {}, unset);
    merged[SESSION_KEY] = session.sessionId;
    return merged;
  }

  private startSession(
    api: MirrordApi,
    params: Parameters<MirrordApi['startSession']>[0],
  ): Promise<StartSessionResult | undefined> {
    return Promise.resolve(
      vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: 'mirrord', cancellable: true },
        async (progress, cancel) => {
          progress.report({ message: `starting ${params.target ?? 'the session'}…` });
          const onProgress = (p: ProgressReport) => {
            const message = [p.title, p.message].filter(Boolean).join(': ');
            if (message) {
              progress.report({ message });
            }
          };
          const result = await api.startSession(params, cancel, onProgress);
          if (cancel.isCancellationRequested) {
            // The server finished before it saw the cancellation: undo it.
            void api.stopSession(result.sessionId).catch(() => undefined);
            throw Object.assign(new Error('cancelled'), { code: -32800 });
          }
          return result;
        },
      ),
    );
  }
}
