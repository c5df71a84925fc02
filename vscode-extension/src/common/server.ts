// Starts, restarts and stops the language client; explains why when the server cannot start.
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { LanguageClient, State, WorkDoneProgress, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import { createApi, type MirrordApi, type TargetEditor } from './api';
import { ensureServerEnvironment, findBundledWheel, isEnvironmentCurrent, ServerSetupError } from './bundled';
import { planServer, SERVE_MODULE_ARGS, type ServerPlan } from './launch';
import { getLogChannel, logError, logInfo } from './log';
import { runProcess, tail } from './proc';
import { checkPython, findBasePython } from './python';
import { engineSettingsChange, initializationOptions, readSettings, type MirrordSettings } from './settings';
import { openSettings } from './vscodeapi';
import { CONTRACT } from '../config/contract';

/** Config files the server validates (see the server contract). */
export const CONFIG_DOCUMENT_SELECTOR = ['file', 'untitled'].flatMap((scheme) =>
  CONTRACT.configFiles.globs.map((pattern) => ({ scheme, pattern })),
);

export class ServerStartError extends Error {
  constructor(
    message: string,
    readonly setting?: string,
  ) {
    super(message);
  }
}

interface Executable {
  command: string;
  args: string[];
}

export class ServerManager implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private starting: Promise<MirrordApi> | undefined;
  private api: MirrordApi | undefined;
  private restarting: Promise<void> = Promise.resolve();
  private restartQueued = false;
  private stopping: Promise<void> | undefined;
  private readonly willStopHooks: Array<() => Promise<void>> = [];
  private readonly stateListeners: Array<(state: 'starting' | 'running' | 'stopped' | 'failed') => void> = [];
  private readonly notificationHandlers: Array<[string, (params: unknown) => void]> = [];

  constructor(private readonly context: vscode.ExtensionContext) {}

  onStateChange(listener: (state: 'starting' | 'running' | 'stopped' | 'failed') => void): void {
    this.stateListeners.push(listener);
  }

  /** Handles a server notification, for this server and every one started after it. */
  onNotification(method: string, handler: (params: unknown) => void): void {
    this.notificationHandlers.push([method, handler]);
    this.client?.onNotification(method, handler);
  }

  /** Sends the live session settings (engine, CLI path) to the running server, if any. */
  async pushSettings(): Promise<void> {
    const client = this.client;
    if (!client || !this.api || client.state !== State.Running) {
      return; // the next start reads them in its initialization options
    }
    try {
      await client.sendNotification('workspace/didChangeConfiguration', { settings: engineSettingsChange(readSettings()) });
    } catch (err) {
      logError(`sending the changed settings to the server: ${String(err)}`);
    }
  }

  private emit(state: 'starting' | 'running' | 'stopped' | 'failed'): void {
    for (const l of this.stateListeners) {
      l(state);
    }
  }

  /** The running server's API and the client's converter of the edits it returns. */
  async targetEditor(): Promise<TargetEditor<vscode.WorkspaceEdit>> {
    const api = await this.ready();
    const client = this.client;
    if (!client) {
      throw new Error('the mirrord server stopped');
    }
    return {
      setTarget: (params) => api.setTarget(params),
      toWorkspaceEdit: (edit) => client.protocol2CodeConverter.asWorkspaceEdit(edit),
    };
  }

  /** The running server's API, starting it if needed; rejects with a ServerStartError. */
  ready(): Promise<MirrordApi> {
    if (this.api && this.client?.state !== State.Stopped) {
      // Running, or being restarted by the client after a crash.
      return Promise.resolve(this.api);
    }
    if (this.client && !this.starting) {
      // The client gave up restarting: start a fresh one.
      const dead = this.client;
      this.client = undefined;
      this.api = undefined;
      void dead.dispose().catch(() => undefined);
    }
    if (!this.starting) {
      this.starting = this.start().finally(() => {
        this.starting = undefined;
      });
    }
    return this.starting;
  }

  /**
   * The API of the server that is running now, never starting one: a server that is
   * gone took its sessions with it, so there is nothing to stop in a new one.
   */
  current(): Promise<MirrordApi> {
    if (this.api && this.client?.state !== State.Stopped) {
      return Promise.resolve(this.api);
    }
    return Promise.reject(new Error('the language server is not running (its sessions ended with it)'));
  }

  /** Starts the server in the background; failures are shown as a notification. */
  startInBackground(): void {
    this.ready().catch((err) => this.reportFailure(err));
  }

  /**
   * Stops the server and starts it again with the current settings. A start already
   * under way is finished and then replaced (it read the old settings); restarts asked
   * for while one waits to run are merged into it.
   */
  restart(): Promise<void> {
    if (!this.restartQueued) {
      this.restartQueued = true;
      this.restarting = this.restarting.then(async () => {
        this.restartQueued = false;
        await this.starting?.catch(() => undefined);
        await this.stop();
        this.startInBackground();
      });
    }
    return this.restarting;
  }

  /**
   * Runs `hook` while the server is still up, each time it is about to stop (restart,
   * shutdown): the place to end what the server owns, such as agents.
   */
  onWillStop(hook: () => Promise<void>): void {
    this.willStopHooks.push(hook);
  }

  /** Stops the server; concurrent calls (deactivate and dispose) share one stop. */
  stop(): Promise<void> {
    if (!this.stopping) {
      this.stopping = this.doStop().finally(() => {
        this.stopping = undefined;
      });
    }
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    if (this.client && this.api) {
      await Promise.all(
        this.willStopHooks.map((hook) =>
          withTimeout(hook(), WILL_STOP_TIMEOUT_MS).catch((err) => logError(`before stopping the server: ${String(err)}`)),
        ),
      );
    }
    const client = this.client;
    this.client = undefined;
    this.api = undefined;
    if (client) {
      try {
        await client.stop(5000);
      } catch (err) {
        logError(`stopping the server: ${String(err)}`);
      }
    }
    this.emit('stopped');
  }

  dispose(): void {
    void this.stop();
  }

  reportFailure(err: unknown): void {
    this.emit('failed');
    const message = err instanceof Error ? err.message : String(err);
    logError(`server start failed: ${message}`);
    const setting = err instanceof ServerStartError ? err.setting : undefined;
    void vscode.window
      .showErrorMessage(`mirrord: the language server could not start: ${message}`, 'Open Setting', 'Show Log')
      .then((choice) => {
        if (choice === 'Open Setting') {
          void openSettings(setting ?? 'mirrord.server');
        } else if (choice === 'Show Log') {
          getLogChannel().show(true);
        }
      });
  }

  private async start(): Promise<MirrordApi> {
    this.emit('starting');
    const settings = readSettings();
    const plan = planServer(settings, findBundledWheel(this.context.extensionPath));
    const exe = await this.resolveExecutable(plan);
    logInfo(`starting the server: ${exe.command} ${exe.args.join(' ')}`);
    // No `transport`: with TransportKind.stdio the client would append `--stdio`.
    const serverOptions: ServerOptions = {
      run: { command: exe.command, args: exe.args, options: { env: serverEnv() } },
      debug: { command: exe.command, args: exe.args, options: { env: serverEnv() } },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: CONFIG_DOCUMENT_SELECTOR,
      outputChannel: getLogChannel(),
      initializationOptions: initializationOptions(settings),
      middleware: {
        workspace: {
          // Answer the `mirrord` section with expanded paths, as in the initialization options.
          configuration: async (params, token, next) => {
            const raw = await next(params, token);
            if (!Array.isArray(raw)) {
              return raw;
            }
            const values: unknown[] = raw;
            return params.items.map((item, i): unknown =>
              item.section === 'mirrord' ? { ...(values[i] ?? {}), ...initializationOptions(readSettings()).mirrord } : values[i],
            );
          },
        },
      },
    };
    const client = new LanguageClient('mirrord', 'mirrord', serverOptions, clientOptions);
    for (const [method, handler] of this.notificationHandlers) {
      client.onNotification(method, handler);
    }
    try {
      await client.start();
    } catch (err) {
      void client.dispose().catch(() => undefined);
      throw new ServerStartError(`${exe.command} exited during start-up (${String(err)}); see the mirrord output`, settingOf(plan));
    }
    this.client = client;
    client.onDidChangeState((e) => {
      if (this.client === client) {
        this.emit(e.newState === State.Running ? 'running' : e.newState === State.Starting ? 'starting' : 'stopped');
      }
    });
    this.api = createApi(client, WorkDoneProgress.type);
    this.emit('running');
    return this.api;
  }

  private async resolveExecutable(plan: ServerPlan): Promise<Executable> {
    switch (plan.kind) {
      case 'path': {
        if (plan.command.includes('/') && !fs.existsSync(plan.command)) {
          throw new ServerStartError(`mirrord.server.path "${plan.command}" does not exist`, plan.setting);
        }
        return { command: plan.command, args: plan.args };
      }
      case 'python':
        await requireServerModule(plan.python, plan.setting);
        return { command: plan.python, args: SERVE_MODULE_ARGS };
      case 'interpreter': {
        const python = await findBasePython(vscode.workspace.workspaceFolders?.[0]?.uri);
        await requireServerModule(python, 'mirrord.server.python');
        return { command: python, args: SERVE_MODULE_ARGS };
      }
      case 'bundled': {
        const python = await this.bundledPython(plan.wheel);
        return { command: python, args: SERVE_MODULE_ARGS };
      }
    }
  }

  private async bundledPython(wheel: string): Promise<string> {
    const storageDir = this.context.globalStorageUri.fsPath;
    const basePython = await findBasePython(vscode.workspace.workspaceFolders?.[0]?.uri);
    if (isEnvironmentCurrent(storageDir, wheel)) {
      return ensureServerEnvironment({ storageDir, wheel, basePython, report: () => undefined });
    }
    const problem = await checkPython(basePython);
    if (problem) {
      throw new ServerStartError(`${problem}. Set mirrord.server.python to a Python 3.11+ interpreter.`, 'mirrord.server.python');
    }
    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'mirrord: setting up the language server (first start)', cancellable: false },
      async (progress) => {
        try {
          return await ensureServerEnvironment({
            storageDir,
            wheel,
            basePython,
            report: (message) => {
              logInfo(message);
              progress.report({ message });
            },
            onOutput: (line) => getLogChannel().info(`[pip] ${line}`),
          });
        } catch (err) {
          if (err instanceof ServerSetupError) {
            throw new ServerStartError(err.message, 'mirrord.server.python');
          }
          throw err;
        }
      },
    );
  }
}

/** How long stopping waits for `onWillStop` hooks (an unresponsive server must not hang it). */
const WILL_STOP_TIMEOUT_MS = 8000;

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

function settingOf(plan: ServerPlan): string | undefined {
  return plan.kind === 'path' || plan.kind === 'python' ? plan.setting : plan.kind === 'interpreter' ? 'mirrord.server.python' : undefined;
}

function serverEnv(): NodeJS.ProcessEnv {
  return { ...process.env, PYTHONUNBUFFERED: '1' };
}

async function requireServerModule(python: string, setting: string): Promise<void> {
  const problem = await checkPython(python);
  if (problem) {
    throw new ServerStartError(problem, setting);
  }
  const r = await runProcess(python, ['-c', 'import mirrord_ide'], { timeoutMs: 30000 });
  if (r.code !== 0) {
    throw new ServerStartError(
      `the mirrord-ide package is not installed for "${python}" (${tail(r.stderr, 1)}); install it there or change ${setting}`,
      setting,
    );
  }
}

export type { MirrordSettings };
