"""Explanations of a credit score and human review of it (PIPL art. 24; the `score_review` aggregate).

- **Explanations.** A subject's kept score (`credit_scores`) with every component in words, for its subject (a
  company's members; the worker in self-service) and the regulators who oversee it — the public sees only the points
  and the grade (docs/privacy.md, "Credit scores"). `explanation(row)` is the one projection the API and the pages
  show; a component without `count` counts once (reviews grouped by day carry theirs).
- **Filing.** The company (its admin) or the worker asks for human review of their current score, with a reason
  (free text that may name people: cleaned, phone and ID numbers masked, sealed with its state HMAC like an
  objection's reasons, never public, never in a log payload) and optionally the components they dispute (kind and
  ref of their current score's). One open review per subject (409 `score_review_open`); no kept score, nothing to
  review (409 `score_not_kept`). One `score_review:file` entry.
- **Answering.** A regulator who may answer — for a company, one of its sectors' or market supervision (the rule
  commendations use); for a worker, the sector of one of their current employers or market supervision (the rule
  complaints about a worker use) — answers with a note (required, sealed likewise) and optionally a correction:
  whole points either way within the rules' bound, not 0, counting from the answer's day through a last day (by
  default the rules' `default_months` later). The correction enters the subject's score as its own component
  (`inputs._corrections`) in the answer's own transaction (`keeping.py`). One `score_review:answer` entry; the
  subject is told by text message (fixed sentences, `notify`).
- **Deadline.** `REGISTRY_SCORE_REVIEW_ANSWER_WORKING_DAYS` (15) working days after filing, on the registry's
  working-day calendar, fixed on the row when filed; overdue once today is past it (the worklist marks it).

The checks come in a fixed order: who (403/404), the input (422), then the state (409). Nothing here commits.
Rules in prose: docs/rules.md, "Human review of a score (PIPL art. 24)".
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import clock
from ..accounts.models import Account
from ..accounts.roles import Role
from ..calendar import services as calendar
from ..companies.access import is_member, require_member
from ..companies.models import Company
from ..errors import ApiError, forbidden, not_found, problems_error
from ..extensions import db
from ..keys import KeyRing
from ..keys.crypto import aad, seal, state_hmac, unseal
from ..log.actions import Action
from ..log.services import Recorded, record_change
from ..models import new_ref
from ..objections.core import lock_row
from ..workers.models import Employment, Worker
from ..workers.person import Problem
from . import adoption
from . import rules as credit_rules
from . import services as score_services
from .commendations import is_regulator, may_commend
from .models import REVIEW_DISPUTED_MAX, REVIEW_NOTE_MAX, REVIEW_REASON_MAX, REVIEW_STATES, ScoreReview
from .score_models import CreditScore

DEFAULT_ANSWER_WORKING_DAYS = 15
# A deadline this many working days away, or nearer, is "due soon" on the worklist (as an objection's).
DUE_SOON_WORKING_DAYS = 1
# The text message when answered: what happened, no names, no reasons (they may name people).
ANSWERED = ("信用积分人工复核申请已答复", "Your request for human review of your credit score was answered")
WHERE = {"worker": ("家信个人服务页面", "your Jiaxin self-service page"),
         "company": ("家信企业工作台", "your company's Jiaxin portal")}


@dataclass(frozen=True)
class Changed:
    review: ScoreReview
    recorded: Recorded


def answer_working_days() -> int:
    return int(current_app.config.get("SCORE_REVIEW_ANSWER_WORKING_DAYS", DEFAULT_ANSWER_WORKING_DAYS))


# --- the kept score and its explanation ----------------------------------------------------------

def no_score() -> ApiError:
    return ApiError(404, "score_not_kept", "尚未计算信用积分。", "No credit score is kept yet.")


def kept(subject_kind: str, subject_id: int) -> CreditScore:
    """The subject's kept score, or 404 `score_not_kept` (nothing is computed on read)."""
    row = db.session.get(CreditScore, (subject_kind, subject_id))
    if row is None:
        raise no_score()
    return row


