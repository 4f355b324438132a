"""RFC 6962 / RFC 9162 Merkle tree maths, and stored-hash numbering for a database.

Pure functions: no Flask, no database. Three groups:

- hashing and reference algorithms over an in-memory list of leaf hashes
  (`root_from_leaves`, `inclusion_path`, `consistency_proof`: the RFC's MTH,
  PATH and PROOF, written as the RFC writes them; used by tests and small callers);
- verification (`verify_inclusion`, `verify_consistency`: RFC 9162 §2.1.3.2 and
  §2.1.4.2 with the edge rules in docs/log.md, "Proofs and endpoints"); they return a bool and never raise
  for bad values (a value of the wrong type raises TypeError);
- stored hashes, numbered as Go's golang.org/x/mod/sumdb/tlog numbers them
  (`stored_hash_index`, …): every interior node of the tree is stored once, at a
  dense index, written when the record that completes it is appended. A proof or
  a tree hash first works out every stored index it needs, then asks
  `read_hash(indexes)` for all of them at once — one database query.

Unlike Go's `TreeHash`, `tree_hash(0, …)` is SHA-256("") (RFC 6962 MTH of the
empty list), not 32 zero bytes.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

# read_hash(indexes) -> the stored hashes at those indexes, in the same order.
HashReader = Callable[[list[int]], Sequence[bytes]]

_BYTES = (bytes, bytearray, memoryview)


class StoredHashError(Exception):
    """`read_hash` answered with the wrong number of hashes or a malformed one."""


# --- hashing ---------------------------------------------------------------------------------


def leaf_hash(body: bytes) -> bytes:
    """Return the leaf hash SHA-256(0x00 || body)."""
    if not isinstance(body, _BYTES):
        raise TypeError(f"leaf body must be bytes, not {type(body).__name__}")
    return hashlib.sha256(b"\x00" + bytes(body)).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return the interior node hash SHA-256(0x01 || left || right)."""
    _require_bytes(left, "left")
    _require_bytes(right, "right")
    return hashlib.sha256(b"\x01" + bytes(left) + bytes(right)).digest()


def _require_bytes(value, what: str) -> None:
    if not isinstance(value, _BYTES):
        raise TypeError(f"{what} must be bytes, not {type(value).__name__}")


def _require_hash(value, what: str) -> bytes:
    _require_bytes(value, what)
    value = bytes(value)
    if len(value) != HASH_SIZE:
        raise ValueError(f"{what} must be {HASH_SIZE} bytes, not {len(value)}")
    return value


