// Wiring only: the server, the status bar, the picker commands and the debug hook.
import * as vscode from 'vscode';
import { logInfo, showLog } from './common/log';
import { parseSessionEnded, SESSION_ENDED } from './common/protocol';
import { LIVE_SETTINGS, RESTART_SETTINGS, readSettings } from './common/settings';
import { ServerManager } from './common/server';
import { isWorkspaceTrusted, registerCommand } from './common/vscodeapi';
import { createConfig, currentConfigFile, openConfig, targetSaver } from './config/commands';
import { SessionNotices } from './debug/notices';
import { MirrordDebugProvider } from './debug/provider';
import { SessionTracker } from './debug/sessions';
import { createStartWatchFactory } from './debug/startWatch';
import { pickTarget } from './picker/quickpick';
import { COMMAND_PALETTE, RecentStore } from './picker/recent';
import { MirrordStatusBar } from './statusbar';

let server: ServerManager | undefined;
let sessions: SessionTracker | undefined;

export function activate(context: vscode.ExtensionContext): void {
  server = new ServerManager(context);
  const srv = server;
  const status = new MirrordStatusBar(context.workspaceState, () => readSettings().enabledByDefault);
  srv.onStateChange((s) => status.setServerState(s));
  const recent = new RecentStore(context.workspaceState);
  // Stopping goes to the running server only: one that is gone took its agents along.
  sessions = new SessionTracker(() => srv.current(), logInfo, (a) => status.setActive(a), {
    isBusy: () => vscode.tasks.taskExecutions.length > 0,
  });
  const tracker = sessions;
  const notices = new SessionNotices(context.workspaceState, logInfo);
  srv.onNotification(SESSION_ENDED, (params) => {
    const ended = parseSessionEnded(params);
    if (!ended) {
      return;
    }
    const session = tracker.ended(ended);
    if (session) {
      notices.ended(ended, session.target);
    } else {
      logInfo(`mirrord session ${ended.sessionId} ended (${ended.reason})`);
    }
  });
  // A restart or shutdown of the server ends its port-forwards: end the sessions cleanly first.
  srv.onWillStop(() => tracker.stopAll());
  const kubeContext = () => readSettings().context;
  const saveTarget = targetSaver(() => srv.targetEditor());

  const selectTarget = async (startWithNamespaces: boolean) => {
    let api;
    try {
      api = await srv.ready();
    } catch (err) {
      srv.reportFailure(err);
      return;
    }
    const configFile = currentConfigFile();
    const choice = await pickTarget({
      api,
      configUri: configFile ? vscode.Uri.file(configFile).toString() : undefined,
      recent: recent.get(COMMAND_PALETTE, kubeContext()),
      startWithNamespaces,
      onSave: (c) => saveTarget(c.target, c.namespace, configFile).then(() => undefined),
    });
    if (choice) {
      await recent.set(COMMAND_PALETTE, { context: kubeContext(), namespace: choice.namespace, target: choice.target });
      void vscode.window.showInformationMessage(
        `mirrord: selected ${choice.target ?? 'targetless'} in namespace ${choice.namespace}; it is offered first at the next launch.`,
      );
    }
  };

  context.subscriptions.push(
    srv,
    status,
    registerCommand('mirrord.selectTarget', () => selectTarget(false)),
    registerCommand('mirrord.changeNamespace', () => selectTarget(true)),
    registerCommand('mirrord.createConfig', () => createConfig()),
    registerCommand('mirrord.openConfig', () => openConfig()),
    registerCommand('mirrord.showServerLog', () => showLog()),
    registerCommand('mirrord.restartServer', () => srv.restart()),
    registerCommand('mirrord.toggle', async () => {
      const on = await status.toggle();
      if (on) {
        srv.startInBackground();
      }
    }),
    vscode.debug.registerDebugConfigurationProvider(
      '*',
      new MirrordDebugProvider({
        api: () => srv.ready(),
        isEnabled: () => status.enabled,
        isTrusted: isWorkspaceTrusted,
        kubeContext,
        configFile: (folder, env) => currentConfigFile(folder, env),
        pick: pickTarget,
        recent,
        sessions: tracker,
        saveTarget,
        announce: (session) => notices.started(session),
        log: logInfo,
      }),
    ),
    vscode.debug.registerDebugAdapterTrackerFactory('*', createStartWatchFactory(tracker)),
    vscode.debug.onDidStartDebugSession((s) => tracker.onStarted(s.configuration)),
    vscode.debug.onDidTerminateDebugSession((s) => tracker.onTerminated(s.configuration)),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('mirrord.enabled')) {
        status.refresh();
      }
      if (LIVE_SETTINGS.some((s) => e.affectsConfiguration(s))) {
        logInfo('session settings changed: sending them to the server');
        void srv.pushSettings();
      }
      if (RESTART_SETTINGS.some((s) => e.affectsConfiguration(s))) {
        logInfo('settings changed: restarting the server');
        if (tracker.size > 0) {
          void vscode.window.showWarningMessage(
            `mirrord: the server restarts for the changed settings; this ends ${tracker.size} running mirrord session(s).`,
          );
        }
        void srv.restart();
      }
    }),
  );
  // Diagnostics in config files need the server from the start.
  srv.startInBackground();
}

export async function deactivate(): Promise<void> {
  // Every session this window started; the server's own stop hook does the same, but
  // an agent left behind costs a pod in the cluster, so do not depend on the order.
  await sessions?.stopAll();
  await server?.stop();
  sessions = undefined;
  server = undefined;
}