def explanation(row: CreditScore) -> dict:
    """A kept score as its subject and regulators read it: points, grade, rules version, when computed, until when
    it stands, and every component in words with its points, its last day and `count` (1 unless grouped)."""
    return {"points": row.points, "grade": row.grade, "rules_version": row.rules_version,
            "computed_dt": row.computed_dt, "stands_until": row.stands_until,
            "components": score_services.explained(row.subject_kind, row.rules_version, row.components)}


def grading_words(rules_version: str) -> dict | None:
    """The grading in one line, from the rules the score was computed with (None for a worker: no grade)."""
    grading = credit_rules.load(rules_version, adoption.rules_dir()).company.grading
    zh = "，".join(f"{name} ≥ {least}" for name, least in grading.minimums)
    en = ", ".join(f"{name} ≥ {least}" for name, least in grading.minimums)
    last = grading.minimums[-1][1]
    return {"zh": f"等级：{zh}；低于 {last} 分为 {grading.lowest}，"
                  f"但没有不良记录时为 {grading.without_negative}（济南规则）。",
            "en": f"Grades: {en}; below {last}, {grading.lowest} — or {grading.without_negative} when no bad "
                  f"record counts (the Jinan rule)."}


def may_read_company(account: Account | None, company: Company) -> bool:
    """The company's own members, and the regulators of its sectors or market supervision."""
    return is_member(account, company) or may_commend(account, company)


def company_score(account: Account | None, company: Company) -> CreditScore:
    """The company's kept score for someone who may read its components (404 as for an unknown company else)."""
    if not may_read_company(account, company):
        raise not_found("company", "企业")
    return kept("company", company.id)


# --- who answers ---------------------------------------------------------------------------------

def may_answer_worker(account: Account | None, worker: Worker) -> bool:
    """A regulator of the sector of one of the worker's current employers, or market supervision."""
    from ..workers.services import oversees

    return is_regulator(account) and oversees(account.agency.sector, worker)


def may_answer(account: Account | None, review: ScoreReview) -> bool:
    if review.subject_kind == "company":
        return may_commend(account, review.company)
    return may_answer_worker(account, review.worker)


def require_answerer(account: Account | None, review: ScoreReview) -> Account:
    """403 `forbidden` for anyone not a regulator; 403 `not_subject_regulator` for a regulator who oversees another
    sector."""
    if not is_regulator(account):
        raise forbidden()
    if not may_answer(account, review):
        raise ApiError(403, "not_subject_regulator",
                       "只有该主体所属行业的监管部门或市场监管部门可以答复复核申请。",
                       "Only a regulator of the subject's sectors, or market supervision, answers its review.")
    return account


# --- filing --------------------------------------------------------------------------------------

def open_review(subject_kind: str, subject_id: int) -> ScoreReview | None:
    column = ScoreReview.company_id if subject_kind == "company" else ScoreReview.worker_id
    return db.session.execute(select(ScoreReview).where(
        ScoreReview.subject_kind == subject_kind, column == subject_id, ScoreReview.state == "open")
    ).scalars().first()


def _reason(value, problems: list) -> str | None:
    from ..complaints.services import _text

    return _text(value, "reason", REVIEW_REASON_MAX, problems, missing_en="Say why the score should be reviewed.",
                 missing_zh="请说明申请复核的理由。")


def _disputed(value, row: CreditScore | None, problems: list) -> list[dict]:
    """The components disputed, each {kind, ref} of the subject's current score, once each, in the score's order."""
    if value is None:
        return []
    if not isinstance(value, list | tuple) or len(value) > REVIEW_DISPUTED_MAX or not all(
            isinstance(d, dict) and isinstance(d.get("kind"), str) and isinstance(d.get("ref"), str) for d in value):
        problems.append(Problem("disputed", "invalid", f"Name at most {REVIEW_DISPUTED_MAX} components by kind and "
                                "ref.", f"最多选择 {REVIEW_DISPUTED_MAX} 项积分构成（类别和编号）。"))
        return []
    wanted = {(d["kind"], d["ref"]) for d in value}
    current = [(c["kind"], c["ref"]) for c in (row.components if row is not None else [])]
    if row is not None and not wanted <= set(current):
        problems.append(Problem("disputed", "not_a_component", "Choose components of your current score.",
                                "请从当前积分的构成中选择。"))
        return []
    return [{"kind": k, "ref": r} for k, r in dict.fromkeys(current) if (k, r) in wanted]


