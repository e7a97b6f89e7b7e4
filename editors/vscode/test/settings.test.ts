import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import {
  buildClientSettings,
  buildServerSettings,
  didChangeConfigurationParams,
  documentSelector,
  expandPath,
  initializationOptions,
  SERVER_SETTINGS,
  serverCommandLine,
  validateSetting,
} from '../src/settings';

const spec = (key: string) => {
  const s = SERVER_SETTINGS.find((x) => x.key === key);
  assert.ok(s, key);
  return s;
};

const reader = (values: Record<string, unknown>) => (key: string) => values[key];

describe('validateSetting', () => {
  it('accepts integers inside the range, inclusive', () => {
    assert.deepEqual(validateSetting(spec('budget'), 64), { value: 64 });
    assert.deepEqual(validateSetting(spec('budget'), 131072), { value: 131072 });
  });

  it('rejects integers outside the range and non-integers, naming key, expectation and value', () => {
    assert.deepEqual(validateSetting(spec('budget'), 63), {
      problem: 'infilld.budget: expected an integer from 64 to 131072, found 63',
    });
    assert.ok('problem' in validateSetting(spec('budget'), 100.5));
    assert.deepEqual(validateSetting(spec('debounceMs'), '50'), {
      problem: 'infilld.debounceMs: expected an integer from 0 to 60000, found "50"',
    });
  });

  it('checks numbers against open-ended and closed ranges', () => {
    assert.deepEqual(validateSetting(spec('factor'), 7.5), { value: 7.5 });
    assert.deepEqual(validateSetting(spec('factor'), -0.1), {
      problem: 'infilld.factor: expected a number >= 0, found -0.1',
    });
    assert.deepEqual(validateSetting(spec('temperature'), 7.5), { value: 7.5 });
    assert.deepEqual(validateSetting(spec('temperature'), 100.5), {
      problem: 'infilld.temperature: expected a number from 0 to 100, found 100.5',
    });
    assert.deepEqual(validateSetting(spec('topP'), 1.5), {
      problem: 'infilld.topP: expected a number from 0 to 1, found 1.5',
    });
    assert.ok('problem' in validateSetting(spec('prefixShare'), Number.NaN));
    assert.ok('problem' in validateSetting(spec('factor'), Number.POSITIVE_INFINITY));
  });

  it('checks enums and booleans', () => {
    assert.deepEqual(validateSetting(spec('alg'), 'margin'), { value: 'margin' });
    assert.deepEqual(validateSetting(spec('device'), 'gpu'), {
      problem: 'infilld.device: expected one of "auto", "cpu", "cuda", found "gpu"',
    });
    assert.deepEqual(validateSetting(spec('streaming'), true), { value: true });
    assert.deepEqual(validateSetting(spec('streaming'), 'yes'), {
      problem: 'infilld.streaming: expected true or false, found "yes"',
    });
  });

  it('passes the backend object on whole (the server checks its members); {} is unset', () => {
    const remote = { kind: 'infilld', url: 'http://gpu-box:8080', headers: { 'X-Team': 'a' } };
    assert.deepEqual(validateSetting(spec('backend'), remote), { value: remote });
    assert.deepEqual(validateSetting(spec('backend'), {}), { value: null });
    assert.deepEqual(validateSetting(spec('backend'), 'http://gpu-box:8080'), {
      problem: 'infilld.backend: expected an object, found "http://gpu-box:8080"',
    });
    assert.deepEqual(validateSetting(spec('backend'), [remote]), {
      problem: 'infilld.backend: expected an object, found an array',
    });
  });

  it('treats null and undefined as unset', () => {
    assert.deepEqual(validateSetting(spec('steps'), null), { value: null });
    assert.deepEqual(validateSetting(spec('budget'), undefined), { value: null });
  });

  it('expands the model path and maps an empty one to unset', () => {
    const ctx = { home: '/home/u', workspaceFolder: '/ws' };
    assert.deepEqual(validateSetting(spec('model'), '~/models/dream', ctx), { value: '/home/u/models/dream' });
    assert.deepEqual(validateSetting(spec('model'), '${workspaceFolder}/m', ctx), { value: '/ws/m' });
    assert.deepEqual(validateSetting(spec('model'), '   ', ctx), { value: null });
    assert.ok('problem' in validateSetting(spec('model'), 42, ctx));
  });
});

