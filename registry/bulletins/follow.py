"""Bulletins follow their records: a published bulletin that carries a sanction later corrected, repaired or
withdrawn is withdrawn, saying why, and made again as its period's next version.

Which bulletins carry which sanctions is kept when each version is published (`index`, the `bulletin_records`
rows): every sanction in any of its sections (made public in the period, ended in it, public at its end) or in its
change files (the records removed since the previous bulletin). The hourly schedule (`jobs.housekeeping`
`queue_bulletins`) first withdraws every current version that carries a sanction changed after that version was
made (`withdraw_affected`), then queues the generation of every ended period without a current version — the
withdrawn ones among them — so the new version is gathered from the records as they stand: without a repaired or
withdrawn sanction, with a corrected one's new values. Within the hour of the change, well inside the 3 days the
rules allow (docs/rules.md, "Disclosure bulletins").

Idempotent: the new version is made after the change, so the next run finds nothing to withdraw; a run that
withdraws and dies before its commit leaves nothing withdrawn, and the next run does it again.

A change counts when a bulletin would show it: a correction of a field the bulletin prints (`FOLLOWED_FIELDS`; the
facts and measures are in no bulletin), and every repair and withdrawal.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import case, exists, insert, literal, null, or_, select, union_all

from ..extensions import db
from ..keys import KeyRing
from ..sanctions.models import Sanction, SanctionCorrection
from . import opendata, services
from .content import Content
from .models import CURRENT, MAX_REASON, Bulletin, BulletinRecord

SYSTEM_ACTOR = "system:bulletins"
# The corrected fields a bulletin prints (opendata.COLUMNS: the basis, severity, decision number and date, and the
# window's end, from publish_months).
FOLLOWED_FIELDS = frozenset({"legal_basis", "severity", "decision_no", "decision_date", "publish_months"})
# A sanction in these states is public nowhere, bulletins included (`withheld`, `affected`).
ENDED_STATES = ("repaired", "withdrawn")
# How many sanction refs a withdrawal's reason names before it says how many more.
REASON_REFS = 5
WHY = {"corrected": ("已更正", "corrected"), "repaired": ("已信用修复", "repaired (credit repair)"),
       "withdrawn": ("已撤销撤回", "withdrawn (decision revoked)")}


def carried_refs(content: Content, previous: Iterable[dict]) -> set[str]:
    """The refs of every sanction a bulletin made of `content` carries (pure): its three sections, and the
    previous bulletin's full list's records that its change files remove."""
    refs = {r.ref for section in (content.published, content.ended, content.full) for r in section}
    full = {r.ref for r in content.full}
    return refs | {r["ref"] for r in previous if r["ref"] not in full}


def index(bulletin_id: int, refs: Iterable[str]) -> None:
    """Keep which sanctions a just-published version carries (in the caller's transaction)."""
    rows = [{"bulletin_id": bulletin_id, "sanction_ref": ref} for ref in sorted(set(refs))]
    if rows:
        db.session.execute(insert(BulletinRecord), rows)


@dataclass(frozen=True)
class Affected:
    bulletin: Bulletin
    # (sanction ref, why: a key of WHY), sorted by ref.
    changes: tuple[tuple[str, str], ...]


def affected() -> list[Affected]:
    """The current versions that carry a sanction changed after they were made, oldest period first."""
    # Every change a bulletin may follow, as (sanction, when, why, corrected fields): a correction made after the
    # version; a sanction repaired or withdrawn, whenever (by its state, not a time: a repair that committed while
    # a version was being gathered is followed too). One statement with the current versions that carry them.
    c, s = SanctionCorrection, Sanction
    changes = union_all(
        select(c.sanction_id.label("sanction_id"), c.corrected_dt.label("at"), literal("corrected").label("why"),
               c.fields.label("fields")),
        select(s.id, null(), case((s.state == "repaired", literal("repaired")), else_=literal("withdrawn")),
               literal("")).where(s.state.in_(ENDED_STATES)),
    ).subquery()
    rows = db.session.execute(
        select(Bulletin, BulletinRecord.sanction_ref, changes.c.why, changes.c.fields)
        .join(BulletinRecord, BulletinRecord.bulletin_id == Bulletin.id)
        .join(Sanction, Sanction.ref == BulletinRecord.sanction_ref)
        .join(changes, changes.c.sanction_id == Sanction.id)
        .where(Bulletin.state == CURRENT, or_(changes.c.at.is_(None), changes.c.at > Bulletin.made_at))).all()
    found: dict[int, tuple[Bulletin, dict[str, str]]] = {}
    for bulletin, ref, why, fields in rows:
        if why == "corrected" and FOLLOWED_FIELDS.isdisjoint(fields.split(",")):
            continue
        known = found.setdefault(bulletin.id, (bulletin, {}))[1]
        # A record both corrected and then repaired or withdrawn is named by what ends it.
        if known.get(ref) in (None, "corrected"):
            known[ref] = why
    out = [Affected(b, tuple(sorted(named.items()))) for b, named in found.values()]
    return sorted(out, key=lambda a: (a.bulletin.period_kind, a.bulletin.period_key))


def reason(changes: tuple[tuple[str, str], ...]) -> str:
    """The withdrawal's reason, in Chinese and English: the corrected records by ref (at most REASON_REFS of them),
    the repaired and withdrawn ones only counted — they are public nowhere any more, and a ref would point into the
    archived files at the record that ended."""
    by_why: dict[str, list[str]] = defaultdict(list)
    for ref, why in changes:
        by_why[why].append(ref)
    zh, en = [], []
    for why, refs in sorted(by_why.items()):
        if why != "corrected":
            zh.append(f"{len(refs)} 条记录{WHY[why][0]}")
            en.append(f"{len(refs)} record{'s' if len(refs) > 1 else ''} {WHY[why][1]}")
            continue
        shown = ", ".join(refs[:REASON_REFS]) + (f" +{len(refs) - REASON_REFS}" if len(refs) > REASON_REFS else "")
        zh.append(f"记录{WHY[why][0]}：{shown}")
        en.append(f"records {WHY[why][1]}: {shown}")
    text = f"所载记录变更，依规重新发布（{'；'.join(zh)}）。 Reissued because {'; '.join(en)}."
    return text[:MAX_REASON]


def withheld(bulletin_id: int) -> bool:
    """Whether a version's files that carry sanctions (its PDF and the sanctions' open data) are withheld: it
    carries a sanction since repaired or withdrawn, which is public nowhere from that moment — not in the current
    version until it is made again, not in a withdrawn one in the archive. Its manifest and its files' digests
    stay, so what was published can still be verified."""
    return db.session.execute(select(exists().where(
        BulletinRecord.bulletin_id == bulletin_id, BulletinRecord.sanction_ref == Sanction.ref,
        Sanction.state.in_(ENDED_STATES)))).scalar_one()


def file_withheld(bulletin: Bulletin, name: str) -> bool:
    """Whether this file of a version is withheld: one that carries sanctions, of a version `withheld`. The
    red-list files carry firms and no sanction, so they are never withheld: a version's red list, the only record of
    the list on the day it was made, stays downloadable."""
    if name in opendata.red_list_names(bulletin.period_key, bulletin.version):
        return False
    return withheld(bulletin.id)


def withdraw_affected(ring: KeyRing) -> list[str]:
    """Withdraw every affected current version, saying why (one `bulletin:withdraw` entry each, in the caller's
    transaction); returns their period keys. The schedule then queues their next versions."""
    withdrawn = []
    for item in affected():
        services.withdraw(ring, actor=SYSTEM_ACTOR, bulletin=item.bulletin, reason=reason(item.changes))
        withdrawn.append(item.bulletin.period_key)
    return withdrawn
