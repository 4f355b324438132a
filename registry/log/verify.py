"""Verifying the log: locally against the database and the keys, or remotely over the public endpoints.

`verify_local(ring, origin)` checks every checkpoint's signature and its
consistency with the one before, every entry's leaf hash against its body and
its HMAC, every stored hash, the root at every checkpoint, and replays every
aggregate: the canonical-state digest of every record in every business table
must equal the digest of its latest entry, and every sealed personal value must
match its state HMAC. An edit made directly in the database, to the log or to a
business table, is named.

`verify_remote(base_url, state_path)` uses only the public HTTP endpoints: it
checks the checkpoint's signature with the published keys, its consistency with
the checkpoints seen before (kept in a local state file, written atomically), the
listed earlier checkpoints, and the inclusion of every (or a sample of) entry;
with `records` it checks a company's downloaded canonical states against the log.
"""
from __future__ import annotations

import base64
import binascii
import bisect
import contextlib
import gc
import hashlib
import json
import os
import random
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import rfc8785
from sqlalchemy import func, select

from .. import canonical
from ..extensions import db
from ..keys import KeyRing
from ..tlog import merkle, note
from .checkpoints import HmacKeys, entry_problems, verifiers
from .models import LogCheckpoint, LogEntry, LogHash, LogHead

CHUNK = 2000  # entries a fetch when checking HMACs and bodies
TREE_CHUNK = 8192  # entries a batch when recomputing the tree (a power of two: see _AlignedBatches)
MAX_LISTED = 200  # failures of one kind listed one by one; the rest are counted
PLACEHOLDER = b"\x00" * 32


@dataclass
class Report:
    """Named failures (empty when everything verified) and what was checked."""

    failures: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    # A checkpoint inconsistent with one seen before, or older than it: the log forked or rolled back.
    alarm: bool = False

    @property
    def ok(self) -> bool:
        return not self.failures

    def fail(self, message: str) -> None:
        self.failures.append(message)

    def note(self, message: str) -> None:
        self.checked.append(message)


class _Counted:
    """Failures of one kind: the first MAX_LISTED named, then a count."""

    def __init__(self, report: Report):
        self.report = report
        self.n = 0

    def fail(self, message: str) -> None:
        self.n += 1
        if self.n <= MAX_LISTED:
            self.report.fail(message)

    def close(self, what: str) -> None:
        if self.n > MAX_LISTED:
            self.report.fail(f"{what}: {self.n - MAX_LISTED} more failures not listed")


# --- local ------------------------------------------------------------------------------------
#
# verify_local runs five steps, each usable (and timed by bench/log.py) on its own:
#   open_checkpoints  every checkpoint's signature, and its stored size and root against its signed text;
#   check_tree        every entry's leaf hash from its body, every stored hash recomputed and compared, and
#                     the root at every checkpoint size; one pass over both tables in seq order, in batches,
#                     keeping only the tree's frontier and the few hashes the consistency proofs need;
#   check_checkpoints each checkpoint's root against the entries, and its consistency with the one before;
#   check_entries     every entry's HMAC, canonical body, numbering and columns; each subject's latest digest;
#   replay            every business record's canonical state against its subject's latest digest.


def verify_local(ring: KeyRing, origin: str) -> Report:
    report = Report()
    size = head_size(report)
    signatures = Report()
    opened = open_checkpoints(ring, origin, signatures)
    tree = check_tree(size, report, checkpoint_sizes=[signed.size for _cp, signed in opened])
    report.failures.extend(signatures.failures)
    check_checkpoints(opened, tree, report)
    latest = check_entries(ring, report)
    replay(ring, latest, report)
    return report


def head_size(report: Report) -> int:
    head = db.session.get(LogHead, 1)
    if head is None:
        report.fail("log head: row missing")
        return 0
    return head.size


def open_checkpoints(ring: KeyRing, origin: str, report: Report) -> list[tuple[LogCheckpoint, note.Checkpoint]]:
    """Check every checkpoint's signature and stored columns; return each with what its text says, in id order.

    A checkpoint whose signature fails is still returned when its text parses, so that
    its root and consistency are checked too.
    """
    known = verifiers(ring, origin)
    out = []
    rows = db.session.execute(select(LogCheckpoint).order_by(LogCheckpoint.id)).scalars().all()
    for cp in rows:
        label = f"checkpoint {cp.id}"
        try:
            signed = note.open_checkpoint(cp.note, known, origin)
        except note.NoteError as exc:
            report.fail(f"{label}: signature does not verify ({exc})")
            signed = _signed_text(cp.note)
            if signed is None:
                continue
        if signed.size != cp.size or signed.root != bytes(cp.root):
            report.fail(f"{label}: stored size or root differs from its signed text")
        out.append((cp, signed))
    report.note(f"checkpoints: {len(rows)} signatures checked")
    return out


