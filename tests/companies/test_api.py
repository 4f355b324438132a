"""Company registration, verification, pledge and users through the API."""
import json

from sqlalchemy import func, select

from registry.companies.models import Company
from registry.extensions import db
from registry.log.models import LogEntry
from tests.support.factory import bearer


def signup_body(factory, **over):
    body = {
        "uscc": factory.uscc(), "name": "成都安心家政服务有限公司", "sectors": ["housekeeping"],
        "business_model": "employee",
        "employee_conditions": {"contracts": True, "social_insurance": True, "minimum_wage": True,
                                "ongoing_training": True},
        "district": "510107", "contact": {"name": "欧阳娜娜", "phone": "13912345678"},
        "admin": {"login": "anxin-admin", "name": "欧阳娜娜", "password": "a long enough password"},
    }
    body.update(over)
    return body


def entries():
    return db.session.execute(select(func.count()).select_from(LogEntry)).scalar_one()


def test_signup_creates_a_pending_company_with_one_log_entry(client, factory):
    body = signup_body(factory)
    resp = client.post("/api/v1/companies", json=body)
    assert resp.status_code == 201, resp.get_json()
    data = resp.get_json()
    assert data["status"] == "pending"
    entry = db.session.get(LogEntry, data["log_index"])
    assert entry.action == "company:register"
    assert entries() == 1
    company = db.session.execute(select(Company)).scalar_one()
    assert entry.subject == company.log_ref
    # The body is canonical JSON with exactly the six fields, and no personal data.
    fields = json.loads(entry.body)
    assert set(fields) == {"seq", "time", "actor", "action", "subject", "digest"}
    assert "欧阳" not in entry.body.decode() and "13912345678" not in entry.body.decode()


def test_public_view_shows_no_contact(client, factory):
    company, _ = factory.company()
    resp = client.get(f"/api/v1/companies/{company.uscc}")
    assert resp.status_code == 200
    text = resp.get_data(as_text=True)
    assert "13800138000" not in text and "李联系" not in text
    assert resp.get_json()["status"] == "verified"


def test_checksum_failure_points_to_manual_review(client, factory):
    body = signup_body(factory, uscc="91350203M0001QAY9B")
    resp = client.post("/api/v1/companies", json=body)
    assert resp.status_code == 422
    err = resp.get_json()["error"]
    assert err["code"] == "uscc_checksum"
    assert "uscc" in err["fields"]
    # It points to manual review and never suggests the character that would pass.
    assert "manual review" in err["fields"]["uscc"]["en"] and "人工审核" in err["fields"]["uscc"]["zh"]
    assert "expected" not in json.dumps(err) and "应为" not in json.dumps(err, ensure_ascii=False)
    assert entries() == 0


def test_regulator_verifies_and_company_signs_pledge_and_adds_user(client, factory):
    resp = client.post("/api/v1/companies", json=signup_body(factory))
    uscc = resp.get_json()["uscc"]
    company = db.session.execute(select(Company)).scalar_one()
    admin_token = factory.token(company.accounts[0])
    # Pending companies cannot sign... but can sign the pledge? They can; they cannot register staff (later issue).
    regulator = factory.regulator_for("housekeeping")
    reg_token = factory.token(regulator)
    queue = client.get("/api/v1/companies", headers=bearer(reg_token)).get_json()
    assert [c["uscc"] for c in queue] == [uscc]
    resp = client.post(f"/api/v1/companies/{uscc}/decision", json={"decision": "verify"}, headers=bearer(reg_token))
    assert resp.status_code == 200, resp.get_json()
    assert db.session.get(LogEntry, resp.get_json()["log_index"]).action == "company:verify"
    resp = client.post(f"/api/v1/companies/{uscc}/pledge", json={"version": 1}, headers=bearer(admin_token))
    assert resp.status_code == 200, resp.get_json()
    resp = client.post(f"/api/v1/companies/{uscc}/users", json={"login": "second-user", "name": "张三"},
                       headers=bearer(admin_token))
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["temporary_password"]
    users = client.get(f"/api/v1/companies/{uscc}/users", headers=bearer(admin_token)).get_json()
    assert {u["login"] for u in users} == {"anxin-admin", "second-user"}


def test_other_sector_regulator_cannot_verify(client, factory):
    company, _ = factory.company(verified=False)
    reg = factory.regulator_for("property")
    resp = client.post(f"/api/v1/companies/{company.uscc}/decision", json={"decision": "verify"},
                       headers=bearer(factory.token(reg)))
    assert resp.status_code == 404
    db.session.refresh(company)
    assert company.status == "pending"
