// End to end under plain node: the compiled extension, with test/support/vscodeStub.ts in
// place of 'vscode', starts a real `infilld lsp` and drives it through the real
// vscode-languageclient. Runs when INFILLD_BIN (the binary) and INFILLD_TEST_MODEL (a model
// folder: scripts/test.sh gives a tiny checkpoint, `tools/tiny_checkpoint.py --printable`,
// whose greedy text is printable ASCII) are set; skipped otherwise. Every suggestion checked
// is non-empty; the notifications the extension sends are recorded (a spy on the language
// client) to see what it told the server, and the server's answers are compared with
// `infilld complete` on the document's text.

import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';

const bin = process.env.INFILLD_BIN;
const model = process.env.INFILLD_TEST_MODEL;
const skip = bin === undefined || model === undefined ? 'set INFILLD_BIN and INFILLD_TEST_MODEL to run' : false;

/* eslint-disable @typescript-eslint/no-explicit-any */
let vs: typeof import('./support/vscodeStub');
let extension: typeof import('../src/extension');
/** The notifications the extension's language client sent the server, in order. */
const sent: { method: string; params: any }[] = [];

function loadWithStub(): void {
  const Module = require('node:module');
  const stubPath = require.resolve('./support/vscodeStub');
  const resolve = Module._resolveFilename;
  Module._resolveFilename = function (request: string, ...rest: unknown[]) {
    return request === 'vscode' ? stubPath : resolve.call(this, request, ...rest);
  };
  vs = require('./support/vscodeStub');
  // Records what goes to the server, then sends it as before.
  const proto = require('vscode-languageclient/node').LanguageClient.prototype;
  const send = proto.sendNotification;
  proto.sendNotification = function (type: any, ...rest: any[]) {
    sent.push({ method: typeof type === 'string' ? type : type.method, params: rest[0] });
    return send.call(this, type, ...rest);
  };
  extension = require('../src/extension');
}

/** `infilld complete FILE:LINE:COL --max-tokens N --json` on `text` with the cursor at `offset`. */
function cliComplete(dir: string, text: string, offset: number, maxTokens: number): string {
  const file = path.join(dir, 'cli', 'main.c');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  const before = text.slice(0, offset).split('\n');
  const where = `${file}:${before.length}:${before[before.length - 1].length + 1}`;
  const out = execFileSync(bin!, ['complete', where, '--model', model!, '--max-tokens', String(maxTokens), '--json'], {
    encoding: 'utf8',
    timeout: 60000,
  });
  return JSON.parse(out).text;
}

