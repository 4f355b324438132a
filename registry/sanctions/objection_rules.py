"""Objection (异议) rules: the states of a subject's objection to a sanction and which step leads where.

Pure: no Flask, no database. A step the state does not allow is refused as data (`Refused`), so the table of every
transition is tested exhaustively. Sources (docs/rules.md, "Objections (异议)"): 国办发〔2020〕49号 — before a
serious-dishonesty listing the subject is told the reasons, basis and rights, and objections are checked and
answered within a set time; the Guangzhou public credit platform's practice — accept or reject within 2 working
days, the source agency answers within 10 working days (both configurable).
"""
from __future__ import annotations

from dataclasses import dataclass

STATES = {
    "received": ("已收到，待受理", "Received, awaiting acceptance"),
    "accepted": ("已受理，核查中", "Accepted, being checked"),
    "rejected": ("不予受理", "Not accepted"),
    "upheld": ("异议成立", "Upheld"),
    "dismissed": ("异议不成立", "Dismissed"),
}
# step → (the state it is taken from, the state it leads to)
STEPS = {
    "accept": ("received", "accepted"),
    "reject": ("received", "rejected"),
    "uphold": ("accepted", "upheld"),
    "dismiss": ("accepted", "dismissed"),
}
STEP_WORDS = {
    "accept": ("受理", "Accept"),
    "reject": ("不予受理", "Reject"),
    "uphold": ("认定异议成立", "Uphold"),
    "dismiss": ("认定异议不成立", "Dismiss"),
}
# While pending the record carries `objection_pending: true` wherever it is public, and (filed inside a notice's
# window) blocks the listing decision.
PENDING_STATES = ("received", "accepted")
ANSWERED_STATES = ("rejected", "upheld", "dismissed")
# What an upheld objection does to the sanction, in the same operation.
OUTCOMES = {
    "correct": ("更正", "Corrected"),
    "withdraw": ("撤销", "Withdrawn"),
}
# The sanction states a subject may object in: noticed to them or decided (not a proposal they have not been told
# of, not a withdrawn one).
OBJECTABLE_STATES = ("notified", "decided", "approved", "published", "expired")
FILED_BY_KINDS = ("company", "worker")

REASONS_MAX = 2000
ANSWER_MAX = 1000
DEFAULT_ACCEPT_WORKING_DAYS = 2
DEFAULT_ANSWER_WORKING_DAYS = 10


@dataclass(frozen=True)
class Refused:
    code: str
    en: str
    zh: str


def transition(state: str, step: str) -> str | Refused:
    """The state `step` leads to from `state`, or why it cannot be taken."""
    if step not in STEPS:
        return Refused("unknown_step", "Choose accept, reject, uphold or dismiss.",
                       "请选择受理、不予受理、认定异议成立或认定异议不成立。")
    if state not in STATES:
        return Refused("wrong_state", "The objection is in an unknown state.", "异议状态无效。")
    source, target = STEPS[step]
    if state != source:
        if state in ANSWERED_STATES:
            return Refused("objection_answered", "The objection has already been answered.", "该异议已办结。")
        return Refused("wrong_state", f"An objection that is {state} cannot take the step {step}.",
                       f"异议当前为“{STATES[state][0]}”，不能“{STEP_WORDS[step][0]}”。")
    return target


def steps_from(state: str) -> list[str]:
    return [step for step, (source, _target) in STEPS.items() if source == state]


def may_object(sanction_state: str, pending: int) -> Refused | None:
    """Whether the subject may file an objection now (None) or why not."""
    if sanction_state not in OBJECTABLE_STATES:
        return Refused("not_objectable", "This record cannot be objected to in its current state.",
                       "该记录当前状态不能提出异议。")
    if pending:
        return Refused("objection_pending", "An objection to this record is already being handled.",
                       "对该记录的异议正在处理中。")
    return None


def deadline_kind(state: str) -> str | None:
    """Which deadline runs: `accept` (accept or reject), `answer`, or None (answered)."""
    if state == "received":
        return "accept"
    if state == "accepted":
        return "answer"
    return None


def blocks_decision(*, state: str, in_window: bool) -> bool:
    """An objection filed inside a listing notice's window blocks the decision until it is answered."""
    return in_window and state in PENDING_STATES
