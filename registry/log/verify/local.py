"""Verifying the log locally, against the database and the keys.

`verify_local(ring, origin)` runs five steps, each usable (and timed by bench/log.py) on its own:
  open_checkpoints  every checkpoint's signature, and its stored size and root against its signed text;
  check_tree        (in .tree) every entry's leaf hash from its body, every stored hash recomputed and compared,
                    and the root at every checkpoint size;
  check_checkpoints each checkpoint's root against the entries, and its consistency with the one before;
  check_entries     every entry's HMAC, canonical body, numbering and columns; each subject's latest digest; no
                    actor that is a subject or a worker's `actor_ref`;
  replay            every business record's canonical state against its subject's latest digest, every
                    sealed personal value against its state HMAC, and every bulletin's stored files and signed
                    manifest against its row.
"""
from __future__ import annotations

import binascii
import hashlib

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ... import canonical
from ...extensions import db
from ...keys import KeyRing
from ...tlog import merkle, note
from ..checkpoints import HmacKeys, entry_problems, verifiers
from ..models import LogCheckpoint, LogEntry, LogHead
from .report import Counted, Report
from .tree import Tree, check_tree

CHUNK = 2000  # entries a fetch when checking HMACs and bodies


def verify_local(ring: KeyRing, origin: str) -> Report:
    report = Report()
    size = head_size(report)
    signatures = Report()
    opened = open_checkpoints(ring, origin, signatures)
    tree = check_tree(size, report, checkpoint_sizes=[signed.size for _cp, signed in opened])
    report.failures.extend(signatures.failures)
    check_checkpoints(opened, tree, report)
    latest = check_entries(ring, report)
    replay(ring, latest, report, origin=origin)
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
    """Check every entry's HMAC, canonical body, numbering and columns; return each subject's latest (seq, digest).

    And that no entry's actor is a subject of the log: a record's log_ref as an actor (a worker's, say, instead of
    their self-service actor) would tie that record to the entry's subject in the public log. Nor a worker's
    `actor_ref`: it is the seed of their per-record actors, and as an actor on several records it would tie them
    together (docs/log.md, "Who acts for a worker").
    """
    keys = HmacKeys(ring)
    entries = Counted(report)
    latest: dict[str, tuple[int, str]] = {}
    actors: dict[str, int] = {}  # each actor → the first entry naming it
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
        if fields is not None and isinstance(fields.get("actor"), str):
            actors.setdefault(fields["actor"], seq)
    entries.close("entries")
    report.note(f"entries: {count} HMACs, bodies and numbering checked")
    subjects_acting = Counted(report)
    seeds = _worker_seeds(list(actors), chunk)
    for actor, seq in sorted(actors.items(), key=lambda kv: kv[1]):
        if actor in latest:
            subjects_acting.fail(f"entry {seq}: its actor is a record's log_ref (the subject of entry "
                                 f"{latest[actor][0]})")
        elif actor in seeds:
            subjects_acting.fail(f"entry {seq}: its actor is a worker's actor_ref (the seed of their per-record "
                                 f"actors, never an actor)")
    subjects_acting.close("actors")
    report.note(f"actors: {len(actors)} distinct, none a subject of the log nor a worker's actor_ref"
                if not subjects_acting.n else f"actors: {len(actors)} distinct checked against the log's subjects "
                                              f"and the workers' actor_refs")
    return latest


