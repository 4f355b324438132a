"""/api/v1/log: the public transparency log, never rate limited; and a company's states (docs/log.md).

Hashes and bodies are standard padded base64. Proofs are served for any
1 <= from <= to <= the latest checkpoint's size and any index < size <= that
size; anything else is a 422 naming the field.
"""
from __future__ import annotations

import base64

from flask import Response, current_app
from flask.views import MethodView
from sqlalchemy import func, select

from schemas.common import PAGINATION_HEADER_DOC, pagination_header
from schemas.log import (
    CheckpointsArgs,
    CheckpointSchema,
    ConsistencyArgs,
    ConsistencyProofSchema,
    EntrySchema,
    InclusionArgs,
    InclusionProofSchema,
    StatesArgs,
    StatesSchema,
)

from ..accounts.auth import bearer_account, require
from ..accounts.roles import COMPANY_ROLES
from ..api_util import ERRORS, api_blueprint
from ..errors import ApiError, field_error, not_found
from ..extensions import db, limiter
from ..keys import keyring
from ..tlog import merkle, note
from . import checkpoints
from .models import LogCheckpoint, LogEntry
from .services import read_hashes

blp = api_blueprint("log", __name__, "The public transparency log: checkpoints, keys, entries, proofs, receipts.")
# Verifiers, monitors and witnesses fetch every entry and proof: never rate limited.
limiter.exempt(blp)

states_blp = api_blueprint("log_states", __name__, "A company's canonical states, to check against the public log.")

TEXT = "text/plain; charset=utf-8"
IMMUTABLE = "public, max-age=86400"


def b64(data: bytes) -> str:
    return base64.b64encode(bytes(data)).decode("ascii")


def origin() -> str:
    return current_app.config["LOG_ORIGIN"]


def _text(body: str, cache: str = "no-cache") -> Response:
    return Response(body, content_type=TEXT, headers={"Cache-Control": cache})


def _latest() -> LogCheckpoint:
    cp = checkpoints.latest_checkpoint()
    if cp is None:
        raise ApiError(404, "no_checkpoint", "日志尚无已签名的检查点，请稍后再试。",
                       "The log has no signed checkpoint yet; try again in a minute.")
    return cp


def _latest_size() -> int:
    cp = checkpoints.latest_checkpoint()
    return cp.size if cp else 0


def _too_big(name: str, limit: int) -> ApiError:
    return field_error(name, f"Must be at most the latest checkpoint's size ({limit}).",
                       f"不能大于最新检查点的大小（{limit}）。")


@blp.route("/log/checkpoint")
class Checkpoint(MethodView):
    @blp.response(200, content_type="text/plain")
    @blp.alt_response(404, schema=ERRORS)
    def get(self):
        """The latest signed checkpoint (C2SP tlog-checkpoint in a signed note), as text."""
        return _text(_latest().note)


@blp.route("/log/key")
class Key(MethodView):
    @blp.response(200, content_type="text/plain")
    def get(self):
        """The log's verifier keys, one a line, current first; the key name is the log's origin."""
        return _text("".join(k + "\n" for k in checkpoints.verifier_keys(keyring(), origin())))


@blp.route("/log/entries/<int:index>")
class Entry(MethodView):
    @blp.response(200, EntrySchema)
    @blp.alt_response(404, schema=ERRORS)
    def get(self, index):
        """One entry: its exact leaf bytes and leaf hash."""
        entry = db.session.get(LogEntry, index)
        if entry is None:
            raise not_found("log entry", "日志条目")
        return {"index": entry.seq, "body": b64(entry.body), "leaf_hash": b64(entry.leaf_hash)}, 200, {
            "Cache-Control": IMMUTABLE}


