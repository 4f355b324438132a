"""The public home page and what every page shares: the language pick `t(zh, en)`,
labels, access decorators, form-error helpers and per-request hooks."""
from __future__ import annotations

import functools
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from flask import Blueprint, Flask, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup

from .accounts import roles
from .accounts.roles import COMPANY_ROLES, REGULATOR_ROLES, Role
from .errors import ApiError, Msg
from .extensions import db, login_manager

bp = Blueprint("web", __name__)

# The blueprints that serve HTML pages (the API blueprints are others).
WEB_BLUEPRINTS = frozenset({"web", "accounts_web", "companies_web", "notify_web", "workers_web",
                            "imports_web", "log_web", "cards_web", "lookup_web", "selfservice_web", "reports_web",
                            "tasks_web", "sanctions_web", "bulletins_web", "bulletins_regulator", "trace_web",
                            "trace_import_web", "reviews_web", "complaints_web"})
# Pages a user who must change their password may still reach.
PASSWORD_CHANGE_EXEMPT = frozenset({"accounts_web.password", "accounts_web.logout"})
LOCAL_TZ = ZoneInfo("Asia/Shanghai")

LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "role": {
        "company_admin": ("企业管理员", "Company admin"),
        "company_user": ("企业用户", "Company user"),
        "regulator": ("监管人员", "Regulator"),
        "regulator_admin": ("监管机构管理员", "Regulator admin"),
        "operator_admin": ("运营管理员", "Operator admin"),
    },
    "sector": {
        "housekeeping": ("家政", "Housekeeping"),
        "property": ("物业", "Property management"),
        "market": ("市场监管", "Market regulation"),
    },
    "model": {
        "employee": ("员工制", "Employee model"),
        "intermediary": ("中介制", "Intermediary model"),
    },
    "status": {
        "pending": ("待审核", "Pending"),
        "verified": ("已核验", "Verified"),
        "rejected": ("已驳回", "Rejected"),
    },
    "condition": {
        "contracts": ("与员工签订劳动合同或服务协议", "Signs labour contracts or service agreements with staff"),
        "social_insurance": ("为员工缴纳社会保险", "Pays social insurance for staff"),
        "minimum_wage": ("工资不低于当地最低工资标准", "Pays at least the local minimum wage"),
        "ongoing_training": ("持续开展岗前和在岗培训", "Provides ongoing training"),
    },
    "pledge_state": {
        "kept": ("履行中", "Kept"),
        "broken": ("已违反", "Broken"),
    },
    "message_kind": {
        "activation_code": ("激活码", "Activation code"),
        "review_code": ("评价码", "Review code"),
        "notice": ("通知", "Notice"),
    },
}


# --- language ---------------------------------------------------------------

def lang() -> str:
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "zh"


def t(zh: str, en: str) -> str:
    """The text for the current language (Chinese unless English was chosen)."""
    return en if lang() == "en" else zh


def plural(n, one: str, many: str | None = None) -> str:
    """The English noun for `n` things: `one` for exactly 1, `many` (default `one` + "s") otherwise.

    Chinese counts with a measure word and has no plural, so pages write
    `t("门课程", plural(n, "course"))`. `n` may be a number or its text ("1.0").
    """
    try:
        single = float(n) == 1
    except (TypeError, ValueError):
        single = False
    return one if single else (many or one + "s")


def msg(message) -> str:
    """Render a bilingual message: a `Msg`, a {"zh", "en"} mapping or plain text."""
    if isinstance(message, dict):
        return t(message.get("zh", ""), message.get("en", ""))
    zh = getattr(message, "zh", None)
    if zh:
        # An ApiError carries its English as `en` (its str() is the code); a Msg is its English.
        return t(zh, getattr(message, "en", None) or str(message))
    return str(message)


def lang_tag(code: str | None = None) -> str:
    """The BCP 47 tag of a language (the current one by default), for `lang` attributes."""
    return "en" if (code or lang()) == "en" else "zh-CN"


def other_lang() -> str:
    """The language not chosen: the one of the smaller second-language text."""
    return "zh" if lang() == "en" else "en"


def _in_other_lang(text: str) -> Markup:
    # The one place second-language text is marked up: its `lang` makes a screen reader switch voice
    # (read in the page's language, English sounds like Chinese syllables and Chinese is skipped).
    if not text:
        return Markup("")
    return Markup('<span class="other-lang" lang="{}">{}</span>').format(lang_tag(other_lang()), text)


