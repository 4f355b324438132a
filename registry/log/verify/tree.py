"""The tree check: every entry's leaf hash from its body, every stored hash recomputed and compared, and the
root at every checkpoint size, in one pass over both tables in seq order, in batches."""
from __future__ import annotations

import bisect
import contextlib
import gc
import hashlib
from dataclasses import dataclass, field

from sqlalchemy import func, select

from ...extensions import db
from ...tlog import merkle
from ..models import LogEntry, LogHash
from .report import Counted, Report

TREE_CHUNK = 8192  # entries a batch when recomputing the tree (a power of two: see _AlignedBatches)
PLACEHOLDER = b"\x00" * 32


@dataclass
class Tree:
    """The tree recomputed from the entries' bodies."""

    size: int
    # The root of the first s entries, for every checkpoint size s (1 <= s <= size).
    roots: dict[int, bytes] = field(default_factory=dict)
    # The recomputed stored hashes the consistency proofs between consecutive checkpoints need.
    hashes: dict[int, bytes] = field(default_factory=dict)

    def read(self, indexes: list[int]) -> list[bytes]:
        return [self.hashes[i] for i in indexes]


class _Recorder:
    """A read_hash that notes which stored hashes a proof needs (and answers with placeholders)."""

    def __init__(self):
        self.indexes: set[int] = set()

    def __call__(self, indexes: list[int]) -> list[bytes]:
        self.indexes.update(indexes)
        return [PLACEHOLDER] * len(indexes)


def _proof_pairs(sizes: list[int], size: int) -> list[tuple[int, int]]:
    """(m, n) for each checkpoint whose consistency with the one before check_checkpoints proves."""
    pairs, prev = [], None
    for s in sizes:
        if s > size:
            continue  # larger than the log: named, never proved
        if prev is not None and 1 <= prev < s:
            pairs.append((prev, s))
        prev = s
    return pairs


