"""Signing in and out through the pages: password, TOTP, the failure limit,
forced password change and the language switch."""
from sqlalchemy import select

from registry.accounts.models import Account, AccountSession
from registry.accounts.sessions import PENDING_MAX_CODES
from registry.extensions import db
from registry.log.models import LogEntry
from tests.support.webutil import backdate_sessions, count, csrf, log_actions, login, post_form, text


def test_login_page_is_chinese_with_csrf_and_csp(client):
    resp = client.get("/login")
    assert resp.status_code == 200
    body = text(resp)
    assert "登录" in body and 'name="csrf_token"' in body
    assert "style=" not in body and "<script" not in body
    assert resp.headers["Cache-Control"] == "no-store"
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]


def test_company_admin_logs_in_and_out(client, factory):
    company, admin = factory.company()
    resp = login(client, admin.account.login, admin.password)
    assert resp.status_code == 302 and resp.headers["Location"] == "/company"
    page = client.get("/company")
    assert page.status_code == 200 and company.name in text(page)
    db.session.rollback()
    assert db.session.get(Account, admin.account.id).last_login_dt is not None
    # Signing in is not a state change: no log entry for it.
    assert "account" not in " ".join(log_actions())
    resp = post_form(client, "/logout", page="/company")
    assert resp.status_code == 302
    assert client.get("/company").status_code == 302


def test_wrong_password_rerenders_with_error_and_logs_nobody_in(client, factory):
    _company, admin = factory.company()
    resp = login(client, admin.account.login, "not the password")
    assert resp.status_code == 401
    body = text(resp)
    assert "登录名或密码不正确" in body
    assert "not the password" not in body
    resp = client.get("/company")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_empty_login_form_is_400_with_field_errors(client):
    resp = post_form(client, "/login", {"login": "", "password": ""})
    assert resp.status_code == 400
    assert "请填写登录名" in text(resp) and "请填写密码" in text(resp)


def test_regulator_needs_totp(client, factory):
    agency = factory.agency("housekeeping")
    reg = factory.agency_user(agency)
    resp = login(client, reg.account.login, reg.password)
    assert resp.status_code == 302 and resp.headers["Location"] == "/login/totp"
    # Half signed in is not signed in.
    assert client.get("/regulator/companies").status_code == 302
    right = factory.totp_now(reg.totp_secret)
    wrong = f"{(int(right) + 500000) % 1000000:06d}"
    resp = post_form(client, "/login/totp", {"code": wrong})
    assert resp.status_code == 401
    assert "验证码不对" in text(resp)
    assert client.get("/regulator/companies").status_code == 302
    resp = post_form(client, "/login/totp", {"code": factory.totp_now(reg.totp_secret)})
    assert resp.status_code == 302 and resp.headers["Location"] == "/regulator"
    assert client.get("/regulator/companies").status_code == 200


def test_a_totp_code_is_accepted_only_once(client, factory):
    reg = factory.agency_user(factory.agency("housekeeping"))
    code = factory.totp_now(reg.totp_secret)
    login(client, reg.account.login, reg.password)
    resp = post_form(client, "/login/totp", {"code": code})
    assert resp.status_code == 302 and resp.headers["Location"] == "/regulator"
    post_form(client, "/logout", page="/regulator/companies")
    # Someone who watched the code being typed cannot use it again.
    login(client, reg.account.login, reg.password)
    resp = post_form(client, "/login/totp", {"code": code})
    assert resp.status_code == 401
    assert client.get("/regulator/companies").status_code == 302


def test_totp_step_without_password_step_goes_back_to_login(client):
    resp = client.get("/login/totp")
    assert resp.status_code == 302 and resp.headers["Location"] == "/login"


def test_totp_step_expires(client, factory):
    from datetime import timedelta

    reg = factory.agency_user(factory.agency("property"))
    login(client, reg.account.login, reg.password)
    token = csrf(client, "/login/totp")
    # The password step is a pending server-side session: 301 seconds later it can no longer be finished.
    assert backdate_sessions(created=timedelta(seconds=301), seen=timedelta(seconds=301)) == 1
    resp = client.post("/login/totp", data={"code": factory.totp_now(reg.totp_secret), "csrf_token": token})
    assert resp.status_code == 302 and resp.headers["Location"] == "/login"
    assert client.get("/regulator/companies").status_code == 302


