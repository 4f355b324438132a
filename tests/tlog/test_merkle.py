"""Merkle tree maths: the published RFC 6962 vectors, the RFC's seven-leaf example, Go's
stored-hash numbering, and every small tree size checked against the RFC's own definitions."""
from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from registry.tlog import merkle
from registry.tlog.merkle import (
    EMPTY_ROOT,
    StoredHashError,
    consistency_proof,
    hashes_to_store,
    inclusion_path,
    leaf_hash,
    node_hash,
    prove_consistency,
    prove_inclusion,
    root_from_leaves,
    split_stored_hash_index,
    stored_hash_count,
    stored_hash_index,
    tree_hash,
    verify_consistency,
    verify_inclusion,
)

# The published RFC 6962 vectors, copied into the repository with their licence (vectors/NOTICE.md).
VECTOR_DIR = Path(__file__).resolve().parent / "vectors"
EXPECTED_VECTORS = {"inclusion": 98, "consistency": 98}  # 196 in all (docs/log.md)
MAX_EXHAUSTIVE = 130  # every tree size up to this is proved and checked exhaustively (every index, every m <= n)
MAX_DIFFERENTIAL = 24  # sizes up to this are also compared with a port of Go's checker


def b64(s: str) -> bytes:
    return base64.b64decode(s)


def flip(h: bytes, bit: int = 0) -> bytes:
    return bytes([h[0] ^ (1 << bit)]) + h[1:]


