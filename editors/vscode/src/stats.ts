// infilld/stats as text for the output channel and a one-line summary. No 'vscode' import.

import { ServerStats } from './protocol';
import { formatMs, LatencySummary } from './latency';

const COUNTS: readonly [keyof ServerStats, string][] = [
  ['requests', 'requests'],
  ['completed', 'completed (with a suggestion)'],
  ['empty', 'empty'],
  ['errors', 'errors'],
  ['cancelled', 'cancelled'],
  ['superseded', 'superseded'],
  ['contentModified', 'content modified'],
  ['cacheHits', 'cache hits'],
  ['typedThroughHits', 'typed-through hits'],
  ['speculative', 'speculative runs'],
  ['speculativeUsed', 'speculative used'],
  ['shown', 'shown'],
  ['accepted', 'accepted'],
  ['partiallyAccepted', 'partially accepted'],
  ['forwards', 'forward passes'],
];

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

/** Share as a percentage with one decimal, or "-" when the base is 0. */
export function rate(part: number, whole: number): string {
  if (whole <= 0) return '-';
  return `${((100 * part) / whole).toFixed(1)}%`;
}

export function formatStats(stats: ServerStats, client?: LatencySummary): string[] {
  const width = Math.max(...COUNTS.map(([, label]) => label.length));
  const lines = ['infilld statistics (server)'];
  for (const [key, label] of COUNTS) lines.push(`  ${label.padEnd(width)}  ${num(stats[key])}`);
  const lat = stats.latencyMs;
  if (lat !== undefined && num(lat.count) > 0)
    lines.push(
      `  ${'latency'.padEnd(width)}  p50 ${formatMs(num(lat.p50))}, p95 ${formatMs(num(lat.p95))}, p99 ${formatMs(num(lat.p99))} over ${num(lat.count)}`,
    );
  lines.push(`  ${'acceptance rate'.padEnd(width)}  ${rate(num(stats.accepted), num(stats.shown))} of shown`);
  if (client !== undefined && client.count > 0)
    lines.push(
      `infilld statistics (extension): last ${formatMs(client.last ?? 0)}, p50 ${formatMs(client.p50 ?? 0)}, p95 ${formatMs(client.p95 ?? 0)} over ${client.count} replies`,
    );
  return lines;
}

export function summarizeStats(stats: ServerStats): string {
  const lat = stats.latencyMs;
  const latency = lat !== undefined && num(lat.count) > 0 ? `, p50 ${formatMs(num(lat.p50))}` : '';
  return (
    `infilld: ${num(stats.requests)} requests, ${num(stats.shown)} shown, ${num(stats.accepted)} accepted ` +
    `(${rate(num(stats.accepted), num(stats.shown))})${latency}`
  );
}
