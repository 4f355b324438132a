"""Pages: how to verify the public log (zh/en, with a worked example), and the operators' log page."""
from __future__ import annotations

import base64
import json

from flask import Blueprint, abort, current_app, redirect, render_template, url_for
from sqlalchemy import select

from ..accounts.roles import Role
from ..extensions import db
from ..keys import keyring
from ..tasks.models import JobRun
from ..tlog import merkle, note
from ..web import flash_msg, role_required
from . import alarms, checkpoints
from .models import LogCheckpoint, LogEntry
from .services import log_size, read_hashes

bp = Blueprint("log_web", __name__)


def _b64(data: bytes) -> str:
    return base64.b64encode(bytes(data)).decode("ascii")


def inclusion_steps(index: int, size: int, leaf: bytes, proof: list[bytes]) -> list[dict]:
    """The RFC 9162 §2.1.3.2 loop, one row per proof hash: which side the sibling is on, and the result."""
    steps = []
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if fn & 1 or fn == sn:
            r = merkle.node_hash(p, r)
            side = "left"
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = merkle.node_hash(r, p)
            side = "right"
        fn >>= 1
        sn >>= 1
        steps.append({"sibling": _b64(p), "side": side, "result": _b64(r)})
    return steps


def worked_example(ring, origin: str) -> dict | None:
    """Entry 0's inclusion in the latest checkpoint, and a consistency proof from the one before."""
    cp = checkpoints.latest_checkpoint()
    if cp is None:
        return None
    entry = db.session.get(LogEntry, 0)
    proof = merkle.prove_inclusion(0, cp.size, read_hashes)
    example = {
        "checkpoint": cp, "keys": checkpoints.verifier_keys(ring, origin), "entry": entry,
        "body": bytes(entry.body).decode("utf-8"), "body_b64": _b64(entry.body),
        "fields": json.loads(entry.body), "leaf_hash": _b64(entry.leaf_hash),
        "leaf_hash_hex": bytes(entry.leaf_hash).hex(), "proof": [_b64(h) for h in proof],
        "steps": inclusion_steps(0, cp.size, bytes(entry.leaf_hash), proof), "root": _b64(cp.root),
        "receipt": note.tlog_proof(0, proof, cp.note), "previous": None,
    }
    prev = db.session.execute(
        select(LogCheckpoint).where(LogCheckpoint.size < cp.size).order_by(LogCheckpoint.size.desc()).limit(1)
    ).scalar_one_or_none()
    if prev is not None:
        example["previous"] = {"checkpoint": prev, "root": _b64(prev.root),
                               "proof": [_b64(h) for h in merkle.prove_consistency(prev.size, cp.size, read_hashes)]}
    return example


@bp.get("/log")
def verify_page():
    origin = current_app.config["LOG_ORIGIN"]
    ring = keyring()
    return render_template("web/log/verify.html", origin=origin, example=worked_example(ring, origin),
                           keys=checkpoints.verifier_keys(ring, origin), size=log_size(),
                           base=current_app.config["PUBLIC_URL"].rstrip("/"))


@bp.get("/admin/log")
@role_required(Role.OPERATOR_ADMIN)
def admin():
    recent = db.session.execute(
        select(LogCheckpoint).order_by(LogCheckpoint.size.desc()).limit(50)).scalars().all()
    # The scheduled full verification (jobs/schedules.py, "log.verify"): when it last ran.
    last_run = db.session.execute(select(JobRun).where(JobRun.name == "log.verify")
                                  .order_by(JobRun.started_dt.desc()).limit(1)).scalar_one_or_none()
    return render_template("web/log/admin.html", alarms=alarms.recent_alarms(100), checkpoints=recent,
                           size=log_size(), origin=current_app.config["LOG_ORIGIN"], last_run=last_run,
                           verify_minutes=current_app.config["LOG_VERIFY_MINUTES"])


@bp.post("/admin/log/alarms/<int:alarm_id>/acknowledge")
@role_required(Role.OPERATOR_ADMIN)
def acknowledge(alarm_id: int):
    if not alarms.acknowledge(alarm_id):
        abort(404)
    db.session.commit()
    flash_msg("告警已确认。", "Alarm acknowledged.", "success")
    return redirect(url_for("log_web.admin"))


@bp.app_template_filter("b64")
def b64_filter(data) -> str:
    return _b64(data) if data is not None else ""
