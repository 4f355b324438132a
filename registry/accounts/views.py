"""Pages: sign-in (password, then TOTP where required), sign-out, password,
API tokens, and account administration for agencies."""
from __future__ import annotations

import pyotp
from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from .. import clock
from ..errors import ApiError, Msg
from ..extensions import db, limiter, login_manager
from ..keys import keyring
from ..web import account, apply_api_error, flash_msg, home_for, role_required, safe_next
from . import services, sessions
from .forms import AgencyUserForm, LoginForm, PasswordForm, TokenForm, TotpForm
from .models import Account, AccountSession, Agency
from .roles import ADMIN_ROLES, AGENCY_ADMIN_ROLES, Role, agency_roles

bp = Blueprint("accounts_web", __name__)

login_manager.login_view = "accounts_web.login"

PENDING = "pending_login"
_FAILED = "jiaxin.login_failed"


def _failed_attempt() -> None:
    """Mark this request as a failed sign-in: only these count against the limit."""
    request.environ[_FAILED] = True


# One budget of failed attempts per client address, shared by the password and
# TOTP steps and the current-password check.
login_failures = limiter.shared_limit(
    lambda: current_app.config["LOGIN_FAILURE_LIMIT"], scope="web-login-failures", methods=["POST"],
    deduct_when=lambda _resp: bool(request.environ.get(_FAILED)))


@login_manager.unauthorized_handler
def _unauthorized():
    flash_msg("请先登录。", "Please log in first.", "info")
    nxt = None
    if request.method == "GET":
        nxt = safe_next(request.full_path.rstrip("?"))
    return redirect(url_for("accounts_web.login", next=nxt) if nxt else url_for("accounts_web.login"))


