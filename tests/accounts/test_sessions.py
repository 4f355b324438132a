"""Account web sessions end on the server.

A browser that signs in gets a random session id in its signed cookie; the
database keeps its SHA-256 and when the session started and was last used.
The cookie signs its account in only while that row exists and is within:

- the idle lifetime, REGISTRY_SESSION_IDLE_MINUTES (default 30): since the session was last used;
- the absolute lifetime, REGISTRY_SESSION_MAX_HOURS (default 12): since sign-in, however busy.

Signing out deletes the row; a password change (API or page), an admin's
password reset, a TOTP reset and disabling the account delete every row of
the account. Each test here saves a signed-in cookie, does one of those, and
replays the saved cookie from a fresh browser: it must open nothing. Time is
moved by editing the rows' timestamps (webutil.backdate_sessions).
"""
from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import select

from registry.accounts import services as account_services
from registry.accounts import sessions
from registry.accounts.models import Account, AccountSession
from registry.clock import now as utcnow
from registry.companies import services as company_services
from registry.extensions import db
from tests.support.factory import bearer
from tests.support.webutil import backdate_sessions, count, login, post_form, session_of

COOKIE = "session"
NEW_PASSWORD = "a brand new passphrase"


def saved_cookie(client) -> str:
    return client.get_cookie(COOKIE).value


def replay(app, cookie: str, page: str):
    """Open `page` from a fresh browser that holds only the saved cookie."""
    other = app.test_client()
    other.set_cookie(COOKIE, cookie)
    return other.get(page)


def assert_signed_out(resp) -> None:
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/login"), \
        (resp.status_code, resp.headers.get("Location"))


def company_user(factory, company, admin):
    """A company user who has already swapped the temporary password for their own."""
    new = company_services.add_user(factory.ring, actor=admin.account, company=company, login="clerk-1",
                                    name="王五", role="company_user")
    db.session.commit()
    account_services.change_password(factory.ring, account=new.account, current=new.password,
                                     new="clerk's own password")
    db.session.commit()
    new.password = "clerk's own password"
    return new


def signed_in_regulator(app, factory, agency):
    reg = factory.agency_user(agency)
    client = app.test_client()
    resp = login(client, reg.account.login, reg.password, reg.totp_secret)
    assert resp.headers["Location"] == "/regulator"
    return reg, client


# --- ending a session ------------------------------------------------------------------------

def test_a_saved_cookie_opens_nothing_after_logout(app, client, factory):
    company, admin = factory.company()
    login(client, admin.account.login, admin.password)
    cookie = saved_cookie(client)
    assert replay(app, cookie, "/company").status_code == 200
    post_form(client, "/logout", page="/company")
    assert_signed_out(replay(app, cookie, "/company"))
    assert count(AccountSession) == 0


def test_logout_ends_only_that_browser(app, factory):
    _company, admin = factory.company()
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, admin.account.login, admin.password)
    login(phone, admin.account.login, admin.password)
    post_form(laptop, "/logout", page="/company")
    assert_signed_out(laptop.get("/company"))
    assert phone.get("/company").status_code == 200


def test_signing_in_again_in_the_same_browser_ends_the_session_it_held(app, client, factory):
    company, admin = factory.company()
    clerk = company_user(factory, company, admin)
    login(client, admin.account.login, admin.password)
    cookie = saved_cookie(client)
    resp = post_form(client, "/login", {"login": clerk.account.login, "password": clerk.password}, page="/company")
    assert resp.status_code == 302
    assert_signed_out(replay(app, cookie, "/company"))
    assert client.get("/company").status_code == 200
    assert count(AccountSession) == 1


def test_a_regulators_saved_cookie_does_not_skip_totp_after_logout(app, factory):
    _reg, client = signed_in_regulator(app, factory, factory.agency("housekeeping"))
    cookie = saved_cookie(client)
    post_form(client, "/logout", page="/regulator/companies")
    assert_signed_out(replay(app, cookie, "/regulator/companies"))


def test_own_password_change_on_the_api_ends_every_web_session(app, client, factory):
    _company, admin = factory.company()
    login(client, admin.account.login, admin.password)
    cookie = saved_cookie(client)
    resp = client.post("/api/v1/me/password", headers=bearer(factory.token(admin.account)),
                       json={"current_password": admin.password, "new_password": NEW_PASSWORD})
    assert resp.status_code == 200
    assert_signed_out(replay(app, cookie, "/company"))
    assert_signed_out(client.get("/company"))
    assert count(AccountSession) == 0


