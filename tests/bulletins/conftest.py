"""What the bulletins' tests share: a log to cite."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from registry.extensions import db
from registry.log.models import LogCheckpoint
from tests.support.logutil import sign


@pytest.fixture
def cited(app, factory):
    """A log with one real record (a loaded calendar year) and a signed checkpoint: (size, root hex) to cite."""
    from registry.calendar.services import load_schedule

    load_schedule(factory.ring, actor="cli", year=2027, holidays=["2027-01-01"], workdays=[], source="测试通知")
    db.session.commit()
    assert sign(factory.ring).status == "signed"
    cp = db.session.execute(select(LogCheckpoint).order_by(LogCheckpoint.size.desc()).limit(1)).scalar_one()
    return cp.size, bytes(cp.root).hex()
