"""Commendations (表彰, 守信激励): recorded by the regulators of a company, revoked only by the recording agency.

A regulator of a sector the company is in, or market supervision (the same reach as for the company's complaints
and reviews), records that a verified company was commended: a title, the document that commends (its basis),
the day, and the last day it counts (by default `REGISTRY_COMMENDATION_VALID_MONTHS` after the day). A
commendation recorded in error is revoked by a regulator of the recording agency, with a reason, and is shown
nowhere after that. One operation changes one commendation and records one entry as its last step; nothing here
commits. The rules: docs/rules.md, "Commendations (表彰)".
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import clock
from ..accounts.models import Account
from ..accounts.roles import REGULATOR_ROLES
from ..companies.models import Company
from ..errors import ApiError, forbidden, not_found, problems_error
from ..extensions import db
from ..keys import KeyRing
from ..log.actions import Action
from ..log.services import Recorded, record_change
from .models import BASIS_MAX, REVOKE_REASON_MAX, TITLE_MAX, Commendation

_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Problem:
    """One fault of the input: the field, a stable code and the words (as the trace rules give them)."""

    field: str
    code: str
    en: str
    zh: str


@dataclass(frozen=True)
class Changed:
    commendation: Commendation
    recorded: Recorded


def valid_months() -> int:
    """How long a commendation counts when the regulator gives no last day (REGISTRY_COMMENDATION_VALID_MONTHS)."""
    return int(current_app.config["COMMENDATION_VALID_MONTHS"])


def one_line(value: str | None) -> str:
    """A title or a basis as one line: NFC, control characters dropped, every run of spaces one space."""
    text = unicodedata.normalize("NFC", value or "")
    text = "".join(ch for ch in text if ch.isprintable() or ch.isspace())
    return _SPACES.sub(" ", text).strip()


def check_text(field: str, value: str, limit: int, *, missing: tuple[str, str]) -> Problem | None:
    """A required text of at most `limit` characters (after `one_line`), or the problem with it."""
    if not value:
        return Problem(field, f"{field}_missing", *missing)
    if len(value) > limit:
        return Problem(field, f"{field}_too_long", f"Use at most {limit} characters.", f"最多 {limit} 个字符。")
    return None


def check_dates(commended_on: date | None, valid_until: date, today: date) -> list[Problem]:
    """The day commended is given and not after `today`; the last day it counts comes after it."""
    if commended_on is None:
        return [Problem("commended_on", "commended_on_missing", "Give the day of the commendation.",
                        "请填写表彰日期。")]
    problems = []
    if commended_on > today:
        problems.append(Problem("commended_on", "commended_on_future",
                                "A commendation is recorded once it has been given: the day cannot be in the future.",
                                "表彰作出后才能登记，表彰日期不能晚于今天。"))
    if valid_until <= commended_on:
        problems.append(Problem("valid_until", "valid_until_not_after",
                                "The last day it counts must come after the day of the commendation.",
                                "有效期截止日须晚于表彰日期。"))
    return problems


def is_regulator(account: Account | None) -> bool:
    return (account is not None and account.role in REGULATOR_ROLES and account.agency is not None
            and account.agency.sector is not None)


def may_commend(account: Account | None, company: Company) -> bool:
    """A regulator of a sector the company is in (its verified sectors), or market supervision."""
    if not is_regulator(account):
        return False
    sector = account.agency.sector
    return sector == "market" or sector in (company.sectors or [])


def require_commender(account: Account | None, company: Company) -> Account:
    """403 `forbidden` for anyone not a regulator; 403 `not_company_regulator` for another sector's regulator."""
    if not is_regulator(account):
        raise forbidden()
    if not may_commend(account, company):
        raise ApiError(403, "not_company_regulator", "只有该企业所属行业的监管部门或市场监管部门可以登记表彰。",
                       "Only a regulator of the company's sectors, or market supervision, may record its "
                       "commendations.")
    return account


def require_recorder(account: Account | None, commendation: Commendation) -> Account:
    """Only the recording agency's regulators revoke a commendation (403 `not_recording_agency`)."""
    if not is_regulator(account):
        raise forbidden()
    if account.agency_id != commendation.agency_id:
        raise ApiError(403, "not_recording_agency", "只有登记该表彰的机关可以撤销。",
                       "Only the agency that recorded this commendation may revoke it.")
    return account


