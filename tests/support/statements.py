"""Counting the SQL statements a call makes (a page, a gathering) so a test can hold the number fixed."""
from __future__ import annotations

from sqlalchemy import event

from registry.extensions import db


def count_statements(fn) -> int:
    """How many SQL statements `fn()` runs."""
    statements = []

    def count(*args):
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(statements)
