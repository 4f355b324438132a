"""A verified company's new name, sectors or business model wait for a regulator of an old or a new sector.

Until one approves, everything — the public record, which regulators see the
company and its workers — goes by what regulators verified.
"""
import json

from sqlalchemy import func, select

from registry import canonical
from registry.clock import today
from registry.companies.models import Company, CompanyChange
from registry.extensions import db
from registry.log.models import LogEntry
from registry.workers import services as workers
from tests.support.factory import bearer


def profile_body(company, **over):
    """The company's profile as its admin would PUT it: the verified values unless overridden."""
    body = {"name": company.name, "sectors": list(company.sectors), "business_model": company.business_model,
            "employee_conditions": company.employee_conditions, "district": company.district,
            "contact": {"name": "李联系", "phone": "13800138000"}}
    body.update(over)
    return body


PROPERTY_ONLY = {"sectors": ["property"], "business_model": None, "employee_conditions": None}


def put_profile(client, company, token, **over):
    return client.put(f"/api/v1/companies/{company.uscc}/profile", json=profile_body(company, **over),
                      headers=bearer(token))


def log_count() -> int:
    return db.session.execute(select(func.count()).select_from(LogEntry)).scalar_one()


def actions_since(seq: int) -> list[str]:
    return list(db.session.execute(select(LogEntry.action).where(LogEntry.seq >= seq).order_by(LogEntry.seq))
                .scalars())


def logged_digest_matches(factory, company) -> bool:
    db.session.expire_all()
    entry = db.session.execute(select(LogEntry).where(LogEntry.subject == company.log_ref)
                               .order_by(LogEntry.seq.desc()).limit(1)).scalar_one()
    return json.loads(entry.body)["digest"] == canonical.digest(canonical.state_of(factory.ring, company))


def hire(factory, company, admin) -> str:
    """A worker of the company; returns the card number."""
    import random
    from datetime import date

    from registry.workers import idnumber

    number = idnumber.generate(random.Random(company.id), birth=date(1982, 3, 4))
    reg = workers.register_worker(
        factory.ring, account=admin.account, company=company, today=today(),
        person=workers.Person("陈秀英", number, "13600001234"),
        engagement=workers.Engagement("cleaner", "labour_contract", today(), True))
    db.session.commit()
    return reg.worker.card_no


def open_worker(client, card_no, token):
    """A regulator opens the worker's detailed record (with a purpose, as regulators must)."""
    return client.post("/api/v1/workers/search", json={"card_no": card_no, "purpose": "inspection"},
                       headers=bearer(token))


def test_a_sector_change_keeps_the_verifying_regulator_view_of_the_company_and_its_workers(client, factory):
    company, admin = factory.company()
    card_no = hire(factory, company, admin)
    hk = factory.token(factory.regulator_for("housekeeping"))
    prop = factory.token(factory.regulator_for("property"))
    token = factory.token(admin.account)
    before = log_count()
    resp = put_profile(client, company, token, **PROPERTY_ONLY)
    assert resp.status_code == 202, resp.get_json()
    change = resp.get_json()
    assert change["status"] == "open" and change["proposed"]["sectors"] == ["property"]
    assert change["current"]["sectors"] == ["housekeeping"]
    assert set(change["changed"]) == {"sectors", "business_model", "employee_conditions"}
    # One entry, for the request, on the company.
    assert actions_since(before) == ["company:change:request"]
    assert db.session.get(LogEntry, change["log_index"]).subject == company.log_ref
    db.session.refresh(company)
    assert company.sectors == ["housekeeping"] and company.business_model == "employee"
    # The regulator who verified it still sees the company and its worker; property does not yet.
    assert client.get(f"/api/v1/companies/{company.uscc}/profile", headers=bearer(hk)).status_code == 200
    assert open_worker(client, card_no, hk).status_code == 200
    assert open_worker(client, card_no, prop).status_code == 404
    assert client.get(f"/api/v1/companies/{company.uscc}", headers={}).get_json()["sectors"] == ["housekeeping"]
    # Both see the request in their queue; the company sees it on its record.
    for regulator in (hk, prop):
        assert [c["ref"] for c in client.get("/api/v1/company-changes", headers=bearer(regulator)).get_json()] == [
            change["ref"]]
    own = client.get(f"/api/v1/companies/{company.uscc}/profile", headers=bearer(token))
    assert own.get_json()["pending_change"]["proposed"]["sectors"] == ["property"]
    assert logged_digest_matches(factory, company)


