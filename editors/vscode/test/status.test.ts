import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { formatStatus, initialStatus, phaseOf, reduceStatus, StatusEvent, StatusState } from '../src/status';

function run(events: StatusEvent[], from: StatusState = initialStatus): StatusState {
  return events.reduce(reduceStatus, from);
}

describe('status transitions', () => {
  it('a model load: starting, loading with progress, ready', () => {
    let s = run([{ type: 'starting' }]);
    assert.equal(formatStatus(s).text, '$(sync~spin) infilld');
    s = run([{ type: 'serverStatus', params: { kind: 'Normal', busy: true, message: 'loading /m', state: 'loading' } }], s);
    assert.equal(formatStatus(s).text, '$(loading~spin) infilld');
    s = run([{ type: 'progress', value: { kind: 'begin', percentage: 0 } }], s);
    assert.equal(formatStatus(s).text, '$(loading~spin) infilld 0%');
    s = run([{ type: 'progress', value: { kind: 'report', percentage: 42.4, message: 'layers' } }], s);
    assert.equal(formatStatus(s).text, '$(loading~spin) infilld 42%');
    assert.match(formatStatus(s).tooltip, /loading the model \(42%\)/);
    s = run([{ type: 'progress', value: { kind: 'end' } }], s);
    assert.equal(formatStatus(s).text, '$(loading~spin) infilld 100%');
    s = run([{ type: 'serverStatus', params: { kind: 'Normal', busy: false, message: 'model /m', state: 'ready' } }], s);
    const view = formatStatus(s);
    assert.equal(view.text, '$(check) infilld');
    assert.equal(view.error, false);
    assert.match(view.tooltip, /^infilld: ready\nmodel \/m\n/);
  });

  it('progress before the loading status still shows loading; percentages are clamped', () => {
    const s = run([{ type: 'starting' }, { type: 'progress', value: { kind: 'report', percentage: 150 } }]);
    assert.equal(s.phase, 'loading');
    assert.equal(s.percentage, 100);
  });

  it('a repeated loading status keeps the percentage; ready drops it', () => {
    let s = run([{ type: 'progress', value: { kind: 'begin', percentage: 30 } }]);
    s = run([{ type: 'serverStatus', params: { state: 'loading' } }], s);
    assert.equal(s.percentage, 30);
    s = run([{ type: 'serverStatus', params: { state: 'ready' } }], s);
    assert.equal(s.percentage, undefined);
  });

  it('an error shows its message as the tooltip and the error background', () => {
    const s = run([
      { type: 'starting' },
      { type: 'serverStatus', params: { kind: 'Error', busy: false, message: 'no model: set initializationOptions.model', state: 'error' } },
    ]);
    const view = formatStatus(s);
    assert.equal(view.text, '$(error) infilld');
    assert.equal(view.error, true);
    assert.match(view.tooltip, /^infilld: error\nno model: set initializationOptions\.model\n/);
  });

  it('a late progress report does not hide an error', () => {
    const s = run([
      { type: 'serverStatus', params: { state: 'error', message: 'bad' } },
      { type: 'progress', value: { kind: 'report', percentage: 50 } },
    ]);
    assert.equal(s.phase, 'error');
  });

  it('busy and ready show the last latency', () => {
    let s = run([
      { type: 'serverStatus', params: { state: 'ready', message: 'model /m' } },
      { type: 'latency', summary: { count: 3, last: 42, p50: 40, p95: 90 } },
    ]);
    assert.equal(formatStatus(s).text, '$(check) infilld 42 ms');
    assert.match(formatStatus(s).tooltip, /last 42 ms, p50 40 ms, p95 90 ms over 3 requests/);
    s = run([{ type: 'serverStatus', params: { state: 'busy', busy: true } }], s);
    assert.equal(formatStatus(s).text, '$(sync~spin) infilld 42 ms');
    assert.equal(s.message, 'model /m', 'an empty message keeps the previous one');
    s = run([{ type: 'latency', summary: { count: 4, last: 1250, p50: 42, p95: 1250 } }], s);
    assert.equal(formatStatus(s).text, '$(sync~spin) infilld 1.3 s');
  });

  it('disabled suggestions show as off, but errors still show', () => {
    let s = run([{ type: 'serverStatus', params: { state: 'ready' } }, { type: 'enabled', enabled: false }]);
    assert.equal(formatStatus(s).text, '$(circle-slash) infilld');
    assert.match(formatStatus(s).tooltip, /suggestions are off/);
    s = run([{ type: 'failed', message: 'spawn infilld ENOENT' }], s);
    assert.equal(formatStatus(s).text, '$(error) infilld');
    s = run([{ type: 'enabled', enabled: true }, { type: 'stopped' }], s);
    assert.equal(formatStatus(s).text, '$(debug-stop) infilld');
  });

  it('phaseOf derives the phase from kind/busy when state is missing', () => {
    assert.equal(phaseOf({ kind: 'Error' }), 'error');
    assert.equal(phaseOf({ kind: 'Normal', busy: true }), 'busy');
    assert.equal(phaseOf({ kind: 'Normal', busy: false }), 'ready');
    assert.equal(phaseOf({ kind: 'Error', state: 'ready' }), 'ready', 'state wins');
  });
});
