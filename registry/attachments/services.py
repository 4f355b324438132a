"""Storing, reading and checking sealed attachments. Nothing here commits or records: the owner's service does,
as the last step of the one operation that adds them (one log entry for the owner's aggregate).

Sealed like a worker's photo (`workers/photos.py`): AES-GCM under the `field` key with associated data naming the
row's ref, and beside it the `state` HMAC of the content's SHA-256, which the owner's canonical state holds. Key
rotation re-seals `content_enc` (`keys/rotation.py`); `log verify` opens each file and compares (`problems`).
"""
from __future__ import annotations

import binascii
import hashlib

from sqlalchemy import select

from .. import clock
from ..extensions import db
from ..keys import KeyRing
from ..keys.crypto import aad, seal_bytes, state_hmac, unseal_bytes
from ..models import new_ref
from . import rules
from .models import Attachment

AAD_TABLE, AAD_COLUMN = "attachments", "content"


def content_state(ring: KeyRing, data: bytes) -> str:
    """What the canonical state holds for a file: the state HMAC of its SHA-256 (hex)."""
    return state_hmac(ring, "attachment", hashlib.sha256(data).hexdigest())


def add(ring: KeyRing, *, owner_kind: str, owner_id: int, files: list[bytes], by: str) -> list[Attachment]:
    """Seal and add `files` (already checked with `rules.check_files`) to an owner row that has its id (flushed)."""
    start = len(for_owner(owner_kind, owner_id))
    rows = []
    for i, data in enumerate(files):
        row = Attachment(ref=new_ref(), owner_kind=owner_kind, owner_id=owner_id, position=start + i,
                         content_type=rules.sniff(data), size=len(data), uploaded_by=by, created_dt=clock.now())
        row.content_enc = seal_bytes(ring, data, aad(AAD_TABLE, AAD_COLUMN, row.ref))
        row.content_state = content_state(ring, data)
        db.session.add(row)
        rows.append(row)
    db.session.flush()
    return rows


def for_owner(owner_kind: str, owner_id: int) -> list[Attachment]:
    return list(db.session.execute(select(Attachment).where(
        Attachment.owner_kind == owner_kind, Attachment.owner_id == owner_id).order_by(Attachment.position)
    ).scalars())


def for_owners(owner_kind: str, owner_ids: list[int]) -> dict[int, list[Attachment]]:
    """Each owner's attachments, in order (one query for many owners)."""
    out: dict[int, list[Attachment]] = {i: [] for i in owner_ids}
    if owner_ids:
        for row in db.session.execute(select(Attachment).where(
                Attachment.owner_kind == owner_kind, Attachment.owner_id.in_(owner_ids))
                .order_by(Attachment.owner_id, Attachment.position)).scalars():
            out[row.owner_id].append(row)
    return out


def state_entries(rows: list[Attachment]) -> list[dict]:
    """The attachments as the owner's canonical state lists them: type, size, the HMAC of the SHA-256, who, when."""
    from ..canonical import _dt

    return [{"content_type": a.content_type, "size": a.size, "content": a.content_state, "by": a.uploaded_by,
             "created": _dt(a.created_dt)} for a in rows]


def open_content(ring: KeyRing, row: Attachment) -> bytes:
    """The file's bytes (for the people allowed to read them: the owner's service decides who)."""
    return unseal_bytes(ring, bytes(row.content_enc), aad(AAD_TABLE, AAD_COLUMN, row.ref))


def view(row: Attachment) -> dict:
    """What a reader sees of an attachment without its bytes."""
    return {"ref": row.ref, "position": row.position, "content_type": row.content_type, "size": row.size,
            "created_dt": row.created_dt}


def problems(ring: KeyRing, owner_kind: str, owner_ids: list[int]) -> list[tuple[int, str]]:
    """(owner id, problem) for each attachment of these owners that does not open under its row's associated data
    or whose SHA-256 does not match its state HMAC (`log verify`). Read a few at a time: they are large."""
    from cryptography.exceptions import InvalidTag

    if not owner_ids:
        return []
    c = Attachment.__table__.c
    rows = db.session.connection().execute(
        select(c.owner_id, c.position, c.ref, c.content_enc, c.content_state)
        .where(c.owner_kind == owner_kind, c.owner_id.in_(list(owner_ids)))
        .order_by(c.owner_id, c.position).execution_options(yield_per=20))
    out = []
    for owner_id, position, ref, sealed, state in rows:
        try:
            data = unseal_bytes(ring, bytes(sealed), aad(AAD_TABLE, AAD_COLUMN, ref))
        except (InvalidTag, ValueError, LookupError, binascii.Error, UnicodeDecodeError):
            out.append((owner_id, f"document {position} does not decrypt for this row"))
            continue
        if content_state(ring, data) != state:
            out.append((owner_id, f"document {position} does not match its state HMAC"))
    return out
