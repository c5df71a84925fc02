// The target picker: one QuickPick that opens at once, marks itself busy while the
// server lists targets, and resolves with the choice or undefined (Esc).
import * as vscode from 'vscode';
import type { MirrordApi } from '../common/api';
import { describeError, type TargetPickerItemsResult } from '../common/protocol';
import { buildEntries, initialActive, type Entry } from './items';
import type { RecentChoice } from './recent';

export interface PickResult {
  target: string | null;
  namespace: string;
  // True when the server said the config already names the target.
  fromConfig?: boolean;
}

export interface PickerOptions {
  api: MirrordApi;
  configUri?: string;
  recent?: RecentChoice;
  title?: string;
  placeholder?: string;
  // Resolve without showing the picker when the config already names a target.
  honourSkipDialog?: boolean;
  // Open the namespace list first.
  startWithNamespaces?: boolean;
  onSave?: (choice: PickResult) => Promise<void>;
}

export interface EntryItem extends vscode.QuickPickItem {
  entry: Entry;
}

const SAVE_BUTTON: vscode.QuickInputButton = {
  iconPath: new vscode.ThemeIcon('save'),
  tooltip: 'Save to mirrord.json',
};
const REFRESH_BUTTON: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('refresh'), tooltip: 'Refresh' };
const NAMESPACE_BUTTON: vscode.QuickInputButton = {
  iconPath: new vscode.ThemeIcon('symbol-namespace'),
  tooltip: 'Switch namespace',
};
const ALL_NS_ON: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('globe'), tooltip: 'Show one namespace' };
const ALL_NS_OFF: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('list-tree'), tooltip: 'Show all namespaces' };

// How long to wait for the first answer before showing the picker, so a config that
// already names the target does not flash an empty dialog.
const SHOW_DELAY_MS = 150;

export function toQuickPickItem(entry: Entry, canSave: boolean): EntryItem {
  switch (entry.type) {
    case 'separator':
      return { label: entry.label, kind: vscode.QuickPickItemKind.Separator, entry };
    case 'target':
      return {
        label: entry.available ? entry.label : `$(circle-slash) ${entry.label}`,
        description: entry.description,
        detail: entry.detail ?? (entry.available ? undefined : entry.reason),
        buttons: canSave ? [SAVE_BUTTON] : undefined,
        entry,
      };
    case 'targetless':
      return {
        label: entry.available ? entry.label : `$(circle-slash) ${entry.label}`,
        description: entry.description,
        detail: entry.available ? undefined : entry.reason,
        buttons: canSave && entry.available ? [SAVE_BUTTON] : undefined,
        entry,
      };
    case 'namespace':
      return { label: `$(symbol-namespace) ${entry.label}`, description: entry.description, entry };
    case 'message':
      return { label: `$(warning) ${entry.label}`, detail: entry.detail, alwaysShow: true, entry };
  }
}

