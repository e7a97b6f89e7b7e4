// infilld/completionUpdate handling: which update belongs to which pending request, how the
// streamed text grows, and what part of it is worth showing. No 'vscode' import.
//
// The update's `id` is the JSON-RPC id of the inlineCompletion request. The language client
// does not tell us the ids it assigns, but they grow with every request on the connection,
// so per document: an update whose id is not above the highest id seen before our request
// was sent belongs to an older request; the first newer id binds the pending request, and
// a still newer one (an older request's update was in flight when ours was sent) rebinds
// it. The server answers older requests for a document RequestCancelled as soon as a newer
// one arrives, so only updates already in the pipe can be stale.

export type RpcId = number | string;

/** Merges an update into the text streamed so far: updates only ever extend it. */
export function mergeStreamText(previous: string, incoming: string): string {
  if (incoming.startsWith(previous)) return incoming;
  if (previous.startsWith(incoming)) return previous; // a late, shorter update
  return incoming; // diverged (should not happen): the newest wins
}

/**
 * The part of the streamed text to show as a provisional suggestion: trailing whitespace
 * and line breaks are dropped (the final item is post-processed and rarely keeps them), and
 * text that is blank, or shorter than `minLength` characters, is not shown.
 */
export function provisionalText(streamed: string, minLength = 1): string | undefined {
  const trimmed = streamed.replace(/\s+$/, '');
  if (trimmed.trim().length < minLength) return undefined;
  return trimmed;
}

interface Pending {
  /** Updates with an id at or below this belong to older requests. */
  floor: number | undefined;
  boundId: RpcId | undefined;
  text: string;
}

export class StreamTracker {
  private readonly highest = new Map<string, number>();
  private readonly pending = new Map<string, Pending>();

  /** A request for `uri` is about to be sent; earlier streamed text for it is dropped. */
  begin(uri: string): void {
    this.pending.set(uri, { floor: this.highest.get(uri), boundId: undefined, text: '' });
  }

  /** The request for `uri` was answered (or abandoned). */
  end(uri: string): void {
    this.pending.delete(uri);
  }

  /** The text streamed so far for the pending request of `uri` ('' when none). */
  text(uri: string): string {
    return this.pending.get(uri)?.text ?? '';
  }

  /**
   * Applies an update. Returns the pending request's text when the update belongs to it
   * and made it grow, undefined when the update was ignored.
   */
  update(id: RpcId, uri: string, text: string): string | undefined {
    const numeric = typeof id === 'number' ? id : undefined;
    if (numeric !== undefined) this.highest.set(uri, Math.max(this.highest.get(uri) ?? -Infinity, numeric));
    const p = this.pending.get(uri);
    if (p === undefined) return undefined;
    if (numeric !== undefined) {
      if (p.floor !== undefined && numeric <= p.floor) return undefined;
      if (typeof p.boundId === 'number') {
        if (numeric < p.boundId) return undefined;
        if (numeric > p.boundId) {
          p.boundId = numeric;
          p.text = '';
        }
      } else p.boundId = numeric;
    } else if (p.boundId !== undefined && p.boundId !== id) {
      p.boundId = id;
      p.text = '';
    } else p.boundId = id;
    const merged = mergeStreamText(p.text, text);
    if (merged === p.text) return undefined;
    p.text = merged;
    return merged;
  }
}

/**
 * Coalesces re-show requests: at most one call of `fire` per `intervalMs`, the last one
 * always delivered. Timers are injectable for tests.
 */
export class Coalescer {
  private timer: unknown = undefined;
  private last = -Infinity;

  constructor(
    private readonly intervalMs: number,
    private readonly fire: () => void,
    private readonly now: () => number = Date.now,
    private readonly setTimer: (f: () => void, ms: number) => unknown = (f, ms) => setTimeout(f, ms),
    private readonly clearTimer: (t: unknown) => void = (t) => clearTimeout(t as NodeJS.Timeout),
  ) {}

  request(): void {
    if (this.timer !== undefined) return;
    const wait = this.last + this.intervalMs - this.now();
    if (wait <= 0) {
      this.last = this.now();
      this.fire();
      return;
    }
    this.timer = this.setTimer(() => {
      this.timer = undefined;
      this.last = this.now();
      this.fire();
    }, wait);
  }

  cancel(): void {
    if (this.timer !== undefined) this.clearTimer(this.timer);
    this.timer = undefined;
  }
}
