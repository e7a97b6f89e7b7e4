// package.json's contributes.configuration against the settings table in src/settings.ts
// and the one in docs/lsp.md: every server key is a VS Code setting with the same default,
// range and choices.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { SERVER_SETTINGS } from '../src/settings';

const root = path.join(__dirname, '..', '..');
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const properties: Record<string, Record<string, unknown>> = manifest.contributes.configuration.properties;
const docsPath = path.join(root, '..', '..', 'docs', 'lsp.md');

/** The keys of docs/lsp.md's settings table (a row may list several keys). */
function documentedKeys(markdown: string): string[] {
  const section = markdown.split('## Settings')[1]?.split('\n## ')[0] ?? '';
  const keys: string[] = [];
  for (const line of section.split('\n')) {
    const m = /^\| ((?:`[A-Za-z]+`(?:, )?)+) \|/.exec(line);
    if (m) for (const k of m[1].matchAll(/`([A-Za-z]+)`/g)) keys.push(k[1]);
  }
  return keys;
}

describe('contributes.configuration', () => {
  it('has every server setting with matching default, range and choices', () => {
    for (const spec of SERVER_SETTINGS) {
      const p = properties[`infilld.${spec.key}`];
      assert.ok(p, `infilld.${spec.key} is contributed`);
      assert.ok(typeof p.markdownDescription === 'string' && p.markdownDescription.length > 10, `${spec.key} is described`);
      switch (spec.kind) {
        case 'integer':
        case 'number':
          assert.equal(p.minimum, spec.min, `${spec.key} minimum`);
          assert.equal(p.maximum, spec.max, `${spec.key} maximum`);
          assert.equal(p.default, spec.default ?? null, `${spec.key} default`);
          break;
        case 'enum':
          assert.deepEqual((p.enum as unknown[]).filter((v) => v !== null), spec.values, `${spec.key} choices`);
          assert.equal(p.default, spec.default ?? null, `${spec.key} default`);
          break;
        case 'boolean':
          assert.equal(p.default, spec.default, `${spec.key} default`);
          break;
        case 'path':
          assert.equal(p.type, 'string');
          break;
        case 'object':
          assert.equal(p.type, 'object');
          assert.deepEqual(p.default, {}, `${spec.key} default`);
          break;
      }
    }
  });

  it('stays off in untrusted workspaces, whose settings could choose the program or the backend', () => {
    // infilld.path, infilld.serverArgs and infilld.backend are read from workspace settings
    // too: only a workspace the user trusts may set them.
    assert.equal(manifest.capabilities?.untrustedWorkspaces?.supported, false);
    for (const key of ['infilld.path', 'infilld.serverArgs', 'infilld.backend']) assert.ok(properties[key], key);
  });

  it('accepts what docs/lsp.md\'s table (checked against the server\'s) says', { skip: !fs.existsSync(docsPath) }, () => {
    const section = fs.readFileSync(docsPath, 'utf8').split('## Settings')[1]?.split('\n## ')[0] ?? '';
    const accepts = new Map<string, string>();
    for (const line of section.split('\n')) {
      const m = /^\| `([A-Za-z]+)` \| [^|]* \| ([^|]+) \|/.exec(line);
      if (m) accepts.set(m[1], m[2].trim());
    }
    for (const spec of SERVER_SETTINGS) {
      let expected: string;
      switch (spec.kind) {
        case 'integer':
          expected = spec.max >= Number.MAX_SAFE_INTEGER ? `integer >= ${spec.min}` : `integer ${spec.min}..${spec.max}`;
          break;
        case 'number':
          expected = spec.max === undefined ? `number >= ${spec.min}` : `number ${spec.min}..${spec.max}`;
          break;
        case 'enum':
          expected = spec.values.map((v) => `"${v}"`).join(', ');
          break;
        case 'boolean':
          expected = 'boolean';
          break;
        case 'path':
          expected = 'string';
          break;
        case 'object':
          expected = `object {${Object.keys(properties[`infilld.${spec.key}`].properties as object).join(', ')}}`;
          break;
      }
      assert.equal(accepts.get(spec.key), expected, `${spec.key}: docs/lsp.md accepts`);
    }
  });

  it('covers exactly the keys of docs/lsp.md plus the extension\'s own', { skip: !fs.existsSync(docsPath) }, () => {
    const documented = documentedKeys(fs.readFileSync(docsPath, 'utf8'));
    assert.ok(documented.length >= 20, `found the table (${documented.length} keys)`);
    assert.deepEqual([...documented].sort(), SERVER_SETTINGS.map((s) => s.key).sort());
    const own = ['enable', 'path', 'serverArgs', 'languages', 'trace.server'];
    assert.deepEqual(
      Object.keys(properties).sort(),
      [...documented, ...own].map((k) => `infilld.${k}`).sort(),
    );
  });

  it('contributes the commands the extension registers, with keybindings for word and line accept', () => {
    const commands = manifest.contributes.commands.map((c: { command: string }) => c.command).sort();
    assert.deepEqual(commands, [
      'infilld.acceptNextLine',
      'infilld.acceptNextWord',
      'infilld.menu',
      'infilld.restart',
      'infilld.showLog',
      'infilld.showStats',
      'infilld.toggle',
    ]);
    const bound = manifest.contributes.keybindings.map((k: { command: string }) => k.command).sort();
    assert.deepEqual(bound, ['infilld.acceptNextLine', 'infilld.acceptNextWord']);
    for (const k of manifest.contributes.keybindings) assert.match(k.when, /inlineSuggestionVisible/);
  });

  it('is packageable: vsce needs publisher, engines.vscode and license (no repository yet: build.sh says so)', () => {
    assert.equal(typeof manifest.publisher, 'string');
    assert.match(manifest.engines.vscode, /^\^1\.\d+\.\d+$/);
    assert.equal(manifest.repository, undefined, 'no invented repository URL');
    assert.match(fs.readFileSync(path.join(root, 'build.sh'), 'utf8'), /--allow-missing-repository/);
    assert.equal(manifest.license, 'MIT');
    assert.ok(fs.existsSync(path.join(root, 'LICENSE')));
    const typesVersion = manifest.devDependencies['@types/vscode'].replace(/^[\^~]/, '');
    assert.equal(typesVersion, manifest.engines.vscode.slice(1), '@types/vscode matches engines.vscode');
    assert.match(manifest.dependencies['vscode-languageclient'], /^[\^~]?(10\.|11\.)/);
  });
});
