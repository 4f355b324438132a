"""A record's canonical state with its latest entry, for its holder to check against the public log."""
from __future__ import annotations

from sqlalchemy import func, select

from .. import canonical
from ..extensions import db
from ..keys import KeyRing
from .services import latest_entry_for


def record_state(ring: KeyRing, kind: str, aggregate) -> dict:
    state = canonical.state_of(ring, aggregate)
    entry = latest_entry_for(aggregate.log_ref)
    return {"kind": kind, "log_ref": aggregate.log_ref, "state": state, "digest": canonical.digest(state),
            "entry_index": entry.seq if entry else None}


def company_states(ring: KeyRing, company, *, page: int, page_size: int, origin: str) -> dict:
    """The company's state and one page of its current workers' states (by worker id)."""
    from ..workers.models import Employment, Worker

    current = (select(Employment.worker_id)
               .where(Employment.company_id == company.id, Employment.active).distinct())
    total = db.session.execute(select(func.count()).select_from(current.subquery())).scalar_one()
    workers = db.session.execute(
        select(Worker).where(Worker.id.in_(current)).order_by(Worker.id)
        .offset((page - 1) * page_size).limit(page_size)
    ).scalars().all()
    return {"origin": origin, "company": record_state(ring, "company", company),
            "workers": [record_state(ring, "worker", w) for w in workers],
            "page": page, "page_size": page_size, "total": total}
