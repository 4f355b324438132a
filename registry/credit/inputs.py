"""The facts of a company's and a worker's credit score as of `today`, read from the database.

What each fact means is docs/rules.md, "Credit scores (信用积分)"; this module
only gathers them, as `scoring.Fact`s, for `scoring.score` to weigh. It reads
a batch of subjects at a time with a fixed number of statements (eight for
companies, and a ninth when a staff member's kept verdict no longer holds;
five for workers — whatever the batch's size or a company's number of
services and staff), never a statement per record. A subject's reviews, the
bulk of every score, come already scored as one `scoring.Rendered`
(`_review_lines`): grouped by day and rating and joined in the database.

Every `ref` is one the subject already reads elsewhere and nothing personal:
a USCC, the credit pledge's version, a day and a rating of reviews
(`2026-03-01:5`), a complaint's reference, a sanction's public ref, a
record's kind and date, a share of staff ("29/30"), a score review's ref
(for its correction).
A score's components are shown to its subject in words, and stored in the
unlogged cache: never a log_ref, a name or an ID number.
"""
from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction

from sqlalchemy import String, and_, case, cast, distinct, func, literal, or_, select

from ..clock import SHANGHAI, add_months, local_date
from ..companies.models import Company, Pledge
from ..complaints import rules as complaint_rules
from ..complaints.models import Complaint
from ..database import day_text, lines_of, local_day
from ..extensions import db
from ..sanctions import rules as sanction_rules
from ..sanctions.models import Sanction
from ..trace.models import ServiceReview
from ..trace.services import reference_of
from ..workers import rules as worker_rules
from ..workers.models import Employment, WorkerRecord
from . import rules as credit_rules
from .models import Commendation, ScoreReview
from .score_models import CreditScore
from .scoring import Fact, Rendered

# The states in which a sanction may be public (`sanctions.rules.is_public`); the window decides the rest.
_PUBLIC_SANCTION_STATES = ("published", "expired")


# A batch of at least this many ids with no gap is read by range (`_among`).
RANGE_MIN = 32


def _among(column, ids: list[int], *, ranges: bool = True):
    """`column` is one of `ids` (sorted, distinct). A batch of consecutive ids — a rebuild's page of subjects — is
    the range `BETWEEN first AND last`, exactly the same rows: one statement text whatever the batch (no list of
    hundreds of parameters to render and parse each time) and a plain range scan of the subject's index. Any other
    batch, or any batch when `ranges` is false, is `IN (…)`."""
    if ranges and len(ids) >= RANGE_MIN and ids[-1] - ids[0] + 1 == len(ids):
        return column.between(ids[0], ids[-1])
    return column.in_(ids)


def _read(stmt) -> list:
    """Run a SELECT of columns on the session's connection and fetch all its rows at once, typed by the columns:
    without the ORM's work on each row, nor a driver call a row (a rebuild reads a million and a half). The
    session's pending changes are flushed first, as the session's own `execute` would."""
    db.session.flush()
    return db.session.connection().execute(stmt).all()


def company_facts(company_id: int, today: date, rules: credit_rules.Rules | None = None) -> list[Fact]:
    """The facts of one company's score on `today`."""
    return companies_facts([company_id], today, rules)[company_id]


def worker_facts(worker_id: int, today: date, rules: credit_rules.Rules | None = None) -> list[Fact]:
    """The facts of one worker's score on `today`."""
    return workers_facts([worker_id], today, rules)[worker_id]


def _commendations(ids: list[int], today: date) -> list[tuple[int, Fact]]:
    """A regulator's commendations (表彰) of these companies in force on `today` (not revoked, commended on or before
    it, valid through it), each counting through its own last day (`valid_until`); one statement."""
    c = Commendation
    return [(cid, Fact("commendation", ref, on, until=until)) for cid, ref, on, until in _read(
        select(c.company_id, c.ref, c.commended_on, c.valid_until).where(
            _among(c.company_id, ids), c.revoked_dt.is_(None), c.commended_on <= today, c.valid_until >= today))]