describe('expandPath', () => {
  it('expands ~ only at the start, and leaves unknown variables alone', () => {
    assert.equal(expandPath('~', { home: '/h' }), '/h');
    assert.equal(expandPath('a/~/b', { home: '/h' }), 'a/~/b');
    assert.equal(expandPath('${userHome}/x', { home: '/h' }), '/h/x');
    assert.equal(expandPath('${workspaceFolder}/x', {}), '${workspaceFolder}/x');
  });
});

describe('buildServerSettings', () => {
  it('reads every server key, keeps good values, reports and leaves out bad ones', () => {
    const { settings, problems } = buildServerSettings(
      reader({ model: '/m', budget: 4096, steps: 5000, alg: 'entropy', streaming: true, cacheSize: 'big' }),
    );
    assert.equal(settings.model, '/m');
    assert.equal(settings.budget, 4096);
    assert.equal(settings.alg, 'entropy');
    assert.equal(settings.streaming, true);
    assert.equal(settings.topK, null, 'unset keys are null');
    assert.ok(!('steps' in settings), 'a bad value is not sent');
    assert.ok(!('cacheSize' in settings));
    assert.equal(problems.length, 2);
    assert.match(problems[0], /^infilld\.steps: expected an integer from 0 to 4096, found 5000$/);
    assert.match(problems[1], /^infilld\.cacheSize: /);
    assert.equal(Object.keys(settings).length, SERVER_SETTINGS.length - 2);
  });

  it('initializationOptions drops unset keys; didChangeConfiguration sends them as null', () => {
    const { settings } = buildServerSettings(reader({ budget: 1024, device: 'cpu' }));
    assert.deepEqual(initializationOptions(settings), { budget: 1024, device: 'cpu' });
    const change = didChangeConfigurationParams(settings);
    assert.equal(change.settings.infilld.budget, 1024);
    assert.equal(change.settings.infilld.steps, null);
    assert.ok('model' in change.settings.infilld);
  });

  it('the VS Code defaults (what config.get returns for untouched settings) validate cleanly', () => {
    const defaults: Record<string, unknown> = {};
    for (const s of SERVER_SETTINGS) defaults[s.key] = 'default' in s ? s.default : s.kind === 'path' ? '' : s.kind === 'object' ? {} : null;
    const { settings, problems } = buildServerSettings(reader(defaults));
    assert.deepEqual(problems, []);
    assert.deepEqual(initializationOptions(settings), {
      device: 'auto',
      quantize: 'none',
      budget: 2048,
      prefixShare: 0.75,
      snippetShare: 0.25,
      debounceMs: 0,
      maxTokens: 0,
      deadlineMs: 0,
      streaming: false,
      speculative: true,
      cacheSize: 256,
      maxDocumentBytes: 67108864,
    });
  });
});

describe('client settings', () => {
  it('defaults: enabled, infilld on PATH, all languages', () => {
    const c = buildClientSettings(reader({}));
    assert.deepEqual(c, { enable: true, path: 'infilld', serverArgs: [], languages: ['*'], problems: [] });
    assert.deepEqual(serverCommandLine(c), { command: 'infilld', args: ['lsp'] });
  });

  it('expands the path, passes extra arguments after lsp, reports bad shapes', () => {
    const c = buildClientSettings(
      reader({ enable: false, path: '~/bin/infilld', serverArgs: ['--log', '/tmp/l'], languages: 'cpp' }),
      { home: '/h' },
    );
    assert.equal(c.enable, false);
    assert.deepEqual(serverCommandLine(c), { command: '/h/bin/infilld', args: ['lsp', '--log', '/tmp/l'] });
    assert.deepEqual(c.languages, ['*']);
    assert.deepEqual(c.problems, ['infilld.languages: expected an array of strings, found "cpp"']);
  });

  it('document selector: every file for *, else one filter per language and scheme', () => {
    assert.deepEqual(documentSelector(['*']), [{ scheme: 'file' }, { scheme: 'untitled' }]);
    assert.deepEqual(documentSelector(['cpp', 'python']), [
      { scheme: 'file', language: 'cpp' },
      { scheme: 'untitled', language: 'cpp' },
      { scheme: 'file', language: 'python' },
      { scheme: 'untitled', language: 'python' },
    ]);
  });
});