def t_other(zh: str, en: str) -> Markup:
    """The text in the language not chosen, in a span that says its language (errors show both)."""
    return _in_other_lang(zh if lang() == "en" else en)


def msg_other(message) -> Markup:
    """The same message in the other language, in its `lang` span (forms show both); empty if it has none."""
    if isinstance(message, dict):
        return t_other(message.get("zh", ""), message.get("en", ""))
    zh = getattr(message, "zh", None)
    if not zh:
        return Markup("")
    # As in `msg`: an ApiError's str() is its code, its English is `en`.
    return t_other(zh, getattr(message, "en", None) or str(message))


def label(kind: str, key: str | None) -> str:
    if key is None:
        return ""
    pair = LABELS.get(kind, {}).get(key)
    return t(*pair) if pair else key


def lang_url(code: str) -> str:
    """This page's URL with `lang` set (other query arguments kept)."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
    args.append(("lang", code))
    return f"{request.path}?{urlencode(args)}"


def with_lang(location: str) -> str:
    """A redirect's target with the request's `?lang=` carried on (when it chose one and the target names none).

    Only targets on this site: the language is ours to pass on, nobody else's. Every page redirect goes
    through it (see `register`), so a link shared in English stays English through sign-in and back, even
    in a browser that keeps no cookie.
    """
    chosen = request.args.get("lang")
    if chosen not in ("zh", "en"):
        return location
    parts = urlsplit(location)
    if parts.scheme not in ("", "http", "https") or (parts.netloc and parts.netloc != request.host):
        return location
    if not parts.netloc and not parts.path.startswith("/"):
        return location
    query = parse_qsl(parts.query, keep_blank_values=True)
    if any(key == "lang" for key, _ in query):
        return location
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode([*query, ("lang", chosen)]),
                       parts.fragment))


def local_dt(value, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A UTC datetime shown in Asia/Shanghai."""
    if value is None:
        return ""
    return value.astimezone(LOCAL_TZ).strftime(fmt)


def flash_msg(zh: str, en: str, category: str = "info") -> None:
    flash({"zh": zh, "en": en}, category)


def viewer():
    """The signed-in account for the layout, or None (never raises)."""
    try:
        if current_user and current_user.is_authenticated:
            return current_user._get_current_object()
    except Exception:  # noqa: BLE001 - the error page itself must render
        db.session.rollback()
    return None


# --- access ---------------------------------------------------------------------

def account():
    """The signed-in account (views behind `role_required` only)."""
    return current_user._get_current_object()


