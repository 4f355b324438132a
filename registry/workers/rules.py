"""Pure rules over a worker's dated records: validation, currency, status colour.

No Flask, no database: callers pass plain values and `today` (Asia/Shanghai).
A dated qualification is valid through its valid-until day inclusive.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from .vocab import RECORD_KINDS, RESULTS


class RecordProblem(ValueError):
    """One field of a record breaks a rule."""

    def __init__(self, field_name: str, en: str, zh: str):
        super().__init__(field_name)
        self.field = field_name
        self.en = en
        self.zh = zh


class Rec(NamedTuple):
    """The facts of one record that the rules need. A named tuple: a credit rebuild reads half a million."""

    id: int
    kind: str
    result: str | None = None
    on_date: date | None = None
    valid_until: date | None = None
    supersedes_id: int | None = None
    exam_passed: bool | None = None


def _text(data: dict, name: str, zh: str, en: str, max_len: int = 100) -> str:
    value = (data.get(name) or "").strip() if isinstance(data.get(name), str) else ""
    if not value or len(value) > max_len:
        raise RecordProblem(name, f"Give the {en} (1–{max_len} characters).", f"请填写{zh}（1–{max_len} 个字符）。")
    return value


def _date(data: dict, name: str, zh: str, en: str) -> date:
    value = data.get(name)
    if not isinstance(value, date):
        raise RecordProblem(name, f"Give the {en} as a date.", f"请填写{zh}日期。")
    return value


def _past(value: date, today: date, name: str, zh: str, en: str) -> date:
    if value > today:
        raise RecordProblem(name, f"The {en} cannot be in the future.", f"{zh}不能晚于今天。")
    return value


def _result(data: dict, kind: str) -> str:
    allowed = RESULTS[kind]
    value = data.get("result")
    if value not in allowed:
        raise RecordProblem("result", f"The result must be one of: {', '.join(allowed)}.",
                            f"结果必须是：{'、'.join(allowed)}。")
    return value


def check_record(kind: str, data: dict, today: date) -> dict:
    """Return the record's normalised fields, or raise RecordProblem naming the (first) field."""
    fields, problems = judge_record(kind, data, today)
    if problems:
        raise problems[0]
    return fields


def judge_record(kind: str, data: dict, today: date) -> tuple[dict | None, list[RecordProblem]]:
    """The record's normalised fields and no problem, or None and every field that breaks a rule.

    Each field is judged on its own, at most one problem each, in the order
    `check_record` reports the first; a comparison of two dates is judged
    when both are dates, even if one of them is refused for another reason.
    """
    if kind not in RECORD_KINDS:
        return None, [RecordProblem("kind", "Unknown record kind.", "未知的记录类型。")]
    problems: list[RecordProblem] = []

    def take(rule, *args):
        try:
            return rule(*args)
        except RecordProblem as p:
            problems.append(p)
            return None

    def past_date(name: str, zh: str, en: str, zh_field: str):
        value = take(_date, data, name, zh, en)
        if value is not None:
            take(_past, value, today, name, zh_field, en)
        return value

    if kind == "identity":
        fields = {"result": take(_result, data, kind),
                  "on_date": past_date("checked_on", "核验", "check date", "核验日期")}
    elif kind == "training":
        fields = {"hours": take(_hours, data), "exam_passed": take(_exam_passed, data),
                  "course": take(_text, data, "course", "课程名称", "course"),
                  "on_date": past_date("trained_on", "培训", "training date", "培训日期"),
                  "issuer": take(_text, data, "issuer", "发证机构", "issuer")}
        fields = {k: fields[k] for k in ("course", "hours", "exam_passed", "on_date", "issuer")}
    elif kind == "health":
        checked = past_date("checked_on", "体检", "check date", "体检日期")
        until = take(_date, data, "valid_until", "有效期至", "valid-until")
        if checked is not None and until is not None and until < checked:
            problems.append(RecordProblem("valid_until", "Valid-until cannot be before the check date.",
                                          "有效期不能早于体检日期。"))
        fields = {"result": take(_result, data, kind), "on_date": checked, "valid_until": until}
    elif kind == "insurance":
        start = take(_date, data, "valid_from", "保险起始", "start")
        until = take(_date, data, "valid_until", "有效期至", "valid-until")
        if start is not None and until is not None and until < start:
            problems.append(RecordProblem("valid_until", "Valid-until cannot be before the start.",
                                          "有效期不能早于起始日期。"))
        fields = {"issuer": take(_text, data, "insurer", "保险公司", "insurer"), "on_date": start,
                  "valid_until": until}
    else:
        # background: passed / failed / pending; never the details.
        fields = {"result": take(_result, data, kind),
                  "on_date": past_date("checked_on", "审查", "check date", "审查日期"),
                  "issuer": take(_text, data, "authority", "审查机关", "authority")}
    return (None, problems) if problems else (fields, [])


def _hours(data: dict) -> Decimal:
    try:
        hours = Decimal(str(data.get("hours")))
    except (InvalidOperation, ValueError):
        hours = Decimal(-1)
    if not hours.is_finite() or not (Decimal(0) < hours <= Decimal(2000)) \
            or hours != hours.quantize(Decimal("0.1")):
        raise RecordProblem("hours", "Hours must be between 0.1 and 2000, in tenths.",
                            "学时须在 0.1 到 2000 之间，最多一位小数。")
    return hours


