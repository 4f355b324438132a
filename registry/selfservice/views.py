"""Pages: the worker's self-service (/me: activate, sign in, own record, access list, consent
codes, state download), the resident's consent view (/c/<card_no>/detail) and the button
on the worker's detailed record that sends a new activation code.

The worker's session token lives in the (signed, HttpOnly) session cookie and
is checked on every page like a bearer token: an ended, expired or superseded
session (a new activation code bumps the generation) signs the worker out.
Codes and tokens never appear in a URL's path or query (the consent QR carries
its code in the fragment, which browsers never send: consent_qr). Nothing
one-time is lost to a reload or a language switch: a consent code is kept in
the worker's own signed session
while it can be used (the registry stores only its hash) and shown by GET pages;
a resident's detailed view stays viewable in the browser that spent the code
for RESIDENT_VIEW_MINUTES, through a short-lived grant in that browser's
signed session (re-views read the record again but are not recorded again:
docs/privacy.md, "Who may read what").
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Blueprint, current_app, make_response, redirect, render_template, request, session, url_for
from markupsafe import Markup

from .. import clock
from ..accounts.roles import COMPANY_ROLES, REGULATOR_ROLES
from ..clock import local_date
from ..credit import score_reviews
from ..errors import ApiError, Msg
from ..extensions import db
from ..keys import keyring
from ..ratelimits import attempt_limit, pin_failures
from ..sanctions import services as sanctions
from ..sanctions import subject_notices
from ..sanctions import views_model as sanction_views
from ..web import account, apply_api_error, flash_msg, role_required, t
from ..workers import attach
from ..workers import services as workers
from ..workers.models import Worker
from ..workers.views import VOCAB
from . import codes, consent_qr, services, views_model
from .forms import ActivateForm, ConsentForm, SignInForm

bp = Blueprint("selfservice_web", __name__)

TOKEN = "worker_token"  # noqa: S105 — the session key's name, not a secret
SHOWN_CODE = "consent_code"  # the worker's newest consent code, kept to show again while it can be used
RESIDENT_VIEW = "resident_view"  # the detailed view this browser opened with a consent code
# Long enough to reload, switch language or look again at the door; short enough that a borrowed phone
# does not keep the view.
RESIDENT_VIEW_MINUTES = 5
CORRECT_FIELDS = Msg("Please correct the marked fields.", "请修改标出的内容。")


@bp.context_processor
def _vocab():
    def vocab(kind: str, code) -> str:
        pair = VOCAB.get(kind, {}).get(code)
        return t(*pair) if pair else (code or "")

    def label_of(table: dict, code: str) -> str:
        pair = getattr(views_model, table).get(code)
        return t(*pair) if pair else code

    return {"vocab": vocab, "label_of": label_of, "grouped": codes.grouped,
            "consent_minutes": current_app.config["CONSENT_CODE_MINUTES"],
            "activation_hours": current_app.config["ACTIVATION_CODE_HOURS"]}


_HEADER_WORKER = "jiaxin.header_worker"


@bp.app_context_processor
def _worker_in_header():
    def signed_in_worker() -> str | None:
        """The card number of the worker signed in in this browser, for the header (every page), or None."""
        raw = session.get(TOKEN)
        if not raw:
            return None
        # base.html and the home page both ask: look the token up once a request (three queries each time).
        cached = request.environ.get(_HEADER_WORKER)
        if cached is not None and cached[0] == raw:
            return cached[1]
        try:
            found = services.worker_for_token(raw, clock.now())
        except Exception:  # noqa: BLE001 - the error page itself must render
            db.session.rollback()
            return None
        card_no = found[0].card_no if found else None
        request.environ[_HEADER_WORKER] = (raw, card_no)
        return card_no

    return {"signed_in_worker": signed_in_worker}


def _attempt(form, page: str, run, **extra):
    """Run a guessing attempt; a counted refusal is committed before the page shows it."""
    try:
        return run()
    except ApiError as exc:
        if isinstance(exc, services.Refusal):
            db.session.commit()
        error, unplaced = apply_api_error(form, exc)
        status = exc.status
    return render_template(page, form=form, error=error, extra=unplaced, **extra), status


def signed_in():
    """(worker, session) of the page's worker session, or None (a dead token is dropped, with the code it kept)."""
    raw = session.get(TOKEN)
    found = services.worker_for_token(raw, clock.now()) if raw else None
    if found is None and raw:
        # The session cookie is signed, not encrypted: a live consent code must not outlive the worker's
        # session in it (a session ended elsewhere, on a shared phone), as sign-out drops it too.
        session.pop(TOKEN, None)
        session.pop(SHOWN_CODE, None)
    return found


def _begin(started: services.Started):
    session.pop(SHOWN_CODE, None)  # another worker's code, on a shared phone, is not theirs to keep
    session[TOKEN] = started.token
    db.session.commit()
    return redirect(url_for(".me"))