def _worker_seeds(actors: list[str], chunk: int) -> set[str]:
    """The entries' actors that are some worker's `actor_ref`, looked up a chunk at a time."""
    from ...workers.models import Worker

    found: set[str] = set()
    for i in range(0, len(actors), chunk):
        found.update(db.session.execute(select(Worker.actor_ref)
                                        .where(Worker.actor_ref.in_(actors[i:i + chunk]))).scalars())
    return found


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
    # A sanction's facts (they may name people), and each named person's name.
    "sanction": [("facts_enc", "sanctions", "facts", "facts_state", "facts", "ref")],
    "sanction_person": [("name_enc", "sanction_persons", "name", "name_state", "name", "ref")],
    "sanction_notice": [("reasons_enc", "sanction_notices", "reasons", "reasons_state", "reasons", "ref")],
    # A credit repair application's statement of the obligations met (it may name people).
    "sanction_repair": [("statement_enc", "sanction_repairs", "statement", "statement_state", "statement", "ref")],
    # A subject's objection: its reasons and the issuing agency's answer (its documents: `attachments.problems`).
    "sanction_objection": [("reasons_enc", "sanction_objections", "reasons", "reasons_state", "reasons", "ref"),
                           ("answer_enc", "sanction_objections", "answer", "answer_state", "answer", "ref")],
    # A service's review: the customer's text and the company's reply.
    "service_review": [("text_enc", "service_reviews", "text", "text_state", "text", "ref"),
                       ("reply_enc", "service_reviews", "reply", "reply_state", "reply", "ref")],
    # A complaint: its text and the complainant's contact; each step's reason; each response of the subject.
    "complaint": [("text_enc", "complaints", "text", "text_state", "text", "ref"),
                  ("contact_name_enc", "complaints", "contact_name", "contact_name_state", "contact_name", "ref"),
                  ("contact_phone_enc", "complaints", "contact_phone", "contact_phone_state", "contact_phone",
                   "ref")],
    "complaint_step": [("reason_enc", "complaint_steps", "reason", "reason_state", "reason", "ref")],
    "complaint_response": [("text_enc", "complaint_responses", "text", "text_state", "text", "ref")],
    # A subject's objection to a service's review: its reasons and the regulator's answer.
    "review_objection": [("reasons_enc", "review_objections", "reasons", "reasons_state", "reasons", "ref"),
                         ("answer_enc", "review_objections", "answer", "answer_state", "answer", "ref")],
    # A subject's objection to a substantiated complaint: its reasons and the concluding agency's answer.
    # A request for human review of a score: the subject's reason and the regulator's note.
    "score_review": [("reason_enc", "score_reviews", "reason", "reason_state", "reason", "ref"),
                     ("note_enc", "score_reviews", "note", "note_state", "note", "ref")],
    "complaint_objection": [("reasons_enc", "complaint_objections", "reasons", "reasons_state", "reasons", "ref"),
                            ("answer_enc", "complaint_objections", "answer", "answer_state", "answer", "ref")],
}


def _sealed_problems(ring: KeyRing, kind: str, row) -> list[str]:
    """Each sealed value must open (its AAD names this row) and match the state HMAC stored beside it."""
    from cryptography.exceptions import InvalidTag

    from ...keys.crypto import aad, state_hmac, unseal

    out = []
    erased = kind == "worker" and getattr(row, "erased_dt", None) is not None
    if erased:
        return _erased_problems(row)
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


def _erased_problems(worker) -> list[str]:
    """An erased worker (registry/retention/erasure.py): no sealed value and no look-up index left, every state HMAC
    kept (the canonical state, which holds them and the erasure, is checked against the log like any other)."""
    from ...retention.erasure import ERASED, ERASED_INDEX_PREFIX

    out = []
    for column, _table, _aad_column, state_column, label, _ref_attr in SEALED["worker"]:
        if getattr(worker, column) != ERASED:
            out.append(f"erased, but {label} is still sealed in the row")
        if not getattr(worker, state_column):
            out.append(f"erased, but {label} lost its state HMAC")
    if (worker.name_index is not None or worker.phone_idx != ERASED
            or not worker.id_number_idx.startswith(ERASED_INDEX_PREFIX)):
        out.append("erased, but a look-up index of its personal data is still in the row")
    return out


