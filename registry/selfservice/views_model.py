"""What the worker sees of themself, and what a resident sees with the worker's consent.

The worker's own view holds their personal data in full (it is theirs; their
own reads are not written to the access record). The resident's view never
holds the name (only its masked form), the ID number or the phone; health and
insurance appear only as valid / valid-until, the background check only as its
result (docs/privacy.md, "Who may read what").
"""
from __future__ import annotations

import base64
from datetime import date

from flask import current_app
from sqlalchemy import select

from ..cards.models import Card
from ..extensions import db
from ..keys import KeyRing
from ..keys.crypto import aad, unseal_bytes
from ..log.states import record_state
from ..workers import rules
from ..workers import views_model as worker_views
from ..workers.attach import awaiting_of
from ..workers.models import AccessRecord, Worker, WorkerPhoto
from ..workers.search import PURPOSE_PREFIX as REGULATOR_PREFIX
from ..workers.services import rec, status_of
from ..workers.vocab import REGULATOR_PURPOSES
from .models import WorkerCode, WorkerLogin

# Only raster images go into a data: URI (never SVG, which can carry script).
PHOTO_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif"})

PURPOSES = {
    "employer_view": ("用人企业查看了您的详细记录", "An employer opened your detailed record"),
    "regulator_view": ("监管部门查看了您的详细记录", "A regulator opened your detailed record"),
    "consent_view": ("居民凭您给出的同意码查看了详细信息",
                     "A resident opened the detailed view with your consent code"),
    "activation_code": ("向您登记的手机发送了激活码", "An activation code was sent to your phone on record"),
    "confirmation_code": ("向您登记的手机发送了用工确认码",
                          "An employment confirmation code was sent to your phone on record"),
}
FIELDS = {
    "name": ("姓名", "Name"), "id_number": ("证件号码", "ID number"), "phone": ("手机号码", "Mobile"),
    "status": ("状态", "Status"), "employments": ("用工记录", "Employment history"),
    "training": ("培训", "Training"), "health": ("体检", "Health check"), "insurance": ("保险", "Insurance"),
    "background": ("背景审查", "Background check"), "photo": ("照片", "Photo"),
}
RESIDENT = ("居民（经您同意）", "A resident (with your consent)")


def _photo(worker: Worker) -> WorkerPhoto | None:
    return db.session.execute(select(WorkerPhoto).where(WorkerPhoto.worker_id == worker.id)).scalar_one_or_none()


def own_view(ring: KeyRing, worker: Worker, today: date) -> dict:
    """The worker's full record: personal data, employments, records, status, cards, photo on file."""
    cards = db.session.execute(select(Card).where(Card.worker_id == worker.id).order_by(Card.serial)).scalars().all()
    latest = max((c.serial for c in cards), default=None)
    login = db.session.execute(select(WorkerLogin).where(WorkerLogin.worker_id == worker.id)).scalar_one_or_none()
    return {
        **worker_views.detail(ring, worker, today),
        "cards": [{"serial": c.serial, "company_name": c.company.name, "issued_on": c.issued_on,
                   "valid_until": c.valid_until, "current": c.serial == latest} for c in cards],
        "photo_on_file": _photo(worker) is not None,
        "activated": login.activated_dt if login is not None else None,
        "awaiting_confirmation": [
            {"employment_id": e.id, "company_name": e.company.name, "company_uscc": e.company.uscc,
             "occupation": e.occupation, "start_date": e.start_date, "pending_until": e.pending_until}
            for e in awaiting_of(worker, today)],
    }


def _consent_code_id(record: AccessRecord) -> int | None:
    """The consent code a resident's view spent (its accessor_ref is `consent:<code id>`)."""
    kind, _, value = record.accessor_ref.partition(":")
    return int(value) if record.accessor_kind == "resident" and kind == "consent" and value.isdigit() else None


