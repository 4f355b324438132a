"""/api/v1: complaints (投诉) — filed by anyone (three ways), followed with a tracking code, handled by the
regulators of the subject's sector (market supervision: all), answered by the subject.

Filing and tracking are anonymous and limited per client address like a card look-up; filing by phone also spends
the card's budget of phone attempts when no service matches (so the household of a worker cannot be probed), and wrong
tracking codes spend the reference's. Each change is one service call and one log entry (`log_index`).
"""
from __future__ import annotations

from flask.views import MethodView

from schemas.common import ChangeSchema
from schemas.complaints import (
    CardComplaintArgs,
    CodeComplaintArgs,
    ComplaintChangedSchema,
    ComplaintFiledSchema,
    ComplaintQueueArgs,
    OwnComplaintSchema,
    PhoneComplaintArgs,
    RegulatorComplaintSchema,
    ResponseArgs,
    StepArgs,
    TrackArgs,
    TrackingSchema,
)

from .. import clock
from ..accounts.auth import bearer_account, require
from ..accounts.roles import COMPANY_ROLES, REGULATOR_ROLES
from ..api_util import ERRORS, api_blueprint, commit
from ..companies import services as companies
from ..errors import ApiError
from ..keys import keyring
from ..ratelimits import lookup_limit, phone_match_limit, phone_missed, review_attempt_limit, tracking_limit
from ..reports.services import worker_for_card
from ..selfservice.api import current_worker, refusals_commit, worker_required
from . import services

blp = api_blueprint("complaints", __name__,
                    "Complaints (投诉) with due process: filing, tracking, the regulators' steps, the subject's "
                    "responses.")


def _contact(args) -> services.Contact:
    contact = args.get("contact") or {}
    return services.Contact(contact.get("name"), contact.get("phone"))


def _filed(filed: services.Filed) -> dict:
    """The answer of a filing: read before the commit (the tracking code exists only here)."""
    return {"reference": filed.reference, "tracking_code": filed.tracking_code, "log_index": filed.recorded.seq}


@blp.route("/complaints/by-code")
class ComplaintByCode(MethodView):
    @review_attempt_limit
    @lookup_limit
    @blp.arguments(CodeComplaintArgs)
    @blp.response(201, ComplaintFiledSchema)
    @blp.alt_response(409, schema=ERRORS)
    @blp.alt_response(422, schema=ERRORS)
    @blp.alt_response(429, schema=ERRORS)
    @refusals_commit
    def post(self, args):
        """Complain about a service with its reference and review code (anyone holding them; anonymous).

        `about`: the worker who came, or the company that sent them. A code already spent on a review still
        works; one complaint per service this way (409 `already_complained`). A wrong reference or code answers
        422 `review_code_invalid` and counts against the code (5 wrong tries burn it). The answer's
        `tracking_code` is shown once: keep it with the reference to follow the complaint.
        """
        filed = services.file_by_code(keyring(), reference=args["reference"], code=args["code"], about=args["about"],
                                      category=args["category"], text=args["text"], contact=_contact(args),
                                      now=clock.now())
        answer = _filed(filed)
        commit()
        return answer


@blp.route("/cards/<card_no:card_no>/complaints")
class CardComplaint(MethodView):
    @lookup_limit
    @blp.arguments(CardComplaintArgs)
    @blp.response(201, ComplaintFiledSchema)
    @blp.alt_response(404, schema=ERRORS)
    @blp.alt_response(422, schema=ERRORS)
    @blp.alt_response(429, schema=ERRORS)
    def post(self, args, card_no):
        """Complain about a card's worker (anyone, anonymous), as from the card page.

        This is where "report this card" sends misconduct during a service. A number whose check character is
        wrong answers 422 `card_no_typo`.
        """
        worker = worker_for_card(card_no)
        filed = services.file_from_card(keyring(), worker=worker, category=args["category"], text=args["text"],
                                        contact=_contact(args), now=clock.now())
        answer = _filed(filed)
        commit()
        return answer


@blp.route("/cards/<card_no:card_no>/complaints/by-phone")
class PhoneComplaint(MethodView):
    @phone_match_limit
    @lookup_limit
    @blp.arguments(PhoneComplaintArgs)
    @blp.response(201, ComplaintFiledSchema)
    @blp.alt_response(404, schema=ERRORS)
    @blp.alt_response(422, schema=ERRORS)
    @blp.alt_response(429, schema=ERRORS)
    def post(self, args, card_no):
        """Complain about a card's worker with the mobile number a service of theirs was recorded for (anonymous).

        The number must match a service of this worker (422 `no_matching_service` otherwise, which spends the
        card's budget of phone attempts); it is used once to find the service and is never stored. The complaint links
        the newest matching service.
        """
        worker = worker_for_card(card_no)
        try:
            filed = services.file_by_phone(keyring(), worker=worker, phone=args["phone"], category=args["category"],
                                           text=args["text"], contact=_contact(args), now=clock.now())
        except ApiError as refusal:
            if refusal.code == "no_matching_service":
                phone_missed()
            raise
        answer = _filed(filed)
        commit()
        return answer