@dataclass
class Tree:
    """The tree recomputed from the entries' bodies."""

    size: int
    # The root of the first s entries, for every checkpoint size s (1 <= s <= size).
    roots: dict[int, bytes] = field(default_factory=dict)
    # The recomputed stored hashes the consistency proofs between consecutive checkpoints need.
    hashes: dict[int, bytes] = field(default_factory=dict)

    def read(self, indexes: list[int]) -> list[bytes]:
        return [self.hashes[i] for i in indexes]


class _Recorder:
    """A read_hash that notes which stored hashes a proof needs (and answers with placeholders)."""

    def __init__(self):
        self.indexes: set[int] = set()

    def __call__(self, indexes: list[int]) -> list[bytes]:
        self.indexes.update(indexes)
        return [PLACEHOLDER] * len(indexes)


def _proof_pairs(sizes: list[int], size: int) -> list[tuple[int, int]]:
    """(m, n) for each checkpoint whose consistency with the one before check_checkpoints proves."""
    pairs, prev = [], None
    for s in sizes:
        if s > size:
            continue  # larger than the log: named, never proved
        if prev is not None and 1 <= prev < s:
            pairs.append((prev, s))
        prev = s
    return pairs


@contextlib.contextmanager
def without_cycle_collector():
    """Pause Python's cyclic garbage collector for a bulk loop.

    The verifier's batches hold tens of thousands of rows and hashes at once; each
    batch promotes them into the collector's older generations, whose collections then
    walk every object of the application again and again (doubling the time of the
    tree check). Rows, bytes and lists form no cycles: reference counting frees them.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def check_tree(size: int, report: Report, *, checkpoint_sizes: list[int] = (), chunk: int = TREE_CHUNK) -> Tree:
    """Re-hash every entry's body and recompute every stored hash; compare both with what is stored.

    Entries and stored hashes are read in batches of `chunk` entries (a range query on each
    primary key); a batch with nothing missing is compared as whole lists. A missing entry
    is named once and the tree continues with its stored leaf hash, so that it is not named
    again as every root after it. `checkpoint_sizes` are the sizes of open_checkpoints'
    checkpoints in its order: the tree keeps each one's root and the hashes check_checkpoints
    needs to prove each consistent with the one before.
    """
    tree = Tree(size)
    recorder = _Recorder()
    for m, n in _proof_pairs(list(checkpoint_sizes), size):
        merkle.prove_consistency(m, n, recorder)
    need = sorted(recorder.indexes)
    at_sizes = sorted({s for s in checkpoint_sizes if 1 <= s <= size})
    entries = _Counted(report)
    differ, first_differ, missing_hashes = 0, None, 0
    frontier: list[bytes] = []
    leaf_hash = merkle.leaf_hash
    aligned = _AlignedBatches(chunk) if chunk & (chunk - 1) == 0 else None
    e, h = LogEntry.__table__.c, LogHash.__table__.c
    conn = db.session.connection()
    # A range of primary keys that returns as many rows as it spans has none missing: then the rows
    # are read without their keys, and only a batch with a gap is read again with them.
    bodies = select(e.body, e.leaf_hash).order_by(e.seq)
    hashes = select(h.hash).order_by(h.id)
    with without_cycle_collector():
        for a in range(0, size, chunk):
            b = min(size, a + chunk)
            lo, hi = merkle.stored_hash_index(0, a), merkle.stored_hash_count(b)
            stored = conn.execute(hashes.where(h.id >= lo, h.id < hi)).scalars().all()
            complete = len(stored) == hi - lo
            if not complete:
                by_id = dict(conn.execute(select(h.id, h.hash).where(h.id >= lo, h.id < hi)).all())
                stored = [by_id.get(i) for i in range(lo, hi)]
            rows = conn.execute(bodies.where(e.seq >= a, e.seq < b)).all()
            if len(rows) == b - a:
                leaves = [leaf_hash(body) for body, _leaf in rows]
                if leaves != [leaf for _body, leaf in rows]:
                    for seq, (_body, leaf), mine in zip(range(a, b), rows, leaves):
                        if leaf != mine:
                            entries.fail(f"entry {seq}: leaf hash does not match its body")
            else:
                rows = conn.execute(select(e.seq, e.body, e.leaf_hash).where(e.seq >= a, e.seq < b)).all()
                leaves = _leaves_with_gaps(a, b, rows, stored, lo, entries)
            inside = at_sizes[bisect.bisect_right(at_sizes, a):bisect.bisect_right(at_sizes, b)]
            wanted = need[bisect.bisect_left(need, lo):bisect.bisect_left(need, hi)]
            before = list(frontier)
            if aligned is not None and b - a == chunk and complete and \
                    aligned.check(a, leaves, stored, frontier, inside, wanted, tree):
                continue
            # Anything else (a partial batch, a stored hash that differs or is missing): hash by hash.
            frontier[:] = before
            computed: list[bytes] = []
            n = a
            for s in inside:
                computed += merkle.extend_stored_hashes(n, frontier, leaves[n - a:s - a])
                n = s
                tree.roots[s] = _fold(frontier)
            if n < b:
                computed += merkle.extend_stored_hashes(n, frontier, leaves[n - a:])
            if computed != stored:
                for offset, (mine, theirs) in enumerate(zip(computed, stored)):
                    if theirs is None:
                        missing_hashes += 1
                    elif bytes(theirs) != mine:
                        differ += 1
                        first_differ = lo + offset if first_differ is None else first_differ
            for i in wanted:
                tree.hashes[i] = computed[i - lo]
    for (seq,) in conn.execute(select(e.seq).where(e.seq >= size).order_by(e.seq)):
        entries.fail(f"entry {seq}: beyond the log head's size {size}")
    entries.close("entries")
    end = merkle.stored_hash_count(size)
    extra, first_extra = conn.execute(select(func.count(), func.min(h.id)).where(h.id >= end)).one()
    if differ:
        level, n = merkle.split_stored_hash_index(first_differ)
        report.fail(f"stored hashes: {differ} differ from the entries "
                    f"(first: index {first_differ}, level {level}, n {n})")
    if missing_hashes:
        report.fail(f"stored hashes: {missing_hashes} missing")
    if extra:
        report.fail(f"stored hashes: {extra} beyond the tree (first: index {first_extra})")
    report.note(f"entries: {size} leaf hashes recomputed from their bodies")
    report.note(f"stored hashes: {end} recomputed and compared")
    return tree


def _fold(subtrees: list[bytes]) -> bytes:
    """The root of a tree from the roots of its complete subtrees, left to right (RFC 6962 MTH)."""
    root = subtrees[-1]
    for left in reversed(subtrees[:-1]):
        root = merkle.node_hash(left, root)
    return root


class _AlignedBatches:
    """The tree check's fast path: a whole batch of 2^k entries starting at a multiple of 2^k.

    Its stored hashes are the batch's complete subtree, level by level (each level one list
    comprehension), plus what its last record completes above it; where each (level, n) is
    stored relative to the batch's first stored index is the same for every such batch.
    """

    def __init__(self, size: int):
        self.size = size
        self.k = size.bit_length() - 1
        self.positions = [[merkle.stored_hash_index(level, j) for j in range(size >> level)]
                          for level in range(self.k + 1)]

    def check(self, a: int, leaves: list[bytes], stored: list, frontier: list[bytes], inside: list[int],
              wanted: list[int], tree: Tree) -> bool:
        """Recompute and compare; on a match update frontier, roots and kept hashes and return True."""
        sha256 = hashlib.sha256
        levels = [leaves]
        current = leaves
        while len(current) > 1:
            current = [sha256(b"\x01" + left + right).digest() for left, right in zip(current[0::2], current[1::2])]
            levels.append(current)
        for level, values in enumerate(levels):
            if values != list(map(stored.__getitem__, self.positions[level])):
                return False
        above, h, m = [], current[0], a >> self.k
        before = list(frontier)
        while m & 1:
            h = sha256(b"\x01" + frontier.pop() + h).digest()
            above.append(h)
            m >>= 1
        frontier.append(h)
        if stored[2 * self.size - 1:] != above:
            return False
        for s in inside:  # the roots of checkpoints inside the batch, from its subtrees
            cover, x, offset = list(before), s - a, 0
            for level in range(self.k, -1, -1):
                if x >> level & 1:
                    cover.append(levels[level][offset >> level])
                    offset += 1 << level
            tree.roots[s] = _fold(cover)
        lo = merkle.stored_hash_index(0, a)
        for i in wanted:
            if i - lo < 2 * self.size - 1:
                level, n = merkle.split_stored_hash_index(i)
                tree.hashes[i] = levels[level][n - (a >> level)]
            else:
                tree.hashes[i] = above[i - lo - (2 * self.size - 1)]
        return True


def _leaves_with_gaps(a: int, b: int, rows, stored: list, lo: int, entries: _Counted) -> list[bytes]:
    """The leaf hashes of entries a … b-1 when some are missing: those are named, and their stored leaf hash used."""
    by_seq = {row[0]: row for row in rows}
    leaves = []
    for seq in range(a, b):
        row = by_seq.get(seq)
        if row is None:
            entries.fail(f"entries: seq {seq} missing")
            kept = stored[merkle.stored_hash_index(0, seq) - lo]
            leaves.append(bytes(kept) if kept is not None and len(kept) == merkle.HASH_SIZE else PLACEHOLDER)
            continue
        leaf = merkle.leaf_hash(row[1])
        if row[2] != leaf:
            entries.fail(f"entry {seq}: leaf hash does not match its body")
        leaves.append(leaf)
    return leaves


def _signed_text(signed: str) -> note.Checkpoint | None:
    """The checkpoint a note's text says, without checking its signature (best effort)."""
    try:
        text = signed[: signed.rindex("\n\n") + 1]
        return note.parse_checkpoint(text)
    except (ValueError, note.NoteError):
        return None


