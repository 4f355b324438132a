"""/api/v1: activation codes (employers, regulators), the worker's own API (/self/*, worker
session tokens only), and a resident's consent view of a card.

Codes, PINs and sessions are unlogged credentials, and reads go to the private
access record; only a worker's confirming or refusing a new employer is a
change of the worker, logged. Account tokens are not
worker tokens and the other way round: each is refused (401) where the other
belongs. Guessing endpoints are limited per card (`attempt_limit`, outermost).
"""
from __future__ import annotations

import functools

from flask import request
from flask.views import MethodView

from schemas.common import ChangeSchema
from schemas.selfservice import (
    AccessRowSchema,
    ActivateArgs,
    ActivationSentSchema,
    ConsentArgs,
    ConsentCodeSchema,
    EndedSchema,
    ResidentDetailSchema,
    SelfSchema,
    SessionSchema,
    SignInArgs,
    StateSchema,
)

from .. import clock
from ..accounts.auth import bearer_account, require
from ..accounts.roles import COMPANY_ROLES, REGULATOR_ROLES
from ..api_util import ERRORS, api_blueprint, commit, documents_security
from ..clock import local_date
from ..errors import ApiError
from ..keys import keyring
from ..ratelimits import attempt_limit, pin_failures
from ..workers import attach
from ..workers import services as workers
from . import services, views_model

blp = api_blueprint("selfservice", __name__,
                    "Worker self-service: activation, PIN sign-in, own record, access list, state and consent "
                    "codes; a resident's consent-based detailed view.")

_WORKER = "jiaxin.worker"


def _unauthorized() -> ApiError:
    return ApiError(401, "unauthorized", "需要有效的从业人员登录令牌。",
                    "A worker session token is required (`Authorization: Bearer <token>`).")


def current_worker():
    """(worker, session) of the request's worker token; 401 for none, an account token or an ended session."""
    if _WORKER in request.environ:
        return request.environ[_WORKER]
    scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
    found = services.worker_for_token(raw.strip(), clock.now()) if scheme.lower() == "bearer" else None
    if found is None:
        raise _unauthorized()
    request.environ[_WORKER] = found
    return found


