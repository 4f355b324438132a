"""Signing checkpoints: re-hash what is new, check it, then sign — or refuse and raise an alarm.

`sign_if_grown(ring, origin)` is the only writer of `log_checkpoints`. Before it
signs a tree of `size` entries it re-hashes every entry since the previous
checkpoint from its stored body, checks each entry's HMAC and numbering,
recomputes the stored hashes those entries complete and compares them with the
stored ones, checks that the stored hashes still give the previous checkpoint's
signed root, and proves the new tree consistent with it. Any mismatch: nothing
is signed, an alarm is raised (in the caller's transaction, which commits it)
and an ERROR line is logged. A log therefore never signs two inconsistent
checkpoints, nor a leaf hash that does not match its body.
"""
from __future__ import annotations

import hmac as hmac_mod
import json
import logging
from dataclasses import dataclass, field

import rfc8785
from sqlalchemy import select

from ..canonical import canonical_json
from ..extensions import db
from ..keys import KeyError_, KeyRing
from ..tlog import merkle, note
from .alarms import MAX_PROBLEMS, raise_alarm, summary
from .models import LogCheckpoint, LogEntry, LogHash
from .services import covering_subtrees as cover
from .services import entry_mac, log_size, read_hashes

log = logging.getLogger(__name__)

CHUNK = 2000  # entries re-hashed per query
REFUSED_KIND = "checkpoint_refused"  # the alarm of a checkpoint the signer refused


# --- keys ------------------------------------------------------------------------------------


def log_keys(ring: KeyRing):
    """The log signing keys a verifier should know: every non-retired one, current first."""
    return [k for k in ring.keys("log") if k.state != "retired"]


def verifier_keys(ring: KeyRing, origin: str) -> list[str]:
    """The verifier key strings served at /api/v1/log/key, current first; the key name is the origin."""
    return [note.verifier_key(origin, k.public_bytes) for k in log_keys(ring)]


def verifiers(ring: KeyRing, origin: str) -> list[note.Verifier]:
    return [note.new_verifier(origin, k.public_bytes) for k in log_keys(ring)]


# --- reading ---------------------------------------------------------------------------------


def latest_checkpoint() -> LogCheckpoint | None:
    return db.session.execute(
        select(LogCheckpoint).order_by(LogCheckpoint.size.desc()).limit(1)
    ).scalar_one_or_none()


def tree_root(size: int) -> bytes:
    """The root of the first `size` entries, from stored hashes (one query)."""
    return merkle.tree_hash(size, read_hashes)


# --- checking entries ------------------------------------------------------------------------


class HmacKeys:
    """log-hmac keys by id, each looked up once."""

    def __init__(self, ring: KeyRing):
        self.ring = ring
        self._keys: dict[str, bytes | None] = {}

    def material(self, key_id: str) -> bytes | None:
        if key_id not in self._keys:
            try:
                self._keys[key_id] = self.ring.get("log-hmac", key_id).material
            except KeyError_:
                self._keys[key_id] = None
        return self._keys[key_id]


def entry_problems(keys: HmacKeys, seq: int, body: bytes, stored_leaf: bytes, mac: str, key_id: str,
                   action: str, subject: str) -> tuple[bytes, list[str], dict | None]:
    """Check one entry row; return its leaf hash recomputed from the body, problems, and its fields."""
    body = bytes(body)
    leaf = merkle.leaf_hash(body)
    problems = []
    if bytes(stored_leaf) != leaf:
        problems.append(f"entry {seq}: leaf hash does not match its body")
    material = keys.material(key_id)
    if material is None:
        problems.append(f"entry {seq}: HMAC key {key_id} is unknown")
    elif not hmac_mod.compare_digest(entry_mac(material, body), mac or ""):
        problems.append(f"entry {seq}: HMAC does not verify")
    fields = None
    try:
        fields = json.loads(body)
        # The stdlib fast path for plain values (tests hold it equal to rfc8785), rfc8785 otherwise.
        canonical = canonical_json(fields) == body
    except (ValueError, TypeError, rfc8785.CanonicalizationError):
        canonical = False
    if not canonical or not isinstance(fields, dict):
        problems.append(f"entry {seq}: body is not canonical JSON")
        return leaf, problems, None
    if fields.get("seq") != seq:
        problems.append(f"entry {seq}: body is numbered {fields.get('seq')!r}")
    if fields.get("subject") != subject or fields.get("action") != action:
        problems.append(f"entry {seq}: subject or action column differs from its body")
    return leaf, problems, fields


@dataclass
class RangeCheck:
    """What re-hashing entries [lo, hi) found."""

    problems: list[str] = field(default_factory=list)
    entries: int = 0

    def add(self, problem: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)
        elif len(self.problems) == MAX_PROBLEMS:
            self.problems.append("… more problems not listed")