def check_checkpoints(opened: list[tuple[LogCheckpoint, note.Checkpoint]], tree: Tree, report: Report) -> None:
    """Each checkpoint's root against the entries, and its consistency with the checkpoint before it."""
    previous: tuple[LogCheckpoint, note.Checkpoint] | None = None
    for cp, signed in opened:
        label = f"checkpoint {cp.id} (size {signed.size})"
        if signed.size > tree.size:
            report.fail(f"{label}: larger than the log ({tree.size} entries)")
            continue
        if signed.size and tree.roots[signed.size] != signed.root:
            report.fail(f"{label}: root differs from the entries")
        if previous is not None:
            prev_row, prev = previous
            if signed.size <= prev.size:
                report.fail(f"checkpoint {cp.id}: size {signed.size} is not larger than "
                            f"checkpoint {prev_row.id}'s ({prev.size})")
            elif prev.size >= 1:
                proof = merkle.prove_consistency(prev.size, signed.size, tree.read)
                if not merkle.verify_consistency(prev.size, signed.size, prev.root, signed.root, proof):
                    report.fail(f"checkpoint {cp.id} not consistent with checkpoint {prev_row.id}")
        previous = (cp, signed)
    report.note(f"checkpoints: {len(opened)} checked (root, consistency)")


_LEAF_PROBLEM = ": leaf hash does not match its body"  # check_tree's to name