def companies_facts(company_ids: Iterable[int], today: date, rules: credit_rules.Rules | None = None, *,
                    carried: Mapping[int, Collection[int]] | None = None) -> dict[int, list[Fact]]:
    """The facts of each company's score on `today`, by company id (an id with no company: no facts). `carried`:
    companies whose staff changed only by these new workers joining since their rows were kept (`_staff_shares`)."""
    rules = rules or credit_rules.current()
    items = rules.company.items
    ids = sorted(set(company_ids))
    facts: dict[int, list[Fact]] = {i: [] for i in ids}
    if not ids:
        return facts
    for cid, uscc, status, decided_dt, created_dt, sectors, model in _read(
            select(Company.id, Company.uscc, Company.status, Company.decided_dt, Company.created_dt,
                   Company.sectors, Company.business_model).where(_among(Company.id, ids))):
        if status == "verified":
            on = local_date(decided_dt or created_dt)
            facts[cid].append(Fact("verified", uscc, on))
            # 员工制 as verified: registration accepts the model only with all four conditions met.
            if model == "employee" and "housekeeping" in (sectors or ()):
                facts[cid].append(Fact("employee_model", uscc, on))
    # The current pledge is the latest one signed: `pledge_kept` while it is kept. Every pledge found broken, the
    # current one or one signed again since, is a bad record from the day it was found (for the rules' months).
    latest: dict[int, tuple] = {}
    for cid, pid, version, state, accepted_dt, broken_on in _read(
            select(Pledge.company_id, Pledge.id, Pledge.version, Pledge.state, Pledge.accepted_dt, Pledge.broken_on)
            .where(_among(Pledge.company_id, ids))):
        if cid not in latest or pid > latest[cid][0]:
            latest[cid] = (pid, version, state, accepted_dt)
        if state == "broken" and broken_on is not None:
            facts[cid].append(Fact("pledge_broken", f"pledge:v{version}", broken_on))
    for cid, (_pid, version, state, accepted_dt) in latest.items():
        if state == "kept":
            facts[cid].append(Fact("pledge_kept", f"pledge:v{version}", local_date(accepted_dt)))
    for cid, fact in _staff_shares(ids, today, rules=rules, carried=carried).items():
        facts[cid].append(fact)
    for cid, fact in _commendations(ids, today):
        facts[cid].append(fact)
    for cid, lines in _review_lines(ServiceReview.company_id, ids, today, items["review"]):
        facts[cid].append(lines)
    for cid, fact in _complaints("company", ids, today, items["complaint"].months):
        facts[cid].append(fact)
    for cid, fact in _sanctions("company", ids, today):
        facts[cid].append(fact)
    _corrections("company", ids, today, facts)
    return facts


