"""Keeping `listing_grams` (models.ListingGram) the grams of each company sanction's subject, by decision date.

A sanction against a company is indexed under every gram of the company's folded name (`companies.grams`), with
its decision date, once it has one. The rows follow what they are made of, in the flush that changes it:

- a sanction written with a company or a decision date it did not have before (recorded, decided, corrected);
- a company's folded name (`company_name_folds`) set: every sanction of that company is indexed again.

This is an `after_flush` listener, so every writing path (services, the demo, the tests' factories) keeps the
index without remembering to; paths that write with Core statements (bench/_sanctions.py) call `rebuild`.
Derived and unlogged (`canonical.UNLOGGED_TABLES`): it holds nothing the sanctions and the names do not.
"""
from __future__ import annotations

from sqlalchemy import delete, event, insert, inspect, or_, select
from sqlalchemy.orm import Session

from ..companies import grams
from ..companies.models import NameFold, NameGram
from .models import ListingGram, Sanction


def reindex(conn, *, sanction_ids: set[int] = frozenset(), company_ids: set[int] = frozenset()) -> None:
    """Index again the given sanctions and every sanction of the given companies."""
    if not sanction_ids and not company_ids:
        return
    rows = conn.execute(
        select(Sanction.id, Sanction.decision_date, NameFold.folded)
        .join(NameFold, NameFold.company_id == Sanction.company_id)
        .where(or_(Sanction.id.in_(sanction_ids), Sanction.company_id.in_(company_ids)))).all()
    conn.execute(delete(ListingGram).where(ListingGram.sanction_id.in_(set(sanction_ids) | {r[0] for r in rows})))
    wanted = [{"gram": g, "decision_date": decided, "sanction_id": sid}
              for sid, decided, folded in rows if decided is not None for g in sorted(grams.name_grams(folded))]
    if wanted:
        conn.execute(insert(ListingGram), wanted)


def rebuild(conn) -> None:
    """Make the whole index again from the sanctions and the companies' grams (which are the same grams)."""
    conn.execute(delete(ListingGram))
    conn.execute(insert(ListingGram).from_select(
        ["gram", "decision_date", "sanction_id"],
        select(NameGram.gram, Sanction.decision_date, Sanction.id)
        .join(NameGram, NameGram.company_id == Sanction.company_id)
        .where(Sanction.decision_date.is_not(None))))


def _changed(obj, *names: str) -> bool:
    attrs = inspect(obj).attrs
    return any(attrs[n].history.has_changes() for n in names)


@event.listens_for(Session, "after_flush")
def _follow(session: Session, _context) -> None:
    sanction_ids, company_ids = set(), set()
    for obj in session.new:
        if isinstance(obj, Sanction) and obj.company_id is not None:
            sanction_ids.add(obj.id)
        elif isinstance(obj, NameFold):
            company_ids.add(obj.company_id)
    for obj in session.dirty:
        if isinstance(obj, Sanction) and (obj.company_id is not None or _changed(obj, "company_id")) \
                and _changed(obj, "company_id", "decision_date"):
            sanction_ids.add(obj.id)
        elif isinstance(obj, NameFold) and _changed(obj, "folded"):
            company_ids.add(obj.company_id)
    reindex(session.connection(), sanction_ids=sanction_ids, company_ids=company_ids)