def _wrong(code: str) -> str:
    return f"{(int(code) + 500000) % 1000000:06d}"


def test_five_wrong_totp_codes_end_the_sign_in(client, factory):
    reg = factory.agency_user(factory.agency("housekeeping"))
    login(client, reg.account.login, reg.password)
    for _ in range(PENDING_MAX_CODES - 1):
        resp = post_form(client, "/login/totp", {"code": _wrong(factory.totp_now(reg.totp_secret))})
        assert resp.status_code == 401 and "验证码不对" in text(resp)
    resp = post_form(client, "/login/totp", {"code": _wrong(factory.totp_now(reg.totp_secret))})
    assert resp.status_code == 302 and resp.headers["Location"] == "/login"
    assert "验证码错误次数过多" in text(client.get("/login"))
    assert count(AccountSession) == 0
    # Even the right code cannot finish it now: the password step comes first again.
    resp = post_form(client, "/login/totp", {"code": factory.totp_now(reg.totp_secret)}, page="/login")
    assert resp.status_code == 302 and resp.headers["Location"] == "/login"
    assert client.get("/regulator/companies").status_code == 302


def test_replaying_an_older_cookie_does_not_reset_the_wrong_code_count(app, client, factory):
    reg = factory.agency_user(factory.agency("housekeeping"))
    login(client, reg.account.login, reg.password)
    # Saved before any wrong code: when the count lived in the cookie, this copy restored it to zero.
    older = client.get_cookie("session").value
    for _ in range(PENDING_MAX_CODES - 1):
        assert post_form(client, "/login/totp", {"code": _wrong(factory.totp_now(reg.totp_secret))}).status_code == 401
    # Each code tried renewed the pending id: the older copy has no sign-in left to try a code in, right or wrong.
    replayed = app.test_client()
    replayed.set_cookie("session", older)
    for code in (_wrong(factory.totp_now(reg.totp_secret)), factory.totp_now(reg.totp_secret)):
        resp = post_form(replayed, "/login/totp", {"code": code}, page="/login")
        assert resp.status_code == 302 and resp.headers["Location"] == "/login"
        assert replayed.get("/regulator/companies").status_code == 302
    # The count stayed on the server: the current cookie's next wrong code is the last allowed.
    resp = post_form(client, "/login/totp", {"code": _wrong(factory.totp_now(reg.totp_secret))}, page="/login")
    assert resp.status_code == 302 and resp.headers["Location"] == "/login"
    resp = post_form(client, "/login/totp", {"code": factory.totp_now(reg.totp_secret)}, page="/login")
    assert resp.status_code == 302 and resp.headers["Location"] == "/login"
    assert client.get("/regulator/companies").status_code == 302


def test_failed_logins_are_rate_limited(app, client, factory):
    _company, admin = factory.company()
    limit = int(app.config["LOGIN_FAILURE_LIMIT"].split()[0])
    # Successful sign-ins do not count.
    for _ in range(2):
        assert login(client, admin.account.login, admin.password).status_code == 302
        post_form(client, "/logout", page="/company")
    for _ in range(limit):
        assert login(client, admin.account.login, "wrong password!").status_code == 401
    resp = login(client, admin.account.login, admin.password)
    assert resp.status_code == 429
    body = text(resp)
    assert "请求过于频繁" in body and "rate_limited" in body
    # Looking at the page is not an attempt.
    assert client.get("/login").status_code == 200