def _fresh_cookie() -> None:
    """Empty the session cookie but for the language choice."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def start_session(user: Account) -> None:
    """Sign in: a new server-side session (the caller commits) in a fresh cookie, then the user.

    A session this browser already held ends: signing in again (as anyone)
    leaves no id behind that a copied cookie could still use.
    """
    sessions.end(session.get(sessions.COOKIE_KEY))
    _fresh_cookie()
    session[sessions.COOKIE_KEY] = sessions.start(user, clock.now())
    login_user(user)


def _complete_login(user: Account, nxt: str | None):
    start_session(user)
    services.record_sign_in(user, clock.now())
    db.session.commit()
    if user.must_change_password:
        flash_msg("请先设置新密码。", "Please choose a new password first.", "info")
        return redirect(url_for(".password"))
    flash_msg("登录成功。", "You are signed in.", "success")
    return redirect(safe_next(nxt) or home_for(user))


def _pending() -> tuple[dict, AccountSession, Account] | None:
    """The half-signed-in state (password checked, TOTP not yet), its pending session and account, if still live.

    The state is a pending server-side session, so it ends like any session:
    after PENDING_SECONDS, and with a password change or reset, a TOTP reset
    or disabling the account; and after PENDING_MAX_CODES wrong codes, counted
    on the row (the cookie holds only its id and where to go next).
    """
    pending = session.get(PENDING)
    found = services.pending_sign_in(pending.get("session"), clock.now(), sessions.lifetimes()) \
        if isinstance(pending, dict) else None
    if found is None:
        session.pop(PENDING, None)
        return None
    return pending, *found


def _drop_pending() -> None:
    pending = session.pop(PENDING, None)
    if isinstance(pending, dict):
        sessions.end(pending.get("session"))


# --- sign-in ------------------------------------------------------------------

@bp.route("/login", methods=["GET", "POST"])
@login_failures
def login():
    if request.method == "GET" and current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    nxt = safe_next(request.args.get("next"))
    if request.method == "GET":
        return render_template("web/accounts/login.html", form=form, nxt=nxt)
    if not form.validate():
        return render_template("web/accounts/login.html", form=form, nxt=nxt), 400
    user = services.authenticate(form.login.data, form.password.data)
    if user is None:
        _failed_attempt()
        error = Msg("The login or password is wrong.", "登录名或密码不正确。")
        return render_template("web/accounts/login.html", form=form, nxt=nxt, error=error), 401
    _drop_pending()
    if user.needs_totp:
        raw = sessions.start(user, clock.now(), pending=True)
        db.session.commit()
        session[PENDING] = {"session": raw, "next": nxt}
        return redirect(url_for(".totp"))
    return _complete_login(user, nxt)


@bp.route("/login/totp", methods=["GET", "POST"])
@login_failures
def totp():
    found = _pending()
    if found is None:
        flash_msg("登录已超时，请重新输入密码。", "The sign-in timed out; enter your password again.", "error")
        return redirect(url_for(".login"))
    pending, row, user = found
    form = TotpForm()
    if request.method == "GET":
        return render_template("web/accounts/totp.html", form=form)
    if not form.validate():
        return render_template("web/accounts/totp.html", form=form), 400
    # Wrong codes are counted on the server-side row; besides, each code tried spends the pending id and goes
    # on under a new one, so a copy of the cookie saved before has no sign-in left to finish.
    renewed = sessions.renew(pending.get("session"))
    if renewed is None:
        session.pop(PENDING, None)
        flash_msg("登录已超时，请重新输入密码。", "The sign-in timed out; enter your password again.", "error")
        return redirect(url_for(".login"))
    pending["session"] = renewed
    session[PENDING] = pending
    if not services.check_totp(keyring(), user, form.code.data):
        _failed_attempt()
        spent = sessions.wrong_code(row)
        db.session.commit()
        if spent:
            session.pop(PENDING, None)
            flash_msg("验证码错误次数过多，请重新登录。", "Too many wrong codes; sign in again.", "error")
            return redirect(url_for(".login"))
        error = Msg("The code is not right or has expired: enter the code your authenticator app shows now.",
                    "验证码不对或已过期，请输入验证器应用当前显示的验证码。")
        return render_template("web/accounts/totp.html", form=form, error=error), 401
    # The pending session is spent; the signed-in one gets a new id.
    _drop_pending()
    return _complete_login(user, pending.get("next"))


@bp.post("/logout")
def logout():
    # Ends the session on the server, so a saved copy of the cookie no longer signs anyone in.
    sessions.end(session.get(sessions.COOKIE_KEY))
    _drop_pending()
    db.session.commit()
    logout_user()
    _fresh_cookie()
    flash_msg("您已退出登录。", "You are signed out.", "info")
    return redirect(url_for("web.home"))


# --- own account -----------------------------------------------------------------

@bp.route("/account/password", methods=["GET", "POST"])
@role_required()
@login_failures
def password():
    form = PasswordForm()
    if request.method == "GET":
        return render_template("web/accounts/password.html", form=form)
    if not form.validate():
        return render_template("web/accounts/password.html", form=form), 400
    user = account()
    try:
        services.change_password(keyring(), account=user, current=form.current_password.data,
                                 new=form.new_password.data)
    except ApiError as exc:
        if exc.code == "wrong_password":
            _failed_attempt()
        error, extra = apply_api_error(form, exc)
        return render_template("web/accounts/password.html", form=form, error=error, extra=extra), exc.status
    # The change ended every session of the account, this one too: this browser goes on in a new one.
    start_session(user)
    db.session.commit()
    flash_msg("密码已修改。", "Your password is changed.", "success")
    return redirect(home_for(user))


@bp.route("/account/tokens", methods=["GET", "POST"])
@role_required()
def tokens():
    user = account()
    form = TokenForm()
    if request.method == "GET":
        return render_template("web/accounts/tokens.html", form=form, tokens=user.tokens)
    if not form.validate():
        return render_template("web/accounts/tokens.html", form=form, tokens=user.tokens), 400
    try:
        token, raw, _recorded = services.issue_token(keyring(), account=user, name=form.name.data)
    except ApiError as exc:
        error, extra = apply_api_error(form, exc)
        return render_template("web/accounts/tokens.html", form=form, tokens=user.tokens, error=error,
                               extra=extra), exc.status
    db.session.commit()
    # The raw token appears in this answer only: never stored, flashed or redirected.
    return render_template("web/accounts/tokens.html", form=TokenForm(formdata=None), tokens=user.tokens,
                           new_token=token, raw_token=raw), 201


@bp.post("/account/tokens/<int:token_id>/revoke")
@role_required()
def revoke_token(token_id: int):
    try:
        services.revoke_token(keyring(), account=account(), token_id=token_id)
    except ApiError as exc:
        if exc.status != 409:
            raise
        db.session.rollback()
        flash_msg(exc.zh, exc.en, "error")
        return redirect(url_for(".tokens"))
    db.session.commit()
    flash_msg("令牌已撤销。", "The token is revoked.", "success")
    return redirect(url_for(".tokens"))


# --- agency administration -------------------------------------------------------

def _agency_roles(agency: Agency) -> tuple[str, ...]:
    return agency_roles(agency.kind)


def _agency_page(actor: Account, agency: Agency, form: AgencyUserForm, **extra):
    agencies = []
    if actor.role == Role.OPERATOR_ADMIN:
        agencies = services.agencies()
    return render_template("web/accounts/agency_users.html", agency=agency, agencies=agencies, form=form,
                           roles=_agency_roles(agency), users=agency.accounts, actor=actor, **extra)


@bp.route("/agency/users", methods=["GET", "POST"])
@role_required(*AGENCY_ADMIN_ROLES)
def agency_users():
    actor = account()
    # A regulator admin's own agency; for operators, the one named (their own by default).
    agency = services.managed_agency(actor, request.args.get("agency"))
    form = AgencyUserForm(roles=_agency_roles(agency))
    if request.method == "GET":
        return _agency_page(actor, agency, form)
    if not form.validate():
        return _agency_page(actor, agency, form), 400
    try:
        new = services.add_agency_user(keyring(), actor=actor, agency=agency, login=form.login.data,
                                       name=form.name.data, role=form.role.data)
    except ApiError as exc:
        error, extra = apply_api_error(form, exc)
        return _agency_page(actor, agency, form, error=error, extra=extra), exc.status
    db.session.commit()
    return once_page(new.account, password=new.password, totp_secret=new.totp_secret, created=True), 201


def _back_to(target: Account) -> str:
    if target.company_id:
        return url_for("companies_web.company")
    return url_for(".agency_users", agency=target.agency.code)


def once_page(target: Account, *, password: str | None = None, totp_secret: str | None = None, created: bool = False):
    """The page that shows a temporary password or TOTP secret, this once."""
    uri = None
    if totp_secret:
        uri = pyotp.TOTP(totp_secret).provisioning_uri(name=target.login, issuer_name="Jiaxin")
    return render_template("web/accounts/once.html", target=target, password=password, totp_secret=totp_secret,
                           otpauth_uri=uri, created=created, back=_back_to(target))


@bp.post("/accounts/<ref>/reset-password")
@role_required(*ADMIN_ROLES)
def reset_password(ref: str):
    actor = account()
    target = services.visible_account(actor, ref)
    password, _recorded = services.reset_password(keyring(), actor=actor, target=target)
    db.session.commit()
    return once_page(target, password=password)


@bp.post("/accounts/<ref>/reset-totp")
@role_required(*AGENCY_ADMIN_ROLES)
def reset_totp(ref: str):
    actor = account()
    target = services.visible_account(actor, ref)
    secret, _recorded = services.reset_totp(keyring(), actor=actor, target=target)
    db.session.commit()
    return once_page(target, totp_secret=secret)


@bp.post("/accounts/<ref>/disable")
@role_required(*ADMIN_ROLES)
def disable(ref: str):
    return _set_disabled(ref, True)


@bp.post("/accounts/<ref>/enable")
@role_required(*ADMIN_ROLES)
def enable(ref: str):
    return _set_disabled(ref, False)


def _set_disabled(ref: str, disabled: bool):
    actor = account()
    target = services.visible_account(actor, ref)
    try:
        services.set_disabled(keyring(), actor=actor, target=target, disabled=disabled)
    except ApiError as exc:
        if exc.status != 409:
            raise
        db.session.rollback()
        flash_msg(exc.zh, exc.en, "error")
        return redirect(_back_to(target))
    db.session.commit()
    if disabled:
        flash_msg(f"已停用账号 {target.login}。", f"Account {target.login} is disabled.", "success")
    else:
        flash_msg(f"已启用账号 {target.login}。", f"Account {target.login} is enabled.", "success")
    return redirect(_back_to(target))
