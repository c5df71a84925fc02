// A small stand-in for the `vscode` module: real event plumbing, `vi.fn()` for UI calls.
import { vi } from 'vitest';

type Listener<T> = (e: T) => unknown;

export class EventEmitter<T> {
  private listeners: Listener<T>[] = [];
  event = (listener: Listener<T>) => {
    this.listeners.push(listener);
    return { dispose: () => (this.listeners = this.listeners.filter((l) => l !== listener)) };
  };
  fire(e: T): void {
    for (const l of [...this.listeners]) {
      l(e);
    }
  }
  dispose(): void {
    this.listeners = [];
  }
}

export class CancellationTokenSource {
  private emitter = new EventEmitter<void>();
  token = {
    isCancellationRequested: false,
    onCancellationRequested: this.emitter.event,
  };
  cancel(): void {
    if (!this.token.isCancellationRequested) {
      this.token.isCancellationRequested = true;
      this.emitter.fire();
    }
  }
  dispose(): void {}
}

export class ThemeIcon {
  constructor(readonly id: string) {}
}

export enum QuickPickItemKind {
  Separator = -1,
  Default = 0,
}
export enum ProgressLocation {
  SourceControl = 1,
  Window = 10,
  Notification = 15,
}
export enum StatusBarAlignment {
  Left = 1,
  Right = 2,
}

export class Uri {
  constructor(
    readonly scheme: string,
    readonly fsPath: string,
  ) {}
  static file(p: string): Uri {
    return new Uri('file', p);
  }
  toString(): string {
    return `${this.scheme}://${this.fsPath}`;
  }
}

export class Position {
  constructor(
    readonly line: number,
    readonly character: number,
  ) {}
}
export class Range {
  constructor(
    readonly start: Position,
    readonly end: Position,
  ) {}
}
export class WorkspaceEdit {
  edits: unknown[] = [];
  replace(uri: Uri, range: Range, text: string): void {
    this.edits.push({ uri, range, text });
  }
}

/** A QuickPick whose user actions tests drive: accept(), hide(), triggerButton()… */
export class FakeQuickPick<T> {
  items: readonly T[] = [];
  activeItems: readonly T[] = [];
  selectedItems: readonly T[] = [];
  buttons: readonly unknown[] = [];
  title = '';
  placeholder = '';
  value = '';
  busy = false;
  visible = false;
  matchOnDescription = false;
  matchOnDetail = false;
  ignoreFocusOut = false;
  disposed = false;
  private accept = new EventEmitter<void>();
  private hideE = new EventEmitter<void>();
  private button = new EventEmitter<unknown>();
  private itemButton = new EventEmitter<{ item: T; button: unknown }>();
  onDidAccept = this.accept.event;
  onDidHide = this.hideE.event;
  onDidTriggerButton = this.button.event;
  onDidTriggerItemButton = this.itemButton.event;
  show(): void {
    this.visible = true;
  }
  hide(): void {
    if (this.visible) {
      this.visible = false;
      this.hideE.fire();
    }
  }
  dispose(): void {
    this.disposed = true;
  }
  // Test helpers.
  pick(item: T): void {
    this.selectedItems = [item];
    this.accept.fire();
  }
  pressButton(b: unknown): void {
    this.button.fire(b);
  }
  pressItemButton(item: T, b: unknown): void {
    this.itemButton.fire({ item, button: b });
  }
  escape(): void {
    this.hide();
  }
}

export const quickPicks: FakeQuickPick<unknown>[] = [];

const configValues: Record<string, unknown> = {};
export function __setConfig(values: Record<string, unknown>): void {
  for (const k of Object.keys(configValues)) {
    delete configValues[k];
  }
  Object.assign(configValues, values);
}

export const window = {
  createQuickPick: vi.fn(() => {
    const qp = new FakeQuickPick<unknown>();
    quickPicks.push(qp);
    return qp;
  }),
  showErrorMessage: vi.fn(() => Promise.resolve(undefined)),
  showWarningMessage: vi.fn((..._args: unknown[]) => Promise.resolve(undefined)),
  showInformationMessage: vi.fn((..._args: unknown[]) => Promise.resolve(undefined)),
  showTextDocument: vi.fn(() => Promise.resolve(undefined)),
  withProgress: vi.fn(
    async (
      _opts: unknown,
      task: (p: { report: (v: unknown) => void }, token: CancellationTokenSource['token']) => Promise<unknown>,
    ) => {
      const cts = new CancellationTokenSource();
      progressCancel.current = cts;
      return task({ report: (v) => progressReports.push(v) }, cts.token);
    },
  ),
  createOutputChannel: vi.fn(() => ({
    info: vi.fn(),
    error: vi.fn(),
    warn: vi.fn(),
    appendLine: vi.fn(),
    show: vi.fn(),
    dispose: vi.fn(),
  })),
  createStatusBarItem: vi.fn(() => ({ text: '', tooltip: '', show: vi.fn(), dispose: vi.fn() })),
  activeTextEditor: undefined as unknown,
};

export const progressReports: unknown[] = [];
export const progressCancel: { current?: CancellationTokenSource } = {};

export const workspace = {
  isTrusted: true,
  workspaceFolders: undefined as unknown,
  getConfiguration: vi.fn((section?: string) => ({
    get: <T>(key: string): T | undefined => configValues[section ? `${section}.${key}` : key] as T | undefined,
  })),
  onDidChangeConfiguration: vi.fn((_listener: (e: unknown) => unknown) => ({ dispose: vi.fn() })),
  fs: { stat: vi.fn(), createDirectory: vi.fn(), writeFile: vi.fn() },
  openTextDocument: vi.fn((_uri: unknown): Promise<unknown> => Promise.resolve(undefined)),
  applyEdit: vi.fn((_edit: unknown) => Promise.resolve(true)),
  asRelativePath: (u: Uri) => u.fsPath,
};

export const commands = {
  registerCommand: vi.fn((_id: string, _cb: unknown) => ({ dispose: vi.fn() })),
  executeCommand: vi.fn(() => Promise.resolve(undefined)),
};

export const extensions = {
  getExtension: vi.fn(() => undefined),
};

export const debug = {
  registerDebugConfigurationProvider: vi.fn((_type: string, _provider: unknown) => ({ dispose: vi.fn() })),
  registerDebugAdapterTrackerFactory: vi.fn((_type: string, _factory: unknown) => ({ dispose: vi.fn() })),
  onDidStartDebugSession: vi.fn((_listener: (s: unknown) => unknown) => ({ dispose: vi.fn() })),
  onDidTerminateDebugSession: vi.fn((_listener: (s: unknown) => unknown) => ({ dispose: vi.fn() })),
};

export const tasks = {
  taskExecutions: [] as unknown[],
};

/** A configuration change event for the given changed settings (as VS Code matches sections). */
export function __configChange(...changed: string[]): { affectsConfiguration(section: string): boolean } {
  return { affectsConfiguration: (section) => changed.some((c) => c === section || c.startsWith(`${section}.`)) };
}
