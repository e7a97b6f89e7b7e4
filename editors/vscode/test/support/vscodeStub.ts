// A small stand-in for the 'vscode' module: just enough of the API for vscode-languageclient
// and the extension to run under plain node in the integration test (which drives a real
// `infilld lsp`). Not a faithful editor: documents change only through StubDocument.edit().

/* eslint-disable @typescript-eslint/no-explicit-any */
import * as fs from 'node:fs';
import * as path from 'node:path';

type Listener<T> = (e: T) => any;

export class Disposable {
  constructor(private readonly fn: () => void = () => {}) {}
  static from(...items: { dispose(): any }[]): Disposable {
    return new Disposable(() => items.forEach((i) => i.dispose()));
  }
  dispose(): void {
    this.fn();
  }
}

export class EventEmitter<T> {
  private listeners = new Set<Listener<T>>();
  event = (listener: Listener<T>, thisArg?: any, disposables?: Disposable[]): Disposable => {
    const bound = thisArg ? listener.bind(thisArg) : listener;
    this.listeners.add(bound);
    const d = new Disposable(() => this.listeners.delete(bound));
    disposables?.push(d);
    return d;
  };
  fire(e: T): void {
    for (const l of [...this.listeners]) l(e);
  }
  dispose(): void {
    this.listeners.clear();
  }
}

export class CancellationError extends Error {}

export class CancellationTokenSource {
  private emitter = new EventEmitter<void>();
  token = { isCancellationRequested: false, onCancellationRequested: this.emitter.event };
  cancel(): void {
    if (this.token.isCancellationRequested) return;
    this.token.isCancellationRequested = true;
    this.emitter.fire();
  }
  dispose(): void {}
}

export class Position {
  constructor(
    readonly line: number,
    readonly character: number,
  ) {}
  isEqual(o: Position): boolean {
    return this.line === o.line && this.character === o.character;
  }
  isBefore(o: Position): boolean {
    return this.line < o.line || (this.line === o.line && this.character < o.character);
  }
  compareTo(o: Position): number {
    return this.isEqual(o) ? 0 : this.isBefore(o) ? -1 : 1;
  }
}

export class Range {
  readonly start: Position;
  readonly end: Position;
  constructor(a: any, b: any, c?: number, d?: number) {
    if (typeof a === 'number') {
      this.start = new Position(a, b);
      this.end = new Position(c!, d!);
    } else {
      this.start = a;
      this.end = b;
    }
  }
  get isEmpty(): boolean {
    return this.start.isEqual(this.end);
  }
}

export class Selection extends Range {
  constructor(
    readonly anchor: Position,
    readonly active: Position,
  ) {
    super(anchor, active);
  }
}

export class Uri {
  private constructor(
    readonly scheme: string,
    readonly path: string,
  ) {}
  static file(p: string): Uri {
    return new Uri('file', p);
  }
  static parse(s: string): Uri {
    const m = /^([a-z]+):\/\/(.*)$/.exec(s);
    return m ? new Uri(m[1], decodeURIComponent(m[2])) : new Uri('file', s);
  }
  get fsPath(): string {
    return this.path;
  }
  toString(): string {
    return `${this.scheme}://${this.path}`;
  }
  toJSON(): any {
    return { scheme: this.scheme, path: this.path };
  }
}

export class SnippetString {
  constructor(readonly value: string) {}
}
export class ThemeColor {
  constructor(readonly id: string) {}
}
export class MarkdownString {
  constructor(public value = '') {}
}
export class InlineCompletionItem {
  filterText?: string;
  constructor(
    public insertText: string | SnippetString,
    public range?: Range,
    public command?: { title: string; command: string; arguments?: any[] },
  ) {}
}
export class InlineCompletionList {
  constructor(public items: InlineCompletionItem[]) {}
}
export class TabInputText {}
export class TabInputTextDiff {}
export class TabInputNotebook {}
export class TabInputCustom {}

export enum StatusBarAlignment { Left = 1, Right = 2 }
export enum ProgressLocation { SourceControl = 1, Window = 10, Notification = 15 }
export enum LogLevel { Off = 0, Trace = 1, Debug = 2, Info = 3, Warning = 4, Error = 5 }
export enum ConfigurationTarget { Global = 1, Workspace = 2, WorkspaceFolder = 3 }
export enum InlineCompletionTriggerKind { Invoke = 0, Automatic = 1 }
export enum EndOfLine { LF = 1, CRLF = 2 }
export enum TextDocumentSaveReason { Manual = 1 }
export const version = '1.91.0';
export const env = { language: 'en', appName: 'vscode-stub', machineId: 'stub', openExternal: async () => true };

