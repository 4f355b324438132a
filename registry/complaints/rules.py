"""Complaint rules: categories, how a complaint was filed, its states, and which step leads where.

Pure: no Flask, no database. A step that the state does not allow is refused
as data (`Refused`), so the service turns it into one stable error and the
table of every transition can be tested exhaustively. The rules and their
sources are in docs/rules.md, "Complaints (投诉)".
"""
from __future__ import annotations

from dataclasses import dataclass

CATEGORIES = {
    "safety": ("安全问题", "Safety"),
    "theft": ("财物丢失或被盗", "Theft"),
    "abuse": ("辱骂、虐待或骚扰", "Abuse or harassment"),
    "quality": ("服务质量", "Quality of the service"),
    "fraud": ("欺诈或乱收费", "Fraud or overcharging"),
    "other": ("其他", "Other"),
}
METHODS = {
    "review_code": ("凭评价码投诉", "With the service's review code"),
    "card_page": ("在服务证页面投诉", "From the card page"),
    "household_phone": ("凭接受服务的手机号投诉", "With the phone the service was recorded for"),
}
SUBJECT_KINDS = ("worker", "company")
STATES = {
    "received": ("已收到，待受理", "Received, awaiting acceptance"),
    "accepted": ("已受理", "Accepted"),
    "rejected": ("不予受理", "Not accepted"),
    "investigating": ("调查中", "Under investigation"),
    "substantiated": ("投诉属实", "Substantiated"),
    "unfounded": ("投诉不属实", "Unfounded"),
    # Only by an upheld objection (异议成立) to a substantiated complaint: it counts nowhere, like an unfounded one.
    "withdrawn": ("异议成立，已撤销", "Withdrawn (objection upheld)"),
}
# step → (the state it is taken from, the state it leads to)
STEPS = {
    "accept": ("received", "accepted"),
    "reject": ("received", "rejected"),
    "investigate": ("accepted", "investigating"),
    "substantiate": ("investigating", "substantiated"),
    "dismiss": ("investigating", "unfounded"),
}
STEP_WORDS = {
    "accept": ("受理", "Accept"),
    "reject": ("不予受理", "Reject"),
    "investigate": ("开始调查", "Start the investigation"),
    "substantiate": ("认定属实", "Find it substantiated"),
    "dismiss": ("认定不属实", "Find it unfounded"),
}
# Before a decision: the subject may still respond, the deadlines run.
OPEN_STATES = ("received", "accepted", "investigating")
CONCLUDED_STATES = ("rejected", "substantiated", "unfounded", "withdrawn")
# The one state that is ever public or counts against anyone.
PUBLIC_STATE = "substantiated"

TEXT_MAX = 1000
REASON_MAX = 500
RESPONSE_MAX = 1000
# A subject may respond more than once (new facts come up), up to this many times before a decision.
RESPONSES_MAX = 5
CONTACT_NAME_MAX = 40

# 《市场监督管理投诉举报处理暂行办法》: decide whether to accept within 7 working days of receipt (art. 18) and
# conclude within 45 working days of acceptance (art. 29 for mediation). Configurable (docs/rules.md).
DEFAULT_ACCEPT_WORKING_DAYS = 7
DEFAULT_CONCLUDE_WORKING_DAYS = 45


@dataclass(frozen=True)
class Refused:
    """Why a step cannot be taken: a stable code and the message in both languages."""

    code: str
    en: str
    zh: str


def transition(state: str, step: str) -> str | Refused:
    """The state `step` leads to from `state`, or why it cannot be taken."""
    if step not in STEPS:
        return Refused("unknown_step", "Choose accept, reject, investigate, substantiate or dismiss.",
                       "请选择受理、不予受理、开始调查、认定属实或认定不属实。")
    if state not in STATES:
        return Refused("wrong_state", "The complaint is in an unknown state.", "投诉状态无效。")
    source, target = STEPS[step]
    if state != source:
        if state in CONCLUDED_STATES:
            return Refused("concluded", "The complaint is already concluded.", "该投诉已办结。")
        return Refused("wrong_state", f"A complaint that is {state} cannot take the step {step}.",
                       f"投诉当前为“{STATES[state][0]}”，不能“{STEP_WORDS[step][0]}”。")
    return target


def steps_from(state: str) -> list[str]:
    """The steps a regulator may take from `state`, in the table's order."""
    return [step for step, (source, _target) in STEPS.items() if source == state]


def may_respond(state: str, responses: int) -> Refused | None:
    """Whether the subject may add a response now (None) or why not."""
    if state not in OPEN_STATES:
        return Refused("concluded", "The complaint is concluded: responses are closed.", "该投诉已办结，不能再答复。")
    if responses >= RESPONSES_MAX:
        return Refused("too_many_responses", f"At most {RESPONSES_MAX} responses to one complaint.",
                       f"同一投诉最多答复 {RESPONSES_MAX} 次。")
    return None


def is_public(state: str) -> bool:
    """Only a substantiated complaint is ever shown to the public or counts against its subject."""
    return state == PUBLIC_STATE


def deadline_kind(state: str) -> str | None:
    """Which deadline runs in `state`: `accept` (decide whether to accept), `conclude`, or None (concluded)."""
    if state == "received":
        return "accept"
    if state in ("accepted", "investigating"):
        return "conclude"
    return None
