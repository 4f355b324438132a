"""Which scores a changed aggregate feeds: the one rule `keeping.py` applies to every log entry of a transaction.

Pure: no Flask, no database. The caller reads the aggregate's links (its company, its worker, its subject, a
worker's employers) and passes them as plain ids; the answer is the set of (subject kind, id) whose scores must be
computed again. What each score is made of is docs/rules.md, "Credit scores (信用积分)".
"""
from __future__ import annotations

from collections.abc import Iterable

Subject = tuple[str, int]


def subjects_fed(kind: str, *, company_id: int | None = None, worker_id: int | None = None,
                 subject_kind: str | None = None, employer_ids: Iterable[int] = ()) -> frozenset[Subject]:
    """The scores a change to an aggregate of `kind` may move.

    - `company` (its verification, pledge, business model): that company.
    - `worker` (records, employments): that worker, and every company that employs or employed them
      (`employer_ids`) — their staff share counts the worker's qualifications, and an employment that ended or
      lapsed took the worker off a company's staff.
    - `service` (its review, a review withdrawn by an objection): the worker who performed it and the company that
      recorded it.
    - `complaint`, `sanction`: their subject (`subject_kind`, with `company_id` or `worker_id`).
    - `commendation` (recorded, revoked): the company commended.
    - `score_review` (filed, answered with or without a correction): its subject (`subject_kind`, with
      `company_id` or `worker_id`).
    - anything else (an agency, a card report, a bulletin, the calendar): none.
    """
    out: set[Subject] = set()
    if kind in ("company", "commendation"):
        out.add(("company", company_id))
    elif kind == "worker":
        out.add(("worker", worker_id))
        out.update(("company", c) for c in employer_ids)
    elif kind == "service":
        out.update((("worker", worker_id), ("company", company_id)))
    elif kind in ("complaint", "sanction", "score_review"):
        if subject_kind == "company":
            out.add(("company", company_id))
        elif subject_kind == "worker":
            out.add(("worker", worker_id))
    return frozenset(s for s in out if s[1] is not None)