def _exam_passed(data: dict) -> bool:
    if not isinstance(data.get("exam_passed"), bool):
        raise RecordProblem("exam_passed", "Say whether the exam was passed.", "请说明考核是否通过。")
    return data["exam_passed"]


def current(records: list[Rec]) -> list[Rec]:
    """The records no later record supersedes."""
    superseded = {r.supersedes_id for r in records if r.supersedes_id is not None}
    return [r for r in records if r.id not in superseded]


def latest(records: list[Rec], kind: str) -> Rec | None:
    """The current record of a kind with the latest date (ties: the later entry)."""
    return latest_of_each(current(records)).get(kind)


def latest_of_each(current_records: list[Rec]) -> dict[str, Rec]:
    """`latest` of every kind at once, from records already `current` (one pass: what the card status and the
    credit score read several kinds of)."""
    out: dict[str, Rec] = {}
    for r in current_records:
        best = out.get(r.kind)
        if best is None or (r.on_date or date.min, r.id) > (best.on_date or date.min, best.id):
            out[r.kind] = r
    return out


def valid_on(rec: Rec | None, today: date) -> bool:
    return rec is not None and rec.valid_until is not None and rec.on_date is not None \
        and rec.on_date <= today <= rec.valid_until


def qualified(latest_: dict[str, Rec], policies: list[Rec], day: date) -> bool:
    """Would the card be green on `day` for an employed worker with no listing and no revoked card — exactly
    `card_status(records, day, employed=True).colour == "green"` — from the worker's current records already
    read: `latest_` their `latest_of_each`, `policies` their current insurance records. Without the reasons,
    for what asks it a hundred thousand times (a credit rebuild's staff verdicts); tested equal to
    `card_status` over random records and days (tests/workers/test_qualified.py). Only the health check's and
    the policies' dates depend on `day`."""
    identity = latest_.get("identity")
    background = latest_.get("background")
    health = latest_.get("health")
    return (identity is not None and identity.result != "failed"
            and background is not None and background.result not in ("failed", "pending")
            and health is not None and health.result == "passed" and valid_on(health, day)
            and any(valid_on(r, day) for r in policies))


@dataclass(frozen=True)
class Reason:
    code: str
    zh: str
    en: str


@dataclass(frozen=True)
class Status:
    colour: str  # green | yellow | red
    reasons: tuple[Reason, ...] = field(default_factory=tuple)


def card_status(records: list[Rec], today: date, *, employed: bool, active_serious_listing: bool = False,
                revoked: bool = False) -> Status:
    """The card's colour for `today` (docs/rules.md, "The status colour"), with its reasons in plain words.

    `employed`: some registered company employs the worker today (a confirmed,
    current employment). Without one the worker is at most yellow: complete
    records say nothing about who sends the person to the door. Required, so
    no caller can forget it and show green by default.
    """
    records = current(records)
    latest_ = latest_of_each(records)
    identity = latest_.get("identity")
    background = latest_.get("background")
    health = latest_.get("health")
    red = []
    if identity is not None and identity.result == "failed":
        red.append(Reason("identity_failed", "身份核验未通过", "Identity check failed"))
    if background is not None and background.result == "failed":
        red.append(Reason("background_failed", "背景审查未通过", "Background check failed"))
    if active_serious_listing:
        red.append(Reason("serious_listing", "被列入严重失信主体名单", "On the serious-dishonesty list"))
    if revoked:
        red.append(Reason("card_revoked", "服务证已注销", "The card was revoked"))
    if red:
        return Status("red", tuple(red))
    yellow = []
    if not employed:
        yellow.append(Reason("no_employer", "目前没有登记企业派遣此人", "No registered company sends this person now"))
    if identity is None:
        yellow.append(Reason("identity_missing", "尚未进行身份核验", "Identity not yet checked"))
    if health is None:
        yellow.append(Reason("health_missing", "无体检记录", "No health check"))
    elif health.result != "passed":
        yellow.append(Reason("health_not_passed", "体检未通过", "Health check not passed"))
    elif not valid_on(health, today):
        yellow.append(Reason("health_expired", "体检已过期", "Health check expired"))
    # Policies overlap when renewed ahead: any current policy in force today counts.
    policies = [r for r in records if r.kind == "insurance"]
    if not policies:
        yellow.append(Reason("insurance_missing", "无保险记录", "No insurance"))
    elif not any(valid_on(r, today) for r in policies):
        if any(r.on_date and r.on_date > today for r in policies):
            yellow.append(Reason("insurance_not_started", "保险尚未生效", "Insurance not yet in force"))
        else:
            yellow.append(Reason("insurance_expired", "保险已过期", "Insurance expired"))
    if background is None:
        yellow.append(Reason("background_missing", "无背景审查记录", "No background check"))
    elif background.result == "pending":
        yellow.append(Reason("background_pending", "背景审查进行中", "Background check pending"))
    if yellow:
        return Status("yellow", tuple(yellow))
    return Status("green", (Reason("all_valid", "身份已核验，体检、保险有效，背景审查通过",
                                   "Identity verified, health check and insurance valid, background check passed"),))