@blp.route("/complaints/track")
class Track(MethodView):
    @tracking_limit
    @lookup_limit
    @blp.arguments(TrackArgs)
    @blp.response(200, TrackingSchema)
    @blp.alt_response(422, schema=ERRORS)
    @blp.alt_response(429, schema=ERRORS)
    def post(self, args):
        """Follow a complaint (anonymous): its reference and tracking code, posted (never in a URL).

        Answers the state, the dates, the deadline running and each regulator's step with its reason — nothing
        of the subject's. Wrong codes are limited per reference.
        """
        ring = keyring()
        complaint = services.track(ring, reference=args["reference"], tracking_code=args["tracking_code"])
        return services.tracking_view(ring, complaint, clock.today())


@blp.route("/complaints")
class Queue(MethodView):
    @require(*REGULATOR_ROLES)
    @blp.arguments(ComplaintQueueArgs, location="query")
    @blp.response(200, RegulatorComplaintSchema(many=True))
    @blp.alt_response(422, schema=ERRORS)
    def get(self, args):
        """The complaints you handle, oldest first (your sector's workers and companies; market: all)."""
        rows = services.queue(bearer_account(), state=args.get("state"), reference=args.get("reference"),
                              limit=args["limit"], offset=args["offset"])
        ring, today = keyring(), clock.today()
        return [services.regulator_view(ring, c, today) for c in rows]


@blp.route("/complaints/<ref>")
class One(MethodView):
    @require(*REGULATOR_ROLES)
    @blp.response(200, RegulatorComplaintSchema)
    @blp.alt_response(404, schema=ERRORS)
    def get(self, ref):
        """One complaint you handle: its text, the complainant's contact, every step and response."""
        complaint = services.get_complaint(bearer_account(), ref)
        return services.regulator_view(keyring(), complaint, clock.today())


@blp.route("/complaints/<ref>/steps")
class Step(MethodView):
    @require(*REGULATOR_ROLES)
    @blp.arguments(StepArgs)
    @blp.response(200, ComplaintChangedSchema)
    @blp.alt_response(404, schema=ERRORS)
    @blp.alt_response(409, schema=ERRORS)
    @blp.alt_response(422, schema=ERRORS)
    def post(self, args, ref):
        """Take a step with its reason: accept or reject a received complaint, investigate an accepted one,
        substantiate or dismiss (unfounded) one under investigation. Any other step answers 409."""
        regulator = bearer_account()
        complaint = services.get_complaint(regulator, ref)
        recorded = services.take_step(keyring(), regulator=regulator, complaint=complaint, step=args["step"],
                                      reason=args["reason"], now=clock.now())
        answer = {"log_index": recorded.seq, "state": complaint.state}
        commit()
        return answer


@blp.route("/self/complaints")
class SelfComplaints(MethodView):
    @worker_required
    @blp.response(200, OwnComplaintSchema(many=True))
    @blp.alt_response(401, schema=ERRORS)
    def get(self):
        """The complaints about you, newest first: category, the service, the state and the regulator's reasons."""
        worker, _session = current_worker()
        ring, today = keyring(), clock.today()
        return [services.own_view(ring, c, today) for c in services.about_worker(worker)]


@blp.route("/self/complaints/<ref>/responses")
class SelfRespond(MethodView):
    @worker_required
    @blp.arguments(ResponseArgs)
    @blp.response(201, ChangeSchema)
    @blp.alt_response(401, schema=ERRORS)
    @blp.alt_response(404, schema=ERRORS)
    @blp.alt_response(409, schema=ERRORS)
    def post(self, args, ref):
        """Respond to a complaint about you before it is decided (up to 5 times); the regulators read it."""
        worker, _session = current_worker()
        complaint = services.own_complaint(ref, worker=worker)
        recorded = services.respond_as_worker(keyring(), worker=worker, complaint=complaint, text=args["text"],
                                              now=clock.now())
        commit()
        return {"log_index": recorded.seq}


@blp.route("/companies/<uscc:uscc>/complaints")
class CompanyComplaints(MethodView):
    @require(*COMPANY_ROLES)
    @blp.response(200, OwnComplaintSchema(many=True))
    @blp.alt_response(403, schema=ERRORS)
    @blp.alt_response(404, schema=ERRORS)
    def get(self, uscc):
        """The complaints about your company, newest first (its members)."""
        company = companies.member_company(bearer_account(), uscc)
        rows = services.about_company(bearer_account(), company)
        ring, today = keyring(), clock.today()
        return [services.own_view(ring, c, today) for c in rows]


@blp.route("/companies/<uscc:uscc>/complaints/<ref>/responses")
class CompanyRespond(MethodView):
    @require(*COMPANY_ROLES)
    @blp.arguments(ResponseArgs)
    @blp.response(201, ChangeSchema)
    @blp.alt_response(403, schema=ERRORS)
    @blp.alt_response(404, schema=ERRORS)
    @blp.alt_response(409, schema=ERRORS)
    def post(self, args, uscc, ref):
        """Respond for your company to a complaint about it before it is decided (its members; up to 5 times)."""
        account = bearer_account()
        company = companies.member_company(account, uscc)
        complaint = services.own_complaint(ref, company=company)
        recorded = services.respond_as_company(keyring(), account=account, company=company, complaint=complaint,
                                               text=args["text"], now=clock.now())
        commit()
        return {"log_index": recorded.seq}