def _file(ring: KeyRing, *, subject_kind: str, company: Company | None, worker: Worker | None, reason,
          disputed, now: datetime, actor=None) -> Changed:
    subject = company if subject_kind == "company" else worker
    lock_row(subject)
    row = db.session.get(CreditScore, (subject_kind, subject.id))
    problems: list[Problem] = []
    why = _reason(reason, problems)
    chosen = _disputed(disputed, row, problems)
    if problems:
        raise problems_error(problems)
    if row is None:
        raise ApiError(409, "score_not_kept", "尚未计算信用积分，无可复核。", "No credit score is kept yet: there is "
                       "nothing to review.")
    if open_review(subject_kind, subject.id) is not None:
        raise ApiError(409, "score_review_open", "已有一项待答复的复核申请，请等待答复后再申请。",
                       "A review of your score is already open: wait for its answer before asking again.")
    review = ScoreReview(ref=new_ref(), log_ref=new_ref(), subject_kind=subject_kind, company=company,
                         company_id=company.id if company else None, worker=worker,
                         worker_id=worker.id if worker else None, filed_dt=now, filed_on=clock.local_date(now),
                         disputed=chosen, score_points=row.points, rules_version=row.rules_version, state="open",
                         answer_days=answer_working_days())
    review.filed_by = actor(review) if callable(actor) else actor
    review.reason_enc = seal(ring, why, aad("score_reviews", "reason", review.ref))
    review.reason_state = state_hmac(ring, "reason", why)
    db.session.add(review)
    return Changed(review, record_change(ring, actor=review.filed_by, action=Action.SCORE_REVIEW_FILE,
                                         aggregate=review))


def file_for_company(ring: KeyRing, *, account: Account, company: Company, reason: str | None,
                     disputed: list | None = None, now: datetime) -> Changed:
    """The company's admin asks for human review of its current score (403 for anyone else)."""
    require_member(account, company, roles=(Role.COMPANY_ADMIN,))
    return _file(ring, subject_kind="company", company=company, worker=None, reason=reason, disputed=disputed,
                 now=now, actor=account.ref)


def file_for_worker(ring: KeyRing, *, worker: Worker, reason: str | None, disputed: list | None = None,
                    now: datetime) -> Changed:
    """The worker asks in self-service, as their actor on the review (`self_actor(worker, review.log_ref)`)."""
    from ..workers.services import self_actor

    return _file(ring, subject_kind="worker", company=None, worker=worker, reason=reason, disputed=disputed,
                 now=now, actor=lambda review: self_actor(worker, review.log_ref))


# --- answering -----------------------------------------------------------------------------------

def _correction_problems(points, until: date | None, today: date, rules: credit_rules.Rules,
                         subject_kind: str) -> list[Problem]:
    bound = rules.of(subject_kind).items["correction"].bound
    problems = []
    if points is None:
        if until is not None:
            problems.append(Problem("correction_until", "no_correction", "A last day belongs to a correction: give "
                                    "its points too.", "只有作出更正时才填写截止日期，请同时填写更正分值。"))
        return problems
    if isinstance(points, bool) or not isinstance(points, int) or points == 0 or abs(points) > bound:
        problems.append(Problem("correction_points", "invalid", f"Whole points from -{bound} to {bound}, not 0.",
                                f"更正分值为 -{bound} 至 {bound} 之间的整数，不能为 0。"))
    if until is not None and not today <= until <= clock.add_months(today, credit_rules.MONTHS_MAX):
        problems.append(Problem("correction_until", "invalid", "The last day it counts is today or later, within "
                                f"{credit_rules.MONTHS_MAX} months.",
                                f"截止日期不早于今天，且在 {credit_rules.MONTHS_MAX} 个月以内。"))
    return problems


