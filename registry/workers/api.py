"""/api/v1: a company's staff, worker registration, the detailed record, records."""
from __future__ import annotations

from flask.views import MethodView

from schemas.common import ChangeSchema
from schemas.workers import (
    ConfirmArgs,
    ConfirmationSentSchema,
    EmploymentEndedSchema,
    EndEmploymentArgs,
    RecordArgs,
    RecordCreatedSchema,
    StaffArgs,
    StaffRowSchema,
    VocabSchema,
    WorkerCreatedSchema,
    WorkerDetailSchema,
    WorkerRegisterArgs,
)

from .. import clock
from ..accounts.auth import bearer_account, require
from ..accounts.roles import COMPANY_ROLES, REGULATOR_ROLES
from ..api_util import ERRORS, api_blueprint, commit
from ..clock import today
from ..companies import services as companies
from ..errors import not_found
from ..keys import keyring
from ..ratelimits import attempt_limit
from ..selfservice.api import refusals_commit
from . import attach, services, views_model
from .vocab import EMPLOYMENT_KINDS, OCCUPATIONS, RECORD_KINDS

blp = api_blueprint("workers", __name__, "Workers: registration, staff lists, records, the detailed view.")


def _member_company(uscc: str):
    account = bearer_account()
    return account, companies.member_company(account, uscc)


@blp.route("/companies/<uscc:uscc>/workers")
class Staff(MethodView):
    @require(*COMPANY_ROLES)
    @blp.arguments(StaffArgs, location="query")
    @blp.response(200, StaffRowSchema(many=True))
    @blp.alt_response(404, schema=ERRORS)
    def get(self, args, uscc):
        """List the company's staff with today's status; filter by occupation, status or coming expiry (members)."""
        _account, company = _member_company(uscc)
        rows = services.staff(company, today=today(), occupation=args.get("occupation"), status=args.get("status"),
                              expiring=args.get("expiring"), employment=args["employment"])
        return [views_model.staff_row(w, e, st) for w, e, st in rows]

    @require(*COMPANY_ROLES)
    @blp.arguments(WorkerRegisterArgs)
    @blp.response(201, WorkerCreatedSchema)
    @blp.alt_response(403, schema=ERRORS)
    @blp.alt_response(409, schema=ERRORS)
    def post(self, args, uscc):
        """Register a person (a verified company): a new card number, or a new employment of an existing worker."""
        account, company = _member_company(uscc)
        registered = services.register_with_retry(
            keyring(), account=account, company=company, today=today(),
            person=services.Person(args["name"], args["id_number"], args["phone"]),
            engagement=services.Engagement(args["occupation"], args["employment_kind"], args["start_date"],
                                           args["social_insurance"]))
        out = {"card_no": registered.worker.card_no, "created": registered.created,
               "log_index": registered.recorded.seq, "employment_id": registered.employment.id,
               "pending": registered.pending, "pending_until": registered.employment.pending_until}
        commit()
        return out


def _viewable(card_no: str):
    account = bearer_account()
    worker = services.get_worker(card_no)
    if not services.may_view(account, worker):
        raise not_found("worker", "从业人员")
    return account, worker


@blp.route("/workers/<card_no:card_no>")
class WorkerDetail(MethodView):
    @require(*COMPANY_ROLES, *REGULATOR_ROLES)
    @blp.response(200, WorkerDetailSchema)
    @blp.alt_response(404, schema=ERRORS)
    def get(self, card_no):
        """The detailed record with personal data (current employers and regulators; each read is recorded)."""
        account, worker = _viewable(card_no)
        purpose = "employer_view" if account.company_id else "regulator_view"
        services.note_access(worker=worker, account=account, purpose=purpose)
        return views_model.detail(keyring(), worker, today())


def _employer(card_no: str):
    account = bearer_account()
    company, worker = services.employed_by(account, card_no)
    return account, company, worker


