// Request -> reply latency as the extension sees it (the server's own figure, in
// infilld/stats, leaves out the pipe and the client). No 'vscode' import.

export interface LatencySummary {
  count: number;
  last: number | undefined;
  p50: number | undefined;
  p95: number | undefined;
}

/** Nearest-rank percentile of a sorted array (undefined when empty). */
export function percentile(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const rank = Math.ceil((Math.min(Math.max(p, 0), 100) / 100) * sorted.length);
  return sorted[Math.min(Math.max(rank, 1), sorted.length) - 1];
}

export class LatencyTracker {
  private readonly samples: number[] = [];
  private total = 0;
  private lastMs: number | undefined;

  /** `window`: how many recent samples the percentiles cover. */
  constructor(
    private readonly now: () => number = () => performance.now(),
    private readonly window = 200,
  ) {}

  /** A timestamp to hand back to finish(). */
  start(): number {
    return this.now();
  }

  /** Records the time since `started` and returns it in whole milliseconds. */
  finish(started: number): number {
    const ms = Math.max(0, Math.round(this.now() - started));
    this.record(ms);
    return ms;
  }

  record(ms: number): void {
    this.lastMs = ms;
    this.total += 1;
    this.samples.push(ms);
    if (this.samples.length > this.window) this.samples.shift();
  }

  get last(): number | undefined {
    return this.lastMs;
  }

  summary(): LatencySummary {
    const sorted = [...this.samples].sort((a, b) => a - b);
    return { count: this.total, last: this.lastMs, p50: percentile(sorted, 50), p95: percentile(sorted, 95) };
  }

  reset(): void {
    this.samples.length = 0;
    this.total = 0;
    this.lastMs = undefined;
  }
}

/** "42 ms", "1.3 s" */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10000 ? 1 : 0)} s`;
}
