"""Rotation tests change the session's key folder; each gets it back as it was, so tests that run later
(tests/log/ among them) see one log key and the field and index keys the session began with."""
from __future__ import annotations

import pytest

from registry.keys.ring import PURPOSES


@pytest.fixture(autouse=True)
def restore_keys(app, factory):
    ring = factory.ring
    saved = {path: path.read_bytes() for path in ring.dir.glob("*.json")}
    yield
    for path in ring.dir.glob("*.json"):
        if path not in saved:
            path.unlink()
    for path, content in saved.items():
        path.write_bytes(content)
    for purpose in PURPOSES:
        ring.keys(purpose, fresh=True)