def _shown_code(worker: Worker) -> dict | None:
    """The consent code this browser made for the worker, while it can still be used (then forgotten)."""
    kept = session.get(SHOWN_CODE)
    now = clock.now()
    if (isinstance(kept, dict) and kept.get("card_no") == worker.card_no and kept.get("expires", 0) > now.timestamp()
            and services.consent_code_live(keyring(), worker=worker, code=kept["code"], now=now)):
        return {"code": kept["code"], "expires": datetime.fromtimestamp(kept["expires"], UTC)}
    session.pop(SHOWN_CODE, None)
    return None


def _viewing(card_no: str) -> datetime | None:
    """Until when this browser may still see `card_no`'s detailed view, or None.

    The grant names the card only (the card number is in the address anyway): the session cookie is
    readable by whoever holds it, and the registry's internal ids are nobody's business.
    """
    grant = session.get(RESIDENT_VIEW)
    if isinstance(grant, dict) and grant.get("card_no") == card_no and grant.get("until", 0) > clock.now().timestamp():
        return datetime.fromtimestamp(grant["until"], UTC)
    return None


def need_sign_in():
    flash_msg("请先用卡号和 PIN 登录。", "Please sign in with your card number and PIN first.", "info")
    return redirect(url_for("selfservice_web.login"))


# --- activation and sign-in ---------------------------------------------------------------------

@bp.route("/me/activate", methods=["GET", "POST"])
@attempt_limit
def activate():
    form = ActivateForm()
    page = "web/selfservice/activate.html"
    if not form.is_submitted():
        # The text message's link fills in the card number (never the code); the service judges it on submit.
        form.card_no.data = request.args.get("card_no", "").strip()[:40]
        return render_template(page, form=form)
    if not form.validate():
        return render_template(page, form=form, error=CORRECT_FIELDS), 400

    def go():
        started = services.activate(keyring(), card_no=form.card_no.data, code=form.code.data, pin=form.pin.data,
                                    now=clock.now())
        flash_msg("激活成功，PIN 已设置。", "Activated: your PIN is set.", "success")
        return _begin(started)

    return _attempt(form, page, go)


@bp.route("/me/login", methods=["GET", "POST"])
@pin_failures
@attempt_limit
def login():
    form = SignInForm()
    page = "web/selfservice/login.html"
    if not form.is_submitted():
        if signed_in() is not None:
            return redirect(url_for(".me"))
        return render_template(page, form=form)
    if not form.validate():
        return render_template(page, form=form, error=CORRECT_FIELDS), 400

    def go():
        started = services.sign_in(card_no=form.card_no.data, pin=form.pin.data, now=clock.now())
        return _begin(started)

    return _attempt(form, page, go)


@bp.post("/me/logout")
def logout():
    found = signed_in()
    if found is not None:
        services.sign_out(found[1], clock.now())
        db.session.commit()
    session.pop(TOKEN, None)
    session.pop(SHOWN_CODE, None)
    flash_msg("已退出。", "You are signed out.", "success")
    return redirect(url_for("selfservice_web.login"))


# --- the worker's own pages ---------------------------------------------------------------------

@bp.get("/me")
def me():
    found = signed_in()
    if found is None:
        return need_sign_in()
    worker, _session = found
    ring = keyring()
    return render_template("web/selfservice/me.html", view=views_model.own_view(ring, worker,
                                                                                local_date(clock.now())),
                           access=views_model.access_list(worker), state=views_model.own_state(ring, worker),
                           consent=_shown_code(worker),
                           notices=[sanction_views.notice_view(ring, s)
                                    for s in sanctions.notices_for(worker_id=worker.id)],
                           notifications=subject_notices.for_subject(worker_id=worker.id),
                           credit=score_reviews.subject_page(ring, "worker", worker.id, local_date(clock.now())),
                           retention=_retention(worker))


def _retention(worker) -> dict:
    """What is kept and until when (registry/retention/rules.py `own_retention`)."""
    from flask import current_app

    from ..retention import rules

    return rules.own_retention([e.end_date for e in worker.employments if e.held or e.open],
                               local_date(worker.created_dt), rules.periods_from(current_app.config))


@bp.post("/me/consent-codes")
def consent_code():
    found = signed_in()
    if found is None:
        return need_sign_in()
    worker, _session = found
    issued = services.create_consent_code(keyring(), worker=worker, now=clock.now())
    card_no = worker.card_no
    db.session.commit()
    # Kept in the worker's own signed session (never a URL or the database), so a reload or a language
    # switch shows it again; the page below and /me show it until it is used or expires.
    session[SHOWN_CODE] = {"card_no": card_no, "code": issued.code, "expires": issued.expires.timestamp()}
    return redirect(url_for(".consent_code_shown"), 303)


