// The extension in real VS Code: code-server 4.139 (VS Code 1.139) in headless Chromium,
// the packaged .vsix installed into a fresh profile, the real `infilld lsp` behind it.
// Each case asserts on what the user sees (the DOM: the editor's lines, the ghost text,
// the status bar, notifications, the output panel) or on the server's own record (its log
// file and infilld/stats, shown through the extension's "Show Statistics" command).
//
//   INFILLD_BIN=build/infilld INFILLD_TEST_MODEL=<printable tiny checkpoint> \
//   INFILLD_DEFAULT_MODEL=models/default VSIX=editors/vscode/infilld-0.1.0.vsix \
//   node --test editors/vscode/e2e/e2e.test.mjs          (editors/vscode/e2e/run.sh does all this)
//
// The tiny checkpoint always answers (printable text), so every case has a suggestion to
// work with; the last case switches to the default model for the README's screenshot.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as util from 'node:util';
import { after, afterEach, before, describe, it } from 'node:test';
import { recordStatus, Ui } from './ui.mjs';
import { sleep, startWorkbench, until } from './workbench.mjs';

const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..', '..');
const bin = process.env.INFILLD_BIN;
const tinyModel = process.env.INFILLD_TEST_MODEL;
const defaultModel = process.env.INFILLD_DEFAULT_MODEL ?? path.join(repo, 'models', 'default');
const vsix = process.env.VSIX;
// Where the ghost-text screenshot goes: the README's picture is editors/vscode/media/ghost-text.png.
const screenshot = process.env.SCREENSHOT;
for (const [name, value] of Object.entries({ INFILLD_BIN: bin, INFILLD_TEST_MODEL: tinyModel, VSIX: vsix }))
  if (!value) throw new Error(`set ${name} (editors/vscode/e2e/run.sh sets them all)`);

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'infilld-vscode-e2e-'));
const workspace = path.join(root, 'workspace');
const serverLog = path.join(root, 'infilld-server.log');
const PRIMES = fs.readFileSync(path.join(repo, 'examples', 'primes.py'), 'utf8');
// A non-BMP character (two UTF-16 code units, one code point, four UTF-8 bytes) before the cursor.
const UNICODE = 'def greet(name):\n    label = "\u{1F600} " + \n    return label\n\n\ndef main():\n    \n';

let wb;
let ui;

function serverLogText() {
  return fs.existsSync(serverLog) ? fs.readFileSync(serverLog, 'utf8') : '';
}

/**
 * infilld/stats through "infilld: Show Statistics": the counts its output channel shows.
 * The panel is maximised to read the whole block, then the channel is cleared so that the
 * next call reads only its own block.
 */
async function stats() {
  await ui.runCommand('infilld: Show Statistics');
  await until('the statistics channel', async () => (await ui.outputLines()).some((l) => l.includes('acceptance rate')));
  await ui.runCommand('View: Toggle Maximized Panel');
  const lines = await until('the whole statistics block', async () => {
    const all = await ui.outputLines();
    const start = all.lastIndexOf('infilld statistics (server)');
    return start >= 0 && all.slice(start).some((l) => l.includes('acceptance rate')) ? all.slice(start) : false;
  });
  const counts = {};
  for (const line of lines) {
    const m = /^ {2}(.*?)\s{2,}(\d+)$/.exec(line);
    if (m) counts[m[1]] = Number(m[2]);
  }
  for (const key of ['requests', 'accepted', 'partially accepted', 'forward passes', 'typed-through hits'])
    assert.ok(key in counts, `"${key}" missing from the statistics: ${JSON.stringify(lines)}`);
  await ui.page.click('.panel .title-actions [aria-label^="Clear Output"]');
  await until('the channel cleared', async () => !(await ui.outputLines()).some((l) => l.includes('acceptance rate')));
  await ui.runCommand('View: Toggle Maximized Panel');
  return counts;
}

/** Back to the editor with the cursor at LINE:COL and no ghost text. */
async function focusEditorAt(line, column) {
  await ui.page.click('.editor-group-container .monaco-editor .view-lines');
  await ui.goTo(line, column);
}

