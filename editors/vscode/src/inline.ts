// The extension's own InlineCompletionItemProvider. It sends textDocument/inlineCompletion
// through the language client (client.sendRequest), so that it can also
//   - send textDocument/didShowCompletion when it hands an item to VS Code,
//   - wrap VS Code's acceptNextWord / acceptNextLine and report
//     textDocument/didPartiallyAcceptCompletion with the measured accepted length,
//   - run the item's infilld.accept command through workspace/executeCommand on a full accept,
//   - show infilld/completionUpdate text before the reply (streaming),
//   - measure each request's latency.
// The language client's built-in inline completion provider is switched off (extension.ts).

import * as vscode from 'vscode';
import { ExecuteCommandRequest, LanguageClient } from 'vscode-languageclient/node';
import { measurePartialAccept, offsetAfterChange } from './accept';
import { LatencyTracker } from './latency';
import {
  CompletionUpdateParams,
  InlineCompletionItem,
  isCancellationCode,
  itemsOf,
  Methods,
  plainText,
} from './protocol';
import { Coalescer, provisionalText, StreamTracker } from './streaming';

/** Our command on every item: VS Code runs it after a full accept. */
export const ACCEPTED_COMMAND = 'infilld.internal.accepted';

export interface InlineHost {
  /** The client when it is starting or running. */
  client(): LanguageClient | undefined;
  enabled(): boolean;
  streaming(): boolean;
  log: vscode.LogOutputChannel;
  /** A reply (items or empty) arrived; the tracker has the new latency. */
  replied(latency: LatencyTracker): void;
}

/** One inlineCompletion request, shared by the provider calls for the same document state. */
interface Flight {
  key: string;
  uri: string;
  version: number;
  position: vscode.Position;
  replaceRange: vscode.Range;
  cts: vscode.CancellationTokenSource;
  done: boolean;
  items: InlineCompletionItem[];
  /** A provider call was answered with streamed text: re-show when more arrives. */
  earlyResolved: boolean;
  shownSent: boolean;
  listeners: Set<() => void>;
}

/** The item last handed to VS Code, for word/line accept measurement. */
interface Shown {
  uri: string;
  item: InlineCompletionItem;
  text: string;
  startOffset: number;
  accepted: number;
  finished: boolean;
}

function flightKey(document: vscode.TextDocument, position: vscode.Position, context: vscode.InlineCompletionContext): string {
  const sel = context.selectedCompletionInfo;
  const selected = sel ? `${sel.range.start.line}.${sel.range.start.character}-${sel.range.end.line}.${sel.range.end.character}=${sel.text}` : '';
  return `${document.uri.toString()}@${document.version}:${position.line}:${position.character}:${selected}`;
}

function errorCode(error: unknown): unknown {
  return typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
}

