"""API tokens, agency administration and the operator's outbox, through the pages."""
import re

import pyotp
from sqlalchemy import select

from registry.accounts.models import Account, ApiToken
from registry.extensions import db
from registry.log.models import LogEntry
from registry.notify import services as notify
from tests.support.factory import bearer
from tests.support.webutil import count, log_actions, login, post_form, session_of, text


def test_tokens_page_issues_once_and_revokes(client, factory):
    _company, admin = factory.company()
    login(client, admin.account.login, admin.password)
    assert "还没有令牌" in text(client.get("/account/tokens"))
    resp = post_form(client, "/account/tokens", {"name": "导入脚本"})
    assert resp.status_code == 201 and resp.headers["Cache-Control"] == "no-store"
    raw = re.search(r'id="raw-token">([^<]+)<', text(resp)).group(1)
    assert raw.startswith("jx_")
    assert raw not in str(session_of(client))
    assert log_actions()[-1] == "account:token:issue"
    # The token works on the API, and the page never shows it again.
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 200
    body = text(client.get("/account/tokens"))
    assert raw not in body and raw[:10] in body and "导入脚本" in body
    token = db.session.execute(select(ApiToken)).scalar_one()
    resp = post_form(client, f"/account/tokens/{token.id}/revoke", page="/account/tokens")
    assert resp.status_code == 302
    assert log_actions()[-1] == "account:token:revoke"
    assert "已撤销" in text(client.get("/account/tokens"))
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 401
    # Revoking twice is refused with a message, and writes nothing.
    before = count(LogEntry)
    resp = post_form(client, f"/account/tokens/{token.id}/revoke", page="/account/tokens", follow_redirects=True)
    assert "该令牌已被撤销" in text(resp)
    assert count(LogEntry) == before


def test_token_name_required_and_others_tokens_are_404(client, factory):
    _c1, admin1 = factory.company()
    _c2, admin2 = factory.company()
    factory.token(admin2.account, name="theirs")
    other = db.session.execute(select(ApiToken)).scalar_one()
    login(client, admin1.account.login, admin1.password)
    resp = post_form(client, "/account/tokens", {"name": "  "})
    assert resp.status_code == 400 and "请为令牌命名" in text(resp)
    resp = post_form(client, f"/account/tokens/{other.id}/revoke", page="/account/tokens")
    assert resp.status_code == 404
    db.session.refresh(other)
    assert other.revoked_dt is None


def agency_admin_client(app, factory, agency, role="regulator_admin"):
    admin = factory.agency_user(agency, role=role)
    c = app.test_client()
    assert login(c, admin.account.login, admin.password, totp_secret=admin.totp_secret).status_code == 302
    return c, admin


def test_regulator_admin_adds_a_user_with_password_and_totp_shown_once(app, factory):
    agency = factory.agency("housekeeping")
    c, _admin = agency_admin_client(app, factory, agency)
    page = c.get("/agency/users")
    assert page.status_code == 200 and agency.name_zh in text(page)
    resp = post_form(c, "/agency/users", {"login": "inspector-1", "name": "钱监管", "role": "regulator"},
                     page="/agency/users")
    assert resp.status_code == 201
    body = text(resp)
    temp = re.search(r'id="temporary-password">([^<]+)<', body).group(1)
    secret = re.search(r'id="totp-secret">([^<]+)<', body).group(1)
    uri = re.search(r'id="otpauth-uri">([^<]+)<', body).group(1)
    assert uri.startswith("otpauth://totp/Jiaxin:inspector-1?") and f"secret={secret}" in uri
    assert log_actions()[-1] == "agency:user:add"
    # The new regulator can sign in with them (and must change the password).
    new = app.test_client()
    resp = post_form(new, "/login", {"login": "inspector-1", "password": temp})
    assert resp.headers["Location"] == "/login/totp"
    resp = post_form(new, "/login/totp", {"code": pyotp.TOTP(secret).now()})
    assert resp.headers["Location"] == "/account/password"