def _photo_problems(ring: KeyRing, workers: dict[int, str], erased: frozenset[int] = frozenset()
                    ) -> list[tuple[str, str]]:
    """(worker log_ref, problem) for each photo of these workers (id → log_ref) that does not open or match.

    A photo sits in its own row (a dependent of the worker): it must open under the associated data naming
    that row's ref, and the SHA-256 of what opens must match the state HMAC the worker's canonical state holds.
    Photos are read a few at a time: they are the largest values the registry keeps. An erased worker's photo
    (`erased`: their ids) must be empty, its state HMAC kept.
    """
    from cryptography.exceptions import InvalidTag

    from ...keys.crypto import aad, state_hmac, unseal_bytes
    from ...workers.models import WorkerPhoto

    p = WorkerPhoto.__table__.c
    rows = db.session.connection().execute(
        select(p.worker_id, p.ref, p.photo_enc, p.photo_state).where(p.worker_id.in_(list(workers)))
        .order_by(p.worker_id).execution_options(yield_per=20))
    out = []
    for worker_id, ref, sealed, state in rows:
        if worker_id in erased or not sealed:
            if worker_id not in erased:
                out.append((workers[worker_id], "photo is empty, but the worker is not erased"))
            elif sealed:
                out.append((workers[worker_id], "erased, but the photo is still sealed in its row"))
            elif not state:
                out.append((workers[worker_id], "erased, but the photo lost its state HMAC"))
            continue
        try:
            data = unseal_bytes(ring, bytes(sealed), aad("worker_photos", "photo", ref))
        except (InvalidTag, ValueError, LookupError, UnicodeDecodeError):
            out.append((workers[worker_id], "photo does not decrypt for this row"))
            continue
        if state_hmac(ring, "photo", hashlib.sha256(data).hexdigest()) != state:
            out.append((workers[worker_id], "photo does not match its state HMAC"))
    return out


def _objection_problems(ring: KeyRing, sanction) -> list[str]:
    """Each objection's sealed texts against their state HMACs, and each of its documents: it must open under the
    associated data naming its row, and the SHA-256 of what opens must match its state HMAC (like a photo)."""
    from ...attachments import services as attachments
    from ...sanctions.objections import OWNER_KIND

    objections = getattr(sanction, "objections", None) or []
    out = []
    for o in objections:
        out += [f"objection {o.ref[:8]}: {p}" for p in _sealed_problems(ring, "sanction_objection", o)]
    by_id = {o.id: o.ref[:8] for o in objections}
    out += [f"objection {by_id[oid]}: {p}" for oid, p in attachments.problems(ring, OWNER_KIND, list(by_id))]
    return out


def _complaint_objection_problems(ring: KeyRing, complaint, *, kind: str = "complaint_objection") -> list[str]:
    """A complaint's (or a service's: `kind` `review_objection`) objections checked as a sanction's are
    (`_objection_problems`): sealed texts and documents (owner kind = `kind`)."""
    from ...attachments import services as attachments

    objections = getattr(complaint, "objections", None) or []
    out = []
    for o in objections:
        out += [f"objection {o.ref[:8]}: {p}" for p in _sealed_problems(ring, kind, o)]
    by_id = {o.id: o.ref[:8] for o in objections}
    out += [f"objection {by_id[oid]}: {p}" for oid, p in attachments.problems(ring, kind, list(by_id))]
    return out


def _repair_problems(ring: KeyRing, sanction) -> list[str]:
    """Each repair application's sealed statement against its state HMAC, and each of its documents (opened under
    the associated data naming its row, its SHA-256 against its state HMAC), like an objection's."""
    from ...attachments import services as attachments
    from ...sanctions.repair import OWNER_KIND

    out = []
    for application in sanction.repairs:
        out += [f"repair application: {p}" for p in _sealed_problems(ring, "sanction_repair", application)]
    by_id = {r.id: r.ref[:8] for r in sanction.repairs}
    out += [f"repair application {by_id[rid]}: {p}"
            for rid, p in attachments.problems(ring, OWNER_KIND, list(by_id))]
    return out