def flip_anywhere(h: bytes, position: int) -> bytes:
    """Flip bit `position` mod 256 of a 32-byte hash."""
    position %= 8 * len(h)
    out = bytearray(h)
    out[position // 8] ^= 1 << (position % 8)
    return bytes(out)


# --- the published vectors ------------------------------------------------------------------


def _vector_files(kind: str) -> list[Path]:
    return sorted((VECTOR_DIR / kind).rglob("*.json"))


def _vector_params(kind: str):
    files = _vector_files(kind)
    if not files:
        # Fail, never skip, when the vectors are not where CI puts them.
        return [pytest.param(None, id=f"{kind}-vectors-missing")]
    return [pytest.param(p, id=str(p.relative_to(VECTOR_DIR))) for p in files]


def _load(path: Path | None) -> dict:
    assert path is not None, f"no Merkle vectors under {VECTOR_DIR}"
    return json.loads(path.read_text(encoding="utf-8"))


def test_vector_folder_has_all_196_vectors():
    assert VECTOR_DIR.is_dir(), f"Merkle vectors not found at {VECTOR_DIR}"
    found = {kind: len(_vector_files(kind)) for kind in EXPECTED_VECTORS}
    assert found == EXPECTED_VECTORS
    assert sum(found.values()) == 196
    honest = [p for kind in found for p in _vector_files(kind) if not json.loads(p.read_text())["wantErr"]]
    assert len(honest) == 12  # a happy path per folder, plus two edge cases that must pass


@pytest.mark.parametrize("path", _vector_params("inclusion"))
def test_inclusion_vector(path):
    v = _load(path)
    ok = verify_inclusion(v["leafIdx"], v["treeSize"], b64(v["leafHash"]), [b64(p) for p in v["proof"] or []],
                          b64(v["root"]))
    assert ok is (not v["wantErr"]), v["desc"]


@pytest.mark.parametrize("path", _vector_params("consistency"))
def test_consistency_vector(path):
    v = _load(path)
    ok = verify_consistency(v["size1"], v["size2"], b64(v["root1"]), b64(v["root2"]),
                            [b64(p) for p in v["proof"] or []])
    assert ok is (not v["wantErr"]), v["desc"]


def test_happy_path_vectors_share_one_eight_leaf_tree():
    """The vectors' happy paths are all over one eight-leaf tree; its proofs are ours too."""
    inc = _load(VECTOR_DIR / "inclusion" / "1" / "happy-path.json")
    con = _load(VECTOR_DIR / "consistency" / "1" / "happy-path.json")
    assert inc["treeSize"] == con["size2"] == 8 and inc["root"] == con["root2"]
    # Their leaf 0 hash is the one a consistency proof from size 1 starts from.
    assert inc["leafHash"] == con["root1"]
    assert inc["proof"] == con["proof"]


# --- hashing and the RFC's seven-leaf example -----------------------------------------------


def test_leaf_and_node_hashes_are_domain_separated():
    import hashlib

    assert EMPTY_ROOT == hashlib.sha256(b"").digest()
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert leaf_hash(b"") == hashlib.sha256(b"\x00").digest()
    assert leaf_hash(b"").hex() == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    a, b = leaf_hash(b"a"), leaf_hash(b"b")
    assert node_hash(a, b) == hashlib.sha256(b"\x01" + a + b).digest()
    assert node_hash(a, b) != node_hash(b, a)
    # A leaf can never be mistaken for a node over the same bytes.
    assert leaf_hash(a + b) != node_hash(a, b)
    with pytest.raises(TypeError):
        leaf_hash("text")


def test_root_from_leaves_small_trees():
    assert root_from_leaves([]) == EMPTY_ROOT
    h = [leaf_hash(bytes([i])) for i in range(5)]
    assert root_from_leaves(h[:1]) == h[0]
    assert root_from_leaves(h[:2]) == node_hash(h[0], h[1])
    assert root_from_leaves(h[:3]) == node_hash(node_hash(h[0], h[1]), h[2])
    assert root_from_leaves(h[:5]) == node_hash(node_hash(node_hash(h[0], h[1]), node_hash(h[2], h[3])), h[4])
    with pytest.raises(ValueError):
        root_from_leaves([b"short"])


class SevenLeaves:
    """RFC 6962 §2.1.3's tree: leaves a–f and j over d0–d6, g h i interior, k = (g, h), l = (i, j)."""

    def __init__(self):
        d = [leaf_hash(f"d{i}".encode()) for i in range(7)]
        self.leaves = d
        self.a, self.b, self.c, self.d, self.e, self.f, self.j = d
        self.g = node_hash(self.a, self.b)
        self.h = node_hash(self.c, self.d)
        self.i = node_hash(self.e, self.f)
        self.k = node_hash(self.g, self.h)
        self.l = node_hash(self.i, self.j)
        self.root = node_hash(self.k, self.l)


def test_rfc_seven_leaf_example():
    t = SevenLeaves()
    assert root_from_leaves(t.leaves) == t.root
    # Audit paths (RFC 6962 §2.1.3; docs/log.md).
    assert inclusion_path(0, t.leaves) == [t.b, t.h, t.l]
    assert inclusion_path(3, t.leaves) == [t.c, t.g, t.l]
    assert inclusion_path(4, t.leaves) == [t.f, t.j, t.k]
    assert inclusion_path(6, t.leaves) == [t.i, t.k]
    # Consistency proofs.
    assert consistency_proof(3, t.leaves) == [t.c, t.d, t.g, t.l]
    assert consistency_proof(4, t.leaves) == [t.l]
    assert consistency_proof(6, t.leaves) == [t.i, t.j, t.k]
    # The stored-hash provers give the same, and the verifiers accept them.
    store = Store(t.leaves)
    for index, want in [(0, [t.b, t.h, t.l]), (3, [t.c, t.g, t.l]), (4, [t.f, t.j, t.k]), (6, [t.i, t.k])]:
        assert prove_inclusion(index, 7, store.read) == want
        assert verify_inclusion(index, 7, t.leaves[index], want, t.root)
    for m, want in [(3, [t.c, t.d, t.g, t.l]), (4, [t.l]), (6, [t.i, t.j, t.k])]:
        assert prove_consistency(m, 7, store.read) == want
        assert verify_consistency(m, 7, root_from_leaves(t.leaves[:m]), t.root, want)


def test_early_trillian_cases_1_to_2_and_2_to_8():
    h = [leaf_hash(bytes([i])) for i in range(8)]
    assert consistency_proof(1, h[:2]) == [h[1]]
    assert consistency_proof(2, h[:8]) == [node_hash(h[2], h[3]), root_from_leaves(h[4:8])]
    assert consistency_proof(1, h[:8]) == [h[1], node_hash(h[2], h[3]), root_from_leaves(h[4:8])]
    assert verify_consistency(1, 2, h[0], root_from_leaves(h[:2]), [h[1]])
    assert verify_consistency(2, 8, root_from_leaves(h[:2]), root_from_leaves(h),
                              [node_hash(h[2], h[3]), root_from_leaves(h[4:8])])
    # A proof with the old root prepended (what a buggy prover sends for power-of-two sizes) fails.
    assert not verify_consistency(2, 8, root_from_leaves(h[:2]), root_from_leaves(h),
                                  [root_from_leaves(h[:2]), node_hash(h[2], h[3]), root_from_leaves(h[4:8])])


def test_reference_algorithms_reject_out_of_range():
    h = [leaf_hash(bytes([i])) for i in range(3)]
    for bad in (-1, 3):
        with pytest.raises(ValueError):
            inclusion_path(bad, h)
    for bad in (0, 4, -1):
        with pytest.raises(ValueError):
            consistency_proof(bad, h)
    assert consistency_proof(3, h) == []
    with pytest.raises(ValueError):
        inclusion_path(0, [])


# --- verification edge rules ----------------------------------------------------------------


def test_verify_inclusion_edge_rules():
    h = [leaf_hash(bytes([i])) for i in range(4)]
    root = root_from_leaves(h)
    proof = inclusion_path(2, h)
    assert verify_inclusion(2, 4, h[2], proof, root)
    assert verify_inclusion(0, 1, h[0], [], h[0])
    assert verify_inclusion(0, 1, h[0], (), h[0])  # any sequence
    assert not verify_inclusion(2, 4, h[2], proof, root[:31])
    assert not verify_inclusion(2, 4, h[2][:31], proof, root)
    assert not verify_inclusion(2, 4, h[2], [proof[0] + b"\x00", proof[1]], root)
    assert not verify_inclusion(4, 4, h[2], proof, root)  # index == size
    assert not verify_inclusion(-1, 4, h[2], proof, root)
    assert not verify_inclusion(0, 0, h[0], [], EMPTY_ROOT)
    assert not verify_inclusion(2, 4, h[2], proof + [h[0]], root)  # trailing hash
    assert not verify_inclusion(2, 4, h[2], proof[:1], root)  # missing hash
    assert not verify_inclusion(2, 4, h[3], proof, root)  # wrong leaf
    with pytest.raises(TypeError):
        verify_inclusion(2, 4, h[2].hex(), proof, root)
    with pytest.raises(TypeError):
        verify_inclusion("2", 4, h[2], proof, root)


def test_verify_consistency_edge_rules():
    h = [leaf_hash(bytes([i])) for i in range(5)]
    r3, r5 = root_from_leaves(h[:3]), root_from_leaves(h)
    proof = consistency_proof(3, h)
    assert verify_consistency(3, 5, r3, r5, proof)
    assert not verify_consistency(0, 5, EMPTY_ROOT, r5, proof)
    assert not verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    assert not verify_consistency(5, 3, r5, r3, proof)
    assert not verify_consistency(-3, 5, r3, r5, proof)
    assert verify_consistency(5, 5, r5, r5, [])
    assert not verify_consistency(5, 5, r5, r5, [r5])
    assert not verify_consistency(5, 5, r5, r3, [])
    assert not verify_consistency(3, 5, r3, r5, [])
    assert not verify_consistency(3, 5, r3[:31], r5, proof)
    assert not verify_consistency(3, 5, r3, r5, proof + [h[0]])
    assert not verify_consistency(3, 5, r3, r5, proof[:-1])
    assert not verify_consistency(3, 5, r5, r3, proof)  # swapped roots
    with pytest.raises(TypeError):
        verify_consistency(3, 5, r3.hex(), r5, proof)


# --- stored-hash numbering (Go's sumdb/tlog) ------------------------------------------------


def go_stored_hash_index(level: int, n: int) -> int:
    """Go's StoredHashIndex, loop for loop, as an oracle for the closed form."""
    for _ in range(level):
        n = 2 * n + 1
    i = 0
    while n > 0:
        i += n
        n >>= 1
    return i + level


def test_stored_hash_index_known_values():
    assert [stored_hash_index(0, n) for n in range(17)] == [0, 1, 3, 4, 7, 8, 10, 11, 15, 16, 18, 19, 22, 23, 25,
                                                           26, 31]
    assert [split_stored_hash_index(i) for i in range(16)] == [
        (0, 0), (0, 1), (1, 0), (0, 2), (0, 3), (1, 1), (2, 0), (0, 4),
        (0, 5), (1, 2), (0, 6), (0, 7), (1, 3), (2, 1), (3, 0), (0, 8),
    ]
    assert stored_hash_index(1, 0) == 2 and stored_hash_index(2, 0) == 6 and stored_hash_index(3, 0) == 14


def test_stored_hash_index_matches_go_and_splits_back():
    # Go's TestSplitStoredHashIndex range, and the loop form of StoredHashIndex.
    for level in range(10):
        for n in range(100):
            x = stored_hash_index(level, n)
            assert x == go_stored_hash_index(level, n)
            assert split_stored_hash_index(x) == (level, n)
    # Every index is exactly one (level, n).
    for index in range(5000):
        level, n = split_stored_hash_index(index)
        assert stored_hash_index(level, n) == index
    big = 2**62 + 12345
    assert split_stored_hash_index(stored_hash_index(7, big)) == (7, big)


def test_stored_hash_count():
    assert [stored_hash_count(n) for n in range(9)] == [0, 1, 3, 4, 7, 8, 10, 11, 15]
    for n in range(1, 300):
        # The tree of n records holds everything written before record n's leaf hash.
        assert stored_hash_count(n) == stored_hash_index(0, n)
        # About two hashes per record: 2n - popcount(n).
        assert stored_hash_count(n) == 2 * n - bin(n).count("1")


def test_stored_hash_arguments_are_checked():
    for call in (lambda: stored_hash_index(-1, 0), lambda: stored_hash_index(0, -1),
                 lambda: split_stored_hash_index(-1), lambda: stored_hash_count(-1)):
        with pytest.raises(ValueError):
            call()
    with pytest.raises(TypeError):
        stored_hash_index(0, 1.0)


class Store:
    """A list of stored hashes, appended through hashes_to_store, that records every read."""

    def __init__(self, leaves=()):
        self.hashes: list[bytes] = []
        self.calls: list[list[int]] = []
        for h in leaves:
            self.append(h)

    def read(self, indexes):
        self.calls.append(list(indexes))
        # Reads come sorted and never repeat an index (Go's test insists on the same).
        assert all(a < b for a, b in zip(indexes, indexes[1:])), indexes
        return [self.hashes[i] for i in indexes]

    def reader_for(self, size):
        """A reader that can see only the hashes a tree of `size` records has stored."""
        visible = self.hashes[: stored_hash_count(size)]

        def read(indexes):
            self.calls.append(list(indexes))
            assert all(a < b for a, b in zip(indexes, indexes[1:])), indexes
            return [visible[i] for i in indexes]

        return read

    def append(self, h):
        n = self.leaf_count()
        self.calls.clear()
        added = hashes_to_store(n, h, self.read)
        assert len(self.calls) <= 1
        assert [i for i, _ in added] == list(range(len(self.hashes), len(self.hashes) + len(added)))
        self.hashes.extend(x for _, x in added)
        return added

    def leaf_count(self):
        # The number of records whose hashes are stored: invert stored_hash_count.
        n = 0
        while stored_hash_count(n) < len(self.hashes):
            n += 1
        assert stored_hash_count(n) == len(self.hashes)
        return n


@pytest.fixture(scope="module")
def tree():
    """Go's TestTree data, extended: records "leaf 0" … "leaf 129", stored once for every test."""
    leaves = [leaf_hash(f"leaf {i}".encode()) for i in range(MAX_EXHAUSTIVE)]
    store = Store()
    for n, h in enumerate(leaves):
        store.calls.clear()
        added = hashes_to_store(n, h, store.read)
        # Record n adds its leaf hash and one hash per trailing 1 bit of n, from one read at most.
        trailing_ones = len(bin(n)) - len(bin(n).rstrip("1"))
        assert len(added) == 1 + trailing_ones
        assert len(store.calls) == (1 if trailing_ones else 0)
        assert added[0] == (stored_hash_index(0, n), h)
        for index, value in added:
            assert index == len(store.hashes)
            store.hashes.append(value)
        assert stored_hash_count(n + 1) == len(store.hashes)
    return leaves, store


def test_every_stored_hash_is_the_root_of_its_subtree(tree):
    leaves, store = tree
    for index, value in enumerate(store.hashes):
        level, n = split_stored_hash_index(index)
        assert value == root_from_leaves(leaves[n << level:(n + 1) << level])


def test_tree_hash_from_stored_hashes(tree):
    leaves, store = tree
    store.calls.clear()
    assert tree_hash(0, store.read) == EMPTY_ROOT and store.calls == []
    for size in range(1, len(leaves) + 1):
        store.calls.clear()
        assert tree_hash(size, store.reader_for(size)) == root_from_leaves(leaves[:size])
        assert len(store.calls) == 1
        # One stored hash per 1 bit of size: at most 1 + log2(size).
        assert len(store.calls[0]) == bin(size).count("1")


def test_prove_inclusion_matches_rfc_path_for_every_small_tree(tree):
    leaves, store = tree
    for size in range(1, MAX_EXHAUSTIVE + 1):
        root = root_from_leaves(leaves[:size])
        read = store.reader_for(size)
        for index in range(size):
            store.calls.clear()
            proof = prove_inclusion(index, size, read)
            assert proof == inclusion_path(index, leaves[:size]), (index, size)
            assert len(store.calls) == (0 if size == 1 else 1)
            assert verify_inclusion(index, size, leaves[index], proof, root)
            assert go_check_record(proof, size, root, index, leaves[index])
            for k in range(len(proof)):
                # One bit of each proof hash, a different bit for each (index, size, k).
                bad = proof[:k] + [flip_anywhere(proof[k], index + size + 37 * k)] + proof[k + 1:]
                assert not verify_inclusion(index, size, leaves[index], bad, root)
            assert not verify_inclusion(index, size, leaves[index], proof + [leaves[0]], root)
            assert not verify_inclusion(index, size, leaves[index], [leaves[0]] + proof, root)
            if proof:
                assert not verify_inclusion(index, size, leaves[index], proof[:-1], root)
                assert not verify_inclusion(index, size, leaves[index], proof[1:], root)
            assert not verify_inclusion(index, size, flip(leaves[index]), proof, root)
            assert not verify_inclusion(index, size, leaves[index], proof, flip(root))


def test_prove_consistency_matches_rfc_proof_for_every_small_tree(tree):
    leaves, store = tree
    roots = [root_from_leaves(leaves[:n]) for n in range(MAX_EXHAUSTIVE + 1)]
    for n in range(1, MAX_EXHAUSTIVE + 1):
        read = store.reader_for(n)
        for m in range(1, n + 1):
            store.calls.clear()
            proof = prove_consistency(m, n, read)
            assert proof == consistency_proof(m, leaves[:n]), (m, n)
            assert len(store.calls) == (0 if m == n else 1)
            assert verify_consistency(m, n, roots[m], roots[n], proof)
            assert go_check_tree(proof, n, roots[n], m, roots[m])
            for k in range(len(proof)):
                bad = proof[:k] + [flip_anywhere(proof[k], m + n + 37 * k)] + proof[k + 1:]
                assert not verify_consistency(m, n, roots[m], roots[n], bad)
            assert not verify_consistency(m, n, roots[m], roots[n], proof + [leaves[0]])
            assert not verify_consistency(m, n, roots[m], roots[n], [roots[m]] + proof)
            if proof:
                assert not verify_consistency(m, n, roots[m], roots[n], proof[:-1])
                assert not verify_consistency(m, n, roots[m], roots[n], proof[1:])
            if m != n:
                assert not verify_consistency(m, n, flip(roots[m]), roots[n], proof)
                assert not verify_consistency(m, n, roots[m], flip(roots[n]), proof)


def covering_indexes(size: int) -> list[int]:
    """The stored indexes tree_hash reads for a tree of `size` records: its complete subtrees, left to right."""
    calls = []
    tree_hash(size, lambda indexes: calls.append(list(indexes)) or [b"\x00" * 32 for _ in indexes])
    return calls[0] if calls else []


def test_extend_stored_hashes_equals_hashes_to_store_for_any_runs(tree):
    """The verifier's batch form gives exactly what hashes_to_store stores, however the records are split."""
    leaves, store = tree
    for split in range(len(leaves) + 1):
        frontier: list[bytes] = []
        first = merkle.extend_stored_hashes(0, frontier, leaves[:split])
        assert first == store.hashes[:stored_hash_count(split)]
        assert frontier == [store.hashes[i] for i in covering_indexes(split)]
        rest = merkle.extend_stored_hashes(split, frontier, leaves[split:])
        assert first + rest == store.hashes
    frontier, out = [], []
    for n, h in enumerate(leaves):
        out += merkle.extend_stored_hashes(n, frontier, [h])
    assert out == store.hashes
    assert merkle.extend_stored_hashes(5, list(frontier[:2]), []) == []


def test_extend_stored_hashes_checks_the_frontier(tree):
    leaves, store = tree
    for n, frontier in ((1, []), (3, [leaves[0]]), (0, [leaves[0]]), (-1, [])):
        with pytest.raises(ValueError):
            merkle.extend_stored_hashes(n, frontier, leaves[:1])
    with pytest.raises(TypeError):
        merkle.extend_stored_hashes(1.0, [], [])


def test_stored_hash_reader_errors_are_reported(tree):
    leaves, store = tree
    with pytest.raises(StoredHashError):
        tree_hash(5, lambda idx: [store.hashes[i] for i in idx][:-1])
    with pytest.raises(StoredHashError):
        prove_inclusion(1, 5, lambda idx: [b"\x00" * 31 for _ in idx])
    with pytest.raises(StoredHashError):
        prove_consistency(2, 5, lambda idx: ["not bytes" for _ in idx])
    with pytest.raises(StoredHashError):
        hashes_to_store(3, leaves[3], lambda idx: [])
    # Database drivers may hand back memoryview or bytearray.
    assert tree_hash(5, lambda idx: [memoryview(store.hashes[i]) for i in idx]) == root_from_leaves(leaves[:5])
    assert prove_inclusion(1, 5, lambda idx: [bytearray(store.hashes[i]) for i in idx]) == inclusion_path(1,
                                                                                                        leaves[:5])


def test_stored_hash_provers_reject_bad_arguments(tree):
    _, store = tree
    for call in (lambda: prove_inclusion(5, 5, store.read), lambda: prove_inclusion(-1, 5, store.read),
                 lambda: prove_inclusion(0, 0, store.read), lambda: prove_consistency(0, 5, store.read),
                 lambda: prove_consistency(6, 5, store.read), lambda: tree_hash(-1, store.read),
                 lambda: hashes_to_store(-1, leaf_hash(b""), store.read),
                 lambda: hashes_to_store(0, b"short", store.read)):
        with pytest.raises(ValueError):
            call()


# --- differential check against a port of Go's CheckRecord / CheckTree --------------------------


def _go_maxpow2(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def go_check_record(p, t, th, n, h) -> bool:
    """Go's tlog.CheckRecord (recursive runRecordProof), as a second opinion."""
    if t < 0 or n < 0 or n >= t:
        return False

    def run(p, lo, hi):
        if lo + 1 == hi:
            return h if not p else None
        if not p:
            return None
        k = _go_maxpow2(hi - lo)
        if n < lo + k:
            sub = run(p[:-1], lo, lo + k)
            return None if sub is None else node_hash(sub, p[-1])
        sub = run(p[:-1], lo + k, hi)
        return None if sub is None else node_hash(p[-1], sub)

    return run(list(p), 0, t) == th


def go_check_tree(p, t, th, n, h) -> bool:
    """Go's tlog.CheckTree (recursive runTreeProof): tree (t, th) extends tree (n, h)."""
    if t < 1 or n < 1 or n > t:
        return False

    def run(p, lo, hi):
        if n == hi:
            if lo == 0:
                return (h, h) if not p else None
            return (p[0], p[0]) if len(p) == 1 else None
        if not p:
            return None
        k = _go_maxpow2(hi - lo)
        if n <= lo + k:
            sub = run(p[:-1], lo, lo + k)
            return None if sub is None else (sub[0], node_hash(sub[1], p[-1]))
        sub = run(p[:-1], lo + k, hi)
        return None if sub is None else (node_hash(p[-1], sub[0]), node_hash(p[-1], sub[1]))

    got = run(list(p), 0, t)
    return got is not None and got == (h, th)


def test_verifiers_agree_with_go_on_claimed_indexes_and_sizes(tree):
    """Present each honest proof with every other index and size: RFC 9162 and Go must agree.

    (A proof never binds the size on its own — e.g. leaf 0's proof in a tree of 4 also passes
    as a tree of 3 under the same root, for both — so a verifier must take size and root from
    one signed checkpoint. What matters is that both algorithms accept exactly the same claims.)
    """
    leaves, _ = tree
    limit = MAX_DIFFERENTIAL
    roots = [root_from_leaves(leaves[:n]) for n in range(limit + 1)]
    accepted_elsewhere = 0
    for size in range(1, limit + 1):
        for index in range(size):
            proof = inclusion_path(index, leaves[:size])
            for claimed_size in range(0, limit + 2):
                for claimed_index in {index, index - 1, index + 1, index ^ 1, 0, claimed_size - 1}:
                    ours = verify_inclusion(claimed_index, claimed_size, leaves[index], proof, roots[size])
                    go = go_check_record(proof, claimed_size, roots[size], claimed_index, leaves[index])
                    assert ours == go, (index, size, claimed_index, claimed_size)
                    if ours and (claimed_index, claimed_size) != (index, size):
                        accepted_elsewhere += 1
    assert accepted_elsewhere > 0  # the size-binding caveat above is real
    for n in range(1, limit + 1):
        for m in range(1, n + 1):
            proof = consistency_proof(m, leaves[:n])
            for cm in range(0, limit + 1):
                for cn in range(cm, limit + 2):
                    ours = verify_consistency(cm, cn, roots[m], roots[n], proof)
                    go = go_check_tree(proof, cn, roots[n], cm, roots[m])
                    assert ours == go, (m, n, cm, cn)


# --- a real log: Google's Argon 2020 CT log (the data of Go's TestCertificateTransparency) -------

# Responses of https://ct.googleapis.com/logs/argon2020/ct/v1/ get-sth, get-entries?start=10000,
# get-proof-by-hash and get-sth-consistency?first=3654490, as stored in golang/mod
# sumdb/tlog/testdata/argon2020/ (public log data).
ARGON_SIZE = 961984013
ARGON_ROOT = "dwlueapdd7LaOEnX2W2Wp9v2XE+KzejHRQGHwEx0oaM="
ARGON_LEAF_10000 = (
    "AAAAAAFelPhqUwAAAAViMIIFXjCCBEagAwIBAgIRAOodHzZdqWIFzYyl/SovhCMwDQYJKoZIhvcNAQELBQAwgZAxCzAJBgNVBAYTAkdCMRsw"
    "GQYDVQQIExJHcmVhdGVyIE1hbmNoZXN0ZXIxEDAOBgNVBAcTB1NhbGZvcmQxGjAYBgNVBAoTEUNPTU9ETyBDQSBMaW1pdGVkMTYwNAYDVQQD"
    "Ey1DT01PRE8gUlNBIERvbWFpbiBWYWxpZGF0aW9uIFNlY3VyZSBTZXJ2ZXIgQ0EwHhcNMTcwMjE1MDAwMDAwWhcNMjAwNDE2MjM1OTU5WjBf"
    "MSEwHwYDVQQLExhEb21haW4gQ29udHJvbCBWYWxpZGF0ZWQxHTAbBgNVBAsTFFBvc2l0aXZlU1NMIFdpbGRjYXJkMRswGQYDVQQDDBIqLmxh"
    "bmRsb3Jkcy5jb20uYXUwggEiMA0GCSqGSIb3DQEBAQUAA4IBDwAwggEKAoIBAQCtPBKKHj4zdrGlCjgTHzb5gx9JCs97DwvBz60f14gDufF2"
    "haWbOxyJ0a3opAMsZnOr8HkARVCwxdqG/PTfACcb0QM7FOlzvxGqxataTYiChwvkkif8F9GlJw69HuHgzhusPf1Ytfk3ps1PRC14MkyrS4kw"
    "Prk/Le4XdkqRpRw62wG4V6IkbzsNMEOl1H8EgUbfyapdOcVxHjIzvBVy56fBRKG05Fr5wNq3Acak5kYZdNsLhhmlrqAfAjiombW3hb3V5blJ"
    "dRC0BDdYHv2+zKey6LqJ1FDoXo6IzbzPpC+aifZy47YX+/N1U64Qn5xlDg7mOP8JXfkNJHbU1TJZHif5AgMBAAGjggHhMIIB3TAfBgNVHSME"
    "GDAWgBSQr2o6lFoL2JDqElZz30O0Oija5zAdBgNVHQ4EFgQUNQSLjkoz01I+iuuoC5lgEp0anhcwDgYDVR0PAQH/BAQDAgWgMAwGA1UdEwEB"
    "/wQCMAAwHQYDVR0lBBYwFAYIKwYBBQUHAwEGCCsGAQUFBwMCME8GA1UdIARIMEYwOgYLKwYBBAGyMQECAgcwKzApBggrBgEFBQcCARYdaHR0"
    "cHM6Ly9zZWN1cmUuY29tb2RvLmNvbS9DUFMwCAYGZ4EMAQIBMFQGA1UdHwRNMEswSaBHoEWGQ2h0dHA6Ly9jcmwuY29tb2RvY2EuY29tL0NP"
    "TU9ET1JTQURvbWFpblZhbGlkYXRpb25TZWN1cmVTZXJ2ZXJDQS5jcmwwgYUGCCsGAQUFBwEBBHkwdzBPBggrBgEFBQcwAoZDaHR0cDovL2Ny"
    "dC5jb21vZG9jYS5jb20vQ09NT0RPUlNBRG9tYWluVmFsaWRhdGlvblNlY3VyZVNlcnZlckNBLmNydDAkBggrBgEFBQcwAYYYaHR0cDovL29j"
    "c3AuY29tb2RvY2EuY29tMC8GA1UdEQQoMCaCEioubGFuZGxvcmRzLmNvbS5hdYIQbGFuZGxvcmRzLmNvbS5hdTANBgkqhkiG9w0BAQsFAAOC"
    "AQEACyHqxUzrexToY7tOv4+kyGPP2D27P1tQpyzeAl1bPObiMhNK2b9vvBLDWAaqm8c0YL1h+DBdLoWzf3xFsIkTCVCjWJTNSNlcYtgRk6or"
    "1s7jWsfXzWqsnPjPPmTIOCw7EfH7Yme3oxPs3UUsmShAgPwNohAtL9GqlqMiKM6v1WU3NHt01jEoNP23LRa6KeNK6AH6WHJykzL223IlhgXj"
    "HTeuQj6lR+TNrQXJuhwTXYe+20rrpPQxc1Pn7AqnvfWgmicRQ7gdIcr4V6+ecTvLfNOaJ0ZYe5G5giuAAdTm7F57pk04f4gyZNYKrj88mvbk"
    "oriN8b6jcWExtrYO6bm2TwAA"
)
ARGON_AUDIT_PATH = """
T46AmJsuOM/gFiGlUp+IJJebp+1Z5qratFNW7U0JyOQ= 9Jj1Feodn42uRYEfffkV4HF/EIPFQ5Zo9IwkxbQ2uhk=
D53/1oCNebF4J59HHgioovKZxrmrKcVuCVhy3Izg8Ck= wSFDgGSrsXRPA+1c8WHoAFCsWeUv8NDyP/Q/SgsyVyY=
516/RcwsgdwdzHn18v1dJHqBkgFUbNhmCIWOGjsMJaE= naTFY2ajLFgrgs5XUl+zJYZnnlJksLGsA1VYwpLfqbY=
mKBRJo6qao+0Kdh/rhGkZUbHUAxMhrtrclrTpIbNjIg= Co4ueOFE7lpifLio94irxxsv1wFMMaK3tPu2ZQkHlro=
yRgy800K6JMYCC05sWfqF2kvCg2riT/pVM+nEa6V5+0= n2O38XJZC8/Wpbwi9HhgVizlUyeUHVZvYyQB1607MRc=
go3tAjuNfNSCj87y2Rg1xOroDknGN1eaf3cgvzObf7Q= 8D0Mj3/J7ySSnFb0afIHYXv6rlOhECnsebY6XKi1IR8=
6rcez46ZU8M5vPiWVMAUfJfAOV0pPP/mch/lYzZhj/M= 2rtIeXrPvSdUyHc5maIgSAVB2BzaKaupWxSAiVayDE4=
nniW/IMFQPN5xw8UsHFn7CRStYbm1gLu7NNa6kkRqJQ= mRPPi7sQS22MduIEyvcNzCNFqIt6kLwYPkNKrVtIcu8=
JvTivzESNS9wHI8aph5a7uieVmtS/p9PciMZ5D6GyOo= UTyQd+Ym0wY4zG+qK806bBORwi1CSVvFQ/KknnqoZj8=
hXODrqN+ff+U6zPqRQ+ZQKs6im1fPcxIerDSfNwflhE= II6GE+WY/DrpZzfHztLwkR46o37zVkNLCyPYlf68zA0=
d609kWWcNBllbA8Jb/ad4XAVVGnScLRmtP8FYyr+Dck= rikBsP0G0gioXRpBFED2CzQdSLrGPvRd0bEcbEZw1rI=
GXIElfmnRuWfbA4z7ubV/UwlpSRUbUeec7oL5HDDnh0= pR0SH/NYP6s9+8azWwaeUXA4Ze/3WCIgMfh5YW6wvcE=
f3GuAKYVrF8RBg3s15jvA/YvV9oAliWtzP/imwPhQVA= WHn8zDxlVgkV+lSlmzaOdfSBrTHoRr5nT3d76q0KKWE=
f2uV2ZxVgULzLPKuZcowRY3ZY7fRlX59iDBjV1R8kNQ= NzQVjJsvQwbi7WStMr9oFkh9VbHfK7LB6o7WwAqwNTs=
C0LttBeYHZHgL+032JIcJC3CTBIyza/hsbmJUgJfmDI= nixU5CWTFVDlF4BGdcU6kA7WSYurEpe9jRWc+F/7sOc=
"""
ARGON_OLD_SIZE = 3654490
ARGON_OLD_ROOT = "AuIZ5V6sDUj1vn3Y1K85oOaQ7y+FJJKtyRTl1edIKBQ="
ARGON_CONSISTENCY = """
80Sfbj6UQEdVSZCSIgh9NMPj3vCBzcc1A48B2crJSWg= FZcrgAHUk6nNPviJZq8kEK6jCG1d18pJOFE45ZDc1TQ=
Q67reWXmPBo1UfmwBap4Xi9PMPfFdUSSw3WGlRZdG7k= eJ7CyhR4PxzBxDIsWgrVYW1eFUb9ndgf46tFmiqVrxA=
QrDwp062Grm5WY8KdrhFsBuuNjGzRox2Jb8PmVL5OYw= XM4YMjMEdLH/XJam/ZWyaP14k3cmsOtnPsOWQ54lW1s=
SGiBh+jOTGccXU48ZzgQ88lRcBmtB4wz4oSDndv2QTg= WAS6txqNLYKGL1GdBdpqmV42TTfn6cJsuDsqLXuTCNI=
QFmRS0rirUA7ZN3lxFjDncV+E1OCrn3NUB4RCp+5fzc= Hdbp7It2XBNZmNDBpCN/KPd7vfVqxgzwOosqVIaEA9E=
mxvHL0ZiblBdD7j7pIa1jlfB0gSqfJ6oX0UGo7L0VsU= q5hjyvoW6TL/PThgcitpDcSTrnKX2p1+aqscqH2euRA=
jTOWDqt3IHj2NVFeezyBz2ofpru+ztEywqKUAfFclKI= GIRn0w3HqJdvU9j1WVD//eR6lk2AaTVjyzjsJNP8U88=
x52GJvxG81fnQBrgOTbll1A5tz95/LXK0Ag1NhB0r1I= 6/0OqrcTgc3o5dD5PymmoC96lB9yLPFuTHVvLy8fSGk=
Gf+iKLfcXO5l4JEFmsZvSdG5q1uEeWPfYLrds6pmjz0= DGuaco+McyM3AfRSF6qX7RwSetwe2ieYJmxw5e9rVx0=
2tQJ9V32hnYp+fdpP6TcjmgJmLeNVOMKM0Ml1kk4cNU= 3PapK+IkyJr8I9yAErAmzuZezzLMzsg+PfeRCgNW8NQ=
s6xiYeejb+wtqHA+URJZ2I/SCPyIW8coP6aB00FJbMY= z9lSpmdTcr5M5ZzKlc4EPh3SrSypKFdk6JUF/UccaZU=
GXIElfmnRuWfbA4z7ubV/UwlpSRUbUeec7oL5HDDnh0= pR0SH/NYP6s9+8azWwaeUXA4Ze/3WCIgMfh5YW6wvcE=
f3GuAKYVrF8RBg3s15jvA/YvV9oAliWtzP/imwPhQVA= WHn8zDxlVgkV+lSlmzaOdfSBrTHoRr5nT3d76q0KKWE=
f2uV2ZxVgULzLPKuZcowRY3ZY7fRlX59iDBjV1R8kNQ= NzQVjJsvQwbi7WStMr9oFkh9VbHfK7LB6o7WwAqwNTs=
C0LttBeYHZHgL+032JIcJC3CTBIyza/hsbmJUgJfmDI= nixU5CWTFVDlF4BGdcU6kA7WSYurEpe9jRWc+F/7sOc=
"""


def test_real_certificate_transparency_log_proofs():
    root = b64(ARGON_ROOT)
    leaf = leaf_hash(b64(ARGON_LEAF_10000))
    audit = [b64(x) for x in ARGON_AUDIT_PATH.split()]
    assert len(audit) == 30
    assert verify_inclusion(10000, ARGON_SIZE, leaf, audit, root)
    assert go_check_record(audit, ARGON_SIZE, root, 10000, leaf)
    assert not verify_inclusion(10001, ARGON_SIZE, leaf, audit, root)
    assert not verify_inclusion(10000, ARGON_SIZE, leaf, audit[:-1], root)
    consistency = [b64(x) for x in ARGON_CONSISTENCY.split()]
    assert verify_consistency(ARGON_OLD_SIZE, ARGON_SIZE, b64(ARGON_OLD_ROOT), root, consistency)
    assert go_check_tree(consistency, ARGON_SIZE, root, ARGON_OLD_SIZE, b64(ARGON_OLD_ROOT))
    assert not verify_consistency(ARGON_OLD_SIZE + 1, ARGON_SIZE, b64(ARGON_OLD_ROOT), root, consistency)
    assert not verify_consistency(ARGON_OLD_SIZE, ARGON_SIZE, b64(ARGON_OLD_ROOT), root,
                                  consistency[:5] + [flip(consistency[5])] + consistency[6:])


def imported_modules(module) -> set[str]:
    import ast

    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.add("." * node.level + (node.module or ""))
    return names


def test_module_is_pure():
    """No Flask, no database, nothing from the app: the standard library only."""
    assert imported_modules(merkle) <= {"__future__", "hashlib", "collections.abc"}
