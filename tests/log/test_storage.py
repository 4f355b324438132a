"""Stored hashes: append_entries writes them in its transaction, with two queries per batch."""
from __future__ import annotations

import pytest
from sqlalchemy import event, func, select

from registry.extensions import db
from registry.log.checkpoints import tree_root
from registry.log.models import LogHash
from registry.log.services import read_hashes
from registry.tlog import merkle
from tests.support.logutil import append_synthetic, leaves


def reference_stored(leaf_hashes: list[bytes]) -> dict[int, bytes]:
    stored: dict[int, bytes] = {}
    for n, h in enumerate(leaf_hashes):
        stored.update(merkle.hashes_to_store(n, h, lambda idx: [stored[i] for i in idx]))
    return stored


def stored_rows() -> dict[int, bytes]:
    return {i: bytes(h) for i, h in db.session.execute(select(LogHash.id, LogHash.hash)).all()}


@pytest.mark.parametrize("batches", [[1] * 9, [3, 1, 7, 2, 16, 5], [1, 32, 33], [64]])
def test_stored_hashes_match_go_numbering_for_any_batching(app, factory, batches):
    for k in batches:
        append_synthetic(factory.ring, k)
    ls = leaves()
    assert stored_rows() == reference_stored(ls)
    assert len(stored_rows()) == merkle.stored_hash_count(len(ls))
    for size in range(1, len(ls) + 1):
        assert tree_root(size) == merkle.root_from_leaves(ls[:size])


def test_a_rolled_back_append_leaves_no_hashes(app, factory):
    from registry.log.actions import Action
    from registry.log.services import Change, append_entries

    append_synthetic(factory.ring, 5)
    before = stored_rows()
    append_entries(factory.ring, [Change("system", Action.COMPANY_UPDATE, "a" * 32, "b" * 64)] * 3)
    db.session.rollback()
    assert stored_rows() == before
    append_synthetic(factory.ring, 3)
    assert stored_rows() == reference_stored(leaves())


class Statements:
    def __init__(self):
        self.seen: list[str] = []

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        self.seen.append(statement)

    def about(self, table: str) -> list[str]:
        return [s for s in self.seen if table in s]


@pytest.fixture
def statements(app):
    counter = Statements()
    event.listen(db.engine, "before_cursor_execute", counter)
    yield counter
    event.remove(db.engine, "before_cursor_execute", counter)


def test_a_batch_reads_earlier_hashes_once_and_writes_them_once(app, factory, statements):
    append_synthetic(factory.ring, 1000 + 37)  # an odd start, so the next batch needs earlier hashes
    statements.seen.clear()
    append_synthetic(factory.ring, 1000)
    on_hashes = statements.about("log_hashes")
    assert len(on_hashes) == 2, on_hashes
    assert on_hashes[0].lstrip().upper().startswith("SELECT")
    assert on_hashes[1].lstrip().upper().startswith("INSERT")
    assert stored_rows() == reference_stored(leaves())


def test_proofs_and_roots_read_stored_hashes_in_one_query(app, factory, statements):
    append_synthetic(factory.ring, 300)
    statements.seen.clear()
    merkle.prove_inclusion(123, 300, read_hashes)
    assert len(statements.about("log_hashes")) == 1
    statements.seen.clear()
    merkle.prove_consistency(77, 300, read_hashes)
    assert len(statements.about("log_hashes")) == 1
    statements.seen.clear()
    tree_root(299)
    assert len(statements.about("log_hashes")) == 1


def test_read_hashes_names_a_missing_hash(app, factory):
    append_synthetic(factory.ring, 4)
    with pytest.raises(merkle.StoredHashError, match="stored hash 99"):
        read_hashes([0, 99])
    assert db.session.execute(select(func.count()).select_from(LogHash)).scalar_one() == 7