def _review_lines(column, ids: list[int], today: date, item: credit_rules.Item) -> list[tuple[int, Rendered]]:
    """The reviews still shown of these subjects' services (`column`: a review's company_id or worker_id) as
    `scoring.Rendered` lines: one for each subject with reviews that count today or are still to come. One
    statement.

    A line is a subject's reviews of one day (in Shanghai) and rating: worth the same, counting from the same day
    through the same last day, read as one line ("五星好评 × 3"), its ref the day and the rating (`2026-03-01:5`).
    The database groups the reviews into lines and joins each subject's lines, as `day:rating:count` words, into
    one text: a busy firm's thousands of lines come as one row, not a row each. Each word is scored once a process
    (`_review_line`); a subject's words, sorted, are in the scoring's order (by day, then rating). What
    `scoring.score` makes of the same lines as facts, exactly (tests/credit/test_review_lines.py).
    """
    r = ServiceReview
    day = local_day(r.reviewed_dt)
    # SQLite's planner reads a range of subjects through the plain subject index, visiting the table for every
    # review, and a list through the partial index of shown reviews, from the index alone: a list there.
    among = _among(column, ids, ranges=db.engine.dialect.name != "sqlite")
    words = (select(column.label("subject"),
                    (day_text(day) + literal(":") + cast(r.rating, String) + literal(":")
                     + cast(func.count(), String)).label("word"))
             .where(among, r.withdrawn_dt.is_(None), r.reviewed_dt >= _first_moment(today, item.months))
             .group_by(column, day, r.rating).subquery())
    scored = _scored_words(item)
    # A word of today or before sorts below this (";" follows ":"); the words after it are still to come.
    after = today.isoformat() + ";"
    out = []
    for subject, text in _read(
            select(words.c.subject, lines_of(words.c.word)).group_by(words.c.subject)):
        words_ = text.split("\n")
        words_.sort()
        k = bisect_right(words_, after)
        made = [scored.get(w) or _review_line(item, w, scored) for w in words_[:k]]
        enters = date.fromisoformat(words_[k][:10]) if k < len(words_) else None
        # The lines are by day, so the first one's last day is the earliest (`add_months` never goes back).
        out.append((subject, Rendered(item.kind, ",".join([m[0] for m in made]), sum([m[1] for m in made]),
                                      len(made), made[0][2] if made else None, enters)))
    return out


_SCORED: dict[int, tuple[credit_rules.Item, dict[str, tuple[str, int, date]]]] = {}


def _scored_words(item: credit_rules.Item) -> dict[str, tuple[str, int, date]]:
    """The words of a rated item scored so far in this process (`_review_line`), by word."""
    made = _SCORED.get(id(item))
    if made is None or made[0] is not item or len(made[1]) > 100_000:
        made = _SCORED[id(item)] = (item, {})
    return made[1]


def _review_line(item: credit_rules.Item, word: str, scored: dict) -> tuple[str, int, date]:
    """A line of reviews from its word (`2026-03-01:5:3`, its day, rating and count): its component as
    `services.components_text` writes it, its points and its last day (`clock.add_months`, the item's months);
    remembered in `scored`, as a rebuild's lines share a few thousand words."""
    day, stars, count = word.split(":")
    n = int(count)
    last = add_months(date.fromisoformat(day), item.months)
    worth = item.variants[stars].points * n
    line = (f'{{"kind":"{item.kind}","ref":"{day}:{stars}","points":{worth}' + (f',"count":{n}' if n != 1 else "")
            + f',"until":"{last.isoformat()}","variant":"{stars}"}}')
    scored[word] = made = (line, worth, last)
    return made


def _first_moment(today: date, months: int) -> datetime:
    """The first moment (UTC) of the first day in Shanghai whose reviews still count on `today` for `months`:
    the earliest day whose last day (`clock.add_months`) is not before today. A month-end clamps (31 January + 1
    month is 28/29 February), so the day is found by walking from a few days before `today` less the months."""
    first = add_months(today, -months) - timedelta(days=4)
    while add_months(first, months) < today:
        first += timedelta(days=1)
    return datetime.combine(first, time(0), SHANGHAI).astimezone(UTC)


@dataclass(frozen=True)
class Verdict:
    """Whether a worker's qualifications are current (`qualified`) and the last day that stays so (`until`; None
    when no record's date will change it): kept with the worker's score, so a company's staff share reads its
    staff's verdicts instead of judging every staff member's records again."""

    qualified: bool
    until: date | None


def workers_facts(worker_ids: Iterable[int], today: date,
                  rules: credit_rules.Rules | None = None) -> dict[int, list[Fact]]:
    """The facts of each worker's score on `today`, by worker id (an id with no worker: no facts)."""
    return workers_inputs(worker_ids, today, rules)[0]