async function typeForGhost(text, what) {
  await ui.type(text);
  return ui.waitGhost(`ghost text after typing ${JSON.stringify(text)} (${what})`);
}

before(async () => {
  fs.mkdirSync(workspace);
  fs.writeFileSync(path.join(workspace, 'primes.py'), PRIMES);
  fs.writeFileSync(path.join(workspace, 'example.py'), PRIMES);
  fs.writeFileSync(path.join(workspace, 'unicode.py'), UNICODE);
  wb = await startWorkbench({
    root,
    vsix,
    workspace,
    beforeLoad: (page) => recordStatus(page),
    settings: baseSettings(tinyModel),
  });
  ui = new Ui(wb.page);
});

function baseSettings(model) {
  return {
      'infilld.path': bin,
      'infilld.model': model,
      'infilld.serverArgs': ['--log', serverLog],
      // Off so that forward counts change only when a request runs the engine (the
      // settings case turns it back on through the settings editor).
      'infilld.speculative': false,
      'workbench.startupEditor': 'none',
      'workbench.tips.enabled': false,
      'workbench.secondarySideBar.defaultVisibility': 'hidden',
      'chat.disableAIFeatures': true,
      'security.workspace.trust.enabled': false,
      'telemetry.telemetryLevel': 'off',
      'extensions.autoUpdate': false,
      'extensions.autoCheckUpdates': false,
      'update.mode': 'none',
      'editor.inlineSuggest.enabled': true,
      // Typed characters stay as typed (no closing bracket or quote added after them).
      'editor.autoClosingBrackets': 'never',
      'editor.autoClosingQuotes': 'never',
      'editor.autoSurround': 'never',
      'files.autoSave': 'off',
  };
}

// A picture after each case (kept with KEEP_E2E=1, for reading a failure).
let shots = 0;
afterEach(async () => {
  await wb?.page.screenshot({ path: path.join(root, `case-${++shots}.png`) }).catch(() => undefined);
});

