"""Projections of a service record for each audience, and of the regulators' query record.

`facts_of` (an ORM service) and `facts_from_row` (a row of the household
query's one statement) give the same `Facts`; the views compose on them:
`base_view` → `company_view` (the company's own derivation of the household,
never the global reference) and `regulator_view` (the global reference the
household query finds it by, the recording company and who recorded it). No
view ever holds a phone: the registry has none.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from . import rules
from .services import reference_of
from .vocab import QUERY_PURPOSES, SERVICE_TYPES, words


@dataclass(frozen=True)
class Facts:
    ref: str
    card_no: str
    name_masked: str
    company_uscc: str
    company_name: str
    service_type: str
    district: str
    start_dt: datetime
    end_dt: datetime
    household_ref: str
    company_household: str | None
    overrides: list | None
    override_reason: str | None
    recorded_by: str
    created_dt: datetime


def facts_of(service) -> Facts:
    return Facts(ref=service.ref, card_no=service.worker.card_no, name_masked=service.worker.name_masked,
                 company_uscc=service.company.uscc, company_name=service.company.name,
                 service_type=service.service_type, district=service.district, start_dt=service.start_dt,
                 end_dt=service.end_dt, household_ref=service.household_ref,
                 company_household=service.company_household, overrides=service.overrides,
                 override_reason=service.override_reason, recorded_by=service.recorded_by,
                 created_dt=service.created_dt)


def _utc(value) -> datetime:
    """A datetime from the driver: aware (PostgreSQL) or ISO text in UTC (SQLite)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def facts_from_row(row) -> Facts:
    """A row of `queries.HOUSEHOLD_COLUMNS`, as the driver gives it (no company derivation: not selected)."""
    (ref, card_no, name_masked, uscc, company_name, service_type, district, start_dt, end_dt, household_ref,
     overrides, override_reason, recorded_by, created_dt) = row
    if isinstance(overrides, str):
        overrides = json.loads(overrides)
    return Facts(ref=ref, card_no=card_no, name_masked=name_masked, company_uscc=uscc, company_name=company_name,
                 service_type=service_type, district=district, start_dt=_utc(start_dt), end_dt=_utc(end_dt),
                 household_ref=household_ref, company_household=None, overrides=overrides,
                 override_reason=override_reason, recorded_by=recorded_by, created_dt=_utc(created_dt))


def _overrides(codes: list | None) -> list[dict]:
    return [{"code": c, "zh": rules.OVERRIDES.get(c, (c, c))[0], "en": rules.OVERRIDES.get(c, (c, c))[1]}
            for c in codes or []]


def base_view(f: Facts) -> dict:
    """What every audience of a service sees: which worker, what, where, when, and the rules it overrode."""
    return {
        "reference": reference_of(f.ref), "card_no": f.card_no, "worker_name_masked": f.name_masked,
        "service_type": f.service_type, "service_type_words": words(SERVICE_TYPES, f.service_type),
        "district": f.district, "start": f.start_dt, "end": f.end_dt, "recorded_dt": f.created_dt,
        "overrides": _overrides(f.overrides), "override_reason": f.override_reason,
    }


def company_view(f: Facts) -> dict:
    """The recording company's view: its own derivation of the household (`household`), to tell its repeat
    customers apart; never the global reference, which would let companies join their customers."""
    return {**base_view(f), "household": f.company_household}


def regulator_view(f: Facts) -> dict:
    """A regulator's view: the global household reference, the recording company and the account that recorded."""
    return {**base_view(f), "household_ref": f.household_ref,
            "company": {"uscc": f.company_uscc, "name": f.company_name}, "recorded_by": f.recorded_by}


def view_for(account, service) -> dict:
    """A service as `account` may see it (the caller has decided that it may)."""
    from ..accounts.roles import REGULATOR_ROLES

    facts = facts_of(service)
    return regulator_view(facts) if account.role in REGULATOR_ROLES else company_view(facts)


def query_record_view(row) -> dict:
    """One row of the private record of household queries: who, which agency, when, why, how many found."""
    query, login, agency = row
    return {
        "id": query.id, "created_dt": query.created_dt, "account_ref": query.account_ref, "account_login": login,
        "agency": {"code": agency.code, "name_zh": agency.name_zh, "name_en": agency.name_en},
        "purpose": query.purpose, "purpose_words": words(QUERY_PURPOSES, query.purpose), "note": query.note,
        "household_state": query.household_state, "results": query.results,
    }
