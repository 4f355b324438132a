"""The public view of a company: /api/v1/companies/{uscc} and /companies/{uscc}."""
from __future__ import annotations

import random
from datetime import date

import pytest
from sqlalchemy import event

from registry.companies import services as companies
from registry.companies import uscc as uscc_mod
from registry.extensions import db
from registry.workers import idnumber
from registry.workers import services as workers
from tests.support.factory import bearer

XIAMEN = "91350203M0001QAY9B"  # a genuine early code that fails its checksum


def hire(factory, company, admin, occupation, seed, *, today):
    rng = random.Random(seed)
    reg = workers.register_worker(
        factory.ring, account=admin.account, company=company, today=today,
        person=workers.Person("李秀兰", idnumber.generate(rng, birth=date(1980, 5, 5)), "13700001111"),
        engagement=workers.Engagement(occupation, "labour_contract", today, True))
    db.session.commit()
    return reg.worker


@pytest.fixture
def staffed(app, factory):
    """A verified company with two cleaners (one left), a childcare worker and a maternity nurse; another company."""
    from registry.clock import today as shanghai_today

    today = shanghai_today()
    company, admin = factory.company()
    other, other_admin = factory.company()
    left = hire(factory, company, admin, "cleaner", 1, today=today)
    hire(factory, company, admin, "cleaner", 2, today=today)
    hire(factory, company, admin, "childcare", 3, today=today)
    hire(factory, company, admin, "maternity", 4, today=today)
    hire(factory, other, other_admin, "cleaner", 5, today=today)
    workers.end_employment(factory.ring, account=admin.account, company=company, worker=left, end_date=today,
                           today=today)
    db.session.commit()
    return company, admin


def test_the_public_view_shows_the_facts_and_staff_by_occupation(client, staffed):
    company, _admin = staffed
    resp = client.get(f"/api/v1/companies/{company.uscc}")
    assert resp.status_code == 200, resp.get_json()
    view = resp.get_json()
    assert (view["uscc"], view["name"], view["sectors"], view["business_model"], view["status"]) == (
        company.uscc, company.name, ["housekeeping"], "employee", "verified")
    assert view["pledge"] is None
    assert view["staff_by_occupation"] == [
        {"occupation": "cleaner", "zh": "保洁", "en": "Cleaner", "count": 1},
        {"occupation": "childcare", "zh": "育婴员", "en": "Childcare worker", "count": 1},
        {"occupation": "maternity", "zh": "母婴护理员/月嫂", "en": "Maternity nurse", "count": 1},
    ]
    assert view["staff_total"] == 3
    # Room for what later issues bring.
    assert view["sanctions"] == [] and view["commendations"] == []
    # Verified 30 and 员工制 10, none of the staff with current qualifications: 40, B with no bad record.
    assert (view["score"], view["grade"], view["score_rules_version"]) == (40, "B", "v1")
    body = resp.get_data(as_text=True)
    assert "李联系" not in body and "13800138000" not in body and "李秀兰" not in body
    assert "contact" not in view and "users" not in view