def _require_int(value, what: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{what} must be an int, not {type(value).__name__}")


def _split_point(n: int) -> int:
    """The largest power of two smaller than n (n >= 2): the RFC's k."""
    return 1 << ((n - 1).bit_length() - 1)


# --- reference algorithms over an in-memory list ---------------------------------------------


def root_from_leaves(leaf_hashes: Sequence[bytes]) -> bytes:
    """Return MTH over the given leaf hashes; the empty tree's root is EMPTY_ROOT."""
    leaves = _leaf_list(leaf_hashes)
    return _mth(leaves, 0, len(leaves))


def inclusion_path(index: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """Return PATH(index, D[n]): the RFC 6962 §2.1.1 audit path for leaf `index`."""
    _require_int(index, "index")
    leaves = _leaf_list(leaf_hashes)
    if not 0 <= index < len(leaves):
        raise ValueError(f"index {index} is not in a tree of size {len(leaves)}")
    return _path(index, leaves, 0, len(leaves))


def consistency_proof(m: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """Return PROOF(m, D[n]): the RFC 6962 §2.1.2 consistency proof from size m to n = len(leaf_hashes).

    1 <= m <= n; m == n gives the empty proof (SUBPROOF(n, D[n], true)).
    """
    _require_int(m, "m")
    leaves = _leaf_list(leaf_hashes)
    if not 1 <= m <= len(leaves):
        raise ValueError(f"no consistency proof from size {m} to size {len(leaves)}")
    return _subproof(m, leaves, 0, len(leaves), True)


def _leaf_list(leaf_hashes: Sequence[bytes]) -> list[bytes]:
    return [_require_hash(h, f"leaf hash {i}") for i, h in enumerate(leaf_hashes)]


def _mth(leaves: list[bytes], lo: int, hi: int) -> bytes:
    n = hi - lo
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaves[lo]
    k = _split_point(n)
    return node_hash(_mth(leaves, lo, lo + k), _mth(leaves, lo + k, hi))


def _path(m: int, leaves: list[bytes], lo: int, hi: int) -> list[bytes]:
    # m is relative to lo.
    n = hi - lo
    if n == 1:
        return []
    k = _split_point(n)
    if m < k:
        return _path(m, leaves, lo, lo + k) + [_mth(leaves, lo + k, hi)]
    return _path(m - k, leaves, lo + k, hi) + [_mth(leaves, lo, lo + k)]


def _subproof(m: int, leaves: list[bytes], lo: int, hi: int, whole: bool) -> list[bytes]:
    # m is relative to lo; `whole` is the RFC's b: the subtree is still the old tree's own root.
    n = hi - lo
    if m == n:
        return [] if whole else [_mth(leaves, lo, hi)]
    k = _split_point(n)
    if m <= k:
        return _subproof(m, leaves, lo, lo + k, whole) + [_mth(leaves, lo + k, hi)]
    return _subproof(m - k, leaves, lo + k, hi, False) + [_mth(leaves, lo, lo + k)]


# --- verification (RFC 9162 §2.1.3.2, §2.1.4.2) ----------------------------------------------


def _is_hash(value) -> bool:
    _require_bytes(value, "hash")
    return len(bytes(value)) == HASH_SIZE


def verify_inclusion(index: int, size: int, leaf_hash: bytes, proof: Sequence[bytes], root: bytes) -> bool:
    """Return whether `proof` shows leaf `index` with `leaf_hash` is in the tree of `size` with `root`."""
    _require_int(index, "index")
    _require_int(size, "size")
    proof = list(proof)
    if not (_is_hash(leaf_hash) and _is_hash(root) and all([_is_hash(p) for p in proof])):
        return False
    if index < 0 or index >= size:
        return False
    fn, sn, r = index, size - 1, bytes(leaf_hash)
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    # Without sn == 0 one proof would pass for several tree sizes.
    return sn == 0 and r == bytes(root)


def verify_consistency(first: int, second: int, first_root: bytes, second_root: bytes,
                       proof: Sequence[bytes]) -> bool:
    """Return whether `proof` shows the tree (`first`, `first_root`) is a prefix of (`second`, `second_root`)."""
    _require_int(first, "first")
    _require_int(second, "second")
    _require_bytes(first_root, "first_root")
    _require_bytes(second_root, "second_root")
    proof = list(proof)
    for p in proof:
        _require_bytes(p, "proof hash")
    if first <= 0 or first > second:
        return False
    if first == second:
        return not proof and bytes(first_root) == bytes(second_root)
    if not (_is_hash(first_root) and _is_hash(second_root) and all([_is_hash(p) for p in proof])):
        return False
    if not proof:
        return False
    path = [bytes(p) for p in proof]
    if first & (first - 1) == 0:
        # The old tree is a complete subtree: its root is the proof's implied first element.
        path = [bytes(first_root)] + path
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == bytes(first_root) and sr == bytes(second_root) and sn == 0


# --- stored hashes (Go's sumdb/tlog numbering) -----------------------------------------------
#
# Hash (level, n) is the root of the complete subtree over records [n·2^level, (n+1)·2^level).
# Hashes are numbered in the order an append-only writer produces them: appending record n
# stores its leaf hash at stored_hash_index(0, n), then one hash for each subtree that record
# completes (one per trailing 1 bit of n), lowest level first. See Crosby and Wallach,
# "Efficient Data Structures for Tamper-Evident Logging", §3.3.


def stored_hash_index(level: int, n: int) -> int:
    """Map tree coordinates (level, n) to the dense index where that hash is stored."""
    _require_int(level, "level")
    _require_int(n, "n")
    if level < 0 or n < 0:
        raise ValueError(f"no stored hash at level {level}, n {n}")
    # Walk down to the last leaf of the subtree: that record writes this hash, `level`
    # places after its own leaf hash. Leaf m is stored at m + m/2 + m/4 + … = 2m - popcount(m).
    m = ((n + 1) << level) - 1
    return 2 * m - m.bit_count() + level


def _trailing_ones(n: int) -> int:
    return ((n + 1) & -(n + 1)).bit_length() - 1


def split_stored_hash_index(index: int) -> tuple[int, int]:
    """Return (level, n) such that stored_hash_index(level, n) == index."""
    _require_int(index, "index")
    if index < 0:
        raise ValueError(f"no stored hash at index {index}")
    # stored_hash_index(0, n) <= 2n, so the record that wrote `index` is at least index // 2.
    n = index // 2
    index_n = stored_hash_index(0, n)
    if index_n > index:  # pragma: no cover - arithmetic guard, as in Go
        raise AssertionError("bad stored-hash arithmetic")
    while True:
        # Record n + 1 starts after record n's 1 + trailing_ones(n) hashes.
        nxt = index_n + 1 + _trailing_ones(n)
        if nxt > index:
            break
        n += 1
        index_n = nxt
    level = index - index_n
    return level, n >> level


def stored_hash_count(n: int) -> int:
    """Return how many hashes are stored for a tree of n records."""
    _require_int(n, "n")
    if n < 0:
        raise ValueError(f"no tree of size {n}")
    if n == 0:
        return 0
    return stored_hash_index(0, n - 1) + 1 + _trailing_ones(n - 1)


def _read(read_hash: HashReader, indexes: list[int]) -> list[bytes]:
    if not indexes:
        return []
    hashes = list(read_hash(list(indexes)))
    if len(hashes) != len(indexes):
        raise StoredHashError(f"read_hash({len(indexes)} indexes) returned {len(hashes)} hashes")
    out = []
    for i, h in zip(indexes, hashes):
        if not isinstance(h, _BYTES) or len(bytes(h)) != HASH_SIZE:
            raise StoredHashError(f"stored hash {i} is not {HASH_SIZE} bytes")
        out.append(bytes(h))
    return out


def hashes_to_store(n: int, leaf_hash: bytes, read_hash: HashReader) -> list[tuple[int, bytes]]:
    """Return the (stored index, hash) pairs that appending record n (0-based) adds.

    That is its leaf hash plus one interior hash per subtree it completes
    (1 + trailing one bits of n pairs, at consecutive indexes from
    stored_hash_index(0, n)), computed from earlier stored hashes fetched with at
    most one `read_hash` call.
    """
    _require_int(n, "n")
    if n < 0:
        raise ValueError(f"no record {n}")
    h = _require_hash(leaf_hash, "leaf_hash")
    completed = _trailing_ones(n)
    # The left siblings of the subtrees record n completes, in increasing index order.
    indexes = [stored_hash_index(level, (n >> level) - 1) for level in reversed(range(completed))]
    siblings = _read(read_hash, indexes)
    base = stored_hash_index(0, n)
    out = [(base, h)]
    for level in range(completed):
        h = node_hash(siblings[completed - 1 - level], h)
        out.append((base + level + 1, h))
    return out


def extend_stored_hashes(n: int, frontier: list[bytes], leaf_hashes: Iterable[bytes]) -> list[bytes]:
    """Return every hash that appending records n, n + 1, … with these leaf hashes stores, in stored-index order.

    The first is stored at stored_hash_index(0, n), the rest follow densely: what
    hashes_to_store returns record by record (and checked against it in the tests),
    for a run of records at once and without reads. `frontier` is the roots of the
    complete subtrees that make up the tree of n records, left to right (one per 1
    bit of n; [] for n == 0); it is updated in place to the tree after the run, so
    the next run continues from it. The leaf hashes are taken as given (32 bytes).
    """
    _require_int(n, "n")
    if n < 0 or len(frontier) != n.bit_count():
        raise ValueError(f"a tree of {n} records has {max(n, 0).bit_count()} complete subtrees, not {len(frontier)}")
    out: list[bytes] = []
    append = out.append
    sha256 = hashlib.sha256
    for h in leaf_hashes:
        append(h)
        # Record n completes one subtree per trailing 1 bit of n: merge with the frontier's smallest.
        m = n
        while m & 1:
            h = sha256(b"\x01" + frontier.pop() + h).digest()
            append(h)
            m >>= 1
        frontier.append(h)
        n += 1
    return out


def _subtree_index(lo: int, hi: int, need: list[int]) -> list[int]:
    # Cover [lo, hi) by maximal complete subtrees, left to right; each is one stored hash.
    while lo < hi:
        level = (hi - lo).bit_length() - 1
        k = 1 << level
        if lo & (k - 1):  # pragma: no cover - arithmetic guard, as in Go
            raise AssertionError("bad stored-hash arithmetic in _subtree_index")
        need.append(stored_hash_index(level, lo >> level))
        lo += k
    return need


def _subtree_hash(lo: int, hi: int, hashes: Iterator[bytes]) -> bytes:
    # Consume the hashes _subtree_index(lo, hi) asked for and fold them right to left.
    parts = []
    while lo < hi:
        parts.append(next(hashes))
        lo += 1 << ((hi - lo).bit_length() - 1)
    h = parts[-1]
    for left in reversed(parts[:-1]):
        h = node_hash(left, h)
    return h


def _finish(hashes: Iterator[bytes]) -> None:
    if next(hashes, None) is not None:  # pragma: no cover - arithmetic guard, as in Go
        raise AssertionError("bad stored-hash arithmetic: hashes left over")


def tree_hash(size: int, read_hash: HashReader) -> bytes:
    """Return the root of the tree of `size` records from stored hashes (one read; none for size 0)."""
    _require_int(size, "size")
    if size < 0:
        raise ValueError(f"no tree of size {size}")
    if size == 0:
        return EMPTY_ROOT
    hashes = iter(_read(read_hash, _subtree_index(0, size, [])))
    root = _subtree_hash(0, size, hashes)
    _finish(hashes)
    return root


def _leaf_proof_index(lo: int, hi: int, n: int, need: list[int]) -> list[int]:
    if hi - lo == 1:
        return need
    k = _split_point(hi - lo)
    if n < lo + k:
        _leaf_proof_index(lo, lo + k, n, need)
        _subtree_index(lo + k, hi, need)
    else:
        _subtree_index(lo, lo + k, need)
        _leaf_proof_index(lo + k, hi, n, need)
    return need


def _leaf_proof(lo: int, hi: int, n: int, hashes: Iterator[bytes]) -> list[bytes]:
    if hi - lo == 1:
        return []
    k = _split_point(hi - lo)
    if n < lo + k:
        proof = _leaf_proof(lo, lo + k, n, hashes)
        sibling = _subtree_hash(lo + k, hi, hashes)
    else:
        sibling = _subtree_hash(lo, lo + k, hashes)
        proof = _leaf_proof(lo + k, hi, n, hashes)
    return proof + [sibling]


def prove_inclusion(index: int, size: int, read_hash: HashReader) -> list[bytes]:
    """Return the inclusion proof (audit path) of record `index` in the tree of `size` records.

    Identical to inclusion_path(index, leaves[:size]); one read (none when size is 1).
    """
    _require_int(index, "index")
    _require_int(size, "size")
    if not 0 <= index < size:
        raise ValueError(f"index {index} is not in a tree of size {size}")
    hashes = iter(_read(read_hash, _leaf_proof_index(0, size, index, [])))
    proof = _leaf_proof(0, size, index, hashes)
    _finish(hashes)
    return proof


def _tree_proof_index(lo: int, hi: int, m: int, need: list[int]) -> list[int]:
    if m == hi:
        return need if lo == 0 else _subtree_index(lo, hi, need)
    k = _split_point(hi - lo)
    if m <= lo + k:
        _tree_proof_index(lo, lo + k, m, need)
        _subtree_index(lo + k, hi, need)
    else:
        _subtree_index(lo, lo + k, need)
        _tree_proof_index(lo + k, hi, m, need)
    return need


def _tree_proof(lo: int, hi: int, m: int, hashes: Iterator[bytes]) -> list[bytes]:
    if m == hi:
        # lo == 0: the old tree itself, which the verifier knows.
        return [] if lo == 0 else [_subtree_hash(lo, hi, hashes)]
    k = _split_point(hi - lo)
    if m <= lo + k:
        proof = _tree_proof(lo, lo + k, m, hashes)
        sibling = _subtree_hash(lo + k, hi, hashes)
    else:
        sibling = _subtree_hash(lo, lo + k, hashes)
        proof = _tree_proof(lo + k, hi, m, hashes)
    return proof + [sibling]


def prove_consistency(m: int, n: int, read_hash: HashReader) -> list[bytes]:
    """Return the consistency proof from the tree of m records to the tree of n records (1 <= m <= n).

    Identical to consistency_proof(m, leaves[:n]); one read (none when m == n).
    """
    _require_int(m, "m")
    _require_int(n, "n")
    if not 1 <= m <= n:
        raise ValueError(f"no consistency proof from size {m} to size {n}")
    hashes = iter(_read(read_hash, _tree_proof_index(0, n, m, [])))
    proof = _tree_proof(0, n, m, hashes)
    _finish(hashes)
    return proof
