// VS Code settings ("infilld.*") -> the server's settings (docs/lsp.md, "Settings").
// The table mirrors src/completion/settings.cpp: same keys, types and ranges (test/manifest.test.ts
// checks them against docs/lsp.md, which a C++ test checks against that table), so a bad value is
// caught here (reported, and left out so the server keeps its previous value) instead of
// reaching the server. No 'vscode' import: tested under plain node.

export type JsonValue = string | number | boolean | null | { [key: string]: JsonValue };

export type SettingSpec =
  | { key: string; kind: 'integer'; min: number; max: number; default?: number }
  | { key: string; kind: 'number'; min: number; max?: number; default?: number }
  | { key: string; kind: 'boolean'; default: boolean }
  | { key: string; kind: 'enum'; values: readonly string[]; default?: string }
  | { key: string; kind: 'path' }
  | { key: string; kind: 'object' };

/** Every key of the server's settings table. A spec without `default` is "unset: the model family's default". */
export const SERVER_SETTINGS: readonly SettingSpec[] = [
  { key: 'model', kind: 'path' },
  { key: 'device', kind: 'enum', values: ['auto', 'cpu', 'cuda'], default: 'auto' },
  { key: 'quantize', kind: 'enum', values: ['none', 'q8'], default: 'none' },
  { key: 'budget', kind: 'integer', min: 64, max: 131072, default: 2048 },
  { key: 'prefixShare', kind: 'number', min: 0, max: 1, default: 0.75 },
  { key: 'snippetShare', kind: 'number', min: 0, max: 1, default: 0.25 },
  { key: 'debounceMs', kind: 'integer', min: 0, max: 60000, default: 0 },
  { key: 'maxTokens', kind: 'integer', min: 0, max: 1024, default: 0 },
  { key: 'deadlineMs', kind: 'integer', min: 0, max: 60000, default: 0 },
  { key: 'steps', kind: 'integer', min: 0, max: 4096 },
  { key: 'blockLength', kind: 'integer', min: 0, max: 4096 },
  { key: 'maxLength', kind: 'integer', min: 0, max: 4096 },
  { key: 'topK', kind: 'integer', min: 0, max: 1 << 20 },
  { key: 'seed', kind: 'integer', min: 0, max: Number.MAX_SAFE_INTEGER },
  { key: 'alg', kind: 'enum', values: ['confidence', 'margin', 'entropy', 'random'] },
  { key: 'schedule', kind: 'enum', values: ['timestep', 'even'] },
  { key: 'threshold', kind: 'number', min: 0, max: 1 },
  { key: 'factor', kind: 'number', min: 0 },
  { key: 'temperature', kind: 'number', min: 0, max: 100 },
  { key: 'topP', kind: 'number', min: 0, max: 1 },
  { key: 'eps', kind: 'number', min: 0, max: 1 },
  { key: 'cache', kind: 'enum', values: ['none', 'prefix', 'dual'] },
  { key: 'streaming', kind: 'boolean', default: false },
  { key: 'speculative', kind: 'boolean', default: true },
  { key: 'cacheSize', kind: 'integer', min: 0, max: 10000, default: 256 },
  { key: 'maxDocumentBytes', kind: 'integer', min: 1024, max: 1073741824, default: 67108864 },
  // Checked member by member by the server (its message names the member); {} is "local".
  { key: 'backend', kind: 'object' },
];

export interface PathContext {
  home?: string;
  workspaceFolder?: string;
}

