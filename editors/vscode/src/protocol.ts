// The parts of infilld's protocol (docs/lsp.md) the extension speaks, as plain types.
// No 'vscode' import: the unit tests load this module under plain node.

export const Methods = {
  inlineCompletion: 'textDocument/inlineCompletion',
  didShowCompletion: 'textDocument/didShowCompletion',
  didPartiallyAcceptCompletion: 'textDocument/didPartiallyAcceptCompletion',
  executeCommand: 'workspace/executeCommand',
  didChangeConfiguration: 'workspace/didChangeConfiguration',
  completionUpdate: 'infilld/completionUpdate',
  didChangeStatus: 'didChangeStatus',
  stats: 'infilld/stats',
} as const;

/** The `$/progress` token the server uses while the model loads. */
export const LOAD_PROGRESS_TOKEN = 'infilld/load';

/** JSON-RPC / LSP error codes the extension treats specially. */
export const ErrorCodes = {
  InvalidParams: -32602,
  ServerCancelled: -32802,
  RequestFailed: -32803,
  ContentModified: -32801,
  RequestCancelled: -32800,
} as const;

/** True for the errors that only mean "this answer is no longer wanted". */
export function isCancellationCode(code: unknown): boolean {
  return (
    code === ErrorCodes.RequestCancelled ||
    code === ErrorCodes.ContentModified ||
    code === ErrorCodes.ServerCancelled
  );
}

export interface LspPosition {
  line: number;
  character: number;
}

export interface LspRange {
  start: LspPosition;
  end: LspPosition;
}

export interface LspCommand {
  title: string;
  command: string;
  arguments?: unknown[];
}

export interface InlineCompletionItem {
  insertText: string | { kind: 'snippet'; value: string };
  filterText?: string;
  range?: LspRange;
  command?: LspCommand;
}

export interface InlineCompletionList {
  items: InlineCompletionItem[];
}

/** The reply may be a list, an array of items or null; normalise it to an array. */
export function itemsOf(result: unknown): InlineCompletionItem[] {
  if (result === null || result === undefined) return [];
  const raw = Array.isArray(result) ? result : (result as { items?: unknown }).items;
  if (!Array.isArray(raw)) return [];
  return raw.filter(isItem);
}

function isItem(value: unknown): value is InlineCompletionItem {
  if (typeof value !== 'object' || value === null) return false;
  const text = (value as { insertText?: unknown }).insertText;
  if (typeof text === 'string') return true;
  return (
    typeof text === 'object' &&
    text !== null &&
    (text as { kind?: unknown }).kind === 'snippet' &&
    typeof (text as { value?: unknown }).value === 'string'
  );
}

/** The item's text as plain characters (a snippet's placeholders are left as written). */
export function plainText(item: InlineCompletionItem): string {
  return typeof item.insertText === 'string' ? item.insertText : item.insertText.value;
}

export interface CompletionUpdateParams {
  id: number | string;
  uri: string;
  text: string;
}

export type ServerState = 'loading' | 'ready' | 'busy' | 'error';

export interface DidChangeStatusParams {
  kind?: string;
  busy?: boolean;
  message?: string;
  state?: ServerState;
}

export interface ServerStats {
  requests?: number;
  completed?: number;
  empty?: number;
  errors?: number;
  cancelled?: number;
  superseded?: number;
  contentModified?: number;
  cacheHits?: number;
  typedThroughHits?: number;
  speculative?: number;
  speculativeUsed?: number;
  shown?: number;
  accepted?: number;
  partiallyAccepted?: number;
  forwards?: number;
  latencyMs?: { count?: number; p50?: number; p95?: number; p99?: number };
}
