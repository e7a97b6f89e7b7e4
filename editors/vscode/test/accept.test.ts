import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { measurePartialAccept, offsetAfterChange } from '../src/accept';

describe('measurePartialAccept', () => {
  it('a word accept: the accepted length is the inserted prefix', () => {
    assert.deepEqual(measurePartialAccept('return a + b;', 'return'), { acceptedLength: 6, complete: false });
  });

  it('cumulative: a second accept measures from the item start again', () => {
    assert.deepEqual(measurePartialAccept('return a + b;', 'return a'), { acceptedLength: 8, complete: false });
  });

  it('a line accept that reaches the end completes the item', () => {
    assert.deepEqual(measurePartialAccept('x = 1;', 'x = 1;'), { acceptedLength: 6, complete: true });
  });

  it('counts UTF-16 code units: an astral character is two', () => {
    const text = 's = "😀é"; // ok';
    // "s = \"😀" is 5 ASCII units + 2 for the emoji.
    assert.deepEqual(measurePartialAccept(text, 's = "😀'), { acceptedLength: 7, complete: false });
    assert.deepEqual(measurePartialAccept(text, 's = "😀é"'), { acceptedLength: 9, complete: false });
    assert.equal('😀'.length, 2);
  });

  it('multi-line: accepting the first line and its break', () => {
    const text = 'if (x) {\n    y();\n}';
    assert.deepEqual(measurePartialAccept(text, 'if (x) {\n'), { acceptedLength: 9, complete: false });
    assert.deepEqual(measurePartialAccept(text, 'if (x) {\n    y();'), { acceptedLength: 17, complete: false });
  });

  it('a CRLF document: the editor wrote \\r\\n for the item\'s \\n, counted as one unit of the item', () => {
    const text = 'a();\nb();';
    assert.deepEqual(measurePartialAccept(text, 'a();\r\nb'), { acceptedLength: 6, complete: false });
    assert.deepEqual(measurePartialAccept(text, 'a();\r\nb();'), { acceptedLength: 9, complete: true });
  });

  it('an item with CRLF of its own keeps its own units', () => {
    assert.deepEqual(measurePartialAccept('a;\r\nb;', 'a;\r\n'), { acceptedLength: 4, complete: false });
    assert.deepEqual(measurePartialAccept('a;\r\nb;', 'a;\nb'), { acceptedLength: 5, complete: false });
  });

  it('not an accept of this item: nothing, or text that is not its prefix', () => {
    assert.equal(measurePartialAccept('return a;', ''), undefined);
    assert.equal(measurePartialAccept('return a;', 'retrun'), undefined);
    assert.equal(measurePartialAccept('ab', 'abc'), undefined);
  });

  it('with a selected completion: the item text starts with the selected text', () => {
    // range covers "pri" typed before, insertText "println(x)"; doc from range start holds "println".
    assert.deepEqual(measurePartialAccept('println(x)', 'println'), { acceptedLength: 7, complete: false });
  });
});

describe('offsetAfterChange', () => {
  it('is the change start plus the inserted UTF-16 length', () => {
    assert.equal(offsetAfterChange(10, 'foo'), 13);
    assert.equal(offsetAfterChange(0, '😀'), 2);
  });
});
