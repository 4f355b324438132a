"""The rules a person and their employment must meet to be registered, pure and in one place.

No Flask, no database, no HTTP errors: each check judges every field on its
own and returns every problem as data, so single registration (which answers
with the first) and the staff import (which reports them all) apply the same
rules. A field has at most one problem: the first rule of it that fails.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from ..clock import add_years
from . import idnumber
from .vocab import EMPLOYMENT_KINDS, OCCUPATIONS

MOBILE_RE = re.compile(r"^(?:\+?86)?(1[3-9]\d{9})$")
NAME_RE = re.compile(r"^[\u3400-\u9fff\uf900-\ufaffA-Za-z·• ]{1,50}$")
EARLIEST_FUTURE_START = timedelta(days=31)
MIN_START_AGE = 16

# The code of a problem whose field alone says what is wrong; an ID number's problems name the rule instead.
INVALID = "invalid_input"


@dataclass
class Person:
    name: str
    id_number: str
    phone: str


@dataclass(slots=True)
class Engagement:
    occupation: str
    kind: str
    start_date: date
    social_insurance: bool


@dataclass(frozen=True, slots=True)
class Problem:
    """One field breaking one rule: its stable code and the reason in both languages (never the value)."""

    field: str
    code: str
    en: str
    zh: str


@dataclass(frozen=True, slots=True)
class CheckedPerson:
    """The person as registration stores them, when `ok`; every problem otherwise.

    `name` and `phone` are None when refused; `id` is always the ID number's
    full result (its birth date is known exactly when `id.ok`).
    """

    name: str | None
    phone: str | None
    id: idnumber.IdResult
    problems: tuple[Problem, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.problems


def e164_mobile(raw: str) -> str | None:
    """A mainland mobile number in E.164 form, or None."""
    m = MOBILE_RE.match(re.sub(r"[\s\-()]", "", raw or ""))
    return f"+86{m.group(1)}" if m else None


def normal_name(raw: str) -> str | None:
    """The name with its spaces collapsed, or None if it is not a real name's shape."""
    name = re.sub(r"\s+", " ", (raw or "").strip())
    return name if NAME_RE.match(name) else None


def check_person(person: Person, today: date) -> CheckedPerson:
    """Judge the name, the ID number (docs/rules.md) and the phone, each on its own."""
    problems = []
    name = normal_name(person.name)
    if name is None:
        problems.append(Problem("name", INVALID, "Give the real name as on the ID document (Chinese or Latin "
                                "letters, 1–50).", "请按证件填写真实姓名（汉字或字母，1–50 个字符）。"))
    result = idnumber.validate(person.id_number or "", today=today)
    if not result.ok:
        # The code names the rule that failed: id_number_length, …_birth_date, …_too_young, …_checksum.
        problems.append(Problem("id_number", f"id_number_{result.failure}", result.message_en, result.message_zh))
    phone = e164_mobile(person.phone)
    if phone is None:
        problems.append(Problem("phone", INVALID, "Give a mainland mobile number (11 digits starting with 1).",
                                "请填写有效的手机号码（以 1 开头的 11 位数字）。"))
    return CheckedPerson(name, phone, result, tuple(problems))


def check_engagement(e: Engagement, birth: date | None, today: date) -> list[Problem]:
    """Judge the occupation, the kind of employment and the start date; `birth` None: not yet known,
    so only the start date's own rule applies."""
    problems = []
    if e.occupation not in OCCUPATIONS:
        problems.append(Problem("occupation", INVALID, "Choose an occupation from the list.", "请从列表中选择工种。"))
    if e.kind not in EMPLOYMENT_KINDS:
        problems.append(Problem("employment_kind", INVALID,
                                "Choose labour_contract, service_agreement or intermediary_placement.",
                                "请选择用工形式：劳动合同、服务协议或中介介绍。"))
    if e.start_date > today + EARLIEST_FUTURE_START:
        problems.append(Problem("start_date", INVALID, "The start date can be at most 31 days ahead.",
                                "入职日期最多可提前 31 天登记。"))
    elif birth is not None and e.start_date < add_years(birth, MIN_START_AGE):
        problems.append(Problem("start_date", INVALID, "The start date is before the person turned 16.",
                                "入职日期早于本人年满16周岁之日。"))
    return problems