def test_must_change_password_blocks_other_pages(client, factory):
    _company, admin = factory.company()
    # The admin adds a user, who gets a temporary password.
    login(client, admin.account.login, admin.password)
    resp = post_form(client, "/company/users", {"login": "new-user", "name": "张三", "role": "company_user"},
                     page="/company")
    assert resp.status_code == 201
    import re

    temp = re.search(r'id="temporary-password">([^<]+)<', text(resp)).group(1)
    post_form(client, "/logout", page="/company")

    resp = login(client, "new-user", temp)
    assert resp.status_code == 302 and resp.headers["Location"] == "/account/password"
    for path in ("/company", "/account/tokens", "/"):
        resp = client.get(path)
        assert resp.status_code == 302 and resp.headers["Location"] == "/account/password", path
    before = count(LogEntry)
    resp = post_form(client, "/account/password", {"current_password": temp, "new_password": "short",
                                                   "confirm_password": "short"})
    assert resp.status_code == 400 and "密码至少 10 个字符" in text(resp)
    resp = post_form(client, "/account/password", {"current_password": "wrong wrong", "new_password":
                                                   "a brand new password", "confirm_password": "a brand new password"})
    assert resp.status_code == 403 and "当前密码不正确" in text(resp)
    assert count(LogEntry) == before
    resp = post_form(client, "/account/password", {"current_password": temp, "new_password": "a brand new password",
                                                   "confirm_password": "a brand new password"})
    assert resp.status_code == 302 and resp.headers["Location"] == "/company"
    assert log_actions()[-1] == "account:password:change"
    assert client.get("/company").status_code == 200


def test_english_switch(client):
    resp = client.get("/login?lang=en")
    body = text(resp)
    assert '<html lang="en">' in body and "Log in" in body and "登录名" not in body
    # Remembered for the session.
    assert "Password" in text(client.get("/login"))
    assert "Register your company" in text(client.get("/signup"))
    body = text(client.get("/login?lang=zh"))
    assert '<html lang="zh-CN">' in body and "登录名" in body


def test_english_field_errors(client):
    client.get("/login?lang=en")
    resp = post_form(client, "/login", {"login": "", "password": ""})
    assert resp.status_code == 400 and "Enter your login." in text(resp)


def test_pages_need_login_and_the_right_role(client, factory):
    resp = client.get("/regulator/companies")
    assert resp.status_code == 302 and resp.headers["Location"] == "/login?next=/regulator/companies"
    _company, admin = factory.company()
    login(client, admin.account.login, admin.password)
    for path in ("/regulator/companies", "/agency/users", "/admin/outbox"):
        resp = client.get(path)
        assert resp.status_code == 403, path
        assert "无权执行此操作" in text(resp)


def test_login_returns_to_next_but_never_off_site(client, factory):
    _company, admin = factory.company()
    resp = post_form(client, "/login?next=/account/tokens", {"login": admin.account.login,
                                                             "password": admin.password})
    assert resp.headers["Location"] == "/account/tokens"
    post_form(client, "/logout", page="/company")
    resp = post_form(client, "/login?next=//evil.example/x", {"login": admin.account.login,
                                                              "password": admin.password})
    assert resp.headers["Location"] == "/company"


def test_disabled_account_cannot_log_in(client, factory):
    company, admin = factory.company()
    from registry.accounts import services
    from registry.companies.services import add_user

    new = add_user(factory.ring, actor=admin.account, company=company, login="gone-user", name="李四")
    services.set_disabled(factory.ring, actor=admin.account, target=new.account, disabled=True)
    db.session.commit()
    assert login(client, "gone-user", new.password).status_code == 401
    assert db.session.execute(select(Account).where(Account.login == "gone-user")).scalar_one().last_login_dt is None


def test_wrong_current_passwords_share_the_failure_budget(app, client, factory):
    _company, admin = factory.company()
    login(client, admin.account.login, admin.password)
    limit = int(app.config["LOGIN_FAILURE_LIMIT"].split()[0])
    wrong = {"current_password": "not my password", "new_password": "a brand new password",
             "confirm_password": "a brand new password"}
    for _ in range(limit):
        assert post_form(client, "/account/password", wrong).status_code == 403
    assert post_form(client, "/account/password", wrong).status_code == 429
    other = app.test_client()
    assert login(other, admin.account.login, admin.password).status_code == 429


def test_a_next_with_control_characters_is_ignored_not_a_500(client, factory):
    _company, admin = factory.company()
    for hostile in ("/x%0Ay", "/x%0D%0ASet-Cookie:%20a=b", "/%09/evil.example", "/x%7F"):
        resp = post_form(client, f"/login?next={hostile}", {"login": admin.account.login,
                                                            "password": admin.password})
        assert resp.status_code == 302 and resp.headers["Location"] == "/company", hostile
        assert "Set-Cookie: a" not in str(resp.headers)
        post_form(client, "/logout", page="/company")