async function until<T>(what: string, f: () => T | undefined | false, ms = 30000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const statusText = () => vs.statusItems[0]?.text as string;

describe('extension against a real infilld lsp', { skip, timeout: 120000 }, () => {
  let dir: string;
  let doc: InstanceType<typeof vs.StubDocument>;
  let visible: any; // the item the stub editor shows
  const context = { subscriptions: [] as { dispose(): unknown }[] };

  const provider = () => {
    const regs = vs.registrations.filter((r) => r.kind === 'InlineCompletionItemProvider');
    assert.equal(regs.length, 1, 'only our inline completion provider is registered');
    return regs[0].provider;
  };
  const cursor = () => doc.offsetAt(vs.window.activeTextEditor.selection.active);
  const ask = async (triggerKind = vs.InlineCompletionTriggerKind.Automatic) => {
    const pos = vs.window.activeTextEditor.selection.active;
    const items = await provider().provideInlineCompletionItems(doc, pos, { triggerKind }, new vs.CancellationTokenSource().token);
    visible = items?.[0];
    return items as any[] | undefined;
  };
  const type = (s: string) => {
    const at = cursor();
    doc.edit(at, 0, s);
    vs.setCursor(doc, at + s.length);
  };
  const insertVisible = (text: string) => {
    const at = doc.offsetAt(visible.range.start);
    doc.edit(at, doc.offsetAt(visible.range.end) - at, text);
    vs.setCursor(doc, at + text.length);
  };
  const triggers = () => vs.executed.filter((c) => c === 'editor.action.inlineSuggest.trigger').length;
  /**
   * Types through `keys` until the server has a non-empty final suggestion: the items and
   * whether streamed text (an item without our command) came first. After streamed text
   * the final reply re-triggers (the stub runs our provider again): it answers the final
   * item, with the command, or nothing when the final text is empty.
   */
  const suggestion = async (keys: string) => {
    for (const ch of ['', ...keys]) {
      if (ch !== '') type(ch);
      const before = triggers();
      let items = await ask();
      let streamed = false;
      if (items !== undefined && items.length > 0 && items[0].command === undefined) {
        streamed = true;
        const last = await until('the final reply', () => (visible === undefined || visible.command !== undefined ? { item: visible } : undefined));
        assert.ok(triggers() > before, 'the final reply re-triggered');
        items = last.item === undefined ? [] : [last.item];
      }
      if (items !== undefined && items.length > 0 && typeof items[0].insertText === 'string' && items[0].insertText.trim() !== '')
        return { items, streamed };
    }
    assert.fail('no suggestion from the model');
  };
  const stats = async () => {
    await vs.commands.executeCommand('infilld.showStats');
    const lines = vs.channels.get('infilld statistics')!;
    const value = (label: string) => {
      const line = [...lines].reverse().find((l) => l.trimStart().startsWith(label + ' '));
      return Number(line?.trim().split(/\s+/).pop());
    };
    return { shown: value('shown'), accepted: value('accepted'), partial: value('partially accepted'), requests: value('requests') };
  };

  before(() => {
    loadWithStub();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'infilld-vscode-'));
    const file = path.join(dir, 'main.c');
    fs.writeFileSync(file, 'int add(int a, int b) {\n    return \n}\n');
    // VS Code's own inline suggestion commands, as the stub editor does them.
    vs.commands.registerCommand('editor.action.inlineSuggest.trigger', () => ask(vs.InlineCompletionTriggerKind.Invoke));
    vs.commands.registerCommand('editor.action.inlineSuggest.acceptNextWord', () => {
      const text: string = visible.insertText;
      const word = /^\s*[A-Za-z0-9_]+|^\s*[^\sA-Za-z0-9_]+|^\s+/.exec(text)![0];
      insertVisible(word);
    });
    vs.setSetting('infilld.path', bin);
    vs.setSetting('infilld.model', model);
    vs.setSetting('infilld.maxTokens', 16);
    vs.setSetting('infilld.streaming', true);
    doc = new vs.StubDocument(vs.Uri.file(file), 'c', fs.readFileSync(file, 'utf8'));
    vs.openDocument(doc);
    vs.setCursor(doc, doc.text.indexOf('return ') + 'return '.length);
    extension.activate(context as any);
  });

  after(async () => {
    if (process.env.INFILLD_TEST_VERBOSE) console.error(vs.channels.get('infilld')?.join('\n'), vs.executed);
    await extension.deactivate();
    for (const d of context.subscriptions) d.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('starts the server with the model from initializationOptions and shows ready', async () => {
    await until('ready', () => statusText()?.startsWith('$(check)'));
    assert.match(vs.statusItems[0].tooltip, new RegExp(`model .*${path.basename(model!)}`));
    assert.equal(vs.registrations.filter((r) => r.kind === 'CompletionItemProvider').length, 0, 'no completion provider');
    assert.deepEqual(vs.messages.filter((m) => m.kind === 'error'), []);
  });

  it('returns the server suggestion with our accept command, reports it shown, tracks latency', async () => {
    // (with streaming, the final item may come after streamed text: suggestion() follows it)
    const { items, streamed } = await suggestion('a + b;');
    if (process.env.INFILLD_TEST_VERBOSE) console.error('final answer', streamed, JSON.stringify(items));
    assert.equal(items[0].command.command, 'infilld.internal.accepted');
    assert.equal(items[0].command.arguments[0].command.command, 'infilld.accept');
    await until('latency in the status bar', () => / \d+ ms$/.test(statusText()));
    const s = await stats();
    assert.ok(s.shown >= 1, `shown ${s.shown}`);
  });

  it('word accept measures and reports the accepted length; a full accept runs infilld.accept', async () => {
    const before = await stats();
    const item = visible.command.arguments[0];
    assert.equal(typeof item.insertText, 'string');
    assert.notEqual(item.insertText, '', 'the shown item is not empty');
    const start = doc.offsetAt(visible.range.start);
    const sentBefore = sent.length;
    const executedBefore = vs.executed.length;
    await vs.commands.executeCommand('infilld.acceptNextWord');
    // The extension's command ran VS Code's word accept (the stand-in above) ...
    assert.deepEqual(vs.executed.slice(executedBefore), ['infilld.acceptNextWord', 'editor.action.inlineSuggest.acceptNextWord']);
    const word = doc.text.slice(start, cursor());
    assert.ok(word.length > 0 && item.insertText.startsWith(word), `the word ${JSON.stringify(word)} is the item's start`);
    // ... measured what it inserted and told the server: the word's length, for this item.
    const partial = sent.slice(sentBefore).filter((n) => n.method === 'textDocument/didPartiallyAcceptCompletion');
    assert.equal(partial.length, 1, JSON.stringify(sent.slice(sentBefore)));
    assert.equal(partial[0].params.acceptedLength, word.length);
    assert.deepEqual(partial[0].params.item.command, item.command, 'the notification names the shown item');
    let s = await stats();
    for (let i = 0; i < 500 && s.partial === before.partial; i++) {  // a hang guard (10 s), not a time limit
      await new Promise((r) => setTimeout(r, 20));
      s = await stats();
    }
    assert.equal(s.partial, before.partial + 1, 'the server counted didPartiallyAcceptCompletion');
    const { items } = await suggestion(' ');
    insertVisible(items[0].insertText);
    await vs.commands.executeCommand(items[0].command.command, ...items[0].command.arguments);
    s = await stats();
    for (let i = 0; i < 500 && s.accepted === before.accepted; i++) {  // a hang guard (10 s)
      await new Promise((r) => setTimeout(r, 20));
      s = await stats();
    }
    assert.ok(s.accepted > before.accepted, 'accepted counted');
  });

  it('validates settings before sending them; a change reaches the server (a missing model is an error)', async () => {
    vs.setSetting('infilld.budget', 1);
    await until('warning', () => vs.messages.find((m) => m.kind === 'warning' && m.text.includes('infilld.budget: expected an integer from 64 to 131072, found 1')));
    vs.setSetting('infilld.budget', 1024);
    vs.setSetting('infilld.topK', 5);
    // maxTokens 4 instead of 16: the server's answer is the 4-token completion of the
    // document's text as the editor holds it (the CLI on that text), not the 16-token one.
    const sentBefore = sent.length;
    vs.setSetting('infilld.maxTokens', 4);
    const changes = sent.slice(sentBefore).filter((n) => n.method === 'workspace/didChangeConfiguration');
    assert.equal(changes.length, 1, JSON.stringify(sent.slice(sentBefore)));
    assert.equal(changes[0].params.settings.infilld.maxTokens, 4, JSON.stringify(changes[0].params));
    assert.equal(changes[0].params.settings.infilld.budget, 1024, 'the earlier valid change went too');
    const item = (await suggestion(' c')).items[0];
    const want4 = cliComplete(dir, doc.text, cursor(), 4);
    const want16 = cliComplete(dir, doc.text, cursor(), 16);
    assert.notEqual(want4, want16, 'the model writes more than 4 tokens here (else the check below could not fail)');
    assert.equal(item.insertText, want4, `the server answered ${JSON.stringify(item.insertText)}; 16 tokens give ${JSON.stringify(want16)}`);
    vs.setSetting('infilld.maxTokens', 16);
    assert.deepEqual(vs.messages.filter((m) => m.kind === 'error'), []);
    // A model folder that does not exist: the server reloads, fails, and says so.
    vs.setSetting('infilld.model', path.join(dir, 'no-such-model'));
    await until('error status', () => statusText() === '$(error) infilld');
    assert.match(vs.statusItems[0].tooltip, /no-such-model/);
    vs.setSetting('infilld.model', model);
    await until('ready again', () => statusText()?.startsWith('$(check)'));
  });

  it('without streaming the first answer is the final item', async () => {
    vs.setSetting('infilld.streaming', false);
    const { items, streamed } = await suggestion(' a = b;');
    assert.equal(streamed, false, 'no streamed text came first');
    assert.equal(items[0].command?.command, 'infilld.internal.accepted');
  });

  it('toggle turns suggestions off and on', async () => {
    await vs.commands.executeCommand('infilld.toggle');
    assert.equal(statusText(), '$(circle-slash) infilld');
    assert.equal(await ask(), undefined);
    await vs.commands.executeCommand('infilld.toggle');
    assert.notEqual(statusText(), '$(circle-slash) infilld');
  });

  it('restart brings the server back to ready', async () => {
    await vs.commands.executeCommand('infilld.restart');
    await until('ready after restart', () => statusText()?.startsWith('$(check)'));
    assert.equal(vs.registrations.filter((r) => r.kind === 'InlineCompletionItemProvider').length, 1);
  });
});
