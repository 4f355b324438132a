"""The rate limits against scraping and guessing, in one place.

Only these are limited (the log and bulletin endpoints never are: docs/log.md, "Proofs and endpoints"):
- look-ups of a card or a company, per client address (`LOOKUP_LIMIT`);
- failed consent, activation, PIN and employment-confirmation attempts, per
  card number (`ATTEMPT_LIMIT`), whoever makes them, so spreading guesses over
  many addresses does not help; a successful attempt never counts, so signing
  in or using a right code cannot spend the budget and lock the worker out;
- confirmation codes sent again, per card number (`ATTEMPT_LIMIT` too, every
  send counting, in a budget of their own), so a company cannot flood the
  worker's phone, nor spend the worker's attempt budget by sending;
- failed review-code attempts (a customer's review, `/review` and
  `POST /reviews`), per client address (`REVIEW_ATTEMPT_LIMIT`): the code is
  bound to a service reference the guesser chooses, so the address is what
  the guesses share;
- failed sign-ins, per client address (`LOGIN_FAILURE_LIMIT`): accounts' in
  accounts.views, workers' PIN sign-ins here (`pin_failures`), so one address
  cannot try a few common PINs on many cards.
- household queries (a phone typed, a household's services answered), per
  regulator account (`HOUSEHOLD_QUERY_LIMIT`), API and page alike, every query
  counting: regulators are trusted, but a stolen token or session must not
  sweep phone numbers.

A limit is keyed on what the request names, never on whether that record
exists, so a 429 says nothing about existence. `REGISTRY_RATELIMIT_ENABLED=false`
turns every limit off (benchmarks, load tests).
"""
from __future__ import annotations

import functools

from flask import current_app, g, request
from flask.wrappers import Response

from .extensions import limiter
from .workers import cardno


def card_key() -> str:
    """The card number a request names (path, JSON body or form), normalised so variants share a budget."""
    raw = (request.view_args or {}).get("card_no")
    if raw is None:
        body = request.get_json(silent=True) if request.is_json else None
        raw = (body.get("card_no") if isinstance(body, dict) else None) or request.form.get("card_no") or ""
    if not isinstance(raw, str):
        raw = ""
    result = cardno.validate(raw)
    return "card:" + (result.card_no if result.ok else raw.strip().upper()[:32])


def _switchable(limit):
    """The limit, skipped outright when limits are off (Flask-Limiter still walks its tables otherwise)."""

    def decorate(view):
        limited = limit(view)

        # Wrapping `limited` (not `view`) carries Flask-Limiter's marker, so when limits are
        # stacked only the innermost checks them all, once, as with plain Flask-Limiter.
        @functools.wraps(limited)
        def checked(*args, **kwargs):
            if current_app.config.get("RATELIMIT_ENABLED", True):
                return limited(*args, **kwargs)
            return view(*args, **kwargs)

        return checked

    return decorate


# Card and company look-ups, API and pages alike: one budget per client address.
lookup_limit = _switchable(limiter.shared_limit(lambda: current_app.config["LOOKUP_LIMIT"], scope="lookups"))

_FAILED = "jiaxin.attempt_failed"


def failed_attempt() -> None:
    """Count this request as a failed attempt although it answers success-like (a page that redirects back
    with the error flashed); answers 400–499 count without it."""
    request.environ[_FAILED] = True


def attempt_failed(response: Response) -> bool:
    """Whether the answer refused the attempt: any 4xx but the 429 that enforces the budget, or a page's mark.

    A wrong, malformed or unauthorised attempt counts alike (none of them opens anything); a success never
    does, nor a 5xx (the registry's fault, not a guess)."""
    if request.environ.get(_FAILED):
        return True
    return 400 <= response.status_code < 500 and response.status_code != 429


# Failed consent, activation, PIN and confirmation attempts: one budget per card, shared by every kind of code.
# Flask-Limiter checks the budget before the view and deducts after it, only when the answer is a failure.
attempt_limit = _switchable(limiter.shared_limit(lambda: current_app.config["ATTEMPT_LIMIT"], scope="card-attempts",
                                                 key_func=card_key, methods=["POST"], deduct_when=attempt_failed))

# Confirmation codes sent again: every send counts, per card, apart from the attempt budget above.
send_limit = _switchable(limiter.shared_limit(lambda: current_app.config["ATTEMPT_LIMIT"], scope="card-sends",
                                              key_func=card_key, methods=["POST"]))

