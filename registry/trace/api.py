"""/api/v1: recording services and tracing them (a worker's services, a household's)."""
from __future__ import annotations

import json
from datetime import datetime

from flask import Response
from flask.views import MethodView

from schemas.common import PAGINATION_HEADER_DOC, pagination_header
from schemas.trace import (
    CompanyServicesArgs,
    CompanyServiceSchema,
    HouseholdQueryArgs,
    HouseholdServicesSchema,
    QueryRecordsArgs,
    QueryRecordSchema,
    ServiceArgs,
    ServiceRecordedSchema,
    WorkerServicesArgs,
    WorkerServiceSchema,
)

from .. import clock
from ..accounts.auth import bearer_account, require
from ..accounts.roles import COMPANY_ROLES, REGULATOR_ROLES, Role
from ..api_util import ERRORS, api_blueprint, commit
from ..companies import services as companies
from ..database import reads_first, writing_now
from ..keys import keyring
from ..ratelimits import household_limit
from ..workers.services import get_worker
from . import queries, rules, views_model
from . import services as trace

blp = api_blueprint("services", __name__, "Service records (追溯): recording them, and a worker's or household's.")


def _iso(value):
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def _paged(page: queries.Page, view) -> tuple:
    return [view(r) for r in page.rows], 200, {"X-Pagination": pagination_header(page.page, page.page_size,
                                                                                page.total)}


@blp.route("/companies/<uscc:uscc>/services")
class CompanyServices(MethodView):
    @require(*COMPANY_ROLES)
    @blp.arguments(ServiceArgs)
    @blp.response(201, ServiceRecordedSchema)
    @blp.alt_response(403, schema=ERRORS)
    @blp.alt_response(404, schema=ERRORS)
    @blp.alt_response(422, schema=ERRORS)
    def post(self, args, uscc):
        """Record a service one of your workers performed (members of a verified company).

        The customer's phone derives the household reference and addresses the
        customer's review code, then is dropped: it is never stored or answered,
        and your company never sees the code. A worker whose card is red, or who
        is not your current employee, needs `override_reason` (422
        `override_reason_required` otherwise), which the record keeps. A card
        number nobody holds: 422 on `card_no`.
        """
        account = bearer_account()
        company = companies.member_company(account, uscc)
        worker = trace.worker_for_service(args["card_no"])
        done = trace.record_service(
            keyring(), account=account, company=company, worker=worker, now=clock.now(),
            fields=rules.ServiceFields(service_type=args["service_type"], phone=args["phone"],
                                       district=args["district"], start=args["start"], end=args["end"],
                                       override_reason=args.get("override_reason")))
        out = {"log_index": done.recorded.seq, "reference": trace.reference_of(done.service.ref),
               "service": views_model.company_view(views_model.facts_of(done.service))}
        commit()
        return out

    @require(*COMPANY_ROLES)
    @blp.arguments(CompanyServicesArgs, location="query")
    @blp.response(200, CompanyServiceSchema(many=True), headers={"X-Pagination": PAGINATION_HEADER_DOC})
    @blp.alt_response(404, schema=ERRORS)
    @blp.alt_response(422, schema=ERRORS)
    def get(self, args, uscc):
        """The services your company recorded, newest first; by worker (`card_no`) and start (`from`, `to`)."""
        company = companies.member_company(bearer_account(), uscc)
        page = queries.company_services(company, card_no=args.get("card_no"), start_from=args.get("start_from"),
                                        start_to=args.get("start_to"), page=args["page"],
                                        page_size=args["page_size"])
        return _paged(page, lambda s: views_model.company_view(views_model.facts_of(s)))


@blp.route("/workers/<card_no:card_no>/services")
class WorkerServices(MethodView):
    @require(*COMPANY_ROLES, *REGULATOR_ROLES)
    @blp.arguments(WorkerServicesArgs, location="query")
    @blp.response(200, WorkerServiceSchema(many=True), headers={"X-Pagination": PAGINATION_HEADER_DOC})
    @blp.alt_response(404, schema=ERRORS)
    @blp.alt_response(422, schema=ERRORS)
    def get(self, args, card_no):
        """A worker's services, newest first.

        A company sees the services it recorded itself (its employees or not),
        in its own view (`household`); regulators see every company's, under the
        rule of the detailed record (a sector employing the worker, or market
        supervision), in theirs (`household_ref`, `company`, `recorded_by`).
        Anyone else: 404.
        """
        account = bearer_account()
        page = queries.worker_services(account, get_worker(card_no), page=args["page"], page_size=args["page_size"])
        return _paged(page, lambda s: views_model.view_for(account, s))


@blp.route("/households/services")
class HouseholdServices(MethodView):
    @reads_first
    @household_limit
    @require(*REGULATOR_ROLES)
    @blp.arguments(HouseholdQueryArgs)
    @blp.response(200, HouseholdServicesSchema)
    @blp.alt_response(422, schema=ERRORS)
    @blp.alt_response(429, schema=ERRORS)
    def post(self, args):
        """A household's services across every company, newest first, at most 200 (regulators, any sector).

        The phone travels in the body only; it is turned into the household
        reference for this read and dropped (never stored, never logged). Every
        query is kept in the private query record (who, agency, when,
        `purpose`, `note`, how many found): `GET /api/v1/household-queries`.
        That record is not a change of business data, so no log entry (no
        `log_index`). Limited per account (REGISTRY_HOUSEHOLD_QUERY_LIMIT).
        """
        regulator = bearer_account()
        # The read and its record, one short write transaction.
        with writing_now():
            found = queries.household_services(keyring(), regulator=regulator, phone=args["phone"],
                                               purpose=args["purpose"], note=args.get("note"), now=clock.now())
            commit()
        out = {"services": [views_model.regulator_view(f) for f in found.services], "query_id": found.query_id,
               "limit": queries.HOUSEHOLD_LIMIT}
        # JSON written directly (the schema documents it): the hot path of the household query.
        return Response(json.dumps(out, ensure_ascii=False, separators=(",", ":"), default=_iso),
                        mimetype="application/json")


@blp.route("/household-queries")
class HouseholdQueries(MethodView):
    @require(Role.OPERATOR_ADMIN, Role.REGULATOR_ADMIN)
    @blp.arguments(QueryRecordsArgs, location="query")
    @blp.response(200, QueryRecordSchema(many=True), headers={"X-Pagination": PAGINATION_HEADER_DOC})
    def get(self, args):
        """The record of household queries, newest first: all (operator admins), your agency's (regulator admins)."""
        page = queries.query_records(bearer_account(), page=args["page"], page_size=args["page_size"])
        return _paged(page, views_model.query_record_view)