export class InlineProvider implements vscode.InlineCompletionItemProvider, vscode.Disposable {
  readonly latency = new LatencyTracker();
  private readonly flights = new Map<string, Flight>();
  private readonly streams = new StreamTracker();
  private shown: Shown | undefined;
  private readonly reshow: Coalescer;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly host: InlineHost) {
    this.reshow = new Coalescer(40, () => this.retrigger());
    this.disposables.push(
      vscode.window.onDidChangeTextEditorSelection(() => this.abandonStale()),
      vscode.window.onDidChangeActiveTextEditor(() => this.abandonStale()),
      vscode.workspace.onDidCloseTextDocument((d) => this.forget(d.uri.toString())),
    );
  }

  dispose(): void {
    this.reshow.cancel();
    for (const f of this.flights.values()) f.cts.cancel();
    this.flights.clear();
    for (const d of this.disposables) d.dispose();
  }

  /** The client went away: nothing pending can be answered. */
  reset(): void {
    for (const f of this.flights.values()) f.cts.cancel();
    this.flights.clear();
    this.shown = undefined;
  }

  async provideInlineCompletionItems(
    document: vscode.TextDocument,
    position: vscode.Position,
    context: vscode.InlineCompletionContext,
    token: vscode.CancellationToken,
  ): Promise<vscode.InlineCompletionItem[] | undefined> {
    const client = this.host.client();
    if (client === undefined || !this.host.enabled()) return undefined;
    const key = flightKey(document, position, context);
    const uri = document.uri.toString();
    const existing = this.flights.get(uri);
    if (existing !== undefined && existing.key === key) {
      if (!existing.done) {
        const streamed = this.streamedItems(existing);
        if (streamed === undefined) return this.wait(document, existing, token);
        existing.earlyResolved = true;
        return streamed;
      }
      // Answered already (our re-trigger after streaming, or VS Code asking again). Only an
      // explicit request (Alt+\) after an empty answer asks the server again.
      const askAgain =
        existing.items.length === 0 &&
        !existing.earlyResolved &&
        context.triggerKind === vscode.InlineCompletionTriggerKind.Invoke;
      if (!askAgain) return this.present(document, existing);
    }
    if (existing !== undefined) this.abandon(existing);
    return this.wait(document, this.launch(client, document, position, context, key), token);
  }

  private launch(
    client: LanguageClient,
    document: vscode.TextDocument,
    position: vscode.Position,
    context: vscode.InlineCompletionContext,
    key: string,
  ): Flight {
    const uri = document.uri.toString();
    const flight: Flight = {
      key,
      uri,
      version: document.version,
      position,
      replaceRange: context.selectedCompletionInfo?.range ?? new vscode.Range(position, position),
      cts: new vscode.CancellationTokenSource(),
      done: false,
      items: [],
      earlyResolved: false,
      shownSent: false,
      listeners: new Set(),
    };
    this.flights.set(uri, flight);
    this.streams.begin(uri);
    const params = client.code2ProtocolConverter.asInlineCompletionParams(document, position, context);
    const started = this.latency.start();
    client.sendRequest(Methods.inlineCompletion, params, flight.cts.token).then(
      (result) => {
        this.latency.finish(started);
        this.host.replied(this.latency);
        this.settle(flight, itemsOf(result));
      },
      (error: unknown) => {
        const code = errorCode(error);
        if (!isCancellationCode(code) && !flight.cts.token.isCancellationRequested) {
          const message = error instanceof Error ? error.message : String(error);
          this.host.log.warn(`inlineCompletion failed: ${message}`);
        }
        this.settle(flight, []);
        // A failed request is not an answer to keep: the next call for this state asks again.
        if (this.flights.get(flight.uri) === flight && !flight.earlyResolved) this.flights.delete(flight.uri);
      },
    );
    return flight;
  }

  private settle(flight: Flight, items: InlineCompletionItem[]): void {
    flight.done = true;
    flight.items = items;
    const current = this.flights.get(flight.uri) === flight;
    if (current) this.streams.end(flight.uri);
    for (const listener of [...flight.listeners]) listener();
    flight.listeners.clear();
    // Streamed text is on screen: show the final item (with its accept command) instead.
    if (flight.earlyResolved && current) this.reshow.request();
  }

  /** Waits for the reply, or (streaming) for the first update worth showing. */
  private wait(
    document: vscode.TextDocument,
    flight: Flight,
    token: vscode.CancellationToken,
  ): Promise<vscode.InlineCompletionItem[] | undefined> {
    return new Promise((resolve) => {
      let finished = false;
      const finish = (value: vscode.InlineCompletionItem[] | undefined) => {
        if (finished) return;
        finished = true;
        flight.listeners.delete(listener);
        subscription.dispose();
        resolve(value);
      };
      const listener = () => {
        if (flight.done) return finish(this.present(document, flight));
        const streamed = this.streamedItems(flight);
        if (streamed !== undefined) {
          flight.earlyResolved = true;
          finish(streamed);
        }
      };
      const subscription = token.onCancellationRequested(() => {
        finish(undefined);
        // VS Code cancels a call when it makes the next one; abandon the request only if
        // the editor has moved on from it by then.
        setTimeout(() => this.abandonStale(), 0);
      });
      flight.listeners.add(listener);
      if (flight.done) listener();
    });
  }

  /** The streamed text as a provisional item (no command: it has no id yet). */
  private streamedItems(flight: Flight): vscode.InlineCompletionItem[] | undefined {
    if (!this.host.streaming()) return undefined;
    const text = provisionalText(this.streams.text(flight.uri));
    if (text === undefined) return undefined;
    return [new vscode.InlineCompletionItem(text, flight.replaceRange)];
  }

  /** The final items, with our accept command; the first one is reported shown. */
  private present(document: vscode.TextDocument, flight: Flight): vscode.InlineCompletionItem[] | undefined {
    if (flight.items.length === 0) return [];
    if (document.version !== flight.version) return undefined;
    const out = flight.items.map((item) => {
      const range = item.range
        ? new vscode.Range(item.range.start.line, item.range.start.character, item.range.end.line, item.range.end.character)
        : flight.replaceRange;
      const insert = typeof item.insertText === 'string' ? item.insertText : new vscode.SnippetString(item.insertText.value);
      const vsItem = new vscode.InlineCompletionItem(insert, range, {
        title: 'Accept',
        command: ACCEPTED_COMMAND,
        arguments: [item],
      });
      if (item.filterText !== undefined) vsItem.filterText = item.filterText;
      return vsItem;
    });
    const first = flight.items[0];
    const firstRange = out[0].range ?? flight.replaceRange;
    if (this.shown?.item !== first)
      this.shown = {
        uri: flight.uri,
        item: first,
        text: plainText(first),
        startOffset: document.offsetAt(firstRange.start),
        accepted: 0,
        finished: false,
      };
    if (!flight.shownSent) {
      flight.shownSent = true;
      this.notify(Methods.didShowCompletion, { item: first });
    }
    return out;
  }

  /** infilld/completionUpdate from the server. */
  onCompletionUpdate(params: CompletionUpdateParams): void {
    if (typeof params?.uri !== 'string' || typeof params.text !== 'string') return;
    if (this.streams.update(params.id, params.uri, params.text) === undefined) return;
    const flight = this.flights.get(params.uri);
    if (flight === undefined || flight.done) return;
    for (const listener of [...flight.listeners]) listener();
    if (flight.earlyResolved) this.reshow.request();
  }

  /** Asks VS Code for the suggestion again when the active editor still sits where a flight was made. */
  private retrigger(): void {
    const editor = vscode.window.activeTextEditor;
    if (editor === undefined) return;
    const flight = this.flights.get(editor.document.uri.toString());
    if (flight === undefined || !flight.earlyResolved || !this.matches(flight, editor)) return;
    void vscode.commands.executeCommand('editor.action.inlineSuggest.trigger');
  }

  private matches(flight: Flight, editor: vscode.TextEditor): boolean {
    return (
      editor.document.uri.toString() === flight.uri &&
      editor.document.version === flight.version &&
      editor.selection.active.isEqual(flight.position)
    );
  }

  private abandon(flight: Flight): void {
    if (this.flights.get(flight.uri) === flight) {
      this.flights.delete(flight.uri);
      this.streams.end(flight.uri);
    }
    if (!flight.done) flight.cts.cancel();
  }

  /** Cancels requests that no editor state can use any more. */
  private abandonStale(): void {
    const editor = vscode.window.activeTextEditor;
    for (const flight of [...this.flights.values()]) {
      if (flight.done || flight.listeners.size > 0) continue;
      if (editor === undefined || !this.matches(flight, editor)) this.abandon(flight);
    }
  }

  private forget(uri: string): void {
    const flight = this.flights.get(uri);
    if (flight !== undefined) this.abandon(flight);
    this.streams.end(uri);
    if (this.shown?.uri === uri) this.shown = undefined;
  }

  private notify(method: string, params: unknown): void {
    const client = this.host.client();
    if (client === undefined) return;
    client.sendNotification(method, params).catch((e: unknown) => this.host.log.warn(`${method}: ${String(e)}`));
  }

  private runAcceptCommand(item: InlineCompletionItem): void {
    const client = this.host.client();
    const command = item.command;
    if (client === undefined || command === undefined) return;
    const known = client.initializeResult?.capabilities.executeCommandProvider?.commands ?? [];
    if (!known.includes(command.command)) return;
    client
      .sendRequest(ExecuteCommandRequest.type, { command: command.command, arguments: command.arguments })
      .catch((e: unknown) => this.host.log.warn(`${command.command}: ${String(e)}`));
  }

  /** ACCEPTED_COMMAND: VS Code inserted the whole item. */
  accepted(item: InlineCompletionItem): void {
    if (this.shown?.item === item) {
      if (this.shown.finished) return;
      this.shown.finished = true;
    }
    this.runAcceptCommand(item);
  }

  /**
   * Runs VS Code's own word/line accept, then measures what it inserted: the document's
   * text from the item's start to the end of the edit, which must be a prefix of the item.
   */
  async acceptPartial(unit: 'word' | 'line'): Promise<void> {
    const command =
      unit === 'word' ? 'editor.action.inlineSuggest.acceptNextWord' : 'editor.action.inlineSuggest.acceptNextLine';
    const editor = vscode.window.activeTextEditor;
    const shown = this.shown;
    const tracked =
      editor !== undefined && shown !== undefined && !shown.finished && shown.uri === editor.document.uri.toString();
    if (!tracked) {
      await vscode.commands.executeCommand(command);
      return;
    }
    const document = editor.document;
    const change = new Promise<vscode.TextDocumentChangeEvent | undefined>((resolve) => {
      const timer = setTimeout(() => {
        sub.dispose();
        resolve(undefined);
      }, 500);
      const sub = vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document !== document || e.contentChanges.length === 0) return;
        clearTimeout(timer);
        sub.dispose();
        resolve(e);
      });
    });
    await vscode.commands.executeCommand(command);
    const event = await change;
    if (event === undefined) return;
    const last = event.contentChanges[event.contentChanges.length - 1];
    const end = offsetAfterChange(last.rangeOffset, last.text);
    if (end <= shown.startOffset) return;
    const inserted = document.getText(new vscode.Range(document.positionAt(shown.startOffset), document.positionAt(end)));
    const outcome = measurePartialAccept(shown.text, inserted);
    if (outcome === undefined || outcome.acceptedLength <= shown.accepted) return;
    shown.accepted = outcome.acceptedLength;
    this.notify(Methods.didPartiallyAcceptCompletion, { item: shown.item, acceptedLength: outcome.acceptedLength });
    if (outcome.complete && !shown.finished) {
      // (VS Code turns a word accept that reaches the end into a full accept, which runs
      // ACCEPTED_COMMAND and sets `finished` itself.)
      shown.finished = true;
      this.runAcceptCommand(shown.item);
    }
  }
}