# Failed review-code attempts, per client address: any refusal counts (a wrong or malformed code, a bad form), a
# review left never does. Each code also burns after 5 wrong tries (trace/codes.py), whatever the address.
review_attempt_limit = _switchable(limiter.shared_limit(
    lambda: current_app.config["REVIEW_ATTEMPT_LIMIT"], scope="review-attempts", methods=["POST"],
    deduct_when=attempt_failed))
# Failed attempts at a complaint's tracking code, per client address and complaint reference (a success never
# counts). Keyed on the address too: the complaint's subject sees its reference, and must not be able to lock the
# complainant out by spending the budget; the code's 39.6 bits keep guessing from many addresses hopeless anyway.
def reference_key() -> str:
    """The client address and the complaint reference a request names (JSON body or form), normalised so
    variants share a budget."""
    body = request.get_json(silent=True) if request.is_json else None
    raw = (body.get("reference") if isinstance(body, dict) else None) or request.form.get("reference") or ""
    if not isinstance(raw, str):
        raw = ""
    return f"{request.remote_addr}:complaint:" + "".join(ch for ch in raw.upper() if ch.isalnum())[:16]


tracking_limit = _switchable(limiter.shared_limit(lambda: current_app.config["ATTEMPT_LIMIT"],
                                                  scope="tracking-attempts", key_func=reference_key, methods=["POST"],
                                                  deduct_when=attempt_failed))


# Complaints filed by phone that match no service of the card's worker, per client address and card number: a
# budget of their own (not the worker's attempt budget above, which a stranger could otherwise spend), so nobody can
# try many phones to learn whom a worker served. Only a miss counts (`phone_missed`), not a form with a mistake, and
# the address is part of the key, so nobody can spend the budget to keep others from complaining about a card.
_PHONE_MISSED = "jiaxin.phone_missed"


def phone_missed() -> None:
    """Count this request against the phone-match budget: its phone matched no service of the card's worker."""
    request.environ[_PHONE_MISSED] = True


def _address_card_key() -> str:
    return f"{request.remote_addr}:{card_key()}"


phone_match_limit = _switchable(limiter.shared_limit(lambda: current_app.config["ATTEMPT_LIMIT"],
                                                     scope="complaint-phones", key_func=_address_card_key,
                                                     methods=["POST"],
                                                     deduct_when=lambda response: bool(
                                                         request.environ.get(_PHONE_MISSED))))


# Failed PIN sign-ins (401, or 423 once locked), per client address, whatever the card.
pin_failures = _switchable(limiter.shared_limit(
    lambda: current_app.config["LOGIN_FAILURE_LIMIT"], scope="pin-failures", methods=["POST"],
    deduct_when=lambda response: response.status_code in (401, 423)))


def account_key() -> str:
    """The account a request acts as (its bearer token on the API, its session on a page); the client address when
    it names none or a bad token (which the handler then refuses)."""
    from flask_login import current_user

    from .accounts.auth import bearer_account
    from .errors import ApiError

    if request.headers.get("Authorization"):
        try:
            account = bearer_account()
        except ApiError:
            account = None
    else:
        account = current_user if current_user and current_user.is_authenticated else None
    return f"account:{account.ref}" if account is not None else f"address:{request.remote_addr}"


# Household queries: one budget per account, API and pages together; every query counts.
household_limit = _switchable(limiter.shared_limit(lambda: current_app.config["HOUSEHOLD_QUERY_LIMIT"],
                                                   scope="household-queries", key_func=account_key,
                                                   methods=["POST"]))


def retry_after_only_when_refused(response):
    """Drop Retry-After from any answer but 429 and 503, and give a 503 its own.

    Flask-Limiter's headers put Retry-After on every answer of a limited endpoint, so a 422 on the sign-up
    said "retry in 3600 seconds" — which clients obey. The X-RateLimit-* headers stay: they describe the budget.
    A 503 that said how long to wait (`g.retry_after`: the database is out) keeps its own figure over the
    limiter's window.
    """
    if response.status_code not in (429, 503):
        response.headers.pop("Retry-After", None)
    elif response.status_code == 503 and g.get("retry_after") is not None:
        response.headers["Retry-After"] = str(g.retry_after)
    return response