def check_entries(ring: KeyRing, report: Report, *, chunk: int = CHUNK) -> dict[str, tuple[int, str]]:
    """Check every entry's HMAC, canonical body, numbering and columns; return each subject's latest (seq, digest)."""
    keys = HmacKeys(ring)
    entries = _Counted(report)
    latest: dict[str, tuple[int, str]] = {}
    count = 0
    e = LogEntry.__table__.c
    result = db.session.connection().execute(
        select(e.seq, e.body, e.leaf_hash, e.hmac, e.hmac_key_id, e.action, e.subject).order_by(e.seq)
        .execution_options(yield_per=chunk))
    for seq, body, leaf, mac, key_id, action, subject in result:
        count += 1
        _leaf, problems, fields = entry_problems(keys, seq, body, leaf, mac, key_id, action, subject)
        for p in problems:
            if not p.endswith(_LEAF_PROBLEM):
                entries.fail(p)
        if fields is not None and isinstance(fields.get("subject"), str):
            latest[fields["subject"]] = (seq, fields.get("digest"))
    entries.close("entries")
    report.note(f"entries: {count} HMACs, bodies and numbering checked")
    return latest


SEALED = {
    # kind → (sealed column, AAD table, AAD column, state column, state-HMAC label, ref attribute)
    "worker": [("name_enc", "workers", "name", "name_state", "name", "ref"),
               ("id_number_enc", "workers", "id_number", "id_number_state", "id_number", "ref"),
               ("phone_enc", "workers", "phone", "phone_state", "phone", "ref")],
    "company": [("contact_name_enc", "companies", "contact_name", "contact_name_state", "contact_name", "log_ref"),
                ("contact_phone_enc", "companies", "contact_phone", "contact_phone_state", "contact_phone",
                 "log_ref")],
    "account": [("name_enc", "accounts", "name", "name_state", "name", "ref"),
                ("totp_enc", "accounts", "totp", "totp_state", "totp", "ref")],
    # A resident's report: its optional free text.
    "report": [("text_enc", "card_reports", "text", "text_state", "text", "ref"),
               ("closing_note_enc", "card_reports", "closing_note", "closing_note_state", "closing_note", "ref")],
}