def workers_inputs(worker_ids: Iterable[int], today: date, rules: credit_rules.Rules | None = None
                   ) -> tuple[dict[int, list[Fact]], dict[int, Verdict]]:
    """Each worker's facts on `today` and their qualification verdict, by worker id, from one read of their
    records; a worker without records is not qualified, for good until one is added."""
    rules = rules or credit_rules.current()
    items = rules.worker.items
    ids = sorted(set(worker_ids))
    facts: dict[int, list[Fact]] = {i: [] for i in ids}
    verdicts = {i: Verdict(False, None) for i in ids}
    if not ids:
        return facts, verdicts
    for wid, recs in _records_of(ids).items():
        latest = worker_rules.latest_of_each(recs)
        facts[wid].extend(_record_facts(recs, latest))
        verdicts[wid] = verdict(recs, today, latest)
    for wid, lines in _review_lines(ServiceReview.worker_id, ids, today, items["review"]):
        facts[wid].append(lines)
    for wid, fact in _complaints("worker", ids, today, items["complaint"].months):
        facts[wid].append(fact)
    for wid, fact in _sanctions("worker", ids, today):
        facts[wid].append(fact)
    _corrections("worker", ids, today, facts)
    return facts, verdicts


def _corrections(kind: str, ids: list[int], today: date, facts: dict[int, list[Fact]]) -> None:
    """Add to `facts` each correction a regulator made answering a human review of these subjects' scores that counts
    on `today` (from the answer's day through its last day), a fact of the review's ref with its points; one
    statement."""
    r = ScoreReview
    column = r.company_id if kind == "company" else r.worker_id
    for sid, ref, on, points, until in _read(
            select(column, r.ref, r.answered_on, r.correction_points, r.correction_until).where(
                r.subject_kind == kind, _among(column, ids), r.state == "answered", r.correction_points.is_not(None),
                r.answered_on <= today, r.correction_until >= today)):
        facts[sid].append(Fact("correction", ref, on, value=points, until=until))


def _records_of(worker_ids: list[int]) -> dict[int, list[worker_rules.Rec]]:
    """Each worker's current records (no later record supersedes them), as the colour rule reads them."""
    rows: dict[int, list[worker_rules.Rec]] = defaultdict(list)
    for wid, rid, kind, result, on, until, supersedes, passed in _read(
            select(WorkerRecord.worker_id, WorkerRecord.id, WorkerRecord.kind, WorkerRecord.result,
                   WorkerRecord.on_date, WorkerRecord.valid_until, WorkerRecord.supersedes_id,
                   WorkerRecord.exam_passed)
            .where(_among(WorkerRecord.worker_id, worker_ids)).order_by(WorkerRecord.id)):
        rows[wid].append(worker_rules.Rec(rid, kind, result, on, until, supersedes, passed))
    return {wid: worker_rules.current(recs) for wid, recs in rows.items()}


def _record_facts(recs: list[worker_rules.Rec], latest: dict[str, worker_rules.Rec]) -> list[Fact]:
    """A worker's base facts from their current records, judged as the status colour judges them: the identity,
    health and background check that count are the latest of each (`latest`: `workers.rules.latest_of_each` of
    `recs`)."""
    out = []
    identity = latest.get("identity")
    if identity is not None and identity.result == "verified":
        out.append(Fact("identity_verified", _record_ref(identity), identity.on_date))
    health = latest.get("health")
    if health is not None and health.result == "passed" and health.valid_until is not None:
        out.append(Fact("health_passed", _record_ref(health), health.on_date, until=health.valid_until))
    for r in recs:
        if r.kind == "training" and r.exam_passed:
            out.append(Fact("training_passed", _record_ref(r), r.on_date))
    background = latest.get("background")
    if background is not None and background.result == "passed":
        out.append(Fact("background_passed", _record_ref(background), background.on_date))
    return out


def _record_ref(rec: worker_rules.Rec) -> str:
    """A worker's record as its subject knows it: its kind and date (`health:2026-03-01`)."""
    return f"{rec.kind}:{rec.on_date.isoformat()}"


def _policies(recs: list[worker_rules.Rec]) -> list[worker_rules.Rec]:
    return [r for r in recs if r.kind == "insurance"]