def answer(ring: KeyRing, *, regulator: Account, review: ScoreReview, note: str | None,
           correction_points: int | None = None, correction_until: date | None = None, today: date) -> Changed:
    """A regulator who may answer does, with a note and optionally a correction; one `score_review:answer` entry.

    The correction counts from `today` through `correction_until` (default: the rules' `default_months` later);
    the subject's score moves in this same transaction."""
    require_answerer(regulator, review)
    lock_row(review)
    from ..complaints.services import _text

    problems: list[Problem] = []
    text = _text(note, "note", REVIEW_NOTE_MAX, problems, missing_en="Give the answer's note.",
                 missing_zh="请填写答复意见。")
    rules = adoption.adopted_rules()
    problems += _correction_problems(correction_points, correction_until, today, rules, review.subject_kind)
    if problems:
        raise problems_error(problems)
    if review.state != "open":
        raise ApiError(409, "already_answered", "该复核申请已答复。", "This review is already answered.")
    if correction_points is not None:
        review.correction_points = correction_points
        review.correction_until = correction_until or clock.add_months(today, rules.default_months)
    review.state = "answered"
    review.answered_by = regulator.ref
    review.answered_agency = regulator.agency
    review.answered_agency_id = regulator.agency_id
    review.answered_on = today
    review.answered_dt = clock.now()
    review.note_enc = seal(ring, text, aad("score_reviews", "note", review.ref))
    review.note_state = state_hmac(ring, "note", text)
    _tell(ring, review)
    return Changed(review, record_change(ring, actor=regulator.ref, action=Action.SCORE_REVIEW_ANSWER,
                                         aggregate=review))


def _tell(ring: KeyRing, review: ScoreReview) -> None:
    """Text the subject's mobile on record that the review is answered (none to a landline): fixed words only."""
    from ..notify import services as notify
    from ..sanctions.services import phone_of

    phone = phone_of(ring, review.worker if review.subject_kind == "worker" else review.company)
    if phone is not None:
        where = WHERE[review.subject_kind][0]
        text = f"【家信】{review.answered_agency.name_zh}：{ANSWERED[0]}，详情请登录{where}查看。"
        notify.send(ring, notify.Message("notice", phone, text))


# --- reading -------------------------------------------------------------------------------------

def get(ref: str) -> ScoreReview:
    found = db.session.execute(select(ScoreReview).where(ScoreReview.ref == (ref or "").lower())
                               ).scalar_one_or_none()
    if found is None:
        raise not_found("score review", "复核申请")
    return found


def for_regulator_ref(account: Account | None, ref: str) -> ScoreReview:
    """The review, for a regulator who may answer it; 404 for anyone else (as if it did not exist)."""
    review = get(ref)
    if not may_answer(account, review):
        raise not_found("score review", "复核申请")
    return review


def of_subject(subject_kind: str, subject_id: int) -> list[ScoreReview]:
    """The subject's reviews, newest first."""
    column = ScoreReview.company_id if subject_kind == "company" else ScoreReview.worker_id
    return list(db.session.execute(
        select(ScoreReview).where(ScoreReview.subject_kind == subject_kind, column == subject_id)
        .options(selectinload(ScoreReview.answered_agency))
        .order_by(ScoreReview.id.desc())).scalars())


# The answered reviews a regulator's list shows: the latest this many they may answer (the open ones: all).
ANSWERED_SHOWN = 200
# Answered reviews read per statement while looking for those a regulator may answer.
_CHUNK = 500


def for_regulator(account: Account | None, *, state: str | None = None) -> list[ScoreReview]:
    """The reviews `account` may answer: every open one, oldest first; or (`state` "answered") the latest
    `ANSWERED_SHOWN` answered, newest first — read a chunk at a time, so the list costs what it shows, however many
    reviews were ever answered. 403 for anyone not a regulator."""
    if not is_regulator(account):
        raise forbidden()
    if state is not None and state not in REVIEW_STATES:
        raise problems_error([Problem("state", "invalid", "Choose open or answered.", "请选择待答复或已答复。")])
    q = (select(ScoreReview).where(ScoreReview.state == (state or "open"))
         .options(selectinload(ScoreReview.company),
                  selectinload(ScoreReview.worker).selectinload(Worker.employments).selectinload(Employment.company),
                  selectinload(ScoreReview.answered_agency)))
    if state != "answered":
        return [r for r in db.session.execute(q.order_by(ScoreReview.filed_on, ScoreReview.id)).scalars()
                if may_answer(account, r)]
    out: list[ScoreReview] = []
    before = None
    while len(out) < ANSWERED_SHOWN:
        chunk = db.session.execute((q if before is None else q.where(ScoreReview.id < before))
                                   .order_by(ScoreReview.id.desc()).limit(_CHUNK)).scalars().all()
        out += [r for r in chunk if may_answer(account, r)]
        if len(chunk) < _CHUNK:
            break
        before = chunk[-1].id
    return out[:ANSWERED_SHOWN]