def test_own_password_change_on_the_page_ends_the_others_and_renews_this_one(app, factory):
    _company, admin = factory.company()
    this, forgotten = app.test_client(), app.test_client()
    login(this, admin.account.login, admin.password)
    login(forgotten, admin.account.login, admin.password)
    cookie = saved_cookie(this)
    resp = post_form(this, "/account/password", {"current_password": admin.password,
                                                 "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    assert resp.status_code == 302, resp.status_code
    # The browser that changed it goes on, with a new session id; its old cookie and the other browser are out.
    assert this.get("/company").status_code == 200
    assert saved_cookie(this) != cookie
    assert_signed_out(replay(app, cookie, "/company"))
    assert_signed_out(forgotten.get("/company"))
    assert count(AccountSession) == 1


def test_an_admins_password_reset_ends_the_users_sessions(app, client, factory):
    company, admin = factory.company()
    clerk = company_user(factory, company, admin)
    login(client, clerk.account.login, clerk.password)
    cookie = saved_cookie(client)
    assert replay(app, cookie, "/company").status_code == 200
    admin_browser = app.test_client()
    login(admin_browser, admin.account.login, admin.password)
    resp = post_form(admin_browser, f"/accounts/{clerk.account.ref}/reset-password", page="/company")
    assert resp.status_code == 200
    assert_signed_out(replay(app, cookie, "/company"))
    # The admin who reset it is still signed in.
    assert admin_browser.get("/company").status_code == 200


def test_a_totp_reset_ends_the_regulators_sessions(app, factory):
    agency = factory.agency("property")
    reg, client = signed_in_regulator(app, factory, agency)
    cookie = saved_cookie(client)
    boss = factory.agency_user(agency, role="regulator_admin")
    resp = client.post(f"/api/v1/accounts/{reg.account.ref}/totp-reset", headers=bearer(factory.token(boss.account)))
    assert resp.status_code == 200
    assert_signed_out(replay(app, cookie, "/regulator/companies"))


def test_disabling_ends_the_sessions_for_good(app, client, factory):
    company, admin = factory.company()
    clerk = company_user(factory, company, admin)
    login(client, clerk.account.login, clerk.password)
    cookie = saved_cookie(client)
    admin_browser = app.test_client()
    login(admin_browser, admin.account.login, admin.password)
    assert post_form(admin_browser, f"/accounts/{clerk.account.ref}/disable", page="/company").status_code == 302
    assert_signed_out(replay(app, cookie, "/company"))
    # Enabling the account again does not bring the old session back.
    assert post_form(admin_browser, f"/accounts/{clerk.account.ref}/enable", page="/company").status_code == 302
    assert_signed_out(replay(app, cookie, "/company"))


# --- the half-finished TOTP sign-in ------------------------------------------------------------

def test_a_half_finished_totp_sign_in_ends_with_a_password_reset(app, client, factory):
    agency = factory.agency("housekeeping")
    reg = factory.agency_user(agency)
    boss = factory.agency_user(agency, role="regulator_admin")
    resp = login(client, reg.account.login, reg.password)
    assert resp.headers["Location"] == "/login/totp"
    account_services.reset_password(factory.ring, actor=boss.account, target=db.session.get(Account, reg.account.id))
    db.session.commit()
    resp = post_form(client, "/login/totp", {"code": factory.totp_now(reg.totp_secret)}, page="/login")
    assert resp.status_code == 302 and resp.headers["Location"] == "/login"
    assert_signed_out(client.get("/regulator/companies"))


def test_the_totp_step_cannot_be_replayed_after_sign_in(app, client, factory):
    reg = factory.agency_user(factory.agency("property"))
    login(client, reg.account.login, reg.password)
    half = saved_cookie(client)
    resp = post_form(client, "/login/totp", {"code": factory.totp_now(reg.totp_secret)})
    assert resp.headers["Location"] == "/regulator"
    # The signed-in session has a new id; the pending one is spent.
    other = app.test_client()
    other.set_cookie(COOKIE, half)
    assert_signed_out(other.get("/regulator/companies"))
    resp = post_form(other, "/login/totp", {"code": factory.totp_now(reg.totp_secret)}, page="/login")
    assert resp.status_code == 302 and resp.headers["Location"] == "/login"


def test_a_copy_of_the_totp_step_saved_before_a_wrong_code_is_spent(app, client, factory):
    """The count of wrong codes (five, then sign in again) travels in the cookie: replaying a copy saved before
    a wrong code must not start the count again, or the five would be endless."""
    reg = factory.agency_user(factory.agency("housekeeping"))
    login(client, reg.account.login, reg.password)
    before = saved_cookie(client)
    right = factory.totp_now(reg.totp_secret)
    wrong = f"{(int(right) + 500_000) % 1_000_000:06d}"
    assert post_form(client, "/login/totp", {"code": wrong}).status_code == 401
    other = app.test_client()
    other.set_cookie(COOKIE, before)
    resp = post_form(other, "/login/totp", {"code": right}, page="/login")
    assert resp.status_code == 302 and resp.headers["Location"] == "/login"
    assert_signed_out(other.get("/regulator/companies"))
    # The browser that tried the wrong code goes on, with the right one.
    resp = post_form(client, "/login/totp", {"code": right})
    assert resp.headers["Location"] == "/regulator"


def test_the_totp_step_never_outlives_the_session_lifetimes(app, monkeypatch):
    # Five minutes at most, and never longer than an idle or absolute lifetime set shorter still.
    assert sessions.lifetimes().pending == timedelta(seconds=300)
    monkeypatch.setitem(app.config, "SESSION_IDLE_MINUTES", 2)
    assert sessions.lifetimes().pending == timedelta(minutes=2)


# --- lifetimes -------------------------------------------------------------------------------

def test_an_idle_session_ends_and_a_used_one_goes_on(app, client, factory):
    _company, admin = factory.company()
    login(client, admin.account.login, admin.password)
    cookie = saved_cookie(client)
    backdate_sessions(created=timedelta(minutes=29), seen=timedelta(minutes=29))
    assert replay(app, cookie, "/company").status_code == 200
    # That use counts: the 30 idle minutes start again from it.
    db.session.rollback()
    seen = db.session.execute(select(AccountSession.last_seen_dt)).scalar_one()
    assert utcnow() - seen < timedelta(minutes=1)
    backdate_sessions(seen=timedelta(minutes=31))
    assert_signed_out(replay(app, cookie, "/company"))


def test_idle_lifetime_is_configurable(app, client, factory, monkeypatch):
    monkeypatch.setitem(app.config, "SESSION_IDLE_MINUTES", 5)
    _company, admin = factory.company()
    login(client, admin.account.login, admin.password)
    backdate_sessions(seen=timedelta(minutes=6))
    assert_signed_out(client.get("/company"))


def test_a_session_ends_at_its_absolute_lifetime_however_busy(app, client, factory):
    _company, admin = factory.company()
    login(client, admin.account.login, admin.password)
    backdate_sessions(created=timedelta(hours=11, minutes=58))
    assert client.get("/company").status_code == 200
    backdate_sessions(created=timedelta(minutes=3))
    assert_signed_out(client.get("/company"))


def test_absolute_lifetime_is_configurable(app, client, factory, monkeypatch):
    monkeypatch.setitem(app.config, "SESSION_MAX_HOURS", 1)
    _company, admin = factory.company()
    login(client, admin.account.login, admin.password)
    backdate_sessions(created=timedelta(minutes=61))
    assert_signed_out(client.get("/company"))


def test_the_defaults_and_the_cookie_lifetime(app, monkeypatch):
    from registry.config import from_environment

    monkeypatch.delenv("REGISTRY_SESSION_IDLE_MINUTES", raising=False)
    monkeypatch.delenv("REGISTRY_SESSION_MAX_HOURS", raising=False)
    defaults = from_environment(app.instance_path)
    assert (defaults["SESSION_IDLE_MINUTES"], defaults["SESSION_MAX_HOURS"]) == (30, 12)
    monkeypatch.setenv("REGISTRY_SESSION_IDLE_MINUTES", "15")
    monkeypatch.setenv("REGISTRY_SESSION_MAX_HOURS", "8")
    assert from_environment(app.instance_path)["SESSION_IDLE_MINUTES"] == 15
    assert from_environment(app.instance_path)["SESSION_MAX_HOURS"] == 8
    # The signed cookie (and Flask-Login's remember cookie) never outlives the absolute lifetime: not Flask's 31 days.
    max_life = timedelta(hours=app.config["SESSION_MAX_HOURS"])
    assert app.permanent_session_lifetime == max_life
    assert app.config["REMEMBER_COOKIE_DURATION"] == max_life


def test_only_the_hash_of_the_session_id_is_stored(client, factory):
    _company, admin = factory.company()
    login(client, admin.account.login, admin.password)
    raw = session_of(client)[sessions.COOKIE_KEY]
    db.session.rollback()
    stored = db.session.execute(select(AccountSession.token_hash)).scalar_one()
    assert stored == hashlib.sha256(raw.encode()).hexdigest() and raw not in stored


# --- housekeeping ----------------------------------------------------------------------------

def test_prune_deletes_only_sessions_past_a_lifetime(app, factory):
    _company, admin = factory.company()
    account = admin.account
    now = utcnow()
    life = sessions.lifetimes()
    live = sessions.start(account, now - timedelta(hours=2))
    sessions.start(account, now - timedelta(hours=13))  # past the absolute lifetime
    idle = sessions.start(account, now - timedelta(hours=1))
    sessions.start(account, now - timedelta(minutes=6), pending=True)  # a TOTP step never finished
    fresh_pending = sessions.start(account, now - timedelta(minutes=1), pending=True)
    db.session.commit()
    rows = {r.token_hash: r for r in db.session.execute(select(AccountSession)).scalars()}
    rows[hashlib.sha256(live.encode()).hexdigest()].last_seen_dt = now - timedelta(minutes=5)
    rows[hashlib.sha256(idle.encode()).hexdigest()].last_seen_dt = now - timedelta(minutes=31)
    db.session.commit()

    assert sessions.prune_ended(now, life) == 3
    db.session.commit()
    assert sessions.find(live, now, life) is not None
    assert sessions.find(fresh_pending, now, life, pending=True) is not None
    assert count(AccountSession) == 2
    assert sessions.prune_ended(now, life) == 0


def test_the_hourly_prune_job_deletes_ended_account_sessions(app, client, factory):
    from jobs.housekeeping import prune_spent_codes

    _company, admin = factory.company()
    login(client, admin.account.login, admin.password)
    backdate_sessions(created=timedelta(hours=13))
    prune_spent_codes(None)
    db.session.commit()
    assert count(AccountSession) == 0