def _sealed_problems(ring: KeyRing, kind: str, row) -> list[str]:
    """Each sealed value must open (its AAD names this row) and match the state HMAC stored beside it."""
    from cryptography.exceptions import InvalidTag

    from ..keys.crypto import aad, state_hmac, unseal

    out = []
    for column, table, aad_column, state_column, label, ref_attr in SEALED[kind]:
        sealed, state = getattr(row, column), getattr(row, state_column)
        if sealed is None and state is None:
            continue
        if sealed is None or state is None:
            out.append(f"{label} is sealed without its state HMAC, or the reverse")
            continue
        try:
            value = unseal(ring, sealed, aad(table, aad_column, getattr(row, ref_attr)))
        except (InvalidTag, ValueError, LookupError, binascii.Error, UnicodeDecodeError):
            out.append(f"{label} does not decrypt for this row")
            continue
        if state_hmac(ring, label, value) != state:
            out.append(f"{label} does not match its state HMAC")
    return out


def _photo_problems(ring: KeyRing, workers: dict[int, str]) -> list[tuple[str, str]]:
    """(worker log_ref, problem) for each photo of these workers (id → log_ref) that does not open or match.

    A photo sits in its own row (a dependent of the worker): it must open under the associated data naming
    that row's ref, and the SHA-256 of what opens must match the state HMAC the worker's canonical state holds.
    Photos are read a few at a time: they are the largest values the registry keeps.
    """
    from cryptography.exceptions import InvalidTag

    from ..keys.crypto import aad, state_hmac, unseal_bytes
    from ..workers.models import WorkerPhoto

    p = WorkerPhoto.__table__.c
    rows = db.session.connection().execute(
        select(p.worker_id, p.ref, p.photo_enc, p.photo_state).where(p.worker_id.in_(list(workers)))
        .order_by(p.worker_id).execution_options(yield_per=20))
    out = []
    for worker_id, ref, sealed, state in rows:
        try:
            data = unseal_bytes(ring, bytes(sealed), aad("worker_photos", "photo", ref))
        except (InvalidTag, ValueError, LookupError, UnicodeDecodeError):
            out.append((workers[worker_id], "photo does not decrypt for this row"))
            continue
        if state_hmac(ring, "photo", hashlib.sha256(data).hexdigest()) != state:
            out.append((workers[worker_id], "photo does not match its state HMAC"))
    return out


def replay(ring: KeyRing, latest: dict[str, tuple[int, str]], report: Report) -> int:
    """Recompute every business record's canonical state; return how many records were replayed."""
    from ..accounts.models import Account

    records = _Counted(report)
    seen: set[str] = set()
    count = 0
    for kind, model in canonical.aggregate_roots():
        ids = db.session.execute(select(model.id).order_by(model.id)).scalars().all()
        for start in range(0, len(ids), 500):
            batch = db.session.execute(
                select(model).where(model.id.in_(ids[start:start + 500])).order_by(model.id)).scalars().all()
            for rec in batch:
                count += 1
                ref = rec.log_ref
                seen.add(ref)
                digest = canonical.digest(canonical.state_of(ring, rec))
                entry = latest.get(ref)
                if entry is None:
                    records.fail(f"{kind} {ref}: no log entry")
                elif entry[1] != digest:
                    records.fail(f"{kind} {ref}: canonical state digest differs from entry {entry[0]}")
                if kind in SEALED:
                    for p in _sealed_problems(ring, kind, rec):
                        records.fail(f"{kind} {ref}: {p}")
                if kind in ("company", "agency"):
                    owner = Account.company_id if kind == "company" else Account.agency_id
                    for acc in db.session.execute(select(Account).where(owner == rec.id)).scalars():
                        for p in _sealed_problems(ring, "account", acc):
                            records.fail(f"account {acc.ref} ({kind} {ref}): {p}")
            if kind == "worker":
                for ref, p in _photo_problems(ring, {rec.id: rec.log_ref for rec in batch}):
                    records.fail(f"worker {ref}: {p}")
    for subject, (seq, _digest) in sorted(latest.items(), key=lambda kv: kv[1][0]):
        if subject not in seen:
            records.fail(f"subject {subject}: no record (latest entry {seq})")
    records.close("records")
    report.note(f"replay: {count} records' canonical states recomputed")
    return count


