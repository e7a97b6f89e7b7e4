// Accepted lengths for word and line accepts, in UTF-16 code units from the start of the
// item's insertText (what textDocument/didPartiallyAcceptCompletion carries). JavaScript
// strings are UTF-16, so lengths here are already in those units. The extension measures an
// accept instead of predicting it: it runs VS Code's own acceptNextWord / acceptNextLine and
// reads back what the edit put in the document. No 'vscode' import: tested under plain node.

export interface PartialAccept {
  /** UTF-16 units of insertText now in the document (cumulative over several accepts). */
  acceptedLength: number;
  /** The whole item has been accepted piece by piece. */
  complete: boolean;
}

/**
 * Measures a word/line accept: `inserted` is the document's text from the item's start to
 * the cursor after VS Code's accept command ran. It must be a non-empty prefix of the
 * item's text (line endings compared after normalising CRLF, since the editor may use
 * them), else the edit was not an accept of this item and the result is undefined.
 */
export function measurePartialAccept(insertText: string, inserted: string): PartialAccept | undefined {
  const typed = inserted.replace(/\r\n/g, '\n');
  const text = insertText.replace(/\r\n/g, '\n');
  if (typed.length === 0 || !text.startsWith(typed)) return undefined;
  // Count in the item's own units: a CRLF the editor wrote counts as the item's line break.
  let units = typed.length;
  if (insertText !== text) units = originalUnits(insertText, typed.length);
  return { acceptedLength: units, complete: units >= insertText.length };
}

/** Maps a length in the LF-normalised text back to the original (CRLF) text. */
function originalUnits(original: string, normalizedLength: number): number {
  let n = 0;
  let i = 0;
  while (i < original.length && n < normalizedLength) {
    i += original.startsWith('\r\n', i) ? 2 : 1;
    n += 1;
  }
  return i;
}

/**
 * The document offset just after a single-range edit (the cursor after an accept): the
 * change's start offset in the old document plus the inserted text's length.
 */
export function offsetAfterChange(rangeOffset: number, insertedText: string): number {
  return rangeOffset + insertedText.length;
}