def worker_required(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        current_worker()
        return fn(*args, **kwargs)

    return documents_security(wrapper)


def refusals_commit(fn):
    """A refusal that counted a wrong guess commits the count before it answers."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except services.Refusal:
            commit()
            raise

    return wrapper


def _session_view(started: services.Started) -> dict:
    return {"token": started.token, "expires": started.expires, "card_no": started.worker.card_no}


@blp.route("/workers/<card_no:card_no>/activation-code")
class ActivationCode(MethodView):
    @require(*COMPANY_ROLES, *REGULATOR_ROLES)
    @blp.response(200, ActivationSentSchema)
    @blp.alt_response(404, schema=ERRORS)
    def post(self, card_no):
        """Send the worker a new activation code (a current employer, or a regulator who may view the worker).

        The code goes only to the worker's phone on record, never into this
        answer. The old PIN, every session and every earlier code stop working.
        Unlogged: no `log_index`.
        """
        account = bearer_account()
        worker = workers.get_worker(card_no)
        issued = services.issue_activation_code(keyring(), actor=account, worker=worker, now=clock.now())
        commit()
        return {"sent": True, "expires": issued.expires}


@blp.route("/self/activate")
class Activate(MethodView):
    @attempt_limit
    @blp.arguments(ActivateArgs)
    @blp.response(200, SessionSchema)
    @blp.alt_response(422, schema=ERRORS)
    @blp.alt_response(429, schema=ERRORS)
    @refusals_commit
    def post(self, args):
        """Activate with card number + activation code, setting a PIN; answers a worker session token."""
        started = services.activate(keyring(), card_no=args["card_no"], code=args["code"], pin=args["pin"],
                                    now=clock.now())
        view = _session_view(started)
        commit()
        return view


@blp.route("/self/login")
class SignIn(MethodView):
    @pin_failures
    @attempt_limit
    @blp.arguments(SignInArgs)
    @blp.response(200, SessionSchema)
    @blp.alt_response(401, schema=ERRORS)
    @blp.alt_response(423, schema=ERRORS)
    @blp.alt_response(429, schema=ERRORS)
    @refusals_commit
    def post(self, args):
        """Sign in with card number + PIN; 5 wrong PINs lock sign-in for a while (`pin_locked`, 423)."""
        started = services.sign_in(card_no=args["card_no"], pin=args["pin"], now=clock.now())
        view = _session_view(started)
        commit()
        return view


@blp.route("/self/logout")
class SignOut(MethodView):
    @worker_required
    @blp.response(200, EndedSchema)
    @blp.alt_response(401, schema=ERRORS)
    def post(self):
        """End this worker session."""
        _worker, session = current_worker()
        services.sign_out(session, clock.now())
        commit()
        return {"ended": True}


@blp.route("/self")
class Self(MethodView):
    @worker_required
    @blp.response(200, SelfSchema)
    @blp.alt_response(401, schema=ERRORS)
    def get(self):
        """The worker's own full record, with or without a current employer."""
        worker, _session = current_worker()
        return views_model.own_view(keyring(), worker, local_date(clock.now()))


@blp.route("/self/access")
class Access(MethodView):
    @worker_required
    @blp.response(200, AccessRowSchema(many=True))
    @blp.alt_response(401, schema=ERRORS)
    def get(self):
        """Every read of the worker's personal data: when, who, why and which fields; newest first."""
        worker, _session = current_worker()
        return views_model.access_list(worker)


@blp.route("/self/state")
class State(MethodView):
    @worker_required
    @blp.response(200, StateSchema)
    @blp.alt_response(401, schema=ERRORS)
    def get(self):
        """The worker's canonical state and salt, to check against the public log (its digest is in the entry)."""
        worker, _session = current_worker()
        return views_model.own_state(keyring(), worker)


@blp.route("/self/consent-codes")
class ConsentCodes(MethodView):
    @worker_required
    @blp.response(201, ConsentCodeSchema)
    @blp.alt_response(401, schema=ERRORS)
    def post(self):
        """A new single-use consent code for a resident at the door (shown once; valid 30 minutes by default)."""
        worker, _session = current_worker()
        issued = services.create_consent_code(keyring(), worker=worker, now=clock.now())
        card_no = worker.card_no
        commit()
        return {"code": issued.code, "expires": issued.expires, "card_no": card_no}


@blp.route("/cards/<card_no:card_no>/detail")
class ConsentView(MethodView):
    @attempt_limit
    @blp.arguments(ConsentArgs)
    @blp.response(200, ResidentDetailSchema)
    @blp.alt_response(422, schema=ERRORS)
    @blp.alt_response(429, schema=ERRORS)
    @refusals_commit
    def post(self, args, card_no):
        """The detailed view of a card, opened with a consent code the worker gave (anyone; the code is spent).

        Wrong, expired, used or burnt codes and cards that do not match all
        answer `consent_code_invalid`; each view is written to the worker's
        access record before it is shown.
        """
        now = clock.now()
        ring = keyring()
        worker, _code = services.open_with_consent(ring, card_no=card_no, consent_code=args["consent_code"], now=now)
        view = views_model.resident_view(ring, worker, local_date(now))
        commit()
        return view


@blp.route("/self/employments/<int:employment_id>/confirm")
class SelfConfirm(MethodView):
    @worker_required
    @blp.response(200, ChangeSchema)
    @blp.alt_response(401, schema=ERRORS)
    @blp.alt_response(403, schema=ERRORS)
    @blp.alt_response(404, schema=ERRORS)
    @blp.alt_response(409, schema=ERRORS)
    def post(self, employment_id):
        """Confirm that a company which registered you (listed in `awaiting_confirmation`) employs you.

        Logged like any change of the worker (`log_index`); the company may
        then open your detailed record, add records and issue your card. A
        company on the serious-dishonesty list answers 403 `company_listed`; a
        serious listing of yours that bars home-service work, 409 `worker_listed`.
        """
        worker, _session = current_worker()
        now = clock.now()
        recorded = attach.confirm_by_worker(keyring(), worker=worker, employment_id=employment_id,
                                            today=local_date(now), now=now)
        commit()
        return {"log_index": recorded.seq}


@blp.route("/self/employments/<int:employment_id>/decline")
class SelfDecline(MethodView):
    @worker_required
    @blp.response(200, ChangeSchema)
    @blp.alt_response(401, schema=ERRORS)
    @blp.alt_response(404, schema=ERRORS)
    def post(self, employment_id):
        """Refuse a company that registered you but does not employ you: the pending attachment ends at once."""
        worker, _session = current_worker()
        now = clock.now()
        recorded = attach.decline_by_worker(keyring(), worker=worker, employment_id=employment_id,
                                            today=local_date(now), now=now)
        commit()
        return {"log_index": recorded.seq}