/** Expands a leading `~`, `${userHome}` and `${workspaceFolder}` (left as written when unknown). */
export function expandPath(value: string, context: PathContext): string {
  let out = value.trim();
  if (context.home !== undefined) {
    if (out === '~') out = context.home;
    else if (out.startsWith('~/') || out.startsWith('~\\')) out = context.home + out.slice(1);
    out = out.split('${userHome}').join(context.home);
  }
  if (context.workspaceFolder !== undefined) out = out.split('${workspaceFolder}').join(context.workspaceFolder);
  return out;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

function rangeText(min: number, max: number | undefined): string {
  return max === undefined ? `>= ${min}` : `from ${min} to ${max}`;
}

/**
 * Checks one value against its spec. Returns the value to send (null: unset, the server's
 * default) or a problem naming what was expected and what was found.
 */
export function validateSetting(
  spec: SettingSpec,
  value: unknown,
  context: PathContext = {},
): { value: JsonValue } | { problem: string } {
  if (value === undefined || value === null) return { value: null };
  const bad = (expected: string) => ({
    problem: `infilld.${spec.key}: expected ${expected}, found ${describe(value)}`,
  });
  switch (spec.kind) {
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value) || value < spec.min || value > spec.max)
        return bad(`an integer ${rangeText(spec.min, spec.max)}`);
      return { value };
    case 'number':
      if (
        typeof value !== 'number' ||
        !Number.isFinite(value) ||
        value < spec.min ||
        (spec.max !== undefined && value > spec.max)
      )
        return bad(`a number ${rangeText(spec.min, spec.max)}`);
      return { value };
    case 'boolean':
      if (typeof value !== 'boolean') return bad('true or false');
      return { value };
    case 'enum':
      if (typeof value !== 'string' || !spec.values.includes(value))
        return bad(`one of ${spec.values.map((v) => JSON.stringify(v)).join(', ')}`);
      return { value };
    case 'path': {
      if (typeof value !== 'string') return bad('a string (a folder path)');
      const expanded = expandPath(value, context);
      return { value: expanded === '' ? null : expanded };
    }
    case 'object':
      if (typeof value !== 'object' || Array.isArray(value)) return bad('an object');
      if (Object.keys(value).length === 0) return { value: null };
      return { value: value as { [key: string]: JsonValue } };
  }
}

export interface ServerSettings {
  /** Every key of the table; null where unset (the server's default). Bad values are left out. */
  settings: Record<string, JsonValue>;
  problems: string[];
}

/** Reads each server key through `read` (e.g. WorkspaceConfiguration.get) and validates it. */
export function buildServerSettings(read: (key: string) => unknown, context: PathContext = {}): ServerSettings {
  const settings: Record<string, JsonValue> = {};
  const problems: string[] = [];
  for (const spec of SERVER_SETTINGS) {
    const result = validateSetting(spec, read(spec.key), context);
    if ('problem' in result) problems.push(result.problem);
    else settings[spec.key] = result.value;
  }
  return { settings, problems };
}

/** initializationOptions: the set keys only (unset ones keep the server's defaults). */
export function initializationOptions(settings: Record<string, JsonValue>): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const [key, value] of Object.entries(settings)) if (value !== null) out[key] = value;
  return out;
}

/**
 * workspace/didChangeConfiguration params. Unset keys are sent as null so that a setting
 * the user removed goes back to the server's default; keys with a bad value are absent, so
 * the server keeps what it had.
 */
export function didChangeConfigurationParams(settings: Record<string, JsonValue>): {
  settings: { infilld: Record<string, JsonValue> };
} {
  return { settings: { infilld: { ...settings } } };
}

export interface ClientSettings {
  enable: boolean;
  path: string;
  serverArgs: string[];
  languages: string[];
  problems: string[];
}

/** The extension's own settings (not sent to the server). */
export function buildClientSettings(read: (key: string) => unknown, context: PathContext = {}): ClientSettings {
  const problems: string[] = [];
  const enable = read('enable');
  const rawPath = read('path');
  let path = 'infilld';
  if (typeof rawPath === 'string' && rawPath.trim() !== '') path = expandPath(rawPath, context);
  else if (rawPath !== undefined && rawPath !== null && rawPath !== '')
    problems.push(`infilld.path: expected a string, found ${describe(rawPath)}`);
  const strings = (key: string, fallback: string[]): string[] => {
    const raw = read(key);
    if (raw === undefined || raw === null) return fallback;
    if (!Array.isArray(raw) || raw.some((v) => typeof v !== 'string')) {
      problems.push(`infilld.${key}: expected an array of strings, found ${describe(raw)}`);
      return fallback;
    }
    return raw as string[];
  };
  const languages = strings('languages', ['*']);
  return {
    enable: enable === undefined || enable === null ? true : enable === true,
    path,
    serverArgs: strings('serverArgs', []),
    languages: languages.length === 0 ? ['*'] : languages,
    problems,
  };
}

export interface DocumentFilter {
  scheme: string;
  language?: string;
}

/** The documents synced to the server: every file (and untitled buffer) for "*", else the listed languages. */
export function documentSelector(languages: readonly string[]): DocumentFilter[] {
  const schemes = ['file', 'untitled'];
  if (languages.includes('*')) return schemes.map((scheme) => ({ scheme }));
  return languages.flatMap((language) => schemes.map((scheme) => ({ scheme, language })));
}

/** The `infilld lsp` command line. */
export function serverCommandLine(client: ClientSettings): { command: string; args: string[] } {
  return { command: client.path, args: ['lsp', ...client.serverArgs] };
}
