"""Credit repair (信用修复) and withdrawal (撤回) of sanctions: the pure rules.

Pure: no Flask, no database. The sources are in docs/rules.md, "Sanctions" (credit repair; withdrawal):

- 《信用修复管理办法》 (in force 2026-04-01): a minor (轻微) sanction may be repaired as soon as its obligations
  are met; a general (一般) one after at least 3 months published, a serious (严重) one after at least 1 year, the clock
  starting on the decision date (`rules.WINDOW_MONTHS` least months). The minimum period is counted as the civil
  code counts periods in months (民法典 arts. 201, 203; like `rules.window_end`): it ends on the matching day, so
  the repair may be applied for from the next day. Whoever made the finding repairs it (the issuing agency); an
  approved repair ends publication, sharing and punishment together.
- Administrative Penalty Law art. 48: a decision changed or revoked (by review, a court or the agency) is withdrawn
  from publication within 3 days, with its reasons (a change: a correction, `services.correct_sanction`).
"""
from __future__ import annotations

from datetime import date, timedelta

from ..calendar import workdays
from ..clock import add_months
from .rules import WINDOW_MONTHS

# The sanction states a repair may be applied for and approved in: decided (for a listing: approved) and not
# yet ended; `repair_problem` says why any other state cannot be repaired.
REPAIRABLE_STATES = ("decided", "approved", "published")
# The states a revoked decision may be withdrawn from: every decided one, even once its window ended or it was
# repaired (the record then says it was revoked, not that it ran its course).
WITHDRAWABLE_STATES = ("decided", "approved", "published", "expired", "repaired")
# A repair application: pending until a regulator of the issuing agency approves or rejects it.
REPAIR_STATES = {
    "pending": ("待审核", "Awaiting the issuing agency"),
    "approved": ("已修复", "Repaired"),
    "rejected": ("不予修复", "Rejected"),
}
REPAIR_TRANSITIONS = {"pending": ("approved", "rejected"), "approved": (), "rejected": ()}
APPLICANT_KINDS = ("company", "worker")
# Who revoked or changed the decision (art. 48).
AUTHORITIES = {
    "review": ("行政复议机关", "Administrative review"),
    "court": ("人民法院", "A court"),
    "agency": ("作出决定的机关", "The issuing agency itself"),
}
# Working days after the application's day within which the issuing agency answers a repair application
# (approves or rejects): the registry's DEFAULT, configurable (`SANCTION_REPAIR_ANSWER_WORKING_DAYS`).
# 《信用修复管理办法》 and its 2023 trial version (国家发展改革委令第58号) set time limits
# for accepting and deciding an application; the exact figures are not in this
# repository's sources, so this default must be checked against the measures (docs/rules.md).
DEFAULT_ANSWER_WORKING_DAYS = 10
# Days after the revocation within which the decision is withdrawn (art. 48: 三日内), counted from the next day.
WITHDRAW_WITHIN_DAYS = 3
STATEMENT_MAX = 2000
PLEDGE_MAX = 1000
REPAIR_REASON_MAX = 500
WITHDRAW_REASON_MAX = 500
# The public credit pledge (信用承诺) the applicant signs; the form shows it, and the applicant confirms it.
PLEDGE_TEXT = ("本人/本单位郑重承诺：申请材料真实、准确、完整；已纠正失信行为、履行相关义务，消除不良影响；"
               "今后将依法诚信经营、诚信从业。如有虚假，愿意承担相应法律责任，并同意将承诺履行情况纳入信用记录。")


def earliest_repair_date(severity: str, decision_date: date) -> date:
    """The first day a repair may be applied for: minor, the decision day itself (once obligations are met);
    general and serious, the day after the minimum publication period (its least months) ends."""
    least = WINDOW_MONTHS[severity][0]
    if not least:
        return decision_date
    return add_months(decision_date, least) + timedelta(days=1)


def repair_problem(*, state: str, decision_date: date | None) -> str | None:
    """Why a sanction in this state cannot be repaired (an error code), or None: it is decided and still binds or
    is published. `expired`: its window already ended (nothing left to repair); `repaired`, `withdrawn`: done."""
    if state in REPAIRABLE_STATES and decision_date is not None:
        return None
    if state == "expired":
        return "window_over"
    if state in ("repaired", "withdrawn"):
        return "already_ended"
    return "not_decided"


def repair_too_early(*, severity: str, decision_date: date, today: date) -> date | None:
    """The date from which a repair may be applied for, when today is before it; None when it may be today."""
    earliest = earliest_repair_date(severity, decision_date)
    return earliest if today < earliest else None


def may_decide_repair(current: str, target: str) -> bool:
    """Is pending → target a step a regulator may take on a repair application?"""
    return target in REPAIR_TRANSITIONS.get(current, ())


def may_withdraw(state: str) -> bool:
    return state in WITHDRAWABLE_STATES


def withdraw_by(revoked_on: date, schedule: workdays.Schedule) -> date:
    """The last day to withdraw a decision revoked or changed on `revoked_on`: the 3rd working day after it
    (行政处罚法 art. 48's 三日 are working days, art. 85), on the official calendar `schedule`."""
    return workdays.working_day_after(revoked_on, WITHDRAW_WITHIN_DAYS, schedule).day


def answer_by(applied_on: date, days: int, schedule: workdays.Schedule) -> workdays.Deadline:
    """The last day to answer a repair application made on `applied_on`: the `days`-th working day after it."""
    return workdays.working_day_after(applied_on, days, schedule)
