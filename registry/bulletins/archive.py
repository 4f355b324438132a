"""Reading the published bulletins for the public: the archive by year, the log entries of a page of bulletins,
which version replaced a withdrawn one, and which published file has a given SHA-256.

Everything here reads in a fixed number of statements per page (never one per bulletin or file, but the
canonical states the API adds), and never loads a file's content: the archive and the look-up by digest touch only
the columns the indexes cover.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import BinaryIO

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..keys import KeyRing
from ..log.actions import Action
from ..log.models import LogEntry
from ..tlog import note
from . import manifest
from .models import Bulletin, BulletinFile

HEX64 = re.compile(r"[0-9a-f]{64}\Z", re.ASCII)
CHUNK = 1 << 20


@dataclass(frozen=True)
class Entries:
    """A bulletin's log entries: its publication, its withdrawal (None while current) and the latest of them."""

    publish: int | None
    withdraw: int | None
    latest: int | None


@dataclass(frozen=True)
class Match:
    """A published file with the SHA-256 asked about: its bulletin, its row (no content) and whether the bulletin's
    stored manifest opens under one of the ring's bulletin keys and lists this file with this SHA-256."""

    bulletin: Bulletin
    file: BulletinFile
    signed: bool


def normalise_digest(text: str | None) -> str | None:
    """A pasted SHA-256 as 64 lowercase hex (spaces around and upper case forgiven), or None if it is not one."""
    if not isinstance(text, str):
        return None
    digest = text.strip().lower()
    return digest if HEX64.match(digest) else None


def sha256_of(stream: BinaryIO, limit: int) -> tuple[str, int] | None:
    """SHA-256 (hex) and size of a stream read in chunks, or None once it holds more than `limit` bytes."""
    h, size = hashlib.sha256(), 0
    while chunk := stream.read(CHUNK):
        size += len(chunk)
        if size > limit:
            return None
        h.update(chunk)
    return h.hexdigest(), size


def years() -> list[int]:
    """The years that have a bulletin (a week's is its ISO year, the key's first four digits), latest first."""
    year = func.substr(Bulletin.period_key, 1, 4)
    return sorted((int(y) for y in db.session.execute(select(year).distinct()).scalars()), reverse=True)


def of_year(year: int) -> list[Bulletin]:
    """Every version published for a period of `year`, files loaded (not their content), latest made first."""
    return list(db.session.execute(
        select(Bulletin).where(Bulletin.period_key.like(f"{int(year):04d}-%"))
        .options(selectinload(Bulletin.files)).order_by(Bulletin.made_at.desc(), Bulletin.id.desc())).scalars())


def recent(limit: int) -> list[Bulletin]:
    """The `limit` versions made last, files loaded (not their content), latest made first."""
    return list(db.session.execute(
        select(Bulletin).options(selectinload(Bulletin.files))
        .order_by(Bulletin.made_at.desc(), Bulletin.id.desc()).limit(limit)).scalars())


def with_files(bulletins: Sequence[Bulletin]) -> None:
    """Load the files (not their content) of bulletins read without them, in one statement."""
    if bulletins:
        db.session.execute(select(Bulletin).where(Bulletin.id.in_([b.id for b in bulletins]))
                           .options(selectinload(Bulletin.files))).scalars().all()


def entries(bulletins: Iterable[Bulletin]) -> dict[str, Entries]:
    """log_ref -> the bulletin's log entries, for every bulletin given, in one statement."""
    refs = [b.log_ref for b in bulletins]
    found: dict[str, dict[str, int]] = {ref: {} for ref in refs}
    if refs:
        rows = db.session.execute(select(LogEntry.subject, LogEntry.action, LogEntry.seq)
                                  .where(LogEntry.subject.in_(refs)).order_by(LogEntry.seq))
        for subject, action, seq in rows:
            found[subject][action] = seq
            found[subject]["latest"] = seq
    return {ref: Entries(seqs.get(Action.BULLETIN_PUBLISH.value), seqs.get(Action.BULLETIN_WITHDRAW.value),
                         seqs.get("latest")) for ref, seqs in found.items()}


def successors(bulletins: Iterable[Bulletin]) -> dict[int, Bulletin]:
    """bulletin id -> the version published next for the same period, for each given bulletin that has one."""
    given = list(bulletins)
    keys = sorted({b.period_key for b in given})
    if not keys:
        return {}
    by_period: dict[str, list[Bulletin]] = {}
    for b in db.session.execute(select(Bulletin).where(Bulletin.period_key.in_(keys))
                                .order_by(Bulletin.version)).scalars():
        by_period.setdefault(b.period_key, []).append(b)
    out = {}
    for b in given:
        later = [v for v in by_period.get(b.period_key, []) if v.version > b.version]
        if later:
            out[b.id] = later[0]
    return out


def verifiers(ring: KeyRing, origin: str) -> list[note.Verifier]:
    """Every bulletin key of the ring (retired ones too: they vouch for what they signed), as note verifiers."""
    name = manifest.key_name(origin)
    return [note.new_verifier(name, k.public_bytes) for k in ring.keys("bulletin")]


def find(ring: KeyRing, origin: str, digest: str) -> list[Match]:
    """The published files whose SHA-256 is `digest` (64 lowercase hex), latest made first, each with whether its
    bulletin's stored manifest is signed by a ring key and lists it: one indexed look-up, then one manifest check per
    match. The same bytes may have been published more than once (a file a correction left unchanged)."""
    rows = db.session.execute(
        select(BulletinFile, Bulletin).join(Bulletin, BulletinFile.bulletin_id == Bulletin.id)
        .where(BulletinFile.sha256 == digest).order_by(Bulletin.made_at.desc(), BulletinFile.id)).all()
    keys = verifiers(ring, origin)
    out = []
    for f, b in rows:
        try:
            opened = manifest.open_manifest(b.manifest, keys, origin)
            signed = (opened.period, opened.version) == (b.period_key, b.version) and opened.files.get(f.name) == digest
        except ValueError:  # ManifestError, or a note too malformed to parse
            signed = False
        out.append(Match(b, f, signed))
    return out