def verdict(recs: list[worker_rules.Rec], today: date, latest: dict[str, worker_rules.Rec] | None = None) -> Verdict:
    """A staff member's qualification on `today` and the last day it stays so, from their current records (and
    their `latest_of_each`, when already found). Only the days the health check that counts or an insurance policy
    enters or leaves its validity can change it (`workers.rules.qualified`)."""
    latest = worker_rules.latest_of_each(recs) if latest is None else latest
    policies = _policies(recs)
    now = worker_rules.qualified(latest, policies, today)
    dated = [*policies, latest["health"]] if "health" in latest else policies
    days = {r.valid_until + _DAY for r in dated if r.valid_until is not None and r.valid_until >= today}
    days |= {r.on_date for r in dated if r.on_date is not None and r.on_date > today}
    for day in sorted(days):
        if worker_rules.qualified(latest, policies, day) != now:
            return Verdict(now, day - _DAY)
    return Verdict(now, None)


_DAY = timedelta(days=1)


def _staff_shares(company_ids: list[int], today: date, *, rules: credit_rules.Rules | None = None,
                  carried: Mapping[int, Collection[int]] | None = None) -> dict[int, Fact]:
    """Each company's share of current staff (`Employment.active`) whose qualifications are current, as a fact
    that holds until the first day one of them changes; no fact for a company without staff.

    A staff member's verdict is the one kept with their score (`credit_scores.qualified`, `qualified_until`),
    which every change to their records keeps current in its own transaction — workers are computed before
    companies (`services.refresh_many`). A verdict that no longer holds on `today` (its last day passed before
    the hourly job computed it again), or was never kept, is judged here from the records instead.

    The database counts the kept verdicts in one statement (a row a company, with the ids of the staff whose
    verdict must be judged again): every batch of an import keeps its company's score, and reading each of a large
    company's staff for it (20,000 rows, 135 ms a batch, under the log head's lock) had a soak's registrations
    waiting behind the import.

    Counting is still a pass over every staff member (about 30 ms for 20,000 on PostgreSQL, 50 ms on a busy
    machine), and with it a 20-row batch held the lock three times as long as its rows needed. So a company in
    `carried` (company id -> workers new to it, `keeping.staff_joined`) whose kept row is current (`_kept_tallies`)
    counts only those workers, onto its kept tally; any other is counted whole.
    """
    kept = _kept_tallies(sorted(c for c in company_ids if c in carried), today, rules) if carried else {}
    whole = [c for c in company_ids if c not in kept]
    rows = _staff_tallies(_among(Employment.company_id, whole), today) if whole else []
    joined = [and_(Employment.company_id == cid, _among(Employment.worker_id, sorted(carried[cid])))
              for cid in kept if carried[cid]]
    if joined:
        rows += _staff_tallies(or_(*joined), today)
    again = {cid: {int(w) for w in lines.split("\n")} for cid, *_counts, lines in rows if lines}
    judged: dict[int, Verdict] = {}
    if again:
        stale_ids = sorted(set().union(*again.values()))
        records = _records_of(stale_ids)
        judged = {wid: verdict(records.get(wid, []), today) for wid in stale_ids}
    tallies = {cid: (count, staff, [until] if until is not None else []) for cid, (count, staff, until) in kept.items()}
    for cid, staff, qualified, first_end, _lines in rows:
        verdicts = [judged[w] for w in again.get(cid, ())]
        count, total, ends = tallies.get(cid, (0, 0, []))
        count += qualified + sum(1 for v in verdicts if v.qualified)
        ends = [*ends, *(d for d in (first_end, *(v.until for v in verdicts)) if d is not None)]
        tallies[cid] = (count, total + staff, ends)
    return {cid: Fact("staff_qualified", staff_share_ref(count, staff), today, value=Fraction(count, staff),
                      until=min(ends, default=None))
            for cid, (count, staff, ends) in tallies.items() if staff}


