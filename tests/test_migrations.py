"""The migrations build exactly the tables the models describe, on either engine."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from registry.extensions import db


def test_migrated_schema_matches_the_models(app):
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
        diff = compare_metadata(ctx, db.metadata)
    assert diff == []


def test_the_log_head_row_exists_after_migration(app):
    from registry.log.models import LogHead

    assert db.session.get(LogHead, 1).size == 0
