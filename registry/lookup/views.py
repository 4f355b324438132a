"""The card page a resident opens at the door: /c/<card_no> (the QR code's address)."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user

from ..caching import etagged
from ..clock import today
from ..errors import ApiError
from ..keys import keyring
from ..ratelimits import lookup_limit
from ..selfservice.views import TOKEN as WORKER_TOKEN
from ..workers.services import check_card_no
from . import services

bp = Blueprint("lookup_web", __name__)


def _official_host() -> str:
    return urlsplit(current_app.config["PUBLIC_URL"]).netloc


def _error_page(card_no: str, exc: ApiError):
    body = render_template("web/lookup/card_error.html", card_no=card_no, error=exc,
                           official_host=_official_host())
    return body, exc.status


@bp.route("/c")
@lookup_limit
def find():
    """The look-up form's target: a typed card number goes to its page."""
    raw = request.args.get("card_no", "")
    if not raw.strip():
        return render_template("web/lookup/card_error.html", card_no="", error=None,
                               official_host=_official_host())
    try:
        number = check_card_no(raw)
    except ApiError as exc:
        return _error_page(raw, exc)
    return redirect(url_for("lookup_web.card", card_no=number))


@bp.route("/c/<card_no>")
@lookup_limit
def card(card_no: str):
    """The card's public view for today, with the verdict on the scanned QR when `q` is given."""
    q = request.args.get("q")
    try:
        number = check_card_no(card_no)
        scan = services.scan_for(keyring(), q, opened_at=request.host_url,
                                 official_url=current_app.config["PUBLIC_URL"])
        view = services.card_view(number, today(), scan=scan, hotline=current_app.config["REGULATOR_HOTLINE"])
    except ApiError as exc:
        return _error_page(card_no, exc)
    body = render_template("web/lookup/card.html", view=view, q=q, official_host=_official_host())
    resp = etagged(body.encode(), "text/html")
    if current_user.is_authenticated or session.get(WORKER_TOKEN):
        # The page then carries the user's name (or the worker's card number) and a CSRF token: no shared cache
        # may keep it.
        resp.headers["Cache-Control"] = "private, no-cache"
    return resp