def _staff_tallies(where, today: date) -> list:
    """Per company among the current staff `where` says: how many, how many kept verdicts hold and say qualified,
    the first last day among those that hold, and the ids (lines of text) of the staff whose verdict does not hold
    (or was never kept)."""
    s = CreditScore
    holds = and_(s.qualified.is_not(None), local_day(s.computed_dt) <= today,
                 or_(s.qualified_until.is_(None), s.qualified_until >= today))
    return _read(select(Employment.company_id, func.count(distinct(Employment.worker_id)),
                        func.count(distinct(case((and_(holds, s.qualified.is_(True)), Employment.worker_id)))),
                        func.min(case((holds, s.qualified_until))),
                        lines_of(case((holds, None), else_=cast(Employment.worker_id, String))))
                 .outerjoin(s, and_(s.subject_kind == "worker", s.subject_id == Employment.worker_id))
                 .where(where, Employment.active)
                 .group_by(Employment.company_id))


def staff_share_ref(qualified: int, staff: int) -> str:
    """A staff share's ref, as its line shows and keeps it: "29/30"."""
    return f"{qualified}/{staff}"


def _kept_tallies(company_ids: list[int], today: date, rules: credit_rules.Rules | None
                  ) -> dict[int, tuple[int, int, date | None]]:
    """The staff tally (qualified, staff, the share's last day) that each company's kept row was scored with, for
    the companies whose row is current: computed `today` by the same rules version and still standing — under the
    log head's lock every committed change has kept it (`keeping.py`). A company without staff has no share line
    (0, 0, None). None of a row kept in the old form (its own words), of one the rules would date otherwise (a
    share that counts for months, whose line's last day is not the share's), or of any other row."""
    rules = rules or credit_rules.current()
    item = rules.company.items.get("staff_qualified")
    if not company_ids or item is None or item.months is not None:
        return {}
    s = CreditScore
    out = {}
    for cid, version, computed_dt, stands_until, components in _read(
            select(s.subject_id, s.rules_version, s.computed_dt, s.stands_until, s.components)
            .where(s.subject_kind == "company", _among(s.subject_id, company_ids))):
        if (version != rules.version or local_date(computed_dt) != today
                or (stands_until is not None and stands_until < today)):
            continue
        line = next((c for c in components if c.get("kind") == "staff_qualified"), None)
        if line is None:
            out[cid] = (0, 0, None)
        elif "zh" not in line:
            qualified, staff = (int(n) for n in line["ref"].split("/"))
            until = line.get("until")
            out[cid] = (qualified, staff, date.fromisoformat(until) if until else None)
    return out


def _complaints(kind: str, ids: list[int], today: date, months: int):
    """(subject id, fact) for each substantiated complaint about the subjects that may count on `today`."""
    column = Complaint.company_id if kind == "company" else Complaint.worker_id
    since = today - timedelta(days=31 * months + 1)
    for sid, ref, concluded_on in _read(
            select(column, Complaint.ref, Complaint.concluded_on)
            .where(Complaint.subject_kind == kind, _among(column, ids), Complaint.state == complaint_rules.PUBLIC_STATE,
                   Complaint.concluded_on >= since)):
        yield sid, Fact("complaint", reference_of(ref), concluded_on)


def _sanctions(kind: str, ids: list[int], today: date):
    """(subject id, fact) for each published sanction of the subjects whose window has not ended by `today`: it
    counts from its decision through its window's last day, exactly while `Sanction.is_public`."""
    column = Sanction.company_id if kind == "company" else Sanction.worker_id
    for sid, ref, severity, decided, months in _read(
            select(column, Sanction.ref, Sanction.severity, Sanction.decision_date, Sanction.publish_months)
            .where(Sanction.subject_kind == kind, _among(column, ids), Sanction.state.in_(_PUBLIC_SANCTION_STATES),
                   Sanction.published_dt.is_not(None), Sanction.public_until >= today)):
        end = sanction_rules.window_end(decided, months)
        if end is not None:
            yield sid, Fact("sanction", ref, decided, severity=severity, until=end)