def deadline(review: ScoreReview, *, using=None) -> calendar.Deadline:
    """The last day to answer: the `answer_days`th working day after filing."""
    return calendar.working_day_after(review.filed_on, review.answer_days, using=using)


@dataclass(frozen=True)
class Due:
    review: ScoreReview
    deadline: calendar.Deadline
    overdue: bool
    due_soon: bool


def due(reviews: list[ScoreReview], today: date, *, using=None) -> list[Due]:
    """Each open review's deadline, overdue once today is past it, due soon within DUE_SOON_WORKING_DAYS."""
    using = calendar.schedule() if using is None else using
    soon = calendar.working_day_after(today, DUE_SOON_WORKING_DAYS, using=using).day
    out = []
    for r in reviews:
        if r.state == "open":
            d = deadline(r, using=using)
            out.append(Due(r, d, today > d.day, today <= d.day <= soon))
    return sorted(out, key=lambda d: (d.deadline.day, d.review.id))


def view(ring: KeyRing, review: ScoreReview, today: date | None = None, *, using=None) -> dict:
    """A review as its subject and the regulators who may answer it read it (never the public): the reason and
    the note opened, the deadline while open, the correction when made."""
    d = deadline(review, using=using) if review.state == "open" else None
    agency = review.answered_agency
    return {
        "ref": review.ref, "subject_kind": review.subject_kind, "state": review.state,
        "state_label": {"zh": REVIEW_STATES[review.state][0], "en": REVIEW_STATES[review.state][1]},
        "filed_on": review.filed_on, "filed_dt": review.filed_dt,
        "reason": unseal(ring, review.reason_enc, aad("score_reviews", "reason", review.ref)),
        "disputed": list(review.disputed or []),
        "score": {"points": review.score_points, "rules_version": review.rules_version},
        "deadline": None if d is None else {"day": d.day, "provisional": d.provisional,
                                            "overdue": today is not None and today > d.day},
        "answered_on": review.answered_on,
        "agency": None if agency is None else {"code": agency.code, "name_zh": agency.name_zh,
                                               "name_en": agency.name_en},
        "note": None if review.note_enc is None else unseal(ring, review.note_enc,
                                                             aad("score_reviews", "note", review.ref)),
        "correction": None if review.correction_points is None else {
            "points": review.correction_points, "from": review.answered_on, "until": review.correction_until},
    }


def subject_of(review: ScoreReview) -> dict:
    """Who asked, as regulators see it: a company's code and name; a worker's card number and masked name."""
    if review.subject_kind == "company":
        return {"kind": "company", "uscc": review.company.uscc, "name": review.company.name}
    return {"kind": "worker", "card_no": review.worker.card_no, "name_masked": review.worker.name_masked}


def regulator_view(ring: KeyRing, review: ScoreReview, today: date | None = None, *, using=None) -> dict:
    return {**view(ring, review, today, using=using), "subject": subject_of(review)}


def subject_page(ring: KeyRing, subject_kind: str, subject_id: int, today: date) -> dict:
    """What the score section of the company portal and of /me shows: the explanation (None while no score is
    kept), the grading in words (companies), the subject's reviews and whether one is open."""
    row = db.session.get(CreditScore, (subject_kind, subject_id))
    reviews = of_subject(subject_kind, subject_id)
    using = calendar.schedule() if reviews else None
    return {
        "subject_kind": subject_kind,
        "score": None if row is None else explanation(row),
        "grading": None if row is None or subject_kind != "company" else grading_words(row.rules_version),
        "reviews": [view(ring, r, today, using=using) for r in reviews],
        "open": any(r.state == "open" for r in reviews),
    }