def check_range(ring: KeyRing, lo: int, hi: int, *, chunk: int = CHUNK) -> RangeCheck:
    """Re-hash entries lo … hi-1 from their bodies and check them and their stored hashes.

    Reads the earlier tree's covering hashes once, then the entries and the
    stored hashes chunk by chunk; keeps only the hashes later records still need.
    """
    result = RangeCheck()
    keys = HmacKeys(ring)
    known: dict[int, bytes] = {}
    start = cover(lo)
    try:
        known.update(zip(start, read_hashes(start)))
    except merkle.StoredHashError as exc:
        result.add(f"stored hashes: {exc}")
        return result

    def read(indexes: list[int]) -> list[bytes]:
        return [known[i] for i in indexes]

    a = lo
    while a < hi:
        b = min(hi, a + chunk)
        rows = db.session.execute(
            select(LogEntry.seq, LogEntry.body, LogEntry.leaf_hash, LogEntry.hmac, LogEntry.hmac_key_id,
                   LogEntry.action, LogEntry.subject)
            .where(LogEntry.seq >= a, LogEntry.seq < b).order_by(LogEntry.seq)
        ).all()
        computed: list[tuple[int, bytes]] = []
        expected = a
        for row in rows:
            if row.seq != expected:
                result.add(f"entries: seq {expected} missing")
                return result
            leaf, problems, _fields = entry_problems(keys, row.seq, row.body, row.leaf_hash, row.hmac,
                                                     row.hmac_key_id, row.action, row.subject)
            for p in problems:
                result.add(p)
            for index, value in merkle.hashes_to_store(row.seq, leaf, read):
                known[index] = value
                computed.append((index, value))
            expected += 1
            result.entries += 1
        if expected != b:
            result.add(f"entries: seq {expected} missing")
            return result
        first, last = merkle.stored_hash_index(0, a), merkle.stored_hash_count(b)
        stored = dict(db.session.execute(
            select(LogHash.id, LogHash.hash).where(LogHash.id >= first, LogHash.id < last)).all())
        for index, value in computed:
            have = stored.get(index)
            if have is None:
                result.add(f"stored hash {index}: missing")
            elif bytes(have) != value:
                level, n = merkle.split_stored_hash_index(index)
                result.add(f"stored hash {index} (level {level}, n {n}): differs from the entries")
        keep = set(cover(b))
        known = {i: h for i, h in known.items() if i in keep}
        a = b
    return result


# --- signing ---------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What sign_if_grown did: "signed", "unchanged" (nothing new) or "refused"."""

    status: str
    size: int
    checkpoint: LogCheckpoint | None = None
    problems: list[str] = field(default_factory=list)
    alarm_id: int | None = None


def sign_if_grown(ring: KeyRing, origin: str) -> Outcome:
    """Sign a checkpoint of the whole log if it grew since the last one (in the caller's transaction)."""
    size = log_size()
    prev = latest_checkpoint()
    prev_size = prev.size if prev else 0
    if size == prev_size:
        return Outcome("unchanged", size, prev)
    problems: list[str] = []
    if size < prev_size:
        problems.append(f"log head: size {size} is below checkpoint {prev.id} (size {prev_size})")
        return _refuse(size, prev, problems)
    prev_root = None
    if prev is not None:
        try:
            # Any key of ours, retired ones too: a retirement must not stop the signer.
            own = [note.new_verifier(origin, k.public_bytes) for k in ring.keys("log")]
            signed = note.open_checkpoint(prev.note, own, origin)
        except note.NoteError as exc:
            problems.append(f"checkpoint {prev.id}: signature does not verify ({exc})")
        else:
            prev_root = signed.root
            if signed.size != prev.size or signed.root != bytes(prev.root):
                problems.append(f"checkpoint {prev.id}: stored size or root differs from its signed text")
    checked = check_range(ring, prev_size, size)
    problems.extend(checked.problems)
    root = None
    if not problems:
        try:
            if prev_root is not None and tree_root(prev_size) != prev_root:
                problems.append(f"stored hashes of the first {prev_size} entries no longer give "
                                f"checkpoint {prev.id}'s root")
            root = tree_root(size)
            if prev_root is not None and not problems:
                proof = merkle.prove_consistency(prev_size, size, read_hashes)
                if not merkle.verify_consistency(prev_size, size, prev_root, root, proof):
                    problems.append(f"tree of size {size} is not consistent with checkpoint {prev.id} "
                                    f"(size {prev_size})")
        except merkle.StoredHashError as exc:
            problems.append(f"stored hashes: {exc}")
    if problems:
        return _refuse(size, prev, problems)
    key = ring.current("log")
    text = note.checkpoint_text(origin, size, root)
    row = LogCheckpoint(size=size, root=root, note=note.sign_note(text, origin, key.private_key),
                        key_id=note.key_id(origin, key.public_bytes).hex())
    db.session.add(row)
    db.session.flush()
    log.info("signed checkpoint %d: size %d (%d new entries re-hashed)", row.id, size, checked.entries)
    return Outcome("signed", size, row)


def _refuse(size: int, prev: LogCheckpoint | None, problems: list[str]) -> Outcome:
    alarm = raise_alarm(
        REFUSED_KIND, f"checkpoint of size {size} refused: {summary(problems)}",
        {"size": size, "previous_size": prev.size if prev else 0,
         "previous_checkpoint": prev.id if prev else None, "problems": problems[:MAX_PROBLEMS]})
    return Outcome("refused", size, prev, problems, alarm.id)