def test_a_rename_keeps_the_old_verified_name_public(client, factory):
    company, admin = factory.company()
    old_name = company.name
    resp = put_profile(client, company, factory.token(admin.account), name="成都无关贸易有限公司")
    assert resp.status_code == 202, resp.get_json()
    assert resp.get_json()["changed"] == ["name"]
    public = client.get(f"/api/v1/companies/{company.uscc}").get_json()
    assert public["name"] == old_name and public["status"] == "verified"
    assert "pending_change" not in public
    page = client.get(f"/companies/{company.uscc}").get_data(as_text=True)
    assert old_name in page and "成都无关贸易有限公司" not in page


def test_a_regulator_of_the_new_sector_alone_approves(client, factory):
    company, admin = factory.company()
    card_no = hire(factory, company, admin)
    change = put_profile(client, company, factory.token(admin.account), **PROPERTY_ONLY).get_json()
    # This property regulator's agency has no part in the company's verified sectors: only in the new one.
    prop_reg = factory.agency_user(factory.agency(sector="property")).account
    prop = factory.token(prop_reg)
    hk = factory.token(factory.regulator_for("housekeeping"))
    assert client.get(f"/api/v1/companies/{company.uscc}/profile", headers=bearer(prop)).status_code == 404
    before = log_count()
    resp = client.post(f"/api/v1/company-changes/{change['ref']}/decision", json={"decision": "approve"},
                       headers=bearer(prop))
    assert resp.status_code == 200, resp.get_json()
    assert actions_since(before) == ["company:change:approve"]
    entry = db.session.get(LogEntry, resp.get_json()["log_index"])
    assert entry.subject == company.log_ref and json.loads(entry.body)["actor"] == prop_reg.ref
    db.session.refresh(company)
    assert (company.sectors, company.business_model, company.employee_conditions) == (["property"], None, None)
    assert company.status == "verified"
    assert client.get(f"/api/v1/companies/{company.uscc}").get_json()["sectors"] == ["property"]
    # Now the property regulators see the company and its worker, and housekeeping no longer does.
    assert client.get(f"/api/v1/companies/{company.uscc}/profile", headers=bearer(prop)).status_code == 200
    assert open_worker(client, card_no, prop).status_code == 200
    assert client.get(f"/api/v1/companies/{company.uscc}/profile", headers=bearer(hk)).status_code == 404
    assert client.get("/api/v1/company-changes", headers=bearer(prop)).get_json() == []
    assert db.session.get(CompanyChange, db.session.execute(select(CompanyChange.id)).scalar_one()).status == \
        "approved"
    assert logged_digest_matches(factory, company)


def test_reject_needs_a_reason_and_keeps_the_verified_values(client, factory):
    company, admin = factory.company()
    old_name = company.name
    token = factory.token(admin.account)
    change = put_profile(client, company, token, name="成都新名家政有限公司",
                         business_model="intermediary", employee_conditions=None).get_json()
    assert change["changed"] == ["name", "business_model", "employee_conditions"]
    hk = factory.token(factory.regulator_for("housekeeping"))
    url = f"/api/v1/company-changes/{change['ref']}/decision"
    before = log_count()
    resp = client.post(url, json={"decision": "reject", "reason": "  "}, headers=bearer(hk))
    assert resp.status_code == 422
    err = resp.get_json()["error"]
    assert "reason" in err["fields"] and err["message"]["zh"] and err["message"]["en"]
    assert log_count() == before
    resp = client.post(url, json={"decision": "reject", "reason": "名称未经核准"}, headers=bearer(hk))
    assert resp.status_code == 200, resp.get_json()
    assert actions_since(before) == ["company:change:reject"]
    db.session.refresh(company)
    assert (company.name, company.business_model) == (old_name, "employee")
    row = db.session.execute(select(CompanyChange)).scalar_one()
    assert (row.status, row.reason) == ("rejected", "名称未经核准")
    # A decided request cannot be decided again, nor withdrawn.
    again = client.post(url, json={"decision": "approve"}, headers=bearer(hk))
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "change_not_open"
    gone = client.post(f"/api/v1/company-changes/{change['ref']}/withdraw", headers=bearer(token))
    assert gone.status_code == 409
    assert actions_since(before) == ["company:change:reject"]
    assert client.get("/api/v1/company-changes", headers=bearer(hk)).get_json() == []


