"""The rules of a service record, as data: what makes one valid, and when the company must give a reason. Pure.

One judge for the page, the API and the file import, so the three refuse the
same things with the same codes and words. Problems never echo the value (a
phone must not come back in an error, a report or a log line).
No Flask, no database.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ..workers.person import Problem, e164_mobile
from .textmask import mask_text
from .vocab import SERVICE_TYPES

DISTRICT_MAX = 40
OVERRIDE_REASON_MAX = 200
# A stay-at-home maternity nurse's engagement (26 days) fits comfortably; a longer "service" is an employment.
LONGEST = timedelta(days=92)
# A service may be recorded as it begins (a little ahead of its start), or afterwards within a year.
EARLIEST = timedelta(days=366)
AHEAD = timedelta(days=1)

# Why a company must give a reason to record a worker: the rules a record overrides.
OVERRIDE_RED = "card_red"
OVERRIDE_NOT_EMPLOYEE = "not_employee"
OVERRIDES = {
    OVERRIDE_RED: ("该从业人员的家政服务卡为红色（不宜上门服务）",
                   "The worker's card is red (not fit for home service)"),
    OVERRIDE_NOT_EMPLOYEE: ("该从业人员不是本企业在职员工", "The worker is not the company's current employee"),
}


@dataclass(frozen=True)
class ServiceFields:
    """A service as the company gave it (raw), before judging."""

    service_type: str | None
    phone: str | None
    district: str | None
    start: datetime | None
    end: datetime | None
    override_reason: str | None = None


@dataclass(frozen=True)
class CheckedService:
    """A valid service: the phone in E.164 form (used once, then dropped), the rest normalised."""

    service_type: str
    e164: str
    district: str
    start: datetime
    end: datetime
    override_reason: str | None


def _printable(text: str) -> str:
    return "".join(ch for ch in text if ch.isprintable()).strip()


def check_service(f: ServiceFields, now: datetime) -> tuple[CheckedService | None, list[Problem]]:
    """The normalised service, or None with every problem (one per field at most)."""
    problems: list[Problem] = []
    if f.service_type not in SERVICE_TYPES:
        problems.append(Problem("service_type", "service_type_unknown", "Choose a service type from the list.",
                                "请从列表中选择服务类型。"))
    e164 = e164_mobile(f.phone) if isinstance(f.phone, str) else None
    if e164 is None:
        problems.append(Problem("phone", "phone_invalid", "Give the customer's mainland mobile number (11 digits).",
                                "请填写客户的 11 位手机号码。"))
    district = _printable(f.district) if isinstance(f.district, str) else ""
    if not district:
        problems.append(Problem("district", "district_missing", "Give the district served.", "请填写服务所在区县。"))
    elif len(district) > DISTRICT_MAX:
        problems.append(Problem("district", "district_too_long", f"Use at most {DISTRICT_MAX} characters.",
                                f"最多 {DISTRICT_MAX} 个字符。"))
    start, end = f.start, f.end
    if start is None or start.tzinfo is None:
        problems.append(Problem("start", "start_missing", "Give when the service began.", "请填写服务开始时间。"))
        start = None
    elif start > now + AHEAD:
        problems.append(Problem("start", "start_future", "A service is recorded when it begins or afterwards.",
                                "服务开始后（或即将开始时）才能登记。"))
    elif start < now - EARLIEST:
        problems.append(Problem("start", "start_too_old", "A service older than a year cannot be recorded.",
                                "一年以前的服务不能再登记。"))
    if end is None or end.tzinfo is None:
        problems.append(Problem("end", "end_missing", "Give when the service ended (or will end).",
                                "请填写服务结束时间。"))
    elif start is not None and end <= start:
        problems.append(Problem("end", "end_before_start", "The end must come after the start.",
                                "结束时间须晚于开始时间。"))
    elif start is not None and end - start > LONGEST:
        problems.append(Problem("end", "too_long", f"A service lasts at most {LONGEST.days} days.",
                                f"一次服务最长 {LONGEST.days} 天。"))
    # Kept with the record and read by the company and regulators: phone and ID numbers typed into it are masked.
    reason = mask_text(_printable(f.override_reason)) if isinstance(f.override_reason, str) else ""
    if len(reason) > OVERRIDE_REASON_MAX:
        problems.append(Problem("override_reason", "override_reason_too_long",
                                f"Use at most {OVERRIDE_REASON_MAX} characters.",
                                f"最多 {OVERRIDE_REASON_MAX} 个字符。"))
    if problems:
        return None, problems
    return CheckedService(f.service_type, e164, district, start, end, reason or None), []


def overrides_needed(*, colour: str, employed_here: bool) -> list[str]:
    """The rules recording this worker would override: a red card, or not the company's current employee."""
    out = []
    if colour == "red":
        out.append(OVERRIDE_RED)
    if not employed_here:
        out.append(OVERRIDE_NOT_EMPLOYEE)
    return out


def override_problem(needed: list[str], reason: str | None) -> Problem | None:
    """A problem when the record overrides a rule without a reason; None otherwise."""
    if not needed or reason:
        return None
    zh = "；".join(OVERRIDES[n][0] for n in needed)
    en = "; ".join(OVERRIDES[n][1] for n in needed)
    return Problem("override_reason", "override_reason_required",
                   f"{en}: give the reason the service went ahead, which the record keeps.",
                   f"{zh}：请填写仍安排服务的原因，原因将随记录保存。")