def test_staff_are_counted_with_one_group_by(client, staffed):
    company, _admin = staffed
    statements = []

    def note(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        assert client.get(f"/api/v1/companies/{company.uscc}").status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    on_employments = [s for s in statements if "employments" in s]
    assert len(on_employments) == 1 and "GROUP BY" in on_employments[0]


def test_the_signed_pledge_shows(client, factory):
    company, admin = factory.company()
    companies.sign_pledge(factory.ring, account=admin.account, company=company, version=1)
    db.session.commit()
    view = client.get(f"/api/v1/companies/{company.uscc}").get_json()
    assert view["pledge"]["version"] == 1 and view["pledge"]["state"] == "kept"
    assert view["staff_by_occupation"] == [] and view["staff_total"] == 0


def test_pending_and_rejected_companies_answer_like_unknown_codes(client, factory):
    pending, pending_admin = factory.company(verified=False)
    rejected, _ = factory.company(verified=False)
    companies.decide(factory.ring, regulator=factory.regulator_for("housekeeping"), company=rejected, verify=False,
                     note="营业执照不符")
    db.session.commit()
    unknown = factory.uscc()
    answers = [client.get(f"/api/v1/companies/{code}") for code in (unknown, pending.uscc, rejected.uscc)]
    assert {r.status_code for r in answers} == {404}
    assert answers[0].get_json() == answers[1].get_json() == answers[2].get_json()
    assert answers[0].get_json()["error"]["code"] == "not_found"
    codes = (unknown, pending.uscc, rejected.uscc)
    pages = [client.get(f"/companies/{code}") for code in codes]
    assert {p.status_code for p in pages} == {404}
    # The same page but for the code itself (in the language switch's link).
    same = {p.get_data(as_text=True).replace(code, "CODE") for p, code in zip(pages, codes)}
    assert len(same) == 1
    # Its own members still see the pending company through their private endpoint.
    resp = client.get(f"/api/v1/companies/{pending.uscc}/profile", headers=bearer(factory.token(pending_admin.account)))
    assert resp.status_code == 200 and resp.get_json()["status"] == "pending"


def test_a_wrong_check_character_is_a_typo(client, factory):
    company, _ = factory.company()
    code = company.uscc
    typo = code[:-1] + next(c for c in uscc_mod.ALPHABET if c != code[-1])
    resp = client.get(f"/api/v1/companies/{typo}")
    assert resp.status_code == 422
    err = resp.get_json()["error"]
    assert err["code"] == "uscc_typo" and "uscc" in err["fields"]
    assert client.get(f"/companies/{typo}").status_code == 422
    resp = client.get("/api/v1/companies/ABCDEFGHIJKLMNOPQR")  # 18 characters, but I and O are not in a USCC
    assert resp.status_code == 422 and resp.get_json()["error"]["code"] == "invalid_uscc"
    # Fewer than 18 characters cannot be a USCC however written: the API has no such address.
    assert client.get("/api/v1/companies/short").status_code == 404
    # Written in lower case with spaces, the code is still found.
    spaced = f"{code[:6].lower()} {code[6:]}"
    assert client.get(f"/api/v1/companies/{spaced}").get_json()["uscc"] == code


def test_an_early_code_admitted_by_manual_review_is_shown(client, factory):
    reviewer = factory.regulator_for("housekeeping")
    companies.register_reviewed(factory.ring, regulator=reviewer, uscc=XIAMEN, profile=factory.profile(),
                                note="核对营业执照原件", admin_login="xiamen-admin", admin_name="赵管理")
    db.session.commit()
    view = client.get(f"/api/v1/companies/{XIAMEN}").get_json()
    assert view["uscc"] == XIAMEN and view["checksum_flagged"] is True
    page = client.get(f"/companies/{XIAMEN}").get_data(as_text=True)
    assert 'id="manual-review"' in page


def test_the_public_page_is_phone_friendly_and_shows_the_same_facts(client, staffed):
    company, _admin = staffed
    resp = client.get(f"/companies/{company.uscc}")
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert 'name="viewport"' in page and 'class="door"' in page
    assert company.name in page and company.uscc in page and "家政" in page and "员工制" in page
    assert '<span class="count" id="staff-total">3</span>' in page
    assert 'data-occupation="childcare"' in page and "育婴员" in page
    assert "无公开的处罚记录" in page and 'id="grade">B<' in page and 'id="score">40 ' in page and "尚未签署" in page
    assert "李联系" not in page and "13800138000" not in page
    english = client.get(f"/companies/{company.uscc}?lang=en").get_data(as_text=True)
    assert "Registered staff" in english and "Childcare worker" in english


def test_the_card_page_links_to_the_employers_public_page(client, factory):
    from tests.support.cardworld import green_worker

    world = green_worker(factory)
    page = client.get(f"/c/{world.card_no}").get_data(as_text=True)
    assert f'href="/companies/{world.company.uscc}"' in page
    assert client.get(f"/companies/{world.company.uscc}").status_code == 200