export class StubDocument {
  version = 1;
  isClosed = false;
  isDirty = false;
  isUntitled = false;
  eol = EndOfLine.LF;
  constructor(
    readonly uri: Uri,
    readonly languageId: string,
    public text: string,
  ) {}
  get fileName(): string {
    return this.uri.fsPath;
  }
  get lineCount(): number {
    return this.text.split('\n').length;
  }
  offsetAt(p: Position): number {
    const lines = this.text.split('\n');
    let o = 0;
    for (let i = 0; i < p.line && i < lines.length; i++) o += lines[i].length + 1;
    return o + Math.min(p.character, (lines[p.line] ?? '').length);
  }
  positionAt(offset: number): Position {
    const before = this.text.slice(0, Math.max(0, Math.min(offset, this.text.length))).split('\n');
    return new Position(before.length - 1, before[before.length - 1].length);
  }
  getText(range?: Range): string {
    if (!range) return this.text;
    return this.text.slice(this.offsetAt(range.start), this.offsetAt(range.end));
  }
  lineAt(line: number): any {
    const text = this.text.split('\n')[line] ?? '';
    return { text, range: new Range(line, 0, line, text.length) };
  }
  /** Replaces `deleteLength` characters at `offset` with `insert`, fires the change event. */
  edit(offset: number, deleteLength: number, insert: string): void {
    const range = new Range(this.positionAt(offset), this.positionAt(offset + deleteLength));
    this.text = this.text.slice(0, offset) + insert + this.text.slice(offset + deleteLength);
    this.version += 1;
    workspaceEvents.change.fire({
      document: this,
      contentChanges: [{ range, rangeOffset: offset, rangeLength: deleteLength, text: insert }],
      reason: undefined,
    });
  }
}

// ---- configuration: defaults from the extension's package.json, overridden per test ----

const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8'));
const properties: Record<string, { default?: unknown }> = manifest.contributes.configuration.properties;
export const settings = new Map<string, unknown>();
const configEmitter = new EventEmitter<{ affectsConfiguration(s: string): boolean }>();

export function setSetting(key: string, value: unknown): void {
  settings.set(key, value);
  configEmitter.fire({ affectsConfiguration: (s: string) => key === s || key.startsWith(`${s}.`) });
}

function configuration(section?: string): any {
  const full = (key: string) => (section ? `${section}.${key}` : key);
  return {
    get(key: string, fallback?: unknown) {
      const k = full(key);
      if (settings.has(k)) return settings.get(k);
      if (k in properties) return properties[k].default;
      return fallback;
    },
    has: (key: string) => settings.has(full(key)) || full(key) in properties,
    inspect: (key: string) => ({ key: full(key), globalValue: settings.get(full(key)) }),
    update: async (key: string, value: unknown) => setSetting(full(key), value),
  };
}

// ---- workspace, window, languages, commands ----

const workspaceEvents = {
  open: new EventEmitter<any>(),
  close: new EventEmitter<any>(),
  change: new EventEmitter<any>(),
  save: new EventEmitter<any>(),
  willSave: new EventEmitter<any>(),
  folders: new EventEmitter<any>(),
};
const none = new EventEmitter<any>().event;

export const workspace: any = {
  textDocuments: [] as StubDocument[],
  notebookDocuments: [],
  workspaceFolders: undefined,
  getConfiguration: configuration,
  onDidChangeConfiguration: configEmitter.event,
  onDidOpenTextDocument: workspaceEvents.open.event,
  onDidCloseTextDocument: workspaceEvents.close.event,
  onDidChangeTextDocument: workspaceEvents.change.event,
  onDidSaveTextDocument: workspaceEvents.save.event,
  onWillSaveTextDocument: workspaceEvents.willSave.event,
  onDidChangeWorkspaceFolders: workspaceEvents.folders.event,
  onDidOpenNotebookDocument: none,
  onDidCloseNotebookDocument: none,
  onDidChangeNotebookDocument: none,
  onDidSaveNotebookDocument: none,
  createFileSystemWatcher: () => ({ onDidCreate: none, onDidChange: none, onDidDelete: none, dispose() {} }),
  applyEdit: async () => false,
};

export function openDocument(doc: StubDocument): void {
  workspace.textDocuments.push(doc);
  workspaceEvents.open.fire(doc);
}

export const messages: { kind: string; text: string }[] = [];
export const channels = new Map<string, string[]>();
export const statusItems: any[] = [];
const selectionEmitter = new EventEmitter<any>();
const activeEditorEmitter = new EventEmitter<any>();