@bp.get("/me/consent-codes")
def consent_code_shown():
    found = signed_in()
    if found is None:
        return need_sign_in()
    worker, _session = found
    shown = _shown_code(worker)
    if shown is None:
        flash_msg("没有可用的同意码（已使用或已过期），可以生成一个新的。",
                  "No consent code to show (it was used or has expired); you can make a new one.", "info")
        return redirect(url_for(".me", _anchor="consent"))
    # The QR carries the code in the URL's fragment only, which no browser sends to a server (consent_qr).
    url = consent_qr.consent_url(current_app.config["PUBLIC_URL"], worker.card_no, shown["code"])
    # segno's markup is paths and numbers drawn from the modules, never the URL's text: nothing to escape.
    svg = Markup(consent_qr.qr_svg(url))  # noqa: S704
    return render_template("web/selfservice/consent_code.html", code=shown["code"], expires=shown["expires"],
                           card_no=worker.card_no, qr_url=url, qr_svg=svg)


@bp.post("/me/employments/<int:employment_id>/<any(confirm, decline):answer>")
def answer_employment(employment_id: int, answer: str):
    """The worker confirms, or refuses, a company that registered them (the form's CSRF token guards it)."""
    found = signed_in()
    if found is None:
        return need_sign_in()
    worker, _session = found
    now = clock.now()
    run = attach.confirm_by_worker if answer == "confirm" else attach.decline_by_worker
    try:
        run(keyring(), worker=worker, employment_id=employment_id, today=local_date(now), now=now)
    except ApiError as exc:
        db.session.rollback()
        flash_msg(exc.zh, exc.en, "error")
        return redirect(url_for(".me", _anchor="awaiting"))
    db.session.commit()
    if answer == "confirm":
        flash_msg("已确认该企业为您的用人单位。", "You confirmed the company as your employer.", "success")
    else:
        flash_msg("已拒绝该企业的登记。", "You refused the company's registration.", "success")
    return redirect(url_for(".me", _anchor="awaiting"))


@bp.get("/me/state.json")
def state():
    found = signed_in()
    if found is None:
        return need_sign_in()
    worker, _session = found
    from flask import json

    body = views_model.own_state(keyring(), worker)
    resp = make_response(json.dumps(body, ensure_ascii=False, indent=1) + "\n")
    resp.mimetype = "application/json"
    resp.headers["Content-Disposition"] = f'attachment; filename="jiaxin-state-{worker.card_no}.json"'
    return resp


# --- the resident at the door -------------------------------------------------------------------

@bp.route("/c/<card_no>/detail", methods=["GET", "POST"])
@attempt_limit
def resident_detail(card_no: str):
    form = ConsentForm()
    page = "web/selfservice/resident_consent.html"
    if not form.is_submitted():
        until = _viewing(card_no)
        worker = workers.get_worker_or_none(card_no) if until is not None else None
        if worker is not None:
            # Looking again within the grant: the same resident's same view, read afresh, not recorded again.
            view = views_model.resident_view(keyring(), worker, local_date(clock.now()))
            return render_template("web/selfservice/resident_detail.html", view=view, viewable_until=until)
        return render_template(page, form=form, card_no=card_no)
    if not form.validate():
        return render_template(page, form=form, card_no=card_no, error=CORRECT_FIELDS), 400

    def go():
        now = clock.now()
        ring = keyring()
        worker, _code = services.open_with_consent(ring, card_no=card_no, consent_code=form.consent_code.data,
                                                   now=now)
        number = worker.card_no
        db.session.commit()
        # The access record is written; the view itself is shown by GET, so a reload or a language switch
        # does not ask to post the spent code again.
        until = now + timedelta(minutes=RESIDENT_VIEW_MINUTES)
        session[RESIDENT_VIEW] = {"card_no": number, "until": until.timestamp()}
        return redirect(url_for(".resident_detail", card_no=number), 303)

    return _attempt(form, page, go, card_no=card_no)


# --- the employer's or regulator's button -------------------------------------------------------

@bp.post("/workers/<card_no>/activation-code")
@role_required(*COMPANY_ROLES, *REGULATOR_ROLES)
def send_activation_code(card_no: str):
    worker = workers.get_worker(card_no)
    issued = services.issue_activation_code(keyring(), actor=account(), worker=worker, now=clock.now())
    card, masked = worker.card_no, worker.name_masked
    hours = current_app.config["ACTIVATION_CODE_HOURS"]
    db.session.commit()
    del issued  # the code went to the worker's phone; it is never shown here
    flash_msg(f"已向 {masked} 登记的手机发送新的激活码（{hours} 小时内有效）；原 PIN 已失效。",
              f"A new activation code was sent to the phone {masked} registered (valid {hours} hours); "
              "the old PIN no longer works.", "success")
    return redirect(url_for("workers_web.detail", card_no=card))
