// End to end under plain node: the compiled extension, with test/support/vscodeStub.ts in
// place of 'vscode', starts a real `infilld lsp` and drives it through the real
// vscode-languageclient. Runs when INFILLD_BIN (the binary) and INFILLD_TEST_MODEL (a model
// folder, e.g. a tiny checkpoint from tools/tiny_checkpoint.py) are set; skipped otherwise.

import { strict as assert } from 'node:assert';
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

function loadWithStub(): void {
  const Module = require('node:module');
  const stubPath = require.resolve('./support/vscodeStub');
  const resolve = Module._resolveFilename;
  Module._resolveFilename = function (request: string, ...rest: unknown[]) {
    return request === 'vscode' ? stubPath : resolve.call(this, request, ...rest);
  };
  vs = require('./support/vscodeStub');
  extension = require('../src/extension');
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
  /** Types through `keys` until the server has a suggestion. */
  const suggestion = async (keys: string) => {
    for (const ch of ['', ...keys]) {
      if (ch !== '') type(ch);
      const items = await ask();
      if (items !== undefined && items.length > 0 && typeof items[0].insertText === 'string' && items[0].insertText.trim() !== '')
        return items;
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
    let items = await suggestion('a + b;');
    if (process.env.INFILLD_TEST_VERBOSE) console.error('first answer', JSON.stringify(items));
    if (items[0].command === undefined) {
      // Streamed text came first: the final reply re-triggers and brings the command.
      await until('re-trigger', () => vs.executed.includes('editor.action.inlineSuggest.trigger'));
      items = await until('final item', () => (visible?.command ? [visible] : undefined));
    }
    assert.equal(items[0].command.command, 'infilld.internal.accepted');
    assert.equal(items[0].command.arguments[0].command.command, 'infilld.accept');
    await until('latency in the status bar', () => / \d+ ms$/.test(statusText()));
    const s = await stats();
    assert.ok(s.shown >= 1, `shown ${s.shown}`);
  });

  it('word accept measures and reports the accepted length; a full accept runs infilld.accept', async () => {
    const before = await stats();
    const item = visible.command.arguments[0];
    const start = doc.offsetAt(visible.range.start);
    const docBefore = doc.text;
    await vs.commands.executeCommand('infilld.acceptNextWord');
    assert.notEqual(doc.text, docBefore, 'the stub accepted a word');
    let s = await stats();
    for (let i = 0; i < 50 && s.partial === before.partial; i++) {
      await new Promise((r) => setTimeout(r, 20));
      s = await stats();
    }
    assert.equal(s.partial, before.partial + 1, 'didPartiallyAcceptCompletion counted');
    assert.ok(cursor() > start && item.insertText.startsWith(doc.text.slice(start, cursor())), 'the word is the item\'s start');
    const items = await suggestion(' ');
    insertVisible(items[0].insertText);
    await vs.commands.executeCommand(items[0].command.command, ...items[0].command.arguments);
    s = await stats();
    for (let i = 0; i < 50 && s.accepted === before.accepted; i++) {
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
    const items = await ask(vs.InlineCompletionTriggerKind.Invoke);
    assert.ok(Array.isArray(items));
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
    const items = await suggestion(' a = b;');
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
