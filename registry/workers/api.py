"""/api/v1: a company's staff, worker registration, the detailed record, records."""
from __future__ import annotations

from flask.views import MethodView

from schemas.common import PAGINATION_HEADER_DOC, ChangeSchema, pagination_header
from schemas.workers import (
    ConfirmArgs,
    ConfirmationSentSchema,
    EmploymentEndedSchema,
    EndEmploymentArgs,
    RecordArgs,
    RecordCreatedSchema,
    StaffArgs,
    StaffRowSchema,
    StaffSearchArgs,
    VocabSchema,
    WorkerCreatedSchema,
    WorkerDetailSchema,
    WorkerRegisterArgs,
    WorkerSearchArgs,
)

from .. import clock
from ..accounts.auth import bearer_account, require
from ..accounts.roles import COMPANY_ROLES, REGULATOR_ROLES
from ..api_util import ERRORS, api_blueprint, commit
from ..clock import today
from ..companies import services as companies
from ..database import reading_only
from ..errors import ApiError, not_found
from ..keys import keyring
from ..ratelimits import attempt_limit, send_limit
from ..selfservice.api import refusals_commit
from . import attach, search, services, views_model
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
        """Register a person (a verified company): a new card number, or a new employment of an existing worker.

        A company on the serious-dishonesty list (a listing in effect) answers 403 `company_listed`; an existing
        worker whose serious listing bars home-service work, 409 `worker_listed`. The worker's other listings in
        effect let the registration through, each in `warnings`, and the employment records them.
        """
        account, company = _member_company(uscc)
        registered = services.register_with_retry(
            keyring(), account=account, company=company, today=today(),
            person=services.Person(args["name"], args["id_number"], args["phone"]),
            engagement=services.Engagement(args["occupation"], args["employment_kind"], args["start_date"],
                                           args["social_insurance"]))
        out = {"card_no": registered.worker.card_no, "created": registered.created,
               "log_index": registered.recorded.seq, "employment_id": registered.employment.id,
               "pending": registered.pending, "pending_until": registered.employment.pending_until,
               "warnings": registered.warnings}
        commit()
        return out


@blp.route("/companies/<uscc:uscc>/workers/search")
class StaffSearch(MethodView):
    @require(*COMPANY_ROLES)
    @blp.arguments(StaffSearchArgs)
    @blp.response(200, StaffRowSchema(many=True), headers={"X-Pagination": PAGINATION_HEADER_DOC})
    @blp.alt_response(404, schema=ERRORS)
    @blp.alt_response(422, schema=ERRORS)
    def post(self, args, uscc):
        """Find staff by card number, exact name or phone, with the list's filters; 50 a page (members).

        A POST so that a name or phone travels in the body, never in a URL. The X-Pagination header has the totals.
        """
        _account, company = _member_company(uscc)
        search = services.staff_search(card_no=args.get("card_no"), name=args.get("name"), phone=args.get("phone"))
        page = services.staff_page(keyring(), company, today=today(), search=search, page=args["page"],
                                   page_size=args["page_size"], occupation=args.get("occupation"),
                                   status=args.get("status"), expiring=args.get("expiring"),
                                   employment=args["employment"])
        return [views_model.staff_row(w, e, st) for w, e, st in page.rows], 200, {
            "X-Pagination": pagination_header(page.page, page.page_size, page.total)}


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
    @blp.alt_response(403, schema=ERRORS)
    def get(self, card_no):
        """The detailed record with personal data (current employers; each read is recorded).

        Regulators say why they open a record: they use `POST /api/v1/workers/search` (403 `purpose_required`).
        """
        account, worker = _viewable(card_no)
        if account.role in REGULATOR_ROLES:
            raise ApiError(403, "purpose_required",
                           "监管部门查看详细记录须说明用途：请使用 POST /api/v1/workers/search。",
                           "Regulators open a record with its purpose: use POST /api/v1/workers/search.")
        services.note_access(worker=worker, account=account, purpose="employer_view")
        return views_model.detail(keyring(), worker, today())


@blp.route("/workers/search")
class WorkerSearch(MethodView):
    @require(*REGULATOR_ROLES)
    @blp.arguments(WorkerSearchArgs)
    @blp.response(200, WorkerDetailSchema)
    @blp.alt_response(404, schema=ERRORS)
    @blp.alt_response(422, schema=ERRORS)
    def post(self, args):
        """Find a worker by card number or ID number and open their detailed record (regulators).

        `purpose` is required and, with `note`, goes into the worker's access
        record, written before the record opens. A number nobody holds and a
        worker outside your sector answer alike: 404 `worker_not_found` — except
        that for `purpose` `sanction_case` any regulator opens any worker by card
        number, whatever sector employs them (any agency may sanction anyone).
        Unlogged: a read, not a change.
        """
        account = bearer_account()
        q = search.Query(args.get("card_no"), args.get("id_number"), args["purpose"], args.get("note"))
        # Keep the token's last use (it rides on this POST's write transaction), then read.
        commit()
        with reading_only():
            worker = search.find(keyring(), regulator=account, q=q, today=today())
            search.open_record(regulator=account, worker=worker, q=q)
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
    @blp.alt_response(403, schema=ERRORS)
    @blp.alt_response(404, schema=ERRORS)
    @blp.alt_response(409, schema=ERRORS)
    @blp.alt_response(422, schema=ERRORS)
    @blp.alt_response(429, schema=ERRORS)
    @refusals_commit
    def post(self, args, card_no, employment_id):
        """Confirm your company's pending attachment with the code the worker gave you; it then counts as current.

        Wrong codes (never a right one) count against the card's attempt budget and burn the code
        after 5 tries; a lapsed attachment answers `confirmation_lapsed` (409). Completing an attachment is
        attaching: a company on the serious-dishonesty list answers 403 `company_listed`, a worker whose
        serious listing bars home-service work 409 `worker_listed`.
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
    @send_limit
    @require(*COMPANY_ROLES)
    @blp.response(200, ConfirmationSentSchema)
    @blp.alt_response(403, schema=ERRORS)
    @blp.alt_response(404, schema=ERRORS)
    @blp.alt_response(409, schema=ERRORS)
    @blp.alt_response(429, schema=ERRORS)
    def post(self, card_no, employment_id):
        """Send the worker a new confirmation code for your pending attachment (the earlier one stops working).

        The code goes only to the worker's phone on record. Unlogged (a
        credential): no `log_index`. Every send counts against the card's budget of sends.
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
