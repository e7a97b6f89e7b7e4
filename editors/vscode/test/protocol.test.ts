import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ErrorCodes, isCancellationCode, itemsOf, plainText } from '../src/protocol';

describe('itemsOf', () => {
  const item = { insertText: 'x + 1', range: { start: { line: 0, character: 4 }, end: { line: 0, character: 4 } } };

  it('reads {items}, a bare array and null', () => {
    assert.deepEqual(itemsOf({ items: [item] }), [item]);
    assert.deepEqual(itemsOf([item]), [item]);
    assert.deepEqual(itemsOf(null), []);
    assert.deepEqual(itemsOf({ items: [] }), []);
  });

  it('drops malformed items', () => {
    const snippet = { insertText: { kind: 'snippet', value: 'f($1)' } };
    assert.deepEqual(itemsOf({ items: [item, { insertText: 3 }, null, snippet, { insertText: { kind: 'x' } }] }), [item, snippet]);
    assert.deepEqual(itemsOf({ items: 'nope' }), []);
  });

  it('plainText reads strings and snippets', () => {
    assert.equal(plainText(item), 'x + 1');
    assert.equal(plainText({ insertText: { kind: 'snippet', value: 'f($1)' } }), 'f($1)');
  });
});

describe('isCancellationCode', () => {
  it('is true only for the "answer no longer wanted" codes', () => {
    assert.ok(isCancellationCode(ErrorCodes.RequestCancelled));
    assert.ok(isCancellationCode(-32801));
    assert.ok(isCancellationCode(-32802));
    assert.ok(!isCancellationCode(ErrorCodes.RequestFailed));
    assert.ok(!isCancellationCode(ErrorCodes.InvalidParams));
    assert.ok(!isCancellationCode(undefined));
  });
});

describe('module structure', () => {
  it('the logic modules load without vscode (only extension, inline and statusBar import it)', () => {
    const dir = path.join(__dirname, '..', 'src');
    const withVscode = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.js'))
      .filter((f) => /require\("vscode"\)/.test(fs.readFileSync(path.join(dir, f), 'utf8')))
      .sort();
    assert.deepEqual(withVscode, ['extension.js', 'inline.js', 'statusBar.js']);
  });
});
