"""Deduplication: exact (hash of normalised text) and near-duplicate (MinHash + LSH).

Exact: the text with CRLF -> LF, trailing spaces of each line dropped and blank lines at
both ends removed, hashed with BLAKE2b; the first file with a hash is kept.

Near: the set of shingles of SHINGLE consecutive non-blank, whitespace-normalised lines,
each hashed to 64 bits; one-permutation MinHash into BINS bins (empty bins filled from the
next full bin, with the distance mixed in), LSH with BANDS bands of BINS/BANDS rows. A
file whose estimated Jaccard similarity with an already kept file of a shared bucket is
>= THRESHOLD is a near duplicate and dropped. Files with fewer than MIN_SHINGLES shingles
only go through the exact check. All deterministic (no Python hash()).
"""
import array
import hashlib

SHINGLE = 3
BINS = 64
BANDS = 16
THRESHOLD = 0.8
MIN_SHINGLES = 8
_ROWS = BINS // BANDS
_MASK = (1 << 64) - 1


def normalise(text):
    lines = [l.rstrip() for l in text.replace("\r\n", "\n").split("\n")]
    return "\n".join(lines).strip("\n")


def exact_key(text):
    return hashlib.blake2b(normalise(text).encode("utf-8"), digest_size=16).digest()


def shingles(text):
    lines = [" ".join(l.split()) for l in text.split("\n")]
    lines = [l for l in lines if l]
    out = set()
    for i in range(max(0, len(lines) - SHINGLE + 1)):
        d = hashlib.blake2b("\n".join(lines[i:i + SHINGLE]).encode("utf-8"),
                            digest_size=8).digest()
        out.add(int.from_bytes(d, "little"))
    return out


def sketch(hashes):
    """One-permutation MinHash with densification: a tuple of BINS ints."""
    mins = [None] * BINS
    for h in hashes:
        b = h % BINS
        v = h // BINS
        m = mins[b]
        if m is None or v < m:
            mins[b] = v
    if any(m is None for m in mins):
        filled = [i for i, m in enumerate(mins) if m is not None]
        if not filled:
            return None
        out = list(mins)
        for i, m in enumerate(mins):
            if m is None:
                # the next filled bin to the right (circularly), marked by the distance
                j = next((k for k in filled if k > i), filled[0])
                dist = (j - i) % BINS
                out[i] = (mins[j] * 1000003 + dist * 7919) & _MASK
        mins = out
    return tuple(mins)


class NearDedup:
    def __init__(self):
        self.buckets = {}   # hash of (band, rows) -> index of the kept file's sketch
        self.sketches = []

    def seen(self, text):
        """True if text is a near duplicate of a kept file; otherwise remembers it."""
        hs = shingles(text)
        if len(hs) < MIN_SHINGLES:
            return False
        sk = sketch(hs)
        if sk is None:
            return False
        # hash() of a tuple of ints is deterministic (only str/bytes hashing is salted)
        keys = [hash((b,) + sk[b * _ROWS:(b + 1) * _ROWS]) for b in range(BANDS)]
        checked = set()
        for key in keys:
            idx = self.buckets.get(key)
            if idx is None or idx in checked:
                continue
            checked.add(idx)
            other = self.sketches[idx]
            same = sum(1 for a, c in zip(sk, other) if a == c)
            if same / BINS >= THRESHOLD:
                return True
        idx = len(self.sketches)
        self.sketches.append(array.array("Q", sk))
        for key in keys:
            self.buckets.setdefault(key, idx)
        return False