def replay(ring: KeyRing, latest: dict[str, tuple[int, str]], report: Report, *, origin: str | None = None) -> int:
    """Recompute every business record's canonical state; return how many records were replayed.

    A bulletin's state names its files' sizes and SHA-256 and its manifest's SHA-256, not the bytes: each stored
    file must match its row and the manifest must be signed over them (`bulletins.services.integrity_problems`,
    under `origin`'s bulletin key name when given).
    """
    from ...accounts.models import Account
    from ...bulletins.services import integrity_problems

    records = Counted(report)
    seen: set[str] = set()
    count = erased = 0
    for kind, model in canonical.aggregate_roots():
        ids = db.session.execute(select(model.id).order_by(model.id)).scalars().all()
        for start in range(0, len(ids), 500):
            q = select(model).where(model.id.in_(ids[start:start + 500])).order_by(model.id)
            if kind == "service":
                # A service's state names its worker and company and holds its review: loaded per batch.
                q = q.options(selectinload(model.worker), selectinload(model.company), selectinload(model.review))
            if kind == "commendation":
                # A commendation's state names its company and agency: loaded per batch.
                q = q.options(selectinload(model.company), selectinload(model.agency))
            if kind == "score_review":
                # A review's state names its subject and the answering agency: loaded per batch.
                q = q.options(selectinload(model.company), selectinload(model.worker),
                              selectinload(model.answered_agency))
            batch = db.session.execute(q).scalars().all()
            accounts: dict[int, list] = {}
            if kind in ("company", "agency"):
                # One query per batch for the accounts the batch's records own, not one per record.
                owner = Account.company_id if kind == "company" else Account.agency_id
                for acc in db.session.execute(select(Account).where(owner.in_([r.id for r in batch]))
                                              .order_by(Account.id)).scalars():
                    accounts.setdefault(getattr(acc, owner.key), []).append(acc)
            for rec in batch:
                count += 1
                ref = rec.log_ref
                seen.add(ref)
                digest = canonical.digest(canonical.state_of(ring, rec))
                entry = latest.get(ref)
                if entry is None:
                    records.fail(f"{kind} {ref}: no log entry", (kind, ref))
                elif entry[1] != digest:
                    records.fail(f"{kind} {ref}: canonical state digest differs from entry {entry[0]}",
                                 (kind, ref))
                if kind in SEALED:
                    for p in _sealed_problems(ring, kind, rec):
                        records.fail(f"{kind} {ref}: {p}", (kind, ref))
                for acc in accounts.get(rec.id, ()):
                    for p in _sealed_problems(ring, "account", acc):
                        records.fail(f"account {acc.ref} ({kind} {ref}): {p}", (kind, ref))
                if kind == "sanction":
                    for person in rec.persons:
                        for p in _sealed_problems(ring, "sanction_person", person):
                            records.fail(f"sanction {ref}: named person: {p}", (kind, ref))
                    if rec.notice is not None:
                        for p in _sealed_problems(ring, "sanction_notice", rec.notice):
                            records.fail(f"sanction {ref}: notice: {p}", (kind, ref))
                    for p in _repair_problems(ring, rec):
                        records.fail(f"sanction {ref}: {p}", (kind, ref))
                    for p in _objection_problems(ring, rec):
                        records.fail(f"sanction {ref}: {p}", (kind, ref))
                if kind == "service" and rec.review is not None:
                    for p in _sealed_problems(ring, "service_review", rec.review):
                        records.fail(f"service {ref}: review: {p}", (kind, ref))
                if kind == "service":
                    for p in _complaint_objection_problems(ring, rec, kind="review_objection"):
                        records.fail(f"service {ref}: {p}", (kind, ref))
                if kind == "complaint":
                    for step in rec.steps:
                        for p in _sealed_problems(ring, "complaint_step", step):
                            records.fail(f"complaint {ref}: step {step.step}: {p}", (kind, ref))
                    for response in rec.responses:
                        for p in _sealed_problems(ring, "complaint_response", response):
                            records.fail(f"complaint {ref}: response: {p}", (kind, ref))
                    for p in _complaint_objection_problems(ring, rec):
                        records.fail(f"complaint {ref}: {p}", (kind, ref))
                if kind == "bulletin":
                    for p in integrity_problems(ring, rec, origin):
                        records.fail(f"bulletin {ref}: {p}", (kind, ref))
            if kind == "worker":
                erased_ids = frozenset(rec.id for rec in batch if rec.erased_dt is not None)
                erased += len(erased_ids)
                for ref, p in _photo_problems(ring, {rec.id: rec.log_ref for rec in batch}, erased_ids):
                    records.fail(f"worker {ref}: {p}", ("worker", ref))
    for subject, (seq, _digest) in sorted(latest.items(), key=lambda kv: kv[1][0]):
        if subject not in seen:
            records.fail(f"subject {subject}: no record (latest entry {seq})", ("subject", subject))
    records.close("records")
    report.note(f"replay: {count} records' canonical states recomputed")
    if erased:
        # Not a failure: their canonical states (erasure included) matched the log; only the values are gone.
        report.note(f"replay: {erased} workers erased (name, ID number, phone and photo deleted; state HMACs kept)")
    return count