def test_regulator_admin_resets_totp_and_password(app, factory):
    agency = factory.agency("property")
    c, _admin = agency_admin_client(app, factory, agency)
    reg = factory.agency_user(agency)
    resp = post_form(c, f"/accounts/{reg.account.ref}/reset-totp", page="/agency/users")
    assert resp.status_code == 200
    secret = re.search(r'id="totp-secret">([^<]+)<', text(resp)).group(1)
    assert secret != reg.totp_secret
    resp = post_form(c, f"/accounts/{reg.account.ref}/reset-password", page="/agency/users")
    assert resp.status_code == 200 and 'id="temporary-password"' in text(resp)
    assert log_actions()[-2:] == ["account:totp:reset", "account:password:reset"]


def test_regulator_admin_is_held_to_their_own_agency(app, factory):
    mine = factory.agency("housekeeping")
    other = factory.agency("property")
    stranger = factory.agency_user(other)
    c, admin = agency_admin_client(app, factory, mine)
    assert c.get(f"/agency/users?agency={other.code}").status_code == 404
    resp = post_form(c, f"/accounts/{stranger.account.ref}/reset-password", page="/agency/users")
    assert resp.status_code == 404
    # Another agency answers exactly like one that does not exist, on the page and on the API.
    assert c.get("/agency/users?agency=no-such-agency").status_code == 404
    token = factory.token(db.session.get(Account, admin.account.id))
    api = [app.test_client().get(f"/api/v1/agencies/{code}/users", headers=bearer(token))
           for code in (other.code, "no-such-agency")]
    assert [r.status_code for r in api] == [404, 404]
    assert api[0].get_json() == api[1].get_json()
    assert app.test_client().get(f"/api/v1/agencies/{mine.code}/users", headers=bearer(token)).status_code == 200
    # A plain regulator has no agency page.
    reg = factory.agency_user(mine)
    r = app.test_client()
    login(r, reg.account.login, reg.password, totp_secret=reg.totp_secret)
    assert r.get("/agency/users").status_code == 403


def test_agency_user_form_errors(app, factory):
    agency = factory.agency("housekeeping")
    c, _admin = agency_admin_client(app, factory, agency)
    before = count(Account)
    resp = post_form(c, "/agency/users", {"login": "x", "name": "", "role": "operator_admin"}, page="/agency/users")
    assert resp.status_code == 400
    body = text(resp)
    assert "登录名须为" in body and "请填写姓名" in body and "请从选项中选择" in body
    assert count(Account) == before


def test_operator_chooses_the_agency_and_reads_the_outbox(app, factory):
    operator = factory.agency(kind="operator", sector=None, code="operator")
    regulator = factory.agency("housekeeping", code="hk-reg")
    c, _admin = agency_admin_client(app, factory, operator, role="operator_admin")
    body = text(c.get("/agency/users"))
    assert "hk-reg" in body and "operator" in body
    resp = post_form(c, "/agency/users?agency=hk-reg", {"login": "hk-boss", "name": "孙主管", "role":
                                                        "regulator_admin"}, page="/agency/users?agency=hk-reg")
    assert resp.status_code == 201
    assert db.session.execute(select(Account).where(Account.login == "hk-boss")).scalar_one().agency_id == regulator.id
    assert "发件箱为空" in text(c.get("/admin/outbox"))
    notify.send(factory.ring, notify.Message("activation_code", "+8613900000000", "您的激活码是 123456"))
    db.session.commit()
    body = text(c.get("/admin/outbox"))
    assert "您的激活码是 123456" in body and "+8613900000000" in body and "激活码" in body


def test_logout_needs_csrf(client, factory):
    _company, admin = factory.company()
    login(client, admin.account.login, admin.password)
    assert client.post("/logout").status_code == 400
    assert client.get("/company").status_code == 200
