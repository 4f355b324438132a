"""Projections of a company for each audience."""
from datetime import date

from flask import current_app

from .. import clock
from ..complaints import public as complaints_public
from ..credit import commendations, market_access
from ..credit.services import grades_of, score_row
from ..masking import mask_name, mask_phone
from ..sanctions import access as sanction_access
from ..sanctions import services as sanctions
from ..sanctions.views_model import public_view as sanction_view
from ..trace.reviews import company_summary as review_summary
from ..workers.vocab import OCCUPATIONS
from . import changes as change_rules
from . import districts
from .models import EMPLOYEE_CONDITIONS
from .services import contact, reviewers, staff_by_occupation


def profile_view(company) -> dict:
    """What the company states and its verification: the part of every view that needs no further query."""
    p = company.current_pledge
    return {
        "uscc": company.uscc, "name": company.name, "sectors": company.sectors,
        "business_model": company.business_model, "employee_conditions": company.employee_conditions,
        "district": company.district,
        "district_name": {"zh": districts.name(company.district, "zh"), "en": districts.name(company.district, "en")},
        "service_phone": company.service_phone,
        "status": company.status, "checksum_flagged": company.checksum_flagged,
        "pledge": {"version": p.version, "accepted_dt": p.accepted_dt, "state": p.state} if p else None,
    }


def published_sanctions(company, today: date) -> list[dict]:
    """The company's sanctions public today (`Sanction.is_public`), newest decision first, as the public sees them."""
    return [sanction_view(s) for s in sanctions.published_for(company_id=company.id, today=today)]


def public_view(company, today: date | None = None) -> dict:
    """The public credit view: the profile, current staff by occupation, the sanctions public and the
    commendations in force `today` (default: the registry's today), the kept score and grade."""
    kept = score_row("company", company.id)
    staff = [{"occupation": occ, "zh": OCCUPATIONS.get(occ, (occ, occ))[0], "en": OCCUPATIONS.get(occ, (occ, occ))[1],
              "count": n} for occ, n in staff_by_occupation(company)]
    day = clock.today() if today is None else today
    return {
        **profile_view(company),
        "staff_by_occupation": staff,
        "staff_total": sum(s["count"] for s in staff),
        "sanctions": published_sanctions(company, day),
        # Substantiated complaints about the company only (complaints/public.py).
        "complaints": complaints_public.for_company(company.id),
        # The commendations (表彰) in force `today` (credit/commendations.py).
        "commendations": commendations.public_list(company.id, day),
        # The kept credit score (null until one is computed: nothing is computed on read).
        "score": kept.points if kept else None,
        "grade": kept.grade if kept else None,
        "score_rules_version": kept.rules_version if kept else None,
        # Graded C or bound by a serious listing today (credit/market_access.py).
        "market_access": access_mark(kept.grade if kept else None, sanction_access.company_listed(company.id, day)),
        "reviews": review_summary(company.id),
    }


def access_mark(grade: str | None, listed: bool) -> dict:
    """The market access mark with the configured consequences (REGISTRY_MARKET_ACCESS_TEXT_ZH / _EN)."""
    return market_access.mark(grade=grade, listed=listed, text_zh=current_app.config["MARKET_ACCESS_TEXT_ZH"],
                              text_en=current_app.config["MARKET_ACCESS_TEXT_EN"])


def access_marks(companies, today: date) -> dict[int, dict]:
    """The marks of many companies (the regulators' list): their kept grades and listings in two queries."""
    ids = [c.id for c in companies]
    grades = grades_of(ids)
    listed = sanction_access.companies_listed(ids, today)
    return {i: access_mark(grades.get(i), i in listed) for i in ids}


def private_view(ring, company) -> dict:
    c = contact(ring, company)
    return {
        **public_view(company),
        "contact": {"name": mask_name(c["name"]), "phone": mask_phone(c["phone"])},
        "decided_dt": company.decided_dt, "decision_note": company.decision_note,
        "review_note": company.review_note, "users": company.accounts, "created_dt": company.created_dt,
        "pending_change": change_view(open_change) if (open_change := company.open_change) else None,
        "pledge_breaches": pledge_breaches(company),
    }


def pledge_breaches(company) -> list[dict]:
    """The company's pledges found broken, the latest found first: for the company itself and its regulators (the
    public view shows only the current pledge's state)."""
    broken = sorted((p for p in company.pledges if p.state == "broken"), key=lambda p: (p.broken_on, p.id),
                    reverse=True)
    return [{"version": p.version, "accepted_dt": p.accepted_dt, "broken_on": p.broken_on, "basis": p.broken_basis}
            for p in broken]


def change_view(change) -> dict:
    """A change request beside the company's verified values (never a person's data: only company facts)."""
    current = change_rules.values_of(change.company)
    proposed = change_rules.values_of(change)
    return {
        "ref": change.ref, "uscc": change.company.uscc, "status": change.status,
        "current": current, "proposed": proposed, "changed": change_rules.differences(current, proposed),
        "requested_dt": change.requested_dt, "decided_dt": change.decided_dt, "reason": change.reason,
    }


def verification_view(ring, company) -> dict:
    """For the regulator verifying the company: the contact person in clear (the caller has recorded the read
    with `services.note_contact_reads`), the pledge and the 员工制 answers one by one."""
    c = contact(ring, company)
    conditions = company.employee_conditions or {}
    return {
        **private_view(ring, company),
        "contact": {"name": c["name"], "phone": c["phone"]},
        "condition_answers": [{"code": code, "met": conditions.get(code) is True} for code in EMPLOYEE_CONDITIONS]
        if company.business_model == "employee" else [],
    }


def review_view(company, working_days: int | None = None) -> dict:
    """What a company awaiting verification is told: who reviews it, in about how long, what else to do.

    `working_days` is the configured estimate (REVIEW_WORKING_DAYS) unless given.
    """
    if working_days is None:
        working_days = current_app.config["REVIEW_WORKING_DAYS"]
    names = reviewers(company)
    return {"status": company.status, "reviewers": {"zh": "、".join(zh for zh, _ in names),
                                                    "en": " and ".join(en for _, en in names)},
            "working_days": working_days,
            "pledge_signed": (p := company.current_pledge) is not None and p.state == "kept"}