export function pickTarget(opts: PickerOptions): Promise<PickResult | undefined> {
  return new Promise<PickResult | undefined>((resolve) => {
    const qp = vscode.window.createQuickPick<EntryItem>();
    qp.title = opts.title ?? 'mirrord: select a target';
    qp.placeholder = opts.placeholder ?? 'Type to filter targets';
    qp.matchOnDescription = true;
    qp.matchOnDetail = true;
    qp.ignoreFocusOut = true;

    let namespace: string | undefined;
    let allNamespaces = false;
    let mode: 'targets' | 'namespaces' = 'targets';
    let result: TargetPickerItemsResult | undefined;
    let error: string | undefined;
    let shown = false;
    let refreshing = false;
    let done = false;
    let seq = 0;
    let pending: vscode.CancellationTokenSource | undefined;

    const finish = (value: PickResult | undefined) => {
      if (done) {
        return;
      }
      done = true;
      pending?.cancel();
      resolve(value);
      qp.hide();
      qp.dispose();
    };

    const updateButtons = () => {
      qp.buttons = [REFRESH_BUTTON, NAMESPACE_BUTTON, allNamespaces ? ALL_NS_ON : ALL_NS_OFF];
    };

    const render = () => {
      if (mode !== 'targets' || done) {
        return;
      }
      const entries = buildEntries({ result, recent: opts.recent, namespace, error, loading: qp.busy });
      const items = entries.map((e) => toQuickPickItem(e, !!opts.onSave));
      qp.items = items;
      const active = initialActive(entries);
      const activeItem = items.find((i) => i.entry === active);
      if (activeItem) {
        qp.activeItems = [activeItem];
      }
      qp.title = `${opts.title ?? 'mirrord: select a target'} — ${allNamespaces ? 'all namespaces' : (result?.namespace ?? namespace ?? '…')}${refreshing ? ' (refreshing)' : ''}`;
    };

    const show = () => {
      if (!shown && !done) {
        shown = true;
        qp.show();
      }
    };

    const load = async (first = false): Promise<void> => {
      const mySeq = ++seq;
      pending?.cancel();
      const cts = new vscode.CancellationTokenSource();
      pending = cts;
      qp.busy = true;
      render();
      try {
        const r = await opts.api.targetPickerItems(
          {
            configUri: opts.configUri,
            namespace: allNamespaces ? undefined : namespace,
            allNamespaces,
            allowStale: first ? true : undefined,
          },
          cts.token,
        );
        if (mySeq !== seq || done) {
          return;
        }
        if (first && opts.honourSkipDialog && r.skipDialog) {
          finish({ target: r.preselected ?? null, namespace: r.namespace, fromConfig: true });
          return;
        }
        result = r;
        error = undefined;
        refreshing = r.stale === true;
        if (refreshing) {
          // The last session's listing: shown at once, busy until the live one replaces it.
          void load();
          return;
        }
      } catch (err) {
        if (mySeq !== seq || done) {
          return;
        }
        // Keep what was shown; say why the list could not be refreshed.
        error = `Could not list targets: ${describeError(err)}`;
        refreshing = false;
      }
      qp.busy = false;
      render();
    };

    const showNamespaces = async () => {
      mode = 'namespaces';
      qp.busy = true;
      qp.value = '';
      qp.title = 'mirrord: switch namespace';
      qp.items = [];
      try {
        const ns = await opts.api.listNamespaces();
        if (mode !== 'namespaces' || done) {
          return;
        }
        qp.items = ns.namespaces.map((n) => ({
          label: `$(symbol-namespace) ${n}`,
          description: n === ns.current ? 'current' : undefined,
          entry: { type: 'namespace', label: n, namespace: n } satisfies Entry,
        }));
      } catch (err) {
        qp.items = [{ label: `$(warning) Could not list namespaces: ${describeError(err)}`, alwaysShow: true, entry: { type: 'message', label: '' } }];
      }
      qp.busy = false;
    };

    qp.onDidAccept(() => {
      const item = qp.selectedItems[0] ?? qp.activeItems[0];
      if (!item) {
        return;
      }
      const e = item.entry;
      if (e.type === 'target') {
        if (e.available) {
          finish({ target: e.path, namespace: e.namespace });
        } else {
          void vscode.window.showWarningMessage(`mirrord: ${e.path} cannot be targeted: ${e.reason ?? 'not available'}`);
        }
      } else if (e.type === 'targetless') {
        if (e.available) {
          finish({ target: null, namespace: e.namespace });
        } else {
          void vscode.window.showWarningMessage(`mirrord: targetless cannot be used: ${e.reason ?? 'not available'}`);
        }
      } else if (e.type === 'namespace') {
        if (e.allNamespaces) {
          mode = 'targets';
          allNamespaces = true;
          updateButtons();
          qp.value = '';
          void load();
        } else if (e.namespace) {
          mode = 'targets';
          namespace = e.namespace;
          allNamespaces = false;
          updateButtons();
          qp.value = '';
          result = undefined;
          void load();
        } else {
          void showNamespaces();
        }
      }
    });
    qp.onDidTriggerButton((button) => {
      if (button === REFRESH_BUTTON) {
        mode = 'targets';
        void load();
      } else if (button === NAMESPACE_BUTTON) {
        void showNamespaces();
      } else if (button === ALL_NS_ON || button === ALL_NS_OFF) {
        allNamespaces = !allNamespaces;
        mode = 'targets';
        updateButtons();
        void load();
      }
    });
    qp.onDidTriggerItemButton(async (event) => {
      const e = event.item.entry;
      if (!opts.onSave || (e.type !== 'target' && e.type !== 'targetless')) {
        return;
      }
      try {
        await opts.onSave({ target: e.type === 'target' ? e.path : null, namespace: e.namespace });
      } catch (err) {
        void vscode.window.showErrorMessage(`mirrord: could not save the target: ${describeError(err)}`);
      }
    });
    qp.onDidHide(() => finish(undefined));

    updateButtons();
    const firstLoad = load(true);
    if (opts.startWithNamespaces) {
      show();
      void showNamespaces();
      return;
    }
    const timer = setTimeout(show, SHOW_DELAY_MS);
    void firstLoad.finally(() => {
      clearTimeout(timer);
      show();
    });
  });
}
