"""Projections of a company for each audience."""
from ..masking import mask_name, mask_phone
from . import districts
from .services import contact


def public_view(company) -> dict:
    p = company.current_pledge
    return {
        "uscc": company.uscc, "name": company.name, "sectors": company.sectors,
        "business_model": company.business_model, "employee_conditions": company.employee_conditions,
        "district": company.district,
        "district_name": {"zh": districts.name(company.district, "zh"), "en": districts.name(company.district, "en")},
        "status": company.status, "checksum_flagged": company.checksum_flagged,
        "pledge": {"version": p.version, "accepted_dt": p.accepted_dt, "state": p.state} if p else None,
    }


def private_view(ring, company) -> dict:
    c = contact(ring, company)
    return {
        **public_view(company),
        "contact": {"name": mask_name(c["name"]), "phone": mask_phone(c["phone"])},
        "decided_dt": company.decided_dt, "decision_note": company.decision_note,
        "review_note": company.review_note, "users": company.accounts, "created_dt": company.created_dt,
    }