function channel(name: string): any {
  const lines: string[] = [];
  channels.set(name, lines);
  const log = (level: string) => (message: string) => lines.push(`[${level}] ${message}`);
  return {
    name,
    logLevel: LogLevel.Info,
    onDidChangeLogLevel: none,
    append: (s: string) => lines.push(s),
    appendLine: (s: string) => lines.push(s),
    replace: () => {},
    clear: () => (lines.length = 0),
    show: () => {},
    hide: () => {},
    dispose: () => {},
    trace: log('trace'),
    debug: log('debug'),
    info: log('info'),
    warn: log('warning'),
    error: (e: unknown) => lines.push(`[error] ${String(e)}`),
  };
}

const message = (kind: string) => async (text: string) => {
  messages.push({ kind, text });
  return undefined;
};

export const window: any = {
  activeTextEditor: undefined,
  visibleTextEditors: [],
  tabGroups: { all: [], onDidChangeTabs: none, onDidChangeTabGroups: none },
  onDidChangeActiveTextEditor: activeEditorEmitter.event,
  onDidChangeVisibleTextEditors: none,
  onDidChangeTextEditorSelection: selectionEmitter.event,
  createOutputChannel: (name: string) => channel(name),
  createStatusBarItem: () => {
    const item = { text: '', tooltip: '', show() {}, hide() {}, dispose() {} };
    statusItems.push(item);
    return item;
  },
  showErrorMessage: message('error'),
  showWarningMessage: message('warning'),
  showInformationMessage: message('info'),
  showQuickPick: async () => undefined,
  showTextDocument: async () => undefined,
  withProgress: (_o: any, task: any) => task({ report() {} }, new CancellationTokenSource().token),
};

/** Puts the cursor of the (only) editor on `doc` at `offset`. */
export function setCursor(doc: StubDocument, offset: number): void {
  const p = doc.positionAt(offset);
  const editor = { document: doc, selection: new Selection(p, p) };
  const changed = window.activeTextEditor?.document !== doc;
  window.activeTextEditor = editor;
  window.visibleTextEditors = [editor];
  if (changed) activeEditorEmitter.fire(editor);
  selectionEmitter.fire({ textEditor: editor, selections: [editor.selection] });
}

export const registrations: { kind: string; selector: unknown; provider: any }[] = [];

export const languages: any = new Proxy(
  {
    match(selector: any, doc: StubDocument): number {
      const filters = Array.isArray(selector) ? selector : [selector];
      for (const f of filters) {
        if (typeof f === 'string') {
          if (f === '*' || f === doc.languageId) return 10;
          continue;
        }
        if (f.scheme && f.scheme !== doc.uri.scheme && f.scheme !== '*') continue;
        if (f.language && f.language !== '*' && f.language !== doc.languageId) continue;
        return 10;
      }
      return 0;
    },
    createDiagnosticCollection: () => ({ set() {}, delete() {}, clear() {}, dispose() {} }),
  } as any,
  {
    get(target, prop: string) {
      if (prop in target) return target[prop];
      if (prop.startsWith('register'))
        return (selector: unknown, provider: any) => {
          const entry = { kind: prop.slice('register'.length), selector, provider };
          registrations.push(entry);
          return new Disposable(() => registrations.splice(registrations.indexOf(entry), 1));
        };
      return undefined;
    },
  },
);

export const commandHandlers = new Map<string, (...args: any[]) => any>();
export const executed: string[] = [];

export const commands: any = {
  registerCommand(id: string, fn: (...args: any[]) => any): Disposable {
    if (commandHandlers.has(id)) throw new Error(`command '${id}' already exists`);
    commandHandlers.set(id, fn);
    return new Disposable(() => commandHandlers.delete(id));
  },
  async executeCommand(id: string, ...args: any[]): Promise<any> {
    executed.push(id);
    const handler = commandHandlers.get(id);
    if (handler === undefined) throw new Error(`command '${id}' not found`);
    return handler(...args);
  },
};

// Base classes the language client extends at load time (never constructed here).
class Base {
  constructor(..._args: unknown[]) {}
}
export class CallHierarchyItem extends Base {}
export class CodeLens extends Base {}
export class CompletionItem extends Base {}
export class DocumentLink extends Base {}
export class InlayHint extends Base {}
export class SymbolInformation extends Base {}
export class TypeHierarchyItem extends Base {}
export class CodeAction extends Base {}
export class Diagnostic extends Base {}
/** Enumerations the client reads when it builds its converters: any member is its own name. */
const names = new Proxy({}, { get: (_t, p) => (typeof p === 'string' ? p : undefined) });
export const CodeActionKind: any = names;
export const CompletionItemKind: any = names;
export const DocumentHighlightKind: any = names;
export const SymbolKind: any = names;
export const FoldingRangeKind: any = names;