@blp.route("/workers/<card_no:card_no>/employment-end")
class EmploymentEnd(MethodView):
    @require(*COMPANY_ROLES)
    @blp.arguments(EndEmploymentArgs)
    @blp.response(200, EmploymentEndedSchema)
    @blp.alt_response(404, schema=ERRORS)
    def post(self, args, card_no):
        """End the worker's employment with your company (history is kept); the cards your company issued
        them become void (`voided_serials`), in the same change."""
        account, company, worker = _employer(card_no)
        ended = services.end_employment(keyring(), account=account, company=company, worker=worker,
                                        end_date=args["end_date"], today=today())
        out = {"log_index": ended.recorded.seq, "voided_serials": ended.voided_serials}
        commit()
        return out


@blp.route("/workers/<card_no:card_no>/employments/<int:employment_id>/confirm")
class EmploymentConfirm(MethodView):
    @attempt_limit
    @require(*COMPANY_ROLES)
    @blp.arguments(ConfirmArgs)
    @blp.response(200, ChangeSchema)
    @blp.alt_response(404, schema=ERRORS)
    @blp.alt_response(409, schema=ERRORS)
    @blp.alt_response(422, schema=ERRORS)
    @blp.alt_response(429, schema=ERRORS)
    @refusals_commit
    def post(self, args, card_no, employment_id):
        """Confirm your company's pending attachment with the code the worker gave you; it then counts as current.

        Wrong codes count against the card's attempt budget and burn the code
        after 5 tries; a lapsed attachment answers `confirmation_lapsed` (409).
        """
        account = bearer_account()
        worker = services.get_worker(card_no)
        recorded = attach.confirm_with_code(keyring(), account=account, company=account.company, worker=worker,
                                            employment_id=employment_id, code=args["code"], today=today(),
                                            now=clock.now())
        commit()
        return {"log_index": recorded.seq}


@blp.route("/workers/<card_no:card_no>/employments/<int:employment_id>/confirmation-code")
class ConfirmationCode(MethodView):
    @attempt_limit
    @require(*COMPANY_ROLES)
    @blp.response(200, ConfirmationSentSchema)
    @blp.alt_response(404, schema=ERRORS)
    @blp.alt_response(409, schema=ERRORS)
    @blp.alt_response(429, schema=ERRORS)
    def post(self, card_no, employment_id):
        """Send the worker a new confirmation code for your pending attachment (the earlier one stops working).

        The code goes only to the worker's phone on record. Unlogged (a
        credential): no `log_index`. Counts against the card's attempt budget.
        """
        account = bearer_account()
        worker = services.get_worker(card_no)
        employment = attach.resend_code(keyring(), account=account, company=account.company, worker=worker,
                                        employment_id=employment_id, today=today(), now=clock.now())
        until = employment.pending_until
        commit()
        return {"sent": True, "pending_until": until}


@blp.route("/workers/<card_no:card_no>/records")
class Records(MethodView):
    @require(*COMPANY_ROLES)
    @blp.arguments(RecordArgs)
    @blp.response(201, RecordCreatedSchema)
    @blp.alt_response(404, schema=ERRORS)
    def post(self, args, card_no):
        """Add an identity check, training, health check, insurance or background check; `supersedes` corrects one."""
        account, company, worker = _employer(card_no)
        kind = args.pop("kind")
        supersedes = args.pop("supersedes", None)
        record, recorded = services.add_record(keyring(), account=account, company=company, worker=worker, kind=kind,
                                               data=args, today=today(), supersedes_id=supersedes)
        record_id, seq = record.id, recorded.seq
        commit()
        return {"id": record_id, "log_index": seq}


def _vocab(table):
    return [{"code": code, "zh": zh, "en": en} for code, (zh, en) in table.items()]


@blp.route("/vocab/occupations")
class Occupations(MethodView):
    @blp.response(200, VocabSchema(many=True))
    def get(self):
        """The occupations a worker can be registered with."""
        return _vocab(OCCUPATIONS)


@blp.route("/vocab/employment-kinds")
class EmploymentKinds(MethodView):
    @blp.response(200, VocabSchema(many=True))
    def get(self):
        """The kinds of employment."""
        return _vocab(EMPLOYMENT_KINDS)


@blp.route("/vocab/record-kinds")
class RecordKinds(MethodView):
    @blp.response(200, VocabSchema(many=True))
    def get(self):
        """The kinds of dated records a company keeps on a worker."""
        return _vocab(RECORD_KINDS)
