"""Property tests (hypothesis): for random tree sizes up to a few thousand, proofs made from stored
hashes equal the RFC 6962 reference definitions over the leaves, verify, and fail on any flipped bit.

test_merkle.py checks every size up to 130 exhaustively; these reach sizes where the stored-hash
arithmetic crosses many more levels and partial subtrees."""
from __future__ import annotations

import functools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry.tlog.merkle import (
    consistency_proof,
    extend_stored_hashes,
    hashes_to_store,
    inclusion_path,
    leaf_hash,
    prove_consistency,
    prove_inclusion,
    root_from_leaves,
    stored_hash_count,
    tree_hash,
    verify_consistency,
    verify_inclusion,
)

MAX_SIZE = 5000
# New random examples every run (a failure prints how to reproduce it); ~1 s per test.
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@functools.cache
def big_tree() -> tuple[list[bytes], list[bytes]]:
    """MAX_SIZE leaves and every hash a log of that size stores, appended through hashes_to_store."""
    leaves = [leaf_hash(f"record {i}".encode()) for i in range(MAX_SIZE)]
    stored: list[bytes] = []
    for n, h in enumerate(leaves):
        for index, value in hashes_to_store(n, h, lambda idx: [stored[i] for i in idx]):
            assert index == len(stored)
            stored.append(value)
    assert len(stored) == stored_hash_count(MAX_SIZE)
    return leaves, stored


def reader_for(size: int, calls: list):
    """A read_hash that sees only what a log of `size` records has stored, and records its calls."""
    visible = big_tree()[1][: stored_hash_count(size)]

    def read(indexes):
        calls.append(list(indexes))
        return [visible[i] for i in indexes]

    return read


def flip_bit(proof: list[bytes], which: int, bit: int) -> list[bytes]:
    h = bytearray(proof[which])
    h[bit // 8] ^= 1 << (bit % 8)
    return proof[:which] + [bytes(h)] + proof[which + 1:]


@st.composite
def index_and_size(draw):
    size = draw(st.integers(1, MAX_SIZE))
    return draw(st.integers(0, size - 1)), size


@st.composite
def two_sizes(draw):
    n = draw(st.integers(1, MAX_SIZE))
    return draw(st.integers(1, n)), n


@PROPERTY
@given(index_and_size(), st.data())
def test_inclusion_proof_from_stored_hashes_equals_the_reference(pair, data):
    index, size = pair
    leaves = big_tree()[0][:size]
    calls: list = []
    proof = prove_inclusion(index, size, reader_for(size, calls))
    assert proof == inclusion_path(index, leaves)
    assert len(calls) == (0 if size == 1 else 1)
    root = root_from_leaves(leaves)
    assert tree_hash(size, reader_for(size, [])) == root
    assert verify_inclusion(index, size, leaves[index], proof, root)
    if proof:
        which = data.draw(st.integers(0, len(proof) - 1), label="flipped hash")
        bit = data.draw(st.integers(0, 255), label="flipped bit")
        assert not verify_inclusion(index, size, leaves[index], flip_bit(proof, which, bit), root)


@PROPERTY
@given(two_sizes(), st.data())
def test_consistency_proof_from_stored_hashes_equals_the_reference(sizes, data):
    m, n = sizes
    leaves = big_tree()[0][:n]
    calls: list = []
    proof = prove_consistency(m, n, reader_for(n, calls))
    assert proof == consistency_proof(m, leaves)
    assert len(calls) == (0 if m == n else 1)
    old_root, new_root = root_from_leaves(leaves[:m]), root_from_leaves(leaves)
    assert verify_consistency(m, n, old_root, new_root, proof)
    if proof:
        which = data.draw(st.integers(0, len(proof) - 1), label="flipped hash")
        bit = data.draw(st.integers(0, 255), label="flipped bit")
        assert not verify_consistency(m, n, old_root, new_root, flip_bit(proof, which, bit))
    else:
        assert m == n


@PROPERTY
@given(st.integers(1, MAX_SIZE), st.integers(0, 255))
def test_a_flipped_leaf_or_root_bit_fails_verification(size, bit):
    """The proof is honest; the claimed leaf hash or root is one bit off."""
    leaves = big_tree()[0][:size]
    index = size // 3
    proof = prove_inclusion(index, size, reader_for(size, []))
    root = root_from_leaves(leaves)
    assert not verify_inclusion(index, size, flip_bit([leaves[index]], 0, bit)[0], proof, root)
    assert not verify_inclusion(index, size, leaves[index], proof, flip_bit([root], 0, bit)[0])


@PROPERTY
@given(st.lists(st.integers(0, MAX_SIZE), max_size=12))
def test_stored_hashes_in_runs_equal_those_stored_record_by_record(cuts):
    """Appending the records in runs of any lengths stores the same hashes as one at a time."""
    leaves, stored = big_tree()
    bounds = sorted({0, MAX_SIZE, *cuts})
    frontier: list[bytes] = []
    out: list[bytes] = []
    for lo, hi in zip(bounds, bounds[1:]):
        out += extend_stored_hashes(lo, frontier, leaves[lo:hi])
        assert out == stored[:stored_hash_count(hi)]