after(async () => {
  await wb?.close();
  if (process.env.KEEP_E2E !== '1') fs.rmSync(root, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  else console.log(`kept ${root}`);
});

describe('infilld in VS Code (code-server, headless Chromium)', () => {
  it('status bar: starting, loading, then ready with the model named', async () => {
    await ui.openFile('primes.py');
    await until('the status item to say ready', async () => /infilld: ready/.test((await ui.status()).label), 60000);
    const history = await ui.statusHistory();
    const at = (re) => history.findIndex((l) => re.test(l));
    const starting = at(/infilld: starting the server/), loading = at(/infilld: loading the model/), ready = at(/infilld: ready/);
    assert.ok(starting >= 0 && loading > starting && ready > loading, `not starting, loading, ready in order: ${JSON.stringify(history)}`);
    assert.match((await ui.status()).label, new RegExp(`model ${tinyModel.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  });

  let ghost;
  it('ghost text appears after typing; the status bar goes busy and shows the latency', async () => {
    await focusEditorAt(10, 9);
    ghost = await typeForGhost('if n', 'line 10 of primes.py');
    assert.equal(await ui.lineText(10), '        if n', 'the ghost text is not part of the line');
    const { text } = await until('the latency in the status bar', async () => {
      const s = await ui.status();
      return /infilld \d+(\.\d+)? (ms|s)$/.test(s.text) ? s : false;
    });
    assert.match(text, /infilld \d/);
    const history = await ui.statusHistory();
    assert.ok(history.some((l) => /infilld: completing/.test(l)), `never busy: ${JSON.stringify(history.slice(-6))}`);
  });

  it('typing through the suggestion keeps it, from the server cache (no engine run)', async () => {
    const s0 = await stats();
    await focusEditorAt(10, 13);
    // The same position again ("Trigger Inline Suggestion"): the cache answers (no forward).
    await ui.runCommand('Trigger Inline Suggestion');
    const again = await ui.waitGhost('the suggestion back at the same position');
    assert.equal(again, ghost, 'the same position gave another suggestion');
    await ui.type(ghost[0]);
    const rest = await until('the rest of the suggestion', async () => {
      const g = await ui.ghostText();
      return g === ghost.slice(1) ? g : false;
    }, 10000);
    assert.equal(rest, ghost.slice(1));
    assert.equal(await ui.lineText(10), '        if n' + ghost[0]);
    const s1 = await stats();
    assert.equal(s1['forward passes'], s0['forward passes'], 'typing through ran the engine');
    assert.ok(s1['typed-through hits'] > s0['typed-through hits'], `no typed-through hit: ${JSON.stringify([s0, s1])}`);
  });

  it('Tab accepts: the buffer is the typed text plus the suggestion; the server counts one accept', async () => {
    const s0 = await stats();
    await focusEditorAt(10, 14);
    await ui.runCommand('Trigger Inline Suggestion');
    await ui.waitGhost('the rest of the suggestion, shown again');
    await ui.page.keyboard.press('Tab');
    await until('the accepted line', async () => (await ui.lineText(10)) === '        if n' + ghost);
    await ui.save();
    const lines = PRIMES.split('\n');
    lines[9] = '        if n' + ghost;
    assert.equal(fs.readFileSync(path.join(workspace, 'primes.py'), 'utf8'), lines.join('\n'));
    const s1 = await stats();
    assert.equal(s1.accepted, s0.accepted + 1, `accepts ${s0.accepted} -> ${s1.accepted}`);
  });

  it('next word (Ctrl+Right) and next line (Ctrl+Alt+Right) accept: the buffer and the partial-accept count', async () => {
    const s0 = await stats();
    await focusEditorAt(10, 14);
    await ui.page.keyboard.press('Control+Z');  // back to "if n" + the first character
    await until('the undone accept', async () => (await ui.lineText(10)) === '        if n' + ghost[0]);
    await ui.runCommand('Trigger Inline Suggestion');
    await until('the rest shown again', async () => (await ui.ghostText()) === ghost.slice(1));
    const full = '        if n' + ghost;
    await ui.page.keyboard.press('Control+ArrowRight');
    if (!/\W/.test(ghost.slice(1))) {
      // The tiny model's suggestion is one word this time (which suggestion the typing
      // ends on depends on which of its requests answered first): the word accept takes it
      // all, which reaches the item's end: reported, then accepted.
      await until('the one-word suggestion accepted', async () => (await ui.lineText(10)) === full);
      const s1 = await stats();
      assert.equal(s1['partially accepted'], s0['partially accepted'] + 1, `partial accepts ${s0['partially accepted']} -> ${s1['partially accepted']}`);
      assert.equal(s1.accepted, s0.accepted + 1, `accepts ${s0.accepted} -> ${s1.accepted}`);
      return;
    }
    const word = await until('a word accepted', async () => {
      const line = await ui.lineText(10);
      return line.length > '        if n'.length + 1 ? line : false;
    });
    assert.ok(full.startsWith(word) && word.length < full.length, `after a word accept the line is ${JSON.stringify(word)}; the whole suggestion ${JSON.stringify(full)}`);
    assert.equal(word + (await ui.ghostText()), full, 'the line and the ghost text left do not make the suggestion');
    await ui.page.keyboard.press('Control+Alt+ArrowRight');
    await until('the line accepted', async () => (await ui.lineText(10)) === full);
    const s1 = await stats();
    // The word, then the line (which reaches the end of the item: reported, then accepted).
    assert.equal(s1['partially accepted'], s0['partially accepted'] + 2, `partial accepts ${s0['partially accepted']} -> ${s1['partially accepted']}`);
    assert.equal(s1.accepted, s0.accepted + 1, `accepts ${s0.accepted} -> ${s1.accepted}`);
  });

  it('Escape dismisses; a new keystroke replaces the suggestion', async () => {
    await focusEditorAt(11, 16);  // the end of "    return True"
    await ui.page.keyboard.press('Enter');
    const first = await typeForGhost('x', 'a new line after return True');
    await ui.page.keyboard.press('Escape');
    await until('the ghost text gone', async () => (await ui.ghostText()) === '');
    await sleep(1500);
    assert.equal(await ui.ghostText(), '', 'the dismissed suggestion came back by itself');
    const s0 = await stats();
    await focusEditorAt(12, 1);
    await ui.page.keyboard.press('End');
    const key = first[0] === 'q' ? 'z' : 'q';  // not the suggestion's next character
    const second = await typeForGhost(key, 'a keystroke after Escape');
    const s1 = await stats();
    assert.ok(s1.requests > s0.requests, `no new request for the new keystroke: ${s0.requests} -> ${s1.requests}`);
    assert.ok(second.length > 0);
  });

  it('a non-BMP character before the cursor: the suggestion lands at the cursor (UTF-16 positions)', async () => {
    await ui.openFile('unicode.py');
    await focusEditorAt(2, 1);
    await ui.page.keyboard.press('End');
    const line = '    label = "\u{1F600} " + ';
    assert.equal(await ui.lineText(2), line);
    const suggestion = await typeForGhost('na', 'after the emoji');
    await ui.page.keyboard.press('Tab');
    await until('the accepted line', async () => (await ui.lineText(2)) === line + 'na' + suggestion);
    await ui.save();
    const saved = fs.readFileSync(path.join(workspace, 'unicode.py'), 'utf8').split('\n');
    assert.equal(saved[1], line + 'na' + suggestion);
    assert.equal(saved.length, UNICODE.split('\n').length, 'lines were added or lost');
  });

  it('commands: toggle turns suggestions off and on', async () => {
    const s0 = await stats();
    await ui.runCommand('infilld: Toggle Suggestions');
    await until('the status item says off', async () => /suggestions are off/.test((await ui.status()).label));
    await focusEditorAt(7, 5);  // unicode.py's empty body of main()
    await ui.type('import o');
    await sleep(2000);
    assert.equal(await ui.ghostText(), '', 'a suggestion while suggestions are off');
    const s1 = await stats();
    assert.equal(s1.requests, s0.requests, 'the server was asked while suggestions are off');
    await ui.runCommand('infilld: Toggle Suggestions');
    await until('the status item says ready', async () => /infilld: ready/.test((await ui.status()).label));
    await focusEditorAt(7, 13);  // the end of "    import o"
    await ui.type('s');
    await ui.waitGhost('a suggestion once they are on again');
    await ui.page.keyboard.press('Escape');
  });

  it('commands: show log opens the infilld output channel with the server\'s messages', async () => {
    await ui.runCommand('infilld: Show Log');
    await until('the infilld channel in the output panel', async () => (await ui.outputChannel()) === 'infilld');
    const lines = await until('the log lines', async () => {
      const all = await ui.outputLines();
      return all.some((l) => l.includes('settings changed:')) ? all : false;
    });
    assert.ok(lines.some((l) => /starting .*infilld lsp/.test(l)), `no "starting" line: ${JSON.stringify(lines)}`);
  });

  it('commands: show statistics answers in a notification and the statistics channel', async () => {
    await ui.runCommand('infilld: Show Statistics');
    const toast = await until('the statistics notification', async () =>
      (await ui.notifications()).find((n) => /^infilld: \d+ requests, \d+ shown, \d+ accepted/.test(n)));
    await ui.page.click('.panel .title-actions [aria-label^="Clear Output"]');  // stats() reads a block of its own
    const s = await stats();
    assert.match(toast, new RegExp(`^infilld: \\d+ requests, \\d+ shown, ${s.accepted} accepted`));
    await ui.clearNotifications();
  });

  it('commands: restart starts a new server process', async () => {
    const starts = () => (serverLogText().match(/settings changed: model/g) ?? []).length;
    const before = starts();
    await ui.runCommand('infilld: Restart Server');
    await until('the new server to apply its settings', () => starts() > before, 30000);
    await until('ready again', async () => /infilld: ready/.test((await ui.status()).label), 30000);
    const history = await ui.statusHistory();
    assert.ok(history.slice(-6).some((l) => /starting the server|loading the model/.test(l)),
      `no starting/loading state in the restart: ${JSON.stringify(history.slice(-6))}`);
  });

  it('the default model suggests in a copy of examples/primes.py (the README screenshot)', async () => {
    await ui.openSettings();
    await ui.setSetting('model', defaultModel);
    await until('the default model ready', async () => {
      const s = await ui.status();
      return /infilld: ready/.test(s.label) && s.label.includes(defaultModel) ? s : false;
    }, 60000);
    await ui.page.keyboard.press('Escape');  // the settings editor
    await until('the settings editor closed', async () => (await ui.page.$('.settings-editor')) === null);
    await ui.openFile('example.py');  // primes.py untouched by the cases above
    await ui.runCommand('View: Hide Panel').catch(() => undefined);  // the output panel: not in the picture
    await focusEditorAt(10, 9);
    await ui.type('if n');
    const suggestion = await ui.waitGhost('the default model\'s suggestion', 60000);
    assert.ok(suggestion.trim().length > 0);
    await until('the latency in the status bar', async () => /infilld \d/.test((await ui.status()).text));
    const file = screenshot ?? path.join(root, 'ghost-text.png');
    await ui.page.screenshot({ path: file });
    assert.ok(fs.statSync(file).size > 10000, `the screenshot ${file} is too small to show anything`);
  });
  it('every infilld.* server setting set in the settings editor reaches the server', async () => {
    // A value other than the current one for each key of the server's settings table.
    const values = {
      device: 'cpu', quantize: 'q8', budget: 1024, prefixShare: 0.5, snippetShare: 0.1, debounceMs: 5,
      maxTokens: 12, deadlineMs: 5000, steps: 6, blockLength: 4, maxLength: 40, topK: 3, seed: 9,
      alg: 'entropy', schedule: 'even', threshold: 0.8, factor: 1.5, temperature: 0.2, topP: 0.9, eps: 0.01,
      cache: 'prefix', streaming: true, speculative: true, cacheSize: 100, maxDocumentBytes: 1000000,
    };
    const manifest = JSON.parse(fs.readFileSync(path.join(repo, 'editors', 'vscode', 'package.json'), 'utf8'));
    const keys = Object.keys(manifest.contributes.configuration.properties).map((k) => k.replace(/^infilld\./, ''));
    // Not the server's: the client's own keys, the LSP trace, and the model (the next cases).
    // The backend is an object: the settings editor offers "Edit in settings.json", so it is
    // written there (below).
    const serverKeys = keys.filter(
      (k) => !['enable', 'path', 'serverArgs', 'languages', 'trace.server', 'model', 'backend'].includes(k),
    );
    assert.deepEqual(serverKeys.slice().sort(), Object.keys(values).sort(), 'a setting without a value in this case');
    await ui.openSettings();
    for (const key of serverKeys) {
      const value = values[key];
      await ui.setSetting(key, value);
      const expected = `settings changed: ${key} ${JSON.stringify(value)} (was`;
      await until(`the server to log "${expected}"`, () => serverLogText().includes(expected), 15000);
    }
    // The backend object, as a user writes it into settings.json (still the model here, so
    // the cases after this one keep their engine): in the JSON editor, saved there.
    const logged = () => /settings changed: backend \{[^\n]*"timeoutMs":5000/.test(serverLogText());
    const user = JSON.parse(fs.readFileSync(wb.userSettingsFile, 'utf8'));
    user['infilld.backend'] = { kind: 'local', timeoutMs: 5000 };
    await ui.writeSettingsJson(user);
    const saved = () => {
      try {
        return util.isDeepStrictEqual(JSON.parse(fs.readFileSync(wb.userSettingsFile, 'utf8')), user);
      } catch {
        return false;  // not written yet, or half written
      }
    };
    await until('settings.json saved as written in the editor', saved, 15000);
    await until('the server to log the backend change', logged, 15000).catch(() => {});
    await ui.closeModal();
    assert.ok(logged(), 'the server never logged the backend written into settings.json');
  });

  it('a bad model folder shows the error state with its reason', async () => {
    await ui.openSettings();
    await ui.setSetting('model', path.join(root, 'no-such-model'));
    const { label } = await until('the error state', async () => {
      const s = await ui.status();
      return /infilld: error/.test(s.label) ? s : false;
    }, 30000);
    assert.match(label, /no-such-model/, 'the error does not name the folder');
    assert.match((await ui.status()).text, /infilld/);
  });

});
