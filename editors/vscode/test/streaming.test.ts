import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { Coalescer, mergeStreamText, provisionalText, StreamTracker } from '../src/streaming';

describe('mergeStreamText', () => {
  it('takes an extension of the previous text', () => {
    assert.equal(mergeStreamText('ret', 'return x'), 'return x');
  });
  it('keeps the longer text when a shorter, older update arrives late', () => {
    assert.equal(mergeStreamText('return x', 'ret'), 'return x');
  });
  it('takes the newest text when they diverge', () => {
    assert.equal(mergeStreamText('abc', 'abd'), 'abd');
  });
});

describe('provisionalText', () => {
  it('drops trailing blanks and line breaks', () => {
    assert.equal(provisionalText('foo(x);\n    '), 'foo(x);');
    assert.equal(provisionalText('a \t'), 'a');
  });
  it('keeps leading indentation and inner lines', () => {
    assert.equal(provisionalText('\n    y();\n    z'), '\n    y();\n    z');
  });
  it('shows nothing for blank or too short text', () => {
    assert.equal(provisionalText(''), undefined);
    assert.equal(provisionalText(' \n\t'), undefined);
    assert.equal(provisionalText('ab', 3), undefined);
    assert.equal(provisionalText('abc', 3), 'abc');
  });
});

describe('StreamTracker', () => {
  const uri = 'file:///a.cpp';

  it('ignores updates when no request is pending', () => {
    const t = new StreamTracker();
    assert.equal(t.update(1, uri, 'x'), undefined);
    assert.equal(t.text(uri), '');
  });

  it('grows the pending request text and ignores updates that do not grow it', () => {
    const t = new StreamTracker();
    t.begin(uri);
    assert.equal(t.update(5, uri, 'int'), 'int');
    assert.equal(t.update(5, uri, 'int x'), 'int x');
    assert.equal(t.update(5, uri, 'int'), undefined, 'late shorter update');
    assert.equal(t.text(uri), 'int x');
    assert.equal(t.update(5, 'file:///other.cpp', 'zzz'), undefined, 'other document');
  });

  it('drops updates of requests sent before the pending one', () => {
    const t = new StreamTracker();
    t.begin(uri);
    t.update(7, uri, 'old text');
    t.end(uri);
    t.begin(uri); // the next request: ids up to 7 are older
    assert.equal(t.update(7, uri, 'old text more'), undefined);
    assert.equal(t.update(9, uri, 'new'), 'new');
  });

  it('rebinds to a newer id when an older request\'s update was still in flight', () => {
    const t = new StreamTracker();
    t.begin(uri);
    assert.equal(t.update(3, uri, 'stale'), 'stale'); // request 3 never streamed before
    assert.equal(t.update(4, uri, 'fresh'), 'fresh'); // ours is 4: starts over
    assert.equal(t.update(3, uri, 'stale and more'), undefined);
    assert.equal(t.text(uri), 'fresh');
  });

  it('forgets the text when the request ends, and begin() starts empty', () => {
    const t = new StreamTracker();
    t.begin(uri);
    t.update(1, uri, 'abc');
    t.end(uri);
    assert.equal(t.text(uri), '');
    t.begin(uri);
    assert.equal(t.text(uri), '');
  });

  it('string ids: binds to the first, starts over on a different one', () => {
    const t = new StreamTracker();
    t.begin(uri);
    assert.equal(t.update('a', uri, 'x'), 'x');
    assert.equal(t.update('a', uri, 'xy'), 'xy');
    assert.equal(t.update('b', uri, 'q'), 'q');
  });
});

describe('Coalescer', () => {
  function fakeClock() {
    let now = 0;
    const timers: { at: number; f: () => void }[] = [];
    return {
      now: () => now,
      set: (f: () => void, ms: number) => {
        const t = { at: now + ms, f };
        timers.push(t);
        return t;
      },
      clear: (t: unknown) => {
        const i = timers.indexOf(t as { at: number; f: () => void });
        if (i >= 0) timers.splice(i, 1);
      },
      advance(ms: number) {
        now += ms;
        for (const t of [...timers].sort((a, b) => a.at - b.at))
          if (t.at <= now) {
            timers.splice(timers.indexOf(t), 1);
            t.f();
          }
      },
      pending: () => timers.length,
    };
  }

  it('fires at once, then at most once per interval, delivering the last request', () => {
    const clock = fakeClock();
    let fired = 0;
    const c = new Coalescer(40, () => fired++, clock.now, clock.set, clock.clear);
    c.request();
    assert.equal(fired, 1);
    clock.advance(10);
    c.request();
    c.request();
    c.request();
    assert.equal(fired, 1, 'held back');
    assert.equal(clock.pending(), 1, 'one timer for all three');
    clock.advance(29);
    assert.equal(fired, 1);
    clock.advance(1);
    assert.equal(fired, 2, 'delivered 40 ms after the first');
    clock.advance(100);
    c.request();
    assert.equal(fired, 3, 'idle long enough: immediate');
  });

  it('cancel drops a held-back request', () => {
    const clock = fakeClock();
    let fired = 0;
    const c = new Coalescer(40, () => fired++, clock.now, clock.set, clock.clear);
    c.request();
    c.request();
    c.cancel();
    clock.advance(100);
    assert.equal(fired, 1);
  });
});