# --- remote -----------------------------------------------------------------------------------

# fetch(path) -> (HTTP status, body bytes); path starts with /api/v1/log/…
Fetch = Callable[[str], tuple[int, bytes]]


def http_fetch(base_url: str, timeout: float = 30) -> Fetch:
    base = base_url.rstrip("/")

    def fetch(path: str) -> tuple[int, bytes]:
        req = urllib.request.Request(base + path, headers={"User-Agent": "jiaxin-log-verify/1",
                                                           "Accept": "application/json, text/plain"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 — the operator's URL
                return resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    return fetch


class RemoteError(Exception):
    """An answer that stops the remote verification (named in the report)."""


def _get(fetch: Fetch, path: str) -> bytes:
    try:
        status, body = fetch(path)
    except (OSError, urllib.error.URLError) as exc:
        raise RemoteError(f"GET {path}: {exc}") from None
    if status != 200:
        raise RemoteError(f"GET {path}: HTTP {status}")
    return body


def _get_json(fetch: Fetch, path: str):
    try:
        return json.loads(_get(fetch, path))
    except ValueError:
        raise RemoteError(f"GET {path}: not JSON") from None


def _unb64(value, what: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise RemoteError(f"{what}: not base64") from None


def load_state(path: Path) -> dict:
    if not path.exists():
        return {"version": 1, "origin": None, "keys": [], "checkpoints": [], "alarms": []}
    try:
        state = json.loads(path.read_text())
    except ValueError:
        raise RemoteError(f"state file {path}: not JSON (keep a copy and investigate before replacing it)") from None
    state.setdefault("keys", [])
    state.setdefault("checkpoints", [])
    state.setdefault("alarms", [])
    return state


def save_state(path: Path, state: dict) -> None:
    """Write the state file atomically: a crash leaves the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(state, fh, indent=1)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    try:
        dir_fd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def verify_remote(base_url: str, state_path: str | os.PathLike, *, all_entries: bool = False, sample: int = 16,
                  records: list[dict] | None = None, fetch: Fetch | None = None,
                  pinned_keys: list[str] | None = None) -> Report:
    """Verify a registry over its public endpoints; remember its checkpoint in `state_path`."""
    report = Report()
    fetch = fetch or http_fetch(base_url)
    state_path = Path(state_path)
    try:
        state = load_state(state_path)
        _verify_remote(fetch, state, state_path, report, all_entries=all_entries, sample=sample,
                       records=records, pinned_keys=pinned_keys)
    except RemoteError as exc:
        report.fail(str(exc))
    return report


def _parse_keys(lines: list[str], report: Report) -> list[note.Verifier]:
    out = []
    for number, line in enumerate(lines, 1):
        try:
            out.append(note.parse_verifier_key(line))
        except note.NoteError as exc:
            report.fail(f"key line {number}: {exc}")
    return out


def _verify_remote(fetch: Fetch, state: dict, state_path: Path, report: Report, *, all_entries: bool, sample: int,
                   records: list[dict] | None, pinned_keys: list[str] | None) -> None:
    served = [line for line in _get(fetch, "/api/v1/log/key").decode("utf-8", "replace").split("\n") if line]
    if not served:
        raise RemoteError("GET /api/v1/log/key: no key")
    keys = _parse_keys(pinned_keys if pinned_keys else served, report)
    if not keys:
        raise RemoteError("no usable verifier key")
    origin = keys[0].name
    if any(k.name != origin for k in keys):
        report.fail("keys: not all keys have the same name (the log's origin)")
    if state.get("origin") not in (None, origin):
        raise RemoteError(f"state file {state_path} is for log {state['origin']!r}, the server's is {origin!r}")
    # Keys seen before still verify the checkpoints seen before (rotation adds keys).
    known = keys + [v for v in _parse_keys(state["keys"], Report()) if v not in keys and v.name == origin]
    new_keys = [line for line in served if line not in state["keys"]]
    if state["keys"] and new_keys and not pinned_keys:
        report.note(f"keys: {len(new_keys)} new since last time (a rotation?): {', '.join(new_keys)}")

    signed = _get(fetch, "/api/v1/log/checkpoint").decode("utf-8", "replace")
    try:
        latest = note.open_checkpoint(signed, known, origin)
    except note.NoteError as exc:
        raise RemoteError(f"checkpoint: signature does not verify ({exc})") from None
    report.note(f"checkpoint: size {latest.size}, signature verified")

    # 1. Consistent with what we saw before?
    seen = state["checkpoints"]
    if seen:
        last = max(seen, key=lambda c: c["size"])
        old_root = base64.b64decode(last["root"])
        problem = None
        if latest.size < last["size"]:
            problem = (f"the server's checkpoint (size {latest.size}) is older than the one seen before "
                       f"(size {last['size']}): the log was rolled back")
        elif latest.size == last["size"]:
            if latest.root != old_root:
                problem = (f"the server's checkpoint of size {latest.size} has a different root than the one seen "
                           f"before: the log forked")
        else:
            proof = _consistency(fetch, last["size"], latest.size)
            if not merkle.verify_consistency(last["size"], latest.size, old_root, latest.root, proof):
                problem = (f"the server's checkpoint (size {latest.size}) is not consistent with the checkpoint "
                           f"of size {last['size']} seen before: the log forked or was rewritten")
        if problem:
            report.alarm = True
            report.fail(f"ALARM: {problem}")
            state["alarms"] = (state["alarms"] + [{"problem": problem, "seen": last["note"], "served": signed}])[-50:]
            save_state(state_path, state)
            return
        report.note(f"consistent with the checkpoint of size {last['size']} seen before")

    # 2. The published earlier checkpoints: signed, and consistent with the latest.
    _check_history(fetch, known, origin, latest, report, everything=all_entries)

    # 3. Entries and their inclusion proofs.
    if latest.size:
        if all_entries:
            indexes = list(range(latest.size))
        else:
            rng = random.SystemRandom()
            pool = range(latest.size)
            indexes = sorted({0, latest.size - 1, *rng.sample(pool, min(sample, latest.size))})
        bad = _Counted(report)
        for i in indexes:
            problem = _check_entry(fetch, i, latest)
            if problem:
                bad.fail(problem)
        bad.close("entries")
        report.note(f"entries: {len(indexes)} of {latest.size} fetched, inclusion verified")
        _check_receipt(fetch, latest.size - 1, known, origin, latest, report)

    # 4. A holder's canonical states.
    if records:
        _check_records(fetch, records, latest, origin, report)

    state["origin"] = origin
    state["keys"] = list(dict.fromkeys(state["keys"] + served))
    if not seen or latest.size != max(c["size"] for c in seen):
        seen.append({"size": latest.size, "root": base64.b64encode(latest.root).decode(), "note": signed})
    state["checkpoints"] = sorted(seen, key=lambda c: c["size"])[-1000:]
    save_state(state_path, state)


def _consistency(fetch: Fetch, first: int, second: int) -> list[bytes]:
    answer = _get_json(fetch, f"/api/v1/log/proofs/consistency?from={first}&to={second}")
    if answer.get("from") != first or answer.get("to") != second:
        raise RemoteError(f"consistency proof {first} → {second}: the answer is for other sizes")
    return [_unb64(h, f"consistency proof {first} → {second}") for h in answer.get("hashes", [])]


def _check_history(fetch: Fetch, known, origin: str, latest: note.Checkpoint, report: Report, *,
                   everything: bool) -> None:
    page, count = 1, 0
    while True:
        items = _get_json(fetch, f"/api/v1/log/checkpoints?page={page}&page_size=100")
        if not isinstance(items, list):
            raise RemoteError("GET /api/v1/log/checkpoints: not a list")
        for item in items:
            count += 1
            try:
                cp = note.open_checkpoint(item.get("checkpoint", ""), known, origin)
            except note.NoteError as exc:
                report.fail(f"listed checkpoint of size {item.get('size')}: signature does not verify ({exc})")
                continue
            if cp.size > latest.size:
                continue  # signed after we fetched the latest
            if cp.size == latest.size:
                if cp.root != latest.root:
                    report.alarm = True
                    report.fail(f"ALARM: listed checkpoint of size {cp.size} has another root than the latest")
                continue
            if cp.size == 0:
                continue
            proof = _consistency(fetch, cp.size, latest.size)
            if not merkle.verify_consistency(cp.size, latest.size, cp.root, latest.root, proof):
                report.alarm = True
                report.fail(f"ALARM: listed checkpoint of size {cp.size} is not consistent with the latest "
                            f"(size {latest.size})")
        if len(items) < 100 or not everything:
            break
        page += 1
    report.note(f"earlier checkpoints: {count} listed ones verified and proved consistent")


def _check_entry(fetch: Fetch, index: int, cp: note.Checkpoint) -> str | None:
    """Fetch entry `index` and its inclusion proof; return a problem or None."""
    try:
        entry = _get_json(fetch, f"/api/v1/log/entries/{index}")
        body = _unb64(entry.get("body"), f"entry {index}: body")
        if entry.get("index") != index:
            return f"entry {index}: the answer is for entry {entry.get('index')}"
        leaf = merkle.leaf_hash(body)
        if _unb64(entry.get("leaf_hash"), f"entry {index}: leaf hash") != leaf:
            return f"entry {index}: leaf hash does not match its body"
        try:
            fields = json.loads(body)
        except ValueError:
            return f"entry {index}: body is not JSON"
        if not isinstance(fields, dict) or fields.get("seq") != index:
            return f"entry {index}: body is numbered {fields.get('seq') if isinstance(fields, dict) else None!r}"
        answer = _get_json(fetch, f"/api/v1/log/proofs/inclusion?index={index}&size={cp.size}")
        proof = [_unb64(h, f"entry {index}: proof") for h in answer.get("hashes", [])]
        if answer.get("index") != index or answer.get("size") != cp.size:
            return f"entry {index}: the inclusion proof is for another index or size"
        if not merkle.verify_inclusion(index, cp.size, leaf, proof, cp.root):
            return f"entry {index}: inclusion proof does not verify against the checkpoint of size {cp.size}"
    except RemoteError as exc:
        return str(exc)
    return None


def _check_receipt(fetch: Fetch, index: int, known, origin: str, latest: note.Checkpoint, report: Report) -> None:
    try:
        entry = _get_json(fetch, f"/api/v1/log/entries/{index}")
        leaf = merkle.leaf_hash(_unb64(entry.get("body"), f"entry {index}: body"))
        receipt = _get(fetch, f"/api/v1/log/receipts/{index}")
        cp = note.verify_tlog_proof(receipt, leaf, known, origin)
    except (RemoteError, note.NoteError) as exc:
        report.fail(f"receipt {index}: {exc}")
        return
    if cp.size < latest.size:
        report.fail(f"receipt {index}: its checkpoint (size {cp.size}) is older than the latest ({latest.size})")
        return
    report.note(f"receipt {index}: verified")


def records_from(document) -> list[dict]:
    """The records of a downloaded states document (GET /companies/{uscc}/states), or a list of records."""
    if isinstance(document, dict) and "company" in document:
        return [document["company"], *document.get("workers", [])]
    if isinstance(document, dict):
        return [document]
    if isinstance(document, list):
        return document
    raise ValueError("not a states document")


def _check_records(fetch: Fetch, records: list[dict], cp: note.Checkpoint, origin: str, report: Report) -> None:
    ok = 0
    for rec in records:
        kind, ref = rec.get("kind", "record"), rec.get("log_ref")
        label = f"{kind} {ref}"
        try:
            digest = hashlib.sha256(rfc8785.dumps(rec["state"])).hexdigest()
        except (KeyError, TypeError, rfc8785.CanonicalizationError):
            report.fail(f"{label}: the file has no canonical state")
            continue
        if rec.get("digest") not in (None, digest):
            report.fail(f"{label}: the file's digest does not match its state")
        index = rec.get("entry_index")
        if not isinstance(index, int):
            report.fail(f"{label}: no log entry")
            continue
        if index >= cp.size:
            report.fail(f"{label}: entry {index} is not in the latest checkpoint (size {cp.size}) yet")
            continue
        problem = _check_entry(fetch, index, cp)
        if problem:
            report.fail(f"{label}: {problem}")
            continue
        fields = json.loads(_unb64(_get_json(fetch, f"/api/v1/log/entries/{index}")["body"], "body"))
        if fields.get("subject") != ref:
            report.fail(f"{label}: entry {index} is about another record")
        elif fields.get("digest") != digest:
            report.fail(f"{label}: canonical state digest differs from entry {index}")
        else:
            ok += 1
    report.note(f"records: {ok} of {len(records)} match their entries in the log")
