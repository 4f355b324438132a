"""What a verified company may not change on its own: the rules of a change request, on plain values.

Regulators verified a company's name, sectors and business model (with the
conditions of 员工制). Once verified, a profile that differs in any of these
becomes a change request for the regulators of the old and the new sectors;
everything else (district, contact) applies at once.
"""
from __future__ import annotations

from .models import EMPLOYEE_CONDITIONS, MATERIAL_FIELDS


def normalised(name: str, sectors, business_model: str | None) -> dict:
    """The material values as a company stores them: a business model (and the four conditions) only for
    housekeeping, the conditions only as all four for the employee model (the profile rules demand all four)."""
    model = business_model if "housekeeping" in sectors else None
    return {
        "name": name.strip(),
        "sectors": sorted(sectors),
        "business_model": model,
        "employee_conditions": {c: True for c in EMPLOYEE_CONDITIONS} if model == "employee" else None,
    }


def values_of(row) -> dict:
    """The material values of a company or of a change request."""
    return {f: (sorted(row.sectors) if f == "sectors" else getattr(row, f)) for f in MATERIAL_FIELDS}


def differences(current: dict, proposed: dict) -> list[str]:
    """The material fields whose proposed value differs from the current one, in a fixed order."""
    return [f for f in MATERIAL_FIELDS if current.get(f) != proposed.get(f)]


def concerned_sectors(current_sectors, proposed_sectors) -> set[str]:
    """The sectors whose regulators see and decide a request: any of the old or the new.

    The old sectors' regulators verified what is changing; the new sectors'
    regulators are taking the company on.
    """
    return set(current_sectors) | set(proposed_sectors)
