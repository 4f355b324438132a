"""Sanction rules: kinds, severities, publication windows, and whether a sanction is public or active on a day.

Pure: no Flask, no database. Every check returns its problems as data
(`Problem`), so the service can answer all of them at once. The rules and
their sources are in docs/rules.md, "Sanctions".
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ..clock import add_months

# The national rules on publication windows (《信用修复管理办法》) apply to decisions from this day.
RULES_IN_FORCE = date(2026, 4, 1)

KINDS = {
    "warning": ("警告", "Warning"),
    "criticism": ("通报批评", "Public criticism"),
    "fine": ("罚款", "Fine"),
    "rectification": ("责令整改", "Order to rectify"),
    "watch_list": ("列入重点关注名单", "Listed for close attention"),
    "serious_list": ("列入严重失信主体名单", "Listed as a seriously dishonest party"),
}
# Kinds that are listings: "other active listings" warn when a worker is registered.
LISTING_KINDS = ("watch_list", "serious_list")
SEVERITIES = {
    "minor": ("轻微", "Minor"),
    "general": ("一般", "General"),
    "serious": ("严重", "Serious"),
}
# Publication window in months by severity: (least, most); minor's least 0 means "not published".
WINDOW_MONTHS = {"minor": (0, 3), "general": (3, 12), "serious": (12, 36)}
SUBJECT_KINDS = ("worker", "company")
PERSON_ROLES = {
    "legal_representative": ("法定代表人", "Legal representative"),
    "responsible": ("直接责任人员", "Directly responsible person"),
}
STATES = {
    "proposed": ("拟列入，待告知", "Proposed, the subject not yet notified"),
    "notified": ("已告知，异议期", "Subject notified; objection window"),
    "decided": ("已决定", "Decided"),
    "approved": ("已复核", "Approved by a second regulator"),
    "published": ("已公示", "Published"),
    "expired": ("公示期满", "Publication window ended"),
    # No longer public, no longer in effect (an upheld objection; a withdrawal): the log keeps what it was.
    "withdrawn": ("已撤销", "Withdrawn"),
}
DELIVERY_METHODS = {
    "sms": ("短信", "Text message"),
    "phone_call": ("电话告知", "Phone call"),
    "post": ("邮寄送达", "By post"),
    "in_person": ("当面送达", "In person"),
}
DEFAULT_OBJECTION_DAYS = 5
# The longest texts a sanction holds (characters), and the most persons it names.
BASIS_MAX = 500
FACTS_MAX = 2000
MEASURES_MAX = 500
DECISION_NO_MAX = 100
REASON_MAX = 500
# The notice's statement of reasons, written for the subject.
NOTICE_REASONS_MAX = 2000
PERSONS_MAX = 10


@dataclass(frozen=True)
class Problem:
    field: str
    code: str
    en: str
    zh: str


def default_months(severity: str) -> int | None:
    """The window a sanction gets when the regulator sets none: the least the rules allow (minor: unpublished)."""
    least = WINDOW_MONTHS[severity][0]
    return least or None


def check_terms(*, kind: str | None, severity: str | None, months: int | None,
                decision_date: date | None, today: date) -> list[Problem]:
    """Every problem with a sanction's kind, severity, window and decision date (None dates: not decided yet)."""
    problems = []
    if kind not in KINDS:
        problems.append(Problem("kind", "invalid", "Choose a kind: " + ", ".join(KINDS) + ".", "请选择处罚种类。"))
    if severity not in SEVERITIES:
        problems.append(Problem("severity", "invalid", "Choose a severity: minor, general or serious.",
                                "请选择严重程度：轻微、一般或严重。"))
    elif kind == "serious_list" and severity != "serious":
        problems.append(Problem("severity", "invalid", "A serious-dishonesty listing is serious.",
                                "列入严重失信主体名单的严重程度必须为“严重”。"))
    elif months is not None:
        least, most = WINDOW_MONTHS[severity]
        if not least <= months <= most or (severity == "minor" and months == 0):
            low = max(least, 1)
            problems.append(Problem(
                "publish_months", "out_of_range",
                f"A {severity} sanction is published for {low} to {most} months.",
                f"{SEVERITIES[severity][0]}失信信息的公示期为 {low} 至 {most} 个月。"))
    if decision_date is not None:
        if decision_date > today:
            problems.append(Problem("decision_date", "in_future", "A decision date cannot be in the future.",
                                    "决定日期不能晚于今天。"))
        elif decision_date < RULES_IN_FORCE:
            problems.append(Problem(
                "decision_date", "before_rules",
                f"The registry records decisions taken from {RULES_IN_FORCE.isoformat()} (the current rules).",
                f"本系统登记 {RULES_IN_FORCE.isoformat()} 起（新规施行后）作出的决定。"))
    return problems


def window_end(decision_date: date | None, months: int | None) -> date | None:
    """The last day a sanction is public: the day in the window's last month that matches the decision date.

    Counted as the civil code counts periods in months (民法典 arts. 201, 203):
    the period starts the day after the decision, and ends on the matching day
    of the last month, or that month's last day when it has no such day.
    None when there is no decision yet or no window (an unpublished minor sanction).
    """
    if decision_date is None or not months:
        return None
    return add_months(decision_date, months)


def is_public(*, state: str, published: bool, decision_date: date | None, months: int | None, today: date) -> bool:
    """Is the sanction shown to the public today? Published, and today within its window.

    Computed when read, so nothing is shown a day past its window, whether or
    not the hourly expiry has recorded the end yet.
    """
    end = window_end(decision_date, months)
    return published and state in ("published", "expired") and end is not None and decision_date <= today <= end


def is_in_effect(*, kind: str, state: str, decision_date: date | None, months: int | None, today: date) -> bool:
    """Does the decision bind today: taken (and approved where four eyes are needed), and within its window.

    Punishment and market access follow this, not publication: a listing binds
    from its approval even before it is published.
    """
    taken = ("approved" if needs_four_eyes(kind) else "decided", "published", "expired")
    if state not in taken or decision_date is None:
        return False
    end = window_end(decision_date, months)
    return end is not None and decision_date <= today <= end


def needs_four_eyes(kind: str) -> bool:
    """A serious-dishonesty listing is noticed first and approved by a second regulator (国办发〔2020〕49号)."""
    return kind == "serious_list"


def first_state(kind: str) -> str:
    """Where a newly recorded sanction starts: a listing awaits its notice; anything else is a decision already."""
    return "proposed" if needs_four_eyes(kind) else "decided"


def publishable(*, kind: str, state: str, months: int | None) -> bool:
    """May it be published now: decided (approved, for a listing) and with a window."""
    ready = "approved" if needs_four_eyes(kind) else "decided"
    return state == ready and bool(months)
