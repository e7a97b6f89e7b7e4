import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { formatMs, LatencyTracker, percentile } from '../src/latency';
import { formatStats, rate, summarizeStats } from '../src/stats';

describe('LatencyTracker', () => {
  it('measures request to reply with the injected clock, rounding to whole ms', () => {
    let now = 1000;
    const t = new LatencyTracker(() => now);
    const a = t.start();
    now += 41.6;
    assert.equal(t.finish(a), 42);
    assert.equal(t.last, 42);
    const b = t.start();
    now += 8;
    assert.equal(t.finish(b), 8);
    assert.deepEqual(t.summary(), { count: 2, last: 8, p50: 8, p95: 42 });
  });

  it('overlapping requests are measured from their own start', () => {
    let now = 0;
    const t = new LatencyTracker(() => now);
    const first = t.start();
    now = 10;
    const second = t.start();
    now = 25;
    assert.equal(t.finish(second), 15);
    assert.equal(t.finish(first), 25);
  });

  it('percentiles cover the recent window only; the count covers all', () => {
    const t = new LatencyTracker(() => 0, 3);
    for (const ms of [1000, 1000, 10, 20, 30]) t.record(ms);
    const s = t.summary();
    assert.equal(s.count, 5);
    assert.equal(s.p95, 30);
    assert.equal(s.p50, 20);
  });

  it('reset empties it', () => {
    const t = new LatencyTracker(() => 0);
    t.record(5);
    t.reset();
    assert.deepEqual(t.summary(), { count: 0, last: undefined, p50: undefined, p95: undefined });
  });
});

describe('percentile and formatMs', () => {
  it('nearest rank', () => {
    assert.equal(percentile([], 50), undefined);
    assert.equal(percentile([1, 2, 3, 4], 50), 2);
    assert.equal(percentile([1, 2, 3, 4], 95), 4);
    assert.equal(percentile([7], 0), 7);
  });
  it('ms below a second, seconds above', () => {
    assert.equal(formatMs(0), '0 ms');
    assert.equal(formatMs(999.4), '999 ms');
    assert.equal(formatMs(1500), '1.5 s');
    assert.equal(formatMs(12500), '13 s');
  });
});

describe('formatStats', () => {
  const stats = {
    requests: 10, completed: 6, empty: 2, errors: 0, cancelled: 1, superseded: 1, contentModified: 0,
    cacheHits: 2, typedThroughHits: 1, speculative: 3, speculativeUsed: 1, shown: 6, accepted: 3,
    partiallyAccepted: 1, forwards: 120, latencyMs: { count: 8, p50: 35, p95: 80, p99: 95 },
  };

  it('lists every counter, the server latency, the acceptance rate and the client latency', () => {
    const lines = formatStats(stats, { count: 8, last: 40, p50: 38, p95: 85 });
    assert.equal(lines[0], 'infilld statistics (server)');
    assert.ok(lines.some((l) => /^ {2}requests +10$/.test(l)));
    assert.ok(lines.some((l) => /^ {2}forward passes +120$/.test(l)));
    assert.ok(lines.some((l) => /latency +p50 35 ms, p95 80 ms, p99 95 ms over 8$/.test(l)));
    assert.ok(lines.some((l) => /acceptance rate +50\.0% of shown$/.test(l)));
    assert.equal(lines[lines.length - 1], 'infilld statistics (extension): last 40 ms, p50 38 ms, p95 85 ms over 8 replies');
    assert.equal(lines.length, 1 + 15 + 2 + 1);
  });

  it('tolerates missing fields', () => {
    const lines = formatStats({});
    assert.ok(lines.some((l) => /^ {2}requests +0$/.test(l)));
    assert.ok(lines.some((l) => /acceptance rate +- of shown$/.test(l)));
    assert.ok(!lines.some((l) => l.includes('p50')));
  });

  it('summarizes in one line', () => {
    assert.equal(summarizeStats(stats), 'infilld: 10 requests, 6 shown, 3 accepted (50.0%), p50 35 ms');
    assert.equal(rate(1, 3), '33.3%');
  });
});
