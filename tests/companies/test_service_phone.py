"""A company's public service phone: set through the profile (API) or the company page, applied at once even for
a verified company, normalised, public, and in the company's logged state only once set."""
import json

import pytest
from sqlalchemy import select

from registry import canonical
from registry.companies import phones
from registry.companies.models import Company
from registry.extensions import db
from registry.log.models import LogEntry
from tests.companies.test_changes import actions_since, log_count, logged_digest_matches, put_profile
from tests.support.webutil import login, post_form, text


@pytest.mark.parametrize(("raw", "stored"), [
    ("028-85123456", "028-85123456"),
    ("(028) 8512 3456", "028-85123456"),
    ("02885123456", "028-85123456"),
    ("0838-2345678", "0838-2345678"),
    ("010 1234 5678", "010-12345678"),
    ("+86 138 1234 5678", "13812345678"),
    ("400 123 4567", "400-123-4567"),
])
def test_numbers_are_normalised(raw, stored):
    assert phones.normalise(raw) == stored


@pytest.mark.parametrize("raw", ["12345", "028-0123456", "12812345678", "１３８１２３４５６７８", "4001234567890",
                                 "028-85123456 ext 2", "0" * 40])
def test_anything_else_is_refused(raw):
    assert phones.normalise(raw) is None


def test_a_verified_company_sets_its_phone_at_once_and_the_public_sees_it(client, factory):
    company, admin = factory.company()
    token = factory.token(admin.account)
    before = log_count()
    resp = put_profile(client, company, token, service_phone="(028) 8512 3456")
    # Not material: no change request, one plain update.
    assert resp.status_code == 200, resp.get_json()
    assert actions_since(before) == ["company:update"]
    public = client.get(f"/api/v1/companies/{company.uscc}").get_json()
    assert public["service_phone"] == "028-85123456"
    assert "028-85123456" in text(client.get(f"/companies/{company.uscc}"))
    assert logged_digest_matches(factory, company)
    # Omitted: kept as it was; null: removed.
    assert put_profile(client, company, token).status_code == 200
    assert client.get(f"/api/v1/companies/{company.uscc}").get_json()["service_phone"] == "028-85123456"
    assert put_profile(client, company, token, service_phone=None).status_code == 200
    assert client.get(f"/api/v1/companies/{company.uscc}").get_json()["service_phone"] is None
    assert logged_digest_matches(factory, company)


def test_a_bad_phone_is_refused_with_the_field_named_and_nothing_stored(client, factory):
    company, admin = factory.company()
    token = factory.token(admin.account)
    before = log_count()
    resp = put_profile(client, company, token, service_phone="12345", district="510106")
    assert resp.status_code == 422
    error = resp.get_json()["error"]
    assert error["code"] == "invalid_input" and set(error["fields"]) == {"service_phone"}
    assert "服务电话" in error["fields"]["service_phone"]["zh"]
    assert log_count() == before
    db.session.expire_all()
    assert company.service_phone is None and company.district != "510106"


def test_the_state_names_the_phone_only_once_set(client, factory):
    company, admin = factory.company()
    assert "service_phone" not in canonical.state_of(factory.ring, company)
    put_profile(client, company, factory.token(admin.account), service_phone="13812345678")
    db.session.expire_all()
    state = canonical.state_of(factory.ring, company)
    assert state["service_phone"] == "13812345678"
    entry = db.session.execute(select(LogEntry).where(LogEntry.subject == company.log_ref)
                               .order_by(LogEntry.seq.desc()).limit(1)).scalar_one()
    assert json.loads(entry.body)["digest"] == canonical.digest(state)


def test_the_admin_sets_it_on_the_company_page(client, factory):
    company, admin = factory.company()
    login(client, admin.account.login, admin.password)
    resp = post_form(client, "/company/service-phone", {"service_phone": "12345"}, page="/company")
    assert resp.status_code == 422 and "带区号的座机" in text(resp)
    assert db.session.execute(select(Company.service_phone).where(Company.id == company.id)).scalar_one() is None
    resp = post_form(client, "/company/service-phone", {"service_phone": "400 123 4567"}, page="/company")
    assert resp.status_code == 302
    body = text(client.get("/company"))
    assert 'id="service-phone">400-123-4567' in body
    # Blank removes it.
    post_form(client, "/company/service-phone", {"service_phone": ""}, page="/company")
    assert db.session.execute(select(Company.service_phone).where(Company.id == company.id)).scalar_one() is None


def test_a_company_user_gets_no_phone_form_and_cannot_post_it(client, factory):
    company, admin = factory.company()
    from registry.companies import services

    new = services.add_user(factory.ring, actor=admin.account, company=company, login="clerk-1", name="王办事")
    db.session.commit()
    login(client, "clerk-1", new.password)
    post_form(client, "/account/password", {"current_password": new.password, "new_password": "clerk one pass",
                                            "confirm_password": "clerk one pass"})
    assert 'action="/company/service-phone"' not in text(client.get("/company"))
    resp = post_form(client, "/company/service-phone", {"service_phone": "13812345678"}, page="/company")
    assert resp.status_code == 403
    assert db.session.execute(select(Company.service_phone).where(Company.id == company.id)).scalar_one() is None