@blp.route("/log/proofs/inclusion")
class InclusionProof(MethodView):
    @blp.arguments(InclusionArgs, location="query")
    @blp.response(200, InclusionProofSchema)
    @blp.alt_response(422, schema=ERRORS)
    def get(self, args):
        """The inclusion proof of entry `index` in the tree of `size` entries."""
        index, size = args["index"], args["size"]
        limit = _latest_size()
        if size > limit:
            raise _too_big("size", limit)
        if index >= size:
            raise field_error("index", "Must be less than size.", "必须小于 size。")
        proof = merkle.prove_inclusion(index, size, read_hashes)
        return {"index": index, "size": size, "hashes": [b64(h) for h in proof]}, 200, {"Cache-Control": IMMUTABLE}


@blp.route("/log/proofs/consistency")
class ConsistencyProof(MethodView):
    @blp.arguments(ConsistencyArgs, location="query")
    @blp.response(200, ConsistencyProofSchema)
    @blp.alt_response(422, schema=ERRORS)
    def get(self, args):
        """The consistency proof from the tree of `from` entries to the tree of `to` entries."""
        first, second = args["from_"], args["to"]
        limit = _latest_size()
        if second > limit:
            raise _too_big("to", limit)
        if first > second:
            raise field_error("from", "Must be at most `to`.", "不能大于 to。")
        proof = merkle.prove_consistency(first, second, read_hashes)
        return {"from_": first, "to": second, "hashes": [b64(h) for h in proof]}, 200, {
            "Cache-Control": IMMUTABLE}


@blp.route("/log/checkpoints")
class Checkpoints(MethodView):
    @blp.arguments(CheckpointsArgs, location="query")
    @blp.response(200, CheckpointSchema(many=True), headers={"X-Pagination": PAGINATION_HEADER_DOC})
    def get(self, args):
        """The signed checkpoints, newest first (paginated; the X-Pagination header has the totals)."""
        page, page_size = args["page"], args["page_size"]
        total = db.session.execute(select(func.count()).select_from(LogCheckpoint)).scalar_one()
        rows = db.session.execute(
            select(LogCheckpoint).order_by(LogCheckpoint.size.desc()).offset((page - 1) * page_size).limit(page_size)
        ).scalars()
        return [{"size": c.size, "root": b64(c.root), "checkpoint": c.note, "key_id": c.key_id,
                 "created": c.created_dt} for c in rows], 200, {
            "X-Pagination": pagination_header(page, page_size, total)}


@blp.route("/log/receipts/<int:index>")
class Receipt(MethodView):
    @blp.response(200, content_type="text/plain")
    @blp.alt_response(404, schema=ERRORS)
    def get(self, index):
        """A C2SP tlog-proof receipt: entry `index`'s inclusion proof under the latest checkpoint."""
        cp = _latest()
        if db.session.get(LogEntry, index) is None:
            raise not_found("log entry", "日志条目")
        if index >= cp.size:
            raise ApiError(404, "not_yet_checkpointed", "该条目尚未纳入已签名的检查点，请稍后再试。",
                           "The entry is not in a signed checkpoint yet; try again in a minute.")
        proof = merkle.prove_inclusion(index, cp.size, read_hashes)
        return _text(note.tlog_proof(index, proof, cp.note))


# --- a company's own canonical states ---------------------------------------------------------


@states_blp.route("/companies/<uscc:uscc>/states")
class CompanyStates(MethodView):
    @require(*COMPANY_ROLES)
    @states_blp.arguments(StatesArgs, location="query")
    @states_blp.response(200, StatesSchema)
    @states_blp.alt_response(404, schema=ERRORS)
    def get(self, args, uscc):
        """Your company's canonical state and those of its current workers, with their salts and latest
        entries: check them against the public log with `flask --app wsgi log verify --remote URL --record FILE`
        (members)."""
        from ..companies import services as companies
        from .states import company_states

        company = companies.get_company(uscc)
        if not companies.is_member(bearer_account(), company):
            raise not_found("company", "企业")
        return company_states(keyring(), company, page=args["page"], page_size=args["page_size"],
                              origin=origin())