def role_required(*roles: str):
    """A signed-in account, of one of `roles` if any are given; 403 otherwise."""

    def deco(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if roles and current_user.role not in roles:
                abort(403)
            return fn(*args, **kwargs)

        return wrapper

    return deco


def home_for(user) -> str:
    """Where an account starts after signing in."""
    if user.role in COMPANY_ROLES:
        return url_for("companies_web.company")
    if user.role in REGULATOR_ROLES:
        # The worklist: decisions due for publication, notices ready to decide, approvals, open reports.
        return url_for("sanctions_web.worklist_page")
    if user.role == Role.OPERATOR_ADMIN:
        return url_for("accounts_web.agency_users")
    return url_for("web.home")


def safe_next(target: str | None) -> str | None:
    """A local path to return to after signing in, or None."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    # No control characters: a newline cannot go in a Location header (the sign-in answered 500), and browsers
    # drop tabs and newlines inside an address, so what they follow is not what was judged here.
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


# --- forms --------------------------------------------------------------------

def apply_api_error(form, exc: ApiError, mapping: dict[str, str] | None = None) -> tuple[Msg, list[Msg]]:
    """Put a service's field errors on the form's fields.

    Returns the top-level message and the field messages no form field took.
    The transaction is rolled back: nothing of the failed call is stored.
    """
    db.session.rollback()
    mapping = mapping or {}
    unplaced: list[Msg] = []
    for key, text in (exc.fields or {}).items():
        message = Msg(text.get("en", ""), text.get("zh", ""))
        name = mapping.get(key, key.replace(".", "_"))
        if form is not None and name in form:
            field = form[name]
            field.errors = [*field.errors, message]
        else:
            unplaced.append(message)
    top = Msg(exc.en, exc.zh)
    top.code = exc.code
    return top, unplaced


# The top messages that only say "something is wrong": the summary names the fields instead.
GENERIC_ERRORS = frozenset({"The input is not valid.", "Please correct the marked fields."})


def summary_items(form=None, links=None) -> list[tuple[str, object]]:
    """The error summary's links: (field id, message) for each error on `form`'s fields, then `links`."""
    items: list[tuple[str, object]] = []
    if form:
        for field in form:
            items.extend((field.id, e) for e in field.errors)
    items.extend(links or [])
    return items


def summary_reason(error, items) -> object | None:
    """The summary's heading: the top message, unless it is generic and the field messages say more."""
    if not error:  # None, or a page that passed none (Jinja's Undefined)
        return None
    text = error.get("en") if isinstance(error, dict) else (getattr(error, "en", None) or str(error))
    if items and (text in GENERIC_ERRORS or any(msg(e) == msg(error) for _, e in items)):
        return None
    return error


def support_code(error) -> str:
    """The stable code people may quote to support: none for plain field errors (the summary says it all)."""
    if not error:
        return ""
    code = error.get("code") if isinstance(error, dict) else getattr(error, "code", None)
    return "" if not code or code == "invalid_input" else str(code)


COLOURS = {"green": ("绿码", "Green"), "yellow": ("黄码", "Yellow"), "red": ("红码", "Red")}


def colour_label(colour: str) -> str:
    pair = COLOURS.get(colour)
    return t(*pair) if pair else colour


def regulator_hotline() -> str:
    """The regulator's public hotline residents are told to call (REGISTRY_REGULATOR_HOTLINE)."""
    return current_app.config["REGULATOR_HOTLINE"]


def tel(number: str) -> str:
    """A `tel:` link for a phone number as shown (dashes and spaces dropped)."""
    return "tel:" + "".join(ch for ch in number if ch.isdigit() or ch == "+")


# --- pages --------------------------------------------------------------------

@bp.get("/")
def home():
    return render_template("web/home.html")


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    app.add_template_global(t)
    app.add_template_global(msg)
    app.add_template_global(plural)
    app.add_template_global(msg_other)
    app.add_template_global(t_other)
    app.add_template_global(summary_items)
    app.add_template_global(summary_reason)
    app.add_template_global(support_code)
    app.add_template_global(lang_tag)
    app.add_template_global(other_lang)
    app.add_template_global(label)
    # Named role_groups, not roles: some pages are given their own `roles`, the choices they offer.
    app.add_template_global(roles, "role_groups")
    app.add_template_global(lang)
    app.add_template_global(lang_url)
    app.add_template_global(viewer)
    app.add_template_global(colour_label, "vocab_colour")
    app.add_template_filter(local_dt)
    app.add_template_global(regulator_hotline)
    app.add_template_filter(tel)

    def _fresh_request_state():
        # Per-request caches that Flask-Login, Flask-Babel and Flask-WTF keep on
        # `g`: a fresh app context per request empties them anyway, but the test
        # client reuses the test's app context across requests.
        for name in ("_login_user", "_flask_babel", "csrf_token", "csrf_valid"):
            g.pop(name, None)

    # First, before the CSRF check and anything that reads the user.
    app.before_request_funcs.setdefault(None, []).insert(0, _fresh_request_state)

    @app.before_request
    def _must_change_password():
        if request.blueprint not in WEB_BLUEPRINTS or request.endpoint in PASSWORD_CHANGE_EXEMPT:
            return None
        if current_user.is_authenticated and current_user.must_change_password:
            return redirect(url_for("accounts_web.password"))
        return None

    @app.after_request
    def _keep_lang(resp):
        # Every page redirect, whoever made it (a view, the sign-in guard, a before_request hook), keeps
        # the language the request chose.
        if request.blueprint in WEB_BLUEPRINTS and resp.status_code in (301, 302, 303, 307, 308) \
                and resp.location:
            resp.location = with_lang(resp.location)
        return resp

    @app.after_request
    def _no_store(resp):
        # Pages carry CSRF tokens, personal data (masked) and one-time secrets;
        # a page that chose its own caching (the public card page: no-cache + ETag) keeps it.
        if request.blueprint in WEB_BLUEPRINTS and "Cache-Control" not in resp.headers:
            resp.headers["Cache-Control"] = "no-store"
        return resp