def test_a_regulator_of_an_unrelated_sector_neither_sees_nor_decides(client, factory):
    company, admin = factory.company()
    change = put_profile(client, company, factory.token(admin.account), name="成都另名家政有限公司").get_json()
    for sector in ("property", "market"):
        token = factory.token(factory.agency_user(factory.agency(sector=sector)).account)
        assert client.get("/api/v1/company-changes", headers=bearer(token)).get_json() == []
        for decision in ({"decision": "approve"}, {"decision": "reject", "reason": "越权"}):
            resp = client.post(f"/api/v1/company-changes/{change['ref']}/decision", json=decision,
                               headers=bearer(token))
            assert resp.status_code == 404, (sector, resp.get_json())
    # Another company's admin cannot withdraw it either: to them it does not exist.
    _other, other_admin = factory.company()
    resp = client.post(f"/api/v1/company-changes/{change['ref']}/withdraw",
                       headers=bearer(factory.token(other_admin.account)))
    assert resp.status_code == 404
    assert db.session.execute(select(CompanyChange.status)).scalar_one() == "open"
    db.session.refresh(company)
    assert company.name != "成都另名家政有限公司"


def test_a_new_request_replaces_the_open_one_and_the_company_withdraws(client, factory):
    company, admin = factory.company()
    token = factory.token(admin.account)
    first = put_profile(client, company, token, name="成都甲名家政有限公司").get_json()
    before = log_count()
    second = put_profile(client, company, token, name="成都乙名家政有限公司").get_json()
    assert actions_since(before) == ["company:change:request"]
    rows = {c.ref: c.status for c in db.session.execute(select(CompanyChange)).scalars()}
    assert rows == {first["ref"]: "withdrawn", second["ref"]: "open"}
    hk = factory.token(factory.regulator_for("housekeeping"))
    assert [c["proposed"]["name"] for c in client.get("/api/v1/company-changes", headers=bearer(hk)).get_json()] == [
        "成都乙名家政有限公司"]
    # The replaced request can no longer be approved.
    stale = client.post(f"/api/v1/company-changes/{first['ref']}/decision", json={"decision": "approve"},
                        headers=bearer(hk))
    assert stale.status_code == 409
    resp = client.post(f"/api/v1/company-changes/{second['ref']}/withdraw", headers=bearer(token))
    assert resp.status_code == 200, resp.get_json()
    assert db.session.get(LogEntry, resp.get_json()["log_index"]).action == "company:change:withdraw"
    assert client.get("/api/v1/company-changes", headers=bearer(hk)).get_json() == []
    own = client.get(f"/api/v1/companies/{company.uscc}/profile", headers=bearer(token)).get_json()
    assert own["pending_change"] is None and own["name"] == company.name
    assert logged_digest_matches(factory, company)


def test_contact_and_district_of_a_verified_company_apply_directly(client, factory):
    company, admin = factory.company()
    token = factory.token(admin.account)
    before = log_count()
    resp = put_profile(client, company, token, district="510105", contact={"name": "周新联系", "phone": "13711112222"})
    assert resp.status_code == 200, resp.get_json()
    assert set(resp.get_json()) == {"log_index"}
    assert actions_since(before) == ["company:update"]
    db.session.refresh(company)
    assert company.district == "510105"
    own = client.get(f"/api/v1/companies/{company.uscc}/profile", headers=bearer(token)).get_json()
    assert own["contact"]["phone"] == "137****2222" and own["pending_change"] is None
    assert db.session.execute(select(func.count()).select_from(CompanyChange)).scalar_one() == 0
    # With a request open, a contact edit that keeps the verified values leaves the request waiting.
    change = put_profile(client, company, token, name="成都丙名家政有限公司").get_json()
    assert put_profile(client, company, token, district="510105").status_code == 200
    assert db.session.execute(select(CompanyChange.status).where(CompanyChange.ref == change["ref"])).scalar_one() \
        == "open"