def record_commendation(ring: KeyRing, *, regulator: Account, company: Company, title: str | None,
                        basis: str | None, commended_on: date | None, valid_until: date | None = None,
                        today: date) -> Changed:
    """Record that `company` was commended, by `regulator`'s agency; one `commendation:record` entry.

    Without a last day the commendation counts for the configured months after the day it was given.
    """
    require_commender(regulator, company)
    if company.status != "verified":
        raise ApiError(409, "company_not_verified", "企业尚未通过核验，不能登记表彰。",
                       "The company is not verified: it cannot be commended yet.")
    title_text, basis_text = one_line(title), one_line(basis)
    problems = [p for p in (
        check_text("title", title_text, TITLE_MAX, missing=("Give the commendation's title.", "请填写表彰名称。")),
        check_text("basis", basis_text, BASIS_MAX,
                   missing=("Give the document that commends (its number).", "请填写表彰依据（文件及文号）。")),
    ) if p is not None]
    if valid_until is None and commended_on is not None:
        valid_until = clock.add_months(commended_on, valid_months())
    problems += check_dates(commended_on, valid_until, today)
    if problems:
        raise problems_error(problems)
    commendation = Commendation(company=company, company_id=company.id, agency=regulator.agency,
                                agency_id=regulator.agency_id, title=title_text, basis=basis_text,
                                commended_on=commended_on, valid_until=valid_until, recorded_by=regulator.ref,
                                recorded_dt=clock.now())
    db.session.add(commendation)
    return Changed(commendation, record_change(ring, actor=regulator.ref, action=Action.COMMENDATION_RECORD,
                                               aggregate=commendation))


def revoke_commendation(ring: KeyRing, *, regulator: Account, commendation: Commendation,
                        reason: str | None) -> Changed:
    """The recording agency revokes a commendation recorded in error, with a reason; one `commendation:revoke`."""
    require_recorder(regulator, commendation)
    if commendation.revoked:
        raise ApiError(409, "already_revoked", "该表彰已撤销。", "This commendation is already revoked.")
    text = unicodedata.normalize("NFC", "".join(ch for ch in (reason or "") if ch.isprintable() or ch in "\n\t"))
    text = text.strip()
    problem = check_text("reason", text, REVOKE_REASON_MAX,
                         missing=("Say why the commendation is revoked.", "请说明撤销理由。"))
    if problem is not None:
        raise problems_error([problem])
    commendation.revoked_dt = clock.now()
    commendation.revoked_by = regulator.ref
    commendation.revoke_reason = text
    return Changed(commendation, record_change(ring, actor=regulator.ref, action=Action.COMMENDATION_REVOKE,
                                               aggregate=commendation))


def get_commendation(ref: str) -> Commendation:
    found = db.session.execute(select(Commendation).where(Commendation.ref == ref)).scalar_one_or_none()
    if found is None:
        raise not_found("commendation", "表彰")
    return found


def for_company(company_id: int) -> list[Commendation]:
    """Every commendation of the company, revoked and lapsed ones included, newest first (the regulators')."""
    return list(db.session.execute(
        select(Commendation).where(Commendation.company_id == company_id)
        .options(selectinload(Commendation.agency))
        .order_by(Commendation.commended_on.desc(), Commendation.id.desc())).scalars())


def current_for(company_id: int, today: date) -> list[Commendation]:
    """The company's commendations in force on `today` (not revoked, commended_on ≤ today ≤ valid_until), newest
    first."""
    return list(db.session.execute(
        select(Commendation).where(Commendation.company_id == company_id, Commendation.revoked_dt.is_(None),
                                   Commendation.commended_on <= today, Commendation.valid_until >= today)
        .options(selectinload(Commendation.agency))
        .order_by(Commendation.commended_on.desc(), Commendation.id.desc())).scalars())


def public_view(commendation: Commendation) -> dict:
    """What anyone sees of a commendation in force: what, on what basis, by which agency, when and until when."""
    agency = commendation.agency
    return {"ref": commendation.ref, "title": commendation.title, "basis": commendation.basis,
            "agency": {"code": agency.code, "name_zh": agency.name_zh, "name_en": agency.name_en},
            "commended_on": commendation.commended_on, "valid_until": commendation.valid_until}


def public_list(company_id: int, today: date) -> list[dict]:
    """The company view's `commendations`: those in force on `today`, as the public sees them."""
    return [public_view(c) for c in current_for(company_id, today)]


def regulator_view(commendation: Commendation, today: date) -> dict:
    """The regulators' page: the public view, whether it is in force, who recorded it, and any revocation."""
    return {**public_view(commendation), "in_force": commendation.in_force(today),
            "lapsed": today > commendation.valid_until, "recorded_by": commendation.recorded_by,
            "recorded_dt": commendation.recorded_dt, "agency_id": commendation.agency_id,
            "revoked_dt": commendation.revoked_dt, "revoked_by": commendation.revoked_by,
            "revoke_reason": commendation.revoke_reason}