@contextlib.contextmanager
def without_cycle_collector():
    """Pause Python's cyclic garbage collector for a bulk loop.

    The verifier's batches hold tens of thousands of rows and hashes at once; each
    batch promotes them into the collector's older generations, whose collections then
    walk every object of the application again and again (doubling the time of the
    tree check). Rows, bytes and lists form no cycles: reference counting frees them.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def check_tree(size: int, report: Report, *, checkpoint_sizes: list[int] = (), chunk: int = TREE_CHUNK) -> Tree:
    """Re-hash every entry's body and recompute every stored hash; compare both with what is stored.

    Entries and stored hashes are read in batches of `chunk` entries (a range query on each
    primary key); a batch with nothing missing is compared as whole lists. A missing entry
    is named once and the tree continues with its stored leaf hash, so that it is not named
    again as every root after it. `checkpoint_sizes` are the sizes of open_checkpoints'
    checkpoints in its order: the tree keeps each one's root and the hashes check_checkpoints
    needs to prove each consistent with the one before.
    """
    tree = Tree(size)
    recorder = _Recorder()
    for m, n in _proof_pairs(list(checkpoint_sizes), size):
        merkle.prove_consistency(m, n, recorder)
    need = sorted(recorder.indexes)
    at_sizes = sorted({s for s in checkpoint_sizes if 1 <= s <= size})
    entries = Counted(report)
    differ, first_differ, missing_hashes = 0, None, 0
    frontier: list[bytes] = []
    leaf_hash = merkle.leaf_hash
    aligned = _AlignedBatches(chunk) if chunk & (chunk - 1) == 0 else None
    e, h = LogEntry.__table__.c, LogHash.__table__.c
    conn = db.session.connection()
    # A range of primary keys that returns as many rows as it spans has none missing: then the rows
    # are read without their keys, and only a batch with a gap is read again with them.
    bodies = select(e.body, e.leaf_hash).order_by(e.seq)
    hashes = select(h.hash).order_by(h.id)
    with without_cycle_collector():
        for a in range(0, size, chunk):
            b = min(size, a + chunk)
            lo, hi = merkle.stored_hash_index(0, a), merkle.stored_hash_count(b)
            stored = conn.execute(hashes.where(h.id >= lo, h.id < hi)).scalars().all()
            complete = len(stored) == hi - lo
            if not complete:
                by_id = dict(conn.execute(select(h.id, h.hash).where(h.id >= lo, h.id < hi)).all())
                stored = [by_id.get(i) for i in range(lo, hi)]
            rows = conn.execute(bodies.where(e.seq >= a, e.seq < b)).all()
            if len(rows) == b - a:
                leaves = [leaf_hash(body) for body, _leaf in rows]
                if leaves != [leaf for _body, leaf in rows]:
                    for seq, (_body, leaf), mine in zip(range(a, b), rows, leaves):
                        if leaf != mine:
                            entries.fail(f"entry {seq}: leaf hash does not match its body")
            else:
                rows = conn.execute(select(e.seq, e.body, e.leaf_hash).where(e.seq >= a, e.seq < b)).all()
                leaves = _leaves_with_gaps(a, b, rows, stored, lo, entries)
            inside = at_sizes[bisect.bisect_right(at_sizes, a):bisect.bisect_right(at_sizes, b)]
            wanted = need[bisect.bisect_left(need, lo):bisect.bisect_left(need, hi)]
            before = list(frontier)
            if aligned is not None and b - a == chunk and complete and \
                    aligned.check(a, leaves, stored, frontier, inside, wanted, tree):
                continue
            # Anything else (a partial batch, a stored hash that differs or is missing): hash by hash.
            frontier[:] = before
            computed: list[bytes] = []
            n = a
            for s in inside:
                computed += merkle.extend_stored_hashes(n, frontier, leaves[n - a:s - a])
                n = s
                tree.roots[s] = _fold(frontier)
            if n < b:
                computed += merkle.extend_stored_hashes(n, frontier, leaves[n - a:])
            if computed != stored:
                for offset, (mine, theirs) in enumerate(zip(computed, stored)):
                    if theirs is None:
                        missing_hashes += 1
                    elif bytes(theirs) != mine:
                        differ += 1
                        first_differ = lo + offset if first_differ is None else first_differ
            for i in wanted:
                tree.hashes[i] = computed[i - lo]
    for (seq,) in conn.execute(select(e.seq).where(e.seq >= size).order_by(e.seq)):
        entries.fail(f"entry {seq}: beyond the log head's size {size}")
    entries.close("entries")
    end = merkle.stored_hash_count(size)
    extra, first_extra = conn.execute(select(func.count(), func.min(h.id)).where(h.id >= end)).one()
    if differ:
        level, n = merkle.split_stored_hash_index(first_differ)
        report.fail(f"stored hashes: {differ} differ from the entries "
                    f"(first: index {first_differ}, level {level}, n {n})")
    if missing_hashes:
        report.fail(f"stored hashes: {missing_hashes} missing")
    if extra:
        report.fail(f"stored hashes: {extra} beyond the tree (first: index {first_extra})")
    report.note(f"entries: {size} leaf hashes recomputed from their bodies")
    report.note(f"stored hashes: {end} recomputed and compared")
    return tree


def _fold(subtrees: list[bytes]) -> bytes:
    """The root of a tree from the roots of its complete subtrees, left to right (RFC 6962 MTH)."""
    root = subtrees[-1]
    for left in reversed(subtrees[:-1]):
        root = merkle.node_hash(left, root)
    return root


class _AlignedBatches:
    """The tree check's fast path: a whole batch of 2^k entries starting at a multiple of 2^k.

    Its stored hashes are the batch's complete subtree, level by level (each level one list
    comprehension), plus what its last record completes above it; where each (level, n) is
    stored relative to the batch's first stored index is the same for every such batch.
    """

    def __init__(self, size: int):
        self.size = size
        self.k = size.bit_length() - 1
        self.positions = [[merkle.stored_hash_index(level, j) for j in range(size >> level)]
                          for level in range(self.k + 1)]

    def check(self, a: int, leaves: list[bytes], stored: list, frontier: list[bytes], inside: list[int],
              wanted: list[int], tree: Tree) -> bool:
        """Recompute and compare; on a match update frontier, roots and kept hashes and return True."""
        sha256 = hashlib.sha256
        levels = [leaves]
        current = leaves
        while len(current) > 1:
            current = [sha256(b"\x01" + left + right).digest() for left, right in zip(current[0::2], current[1::2])]
            levels.append(current)
        for level, values in enumerate(levels):
            if values != list(map(stored.__getitem__, self.positions[level])):
                return False
        above, h, m = [], current[0], a >> self.k
        before = list(frontier)
        while m & 1:
            h = sha256(b"\x01" + frontier.pop() + h).digest()
            above.append(h)
            m >>= 1
        frontier.append(h)
        if stored[2 * self.size - 1:] != above:
            return False
        for s in inside:  # the roots of checkpoints inside the batch, from its subtrees
            cover, x, offset = list(before), s - a, 0
            for level in range(self.k, -1, -1):
                if x >> level & 1:
                    cover.append(levels[level][offset >> level])
                    offset += 1 << level
            tree.roots[s] = _fold(cover)
        lo = merkle.stored_hash_index(0, a)
        for i in wanted:
            if i - lo < 2 * self.size - 1:
                level, n = merkle.split_stored_hash_index(i)
                tree.hashes[i] = levels[level][n - (a >> level)]
            else:
                tree.hashes[i] = above[i - lo - (2 * self.size - 1)]
        return True


def _leaves_with_gaps(a: int, b: int, rows, stored: list, lo: int, entries: Counted) -> list[bytes]:
    """The leaf hashes of entries a … b-1 when some are missing: those are named, and their stored leaf hash used."""
    by_seq = {row[0]: row for row in rows}
    leaves = []
    for seq in range(a, b):
        row = by_seq.get(seq)
        if row is None:
            entries.fail(f"entries: seq {seq} missing")
            kept = stored[merkle.stored_hash_index(0, seq) - lo]
            leaves.append(bytes(kept) if kept is not None and len(kept) == merkle.HASH_SIZE else PLACEHOLDER)
            continue
        leaf = merkle.leaf_hash(row[1])
        if row[2] != leaf:
            entries.fail(f"entry {seq}: leaf hash does not match its body")
        leaves.append(leaf)
    return leaves