def test_a_pending_company_edits_its_profile_directly(client, factory):
    company, admin = factory.company(verified=False)
    token = factory.token(admin.account)
    before = log_count()
    resp = put_profile(client, company, token, name="成都改名家政有限公司", **PROPERTY_ONLY)
    assert resp.status_code == 200, resp.get_json()
    assert actions_since(before) == ["company:update"]
    db.session.refresh(company)
    assert (company.name, company.sectors) == ("成都改名家政有限公司", ["property"])
    assert db.session.execute(select(func.count()).select_from(CompanyChange)).scalar_one() == 0


def test_invalid_proposals_are_refused_and_store_nothing(client, factory):
    company, admin = factory.company()
    token = factory.token(admin.account)
    before = log_count()
    resp = put_profile(client, company, token, sectors=["housekeeping"],
                       business_model="employee",
                       employee_conditions={"contracts": True, "social_insurance": False, "minimum_wage": True,
                                            "ongoing_training": True})
    assert resp.status_code == 422 and "employee_conditions" in resp.get_json()["error"]["fields"]
    assert log_count() == before
    assert db.session.execute(select(func.count()).select_from(CompanyChange)).scalar_one() == 0


def test_a_company_without_change_requests_keeps_its_digest(factory):
    """Companies logged before change requests existed: their state has no `changes`, so old digests hold."""
    company, _admin = factory.company()
    assert "changes" not in canonical.state_of(factory.ring, company)
    assert logged_digest_matches(factory, company)


def test_the_log_verifies_after_requests_and_decisions(client, factory, app):
    from registry.log.verify import verify_local

    company, admin = factory.company()
    token = factory.token(admin.account)
    hk = factory.token(factory.regulator_for("housekeeping"))
    approved = put_profile(client, company, token, name="成都丁名家政有限公司").get_json()
    client.post(f"/api/v1/company-changes/{approved['ref']}/decision", json={"decision": "approve"},
                headers=bearer(hk))
    company = db.session.execute(select(Company).where(Company.id == company.id)).scalar_one()
    rejected = put_profile(client, company, token, **PROPERTY_ONLY).get_json()
    client.post(f"/api/v1/company-changes/{rejected['ref']}/decision",
                json={"decision": "reject", "reason": "物业资质未备案"}, headers=bearer(hk))
    withdrawn = put_profile(client, company, token, name="成都戊名家政有限公司").get_json()
    client.post(f"/api/v1/company-changes/{withdrawn['ref']}/withdraw", headers=bearer(token))
    assert [c.status for c in db.session.execute(select(CompanyChange).order_by(CompanyChange.id)).scalars()] == [
        "approved", "rejected", "withdrawn"]
    db.session.expire_all()
    report = verify_local(factory.ring, app.config["LOG_ORIGIN"])
    assert report.ok, report.failures


def test_a_nul_in_a_proposal_or_a_reason_is_refused_and_stores_nothing(client, factory):
    """PostgreSQL cannot store NUL: it must be a 422 naming the field on both engines, never a 500."""
    company, admin = factory.company()
    token = factory.token(admin.account)
    hk = factory.token(factory.regulator_for("housekeeping"))
    before = log_count()
    resp = put_profile(client, company, token, name="成都\x00家政有限公司")
    assert resp.status_code == 422, resp.status_code
    assert resp.get_json()["error"]["code"] == "invalid_input"
    assert set(resp.get_json()["error"]["fields"]) == {"name"}
    resp = put_profile(client, company, token, contact={"name": "李\x00", "phone": "13800138000"})
    assert resp.status_code == 422 and set(resp.get_json()["error"]["fields"]) == {"contact.name"}
    assert log_count() == before
    assert db.session.execute(select(func.count()).select_from(CompanyChange)).scalar_one() == 0
    ref = put_profile(client, company, token, name="成都己名家政有限公司").get_json()["ref"]
    resp = client.post(f"/api/v1/company-changes/{ref}/decision",
                       json={"decision": "reject", "reason": "名称\x00不符"}, headers=bearer(hk))
    assert resp.status_code == 422 and set(resp.get_json()["error"]["fields"]) == {"reason"}
    assert resp.get_json()["error"]["fields"]["reason"]["zh"]
    db.session.expire_all()
    assert db.session.execute(select(CompanyChange.status).where(CompanyChange.ref == ref)).scalar_one() == "open"
