"""Projections of a worker for each audience."""
from __future__ import annotations

from datetime import date

from . import rules
from .services import open_personal_data, rec, status_of


def status_view(st: rules.Status) -> dict:
    return {"colour": st.colour, "reasons": [{"code": r.code, "zh": r.zh, "en": r.en} for r in st.reasons]}


def staff_row(worker, employment, st: rules.Status) -> dict:
    records = [rec(r) for r in worker.records]
    health = rules.latest(records, "health")
    insurance = rules.latest(records, "insurance")
    return {
        "card_no": worker.card_no, "name_masked": worker.name_masked, "occupation": employment.occupation,
        "employment_kind": employment.kind, "start_date": employment.start_date, "end_date": employment.end_date,
        "status": status_view(st),
        "health_valid_until": health.valid_until if health else None,
        "insurance_valid_until": insurance.valid_until if insurance else None,
        "employment_id": employment.id,
        # An attachment waiting for the worker's confirmation: listed, but it opens nothing yet.
        "awaiting_confirmation": employment.awaiting,
        "pending_until": employment.pending_until if employment.awaiting else None,
    }


def records_view(worker) -> list[dict]:
    superseded = {r.supersedes_id for r in worker.records if r.supersedes_id}
    return [{
        "id": r.id, "kind": r.kind, "result": r.result, "on_date": r.on_date, "valid_until": r.valid_until,
        "course": r.course, "hours": r.hours, "exam_passed": r.exam_passed, "issuer": r.issuer,
        "supersedes": r.supersedes_id, "superseded": r.id in superseded, "company_uscc": r.company.uscc,
    } for r in worker.records]


def detail(ring, worker, today: date) -> dict:
    """The detailed record; the caller has written the access record first."""
    return {
        **open_personal_data(ring, worker),
        "card_no": worker.card_no, "name_masked": worker.name_masked, "id_kind": worker.id_kind,
        "status": status_view(status_of(worker, today)),
        "employments": [{
            "company_uscc": e.company.uscc, "company_name": e.company.name, "occupation": e.occupation,
            "kind": e.kind, "start_date": e.start_date, "end_date": e.end_date, "social_insurance": e.social_insurance,
        } for e in worker.employments if e.held],
        "records": records_view(worker),
        # Once the name, ID number and phone were erased (then None above): when and why.
        "erased": None if worker.erased_dt is None else {
            "at": worker.erased_dt, "basis": worker.erased_basis, "reference": worker.erased_reference},
    }
