// The status bar's state and text. Events come from the client's lifecycle, the server's
// didChangeStatus notifications and $/progress while the model loads; formatStatus()
// turns the state into the item's text and tooltip. No 'vscode' import.

import { DidChangeStatusParams } from './protocol';
import { formatMs, LatencySummary } from './latency';

export type Phase = 'stopped' | 'starting' | 'loading' | 'ready' | 'busy' | 'error';

export interface StatusState {
  phase: Phase;
  enabled: boolean;
  /** The server's last message (the model folder, or why it failed). */
  message?: string;
  /** Load progress, 0..100, while loading. */
  percentage?: number;
  latency?: LatencySummary;
}

export interface ProgressValue {
  kind: 'begin' | 'report' | 'end';
  percentage?: number;
  message?: string;
}

export type StatusEvent =
  | { type: 'starting' }
  | { type: 'stopped'; message?: string }
  | { type: 'failed'; message: string }
  | { type: 'serverStatus'; params: DidChangeStatusParams }
  | { type: 'progress'; value: ProgressValue }
  | { type: 'enabled'; enabled: boolean }
  | { type: 'latency'; summary: LatencySummary };

export const initialStatus: StatusState = { phase: 'stopped', enabled: true };

function clampPercentage(p: unknown): number | undefined {
  if (typeof p !== 'number' || !Number.isFinite(p)) return undefined;
  return Math.round(Math.min(100, Math.max(0, p)));
}

/** The phase a didChangeStatus notification announces. */
export function phaseOf(params: DidChangeStatusParams): Phase {
  switch (params.state) {
    case 'loading':
    case 'ready':
    case 'busy':
    case 'error':
      return params.state;
  }
  if (params.kind === 'Error') return 'error';
  return params.busy ? 'busy' : 'ready';
}

export function reduceStatus(state: StatusState, event: StatusEvent): StatusState {
  switch (event.type) {
    case 'starting':
      return { ...state, phase: 'starting', message: undefined, percentage: undefined };
    case 'stopped':
      return { ...state, phase: 'stopped', message: event.message, percentage: undefined };
    case 'failed':
      return { ...state, phase: 'error', message: event.message, percentage: undefined };
    case 'enabled':
      return { ...state, enabled: event.enabled };
    case 'latency':
      return { ...state, latency: event.summary };
    case 'serverStatus': {
      const phase = phaseOf(event.params);
      const message = event.params.message !== undefined && event.params.message !== '' ? event.params.message : state.message;
      // Load progress survives a repeated "loading" status; any other phase ends it.
      const percentage = phase === 'loading' ? (state.phase === 'loading' ? state.percentage : undefined) : undefined;
      return { ...state, phase, message, percentage };
    }
    case 'progress': {
      const { value } = event;
      if (value.kind === 'end') {
        // didChangeStatus (ready or error) follows; until then the load is done.
        return state.phase === 'loading' ? { ...state, percentage: 100 } : state;
      }
      if (state.phase === 'error' && value.kind === 'report') return state;
      const percentage = clampPercentage(value.percentage) ?? (value.kind === 'begin' ? 0 : state.percentage);
      return { ...state, phase: 'loading', percentage };
    }
  }
}

export interface StatusView {
  text: string;
  tooltip: string;
  /** Show the item with the error background. */
  error: boolean;
}

function latencyLine(latency: LatencySummary | undefined): string | undefined {
  if (latency === undefined || latency.count === 0 || latency.last === undefined) return undefined;
  const parts = [`last ${formatMs(latency.last)}`];
  if (latency.p50 !== undefined) parts.push(`p50 ${formatMs(latency.p50)}`);
  if (latency.p95 !== undefined) parts.push(`p95 ${formatMs(latency.p95)}`);
  const n = latency.count === 1 ? '1 request' : `${latency.count} requests`;
  return `Latency (request to reply): ${parts.join(', ')} over ${n}`;
}

export function formatStatus(state: StatusState): StatusView {
  const lastLatency =
    state.latency !== undefined && state.latency.last !== undefined ? ` ${formatMs(state.latency.last)}` : '';
  let text: string;
  let headline: string;
  switch (state.phase) {
    case 'stopped':
      text = '$(debug-stop) infilld';
      headline = 'infilld: the server is not running';
      break;
    case 'starting':
      text = '$(sync~spin) infilld';
      headline = 'infilld: starting the server';
      break;
    case 'loading':
      text = `$(loading~spin) infilld${state.percentage !== undefined ? ` ${state.percentage}%` : ''}`;
      headline = `infilld: loading the model${state.percentage !== undefined ? ` (${state.percentage}%)` : ''}`;
      break;
    case 'ready':
      text = `$(check) infilld${lastLatency}`;
      headline = 'infilld: ready';
      break;
    case 'busy':
      text = `$(sync~spin) infilld${lastLatency}`;
      headline = 'infilld: completing';
      break;
    case 'error':
      text = '$(error) infilld';
      headline = 'infilld: error';
      break;
  }
  if (!state.enabled && state.phase !== 'error') {
    text = '$(circle-slash) infilld';
    headline = 'infilld: suggestions are off';
  }
  const lines = [headline];
  if (state.message !== undefined && state.message !== '') lines.push(state.message);
  const latency = latencyLine(state.latency);
  if (latency !== undefined) lines.push(latency);
  lines.push('Click for infilld commands');
  return { text, tooltip: lines.join('\n'), error: state.phase === 'error' };
}