def why_of(purpose: str) -> tuple[str, str]:
    """The purpose in words; a regulator's chosen purpose (`regulator_view:<code>`) is named after the opening."""
    if purpose.startswith(REGULATOR_PREFIX):
        zh, en = PURPOSES["regulator_view"]
        code = purpose.removeprefix(REGULATOR_PREFIX)
        said = REGULATOR_PURPOSES.get(code, (code, code))
        return f"{zh}（用途：{said[0]}）", f"{en} (purpose: {said[1].lower()})"
    return PURPOSES.get(purpose, (purpose, purpose))


def access_list(worker: Worker) -> list[dict]:
    """Every recorded read of the worker's personal data, newest first: when, who, why, what."""
    rows = db.session.execute(select(AccessRecord).where(AccessRecord.worker_id == worker.id)
                              .order_by(AccessRecord.created_dt.desc(), AccessRecord.id.desc())).scalars().all()
    code_ids = {i for i in map(_consent_code_id, rows) if i is not None}
    made = dict(db.session.execute(select(WorkerCode.id, WorkerCode.created_dt)
                                   .where(WorkerCode.id.in_(code_ids))).all()) if code_ids else {}
    out = []
    for r in rows:
        zh, en = why_of(r.purpose)
        who = RESIDENT if r.accessor_kind == "resident" else (r.organisation or "", r.organisation or "")
        out.append({
            "when": r.created_dt, "accessor_kind": r.accessor_kind, "who": {"zh": who[0], "en": who[1]},
            "organisation": r.organisation, "purpose": r.purpose, "why": {"zh": zh, "en": en}, "note": r.note,
            "fields": [f for f in r.fields.split(",") if f],
            "consent_code_created": made.get(_consent_code_id(r)),
        })
    return out


def own_state(ring: KeyRing, worker: Worker) -> dict:
    """The worker's canonical state, its salt and digest, the index of its latest log entry, and their actor ref
    (the seed of their per-record actors: to recompute the actor of, and so find, the entries their own actions
    wrote on other records; `workers.services.derive_self_actor`)."""
    found = record_state(ring, "worker", worker)
    return {**found, "salt": worker.salt, "actor_ref": worker.actor_ref,
            "origin": current_app.config["LOG_ORIGIN"]}


def photo_data_uri(ring: KeyRing, worker: Worker) -> str | None:
    photo = _photo(worker)
    if photo is None or photo.content_type not in PHOTO_TYPES or worker.erased_dt is not None:
        return None
    data = unseal_bytes(ring, photo.photo_enc, aad("worker_photos", "photo", photo.ref))
    return f"data:{photo.content_type};base64,{base64.b64encode(data).decode('ascii')}"


def resident_view(ring: KeyRing, worker: Worker, today: date) -> dict:
    """The detailed view a resident opens with the worker's consent code."""
    records = [rec(r) for r in worker.records]
    current = {r.id for r in rules.current(records)}
    health = rules.latest(records, "health")
    background = rules.latest(records, "background")
    policies = [r for r in rules.current(records) if r.kind == "insurance"]
    in_force = [r for r in policies if rules.valid_on(r, today)]
    insurance_until = max((r.valid_until for r in (in_force or policies) if r.valid_until), default=None)
    trainings = [r for r in worker.records if r.kind == "training" and r.id in current]
    return {
        "card_no": worker.card_no,
        "name_masked": worker.name_masked,
        "status": worker_views.status_view(status_of(worker, today)),
        "employments": [{"company_name": e.company.name, "company_uscc": e.company.uscc,
                         "occupation": e.occupation, "start_date": e.start_date, "end_date": e.end_date}
                        for e in sorted(worker.employments, key=lambda e: (e.start_date, e.id), reverse=True)
                        if e.held],
        "training": [{"course": r.course, "hours": r.hours, "exam_passed": r.exam_passed, "trained_on": r.on_date,
                      "issuer": r.issuer} for r in sorted(trainings, key=lambda r: (r.on_date, r.id), reverse=True)],
        "health": {"valid": health is not None and health.result == "passed" and rules.valid_on(health, today),
                   "valid_until": health.valid_until if health else None},
        "insurance": {"valid": bool(in_force), "valid_until": insurance_until},
        "background": {"result": background.result if background else None,
                       "checked_on": background.on_date if background else None},
        "photo": photo_data_uri(ring, worker),
        "as_of": today,
    }
