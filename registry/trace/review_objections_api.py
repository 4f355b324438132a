"""/api/v1: objections (异议) to a service's review — filed by its subject (the recording company's members, the
service's worker in self-service) with up to 5 documents; read and answered by the regulators who may decide (a
sector of the company, market supervision). The service is named by its service number.

Each filing and each step is one entry of the service's aggregate and answers its `log_index`.
"""
from __future__ import annotations

from flask import Response, request
from flask.views import MethodView

from schemas.objections import FileObjectionArgs, ObjectionFiledSchema
from schemas.reviews import ReviewObjectionChangedSchema, ReviewObjectionSchema, ReviewObjectionStepArgs

from .. import clock
from ..accounts.auth import bearer_account, require
from ..accounts.roles import COMPANY_ROLES, REGULATOR_ROLES
from ..api_util import ERRORS, api_blueprint, commit
from ..attachments import rules as attachment_rules
from ..attachments import services as attachments
from ..companies import services as companies
from ..companies.access import require_member
from ..keys import keyring
from ..selfservice.api import current_worker, worker_required
from . import review_objections as objections

blp = api_blueprint("review_objections", __name__,
                    "Objections to reviews: filed by the service's company or worker with documents, answered by "
                    "the regulators of the company's sectors or market supervision.")

FILING_ENDPOINTS = ("review_objections.CompanyReviewObjection", "review_objections.SelfReviewObjection")


@blp.url_value_preprocessor
def _body_limit(endpoint, _values):
    if endpoint in FILING_ENDPOINTS:
        request.max_content_length = attachment_rules.body_limit()


def _files() -> list[bytes]:
    return [f.read(attachment_rules.MAX_BYTES + 1) for f in request.files.getlist("documents")]


def _filed(filed: objections.Filed) -> dict:
    return {"log_index": filed.recorded.seq, "ref": filed.objection.ref, "state": filed.objection.state}


def _views(service) -> list[dict]:
    ring, day = keyring(), clock.today()
    return [objections.view(ring, o, day) for o in service.objections]


@blp.route("/companies/<uscc:uscc>/services/<reference>/review/objections")
class CompanyReviewObjection(MethodView):
    @require(*COMPANY_ROLES)
    @blp.arguments(FileObjectionArgs, location="multipart")
    @blp.response(201, ObjectionFiledSchema)
    @blp.alt_response(403, schema=ERRORS)
    @blp.alt_response(404, schema=ERRORS)
    @blp.alt_response(409, schema=ERRORS)
    @blp.alt_response(422, schema=ERRORS)
    def post(self, form, uscc, reference):
        """Object to the review of one of your company's services (its members): reasons and up to 5 documents.

        409 `not_objectable` for a withdrawn review; 409 `objection_pending` while an earlier one is handled.
        """
        account = bearer_account()
        company = companies.get_company(uscc)
        require_member(account, company)
        service = objections.own_service(reference, company=company)
        filed = objections.file_as_company(keyring(), account=account, company=company, service=service,
                                           reasons=form.get("reasons"), files=_files(), now=clock.now())
        out = _filed(filed)
        commit()
        return out

    @require(*COMPANY_ROLES)
    @blp.response(200, ReviewObjectionSchema(many=True))
    @blp.alt_response(403, schema=ERRORS)
    @blp.alt_response(404, schema=ERRORS)
    def get(self, uscc, reference):
        """The objections to the review of one of your company's services, oldest first."""
        account = bearer_account()
        company = companies.get_company(uscc)
        require_member(account, company)
        return _views(objections.own_service(reference, company=company))


@blp.route("/self/services/<reference>/review/objections")
class SelfReviewObjection(MethodView):
    @worker_required
    @blp.arguments(FileObjectionArgs, location="multipart")
    @blp.response(201, ObjectionFiledSchema)
    @blp.alt_response(401, schema=ERRORS)
    @blp.alt_response(404, schema=ERRORS)
    @blp.alt_response(409, schema=ERRORS)
    @blp.alt_response(422, schema=ERRORS)
    def post(self, form, reference):
        """Object to the review of a service you performed (the worker in self-service)."""
        worker, _session = current_worker()
        service = objections.own_service(reference, worker=worker)
        filed = objections.file_as_worker(keyring(), worker=worker, service=service, reasons=form.get("reasons"),
                                          files=_files(), now=clock.now())
        out = _filed(filed)
        commit()
        return out

    @worker_required
    @blp.response(200, ReviewObjectionSchema(many=True))
    @blp.alt_response(401, schema=ERRORS)
    @blp.alt_response(404, schema=ERRORS)
    def get(self, reference):
        """The objections to the review of a service you performed, oldest first."""
        worker, _session = current_worker()
        return _views(objections.own_service(reference, worker=worker))


@blp.route("/services/<reference>/review/objections")
class ReviewObjections(MethodView):
    @require(*REGULATOR_ROLES)
    @blp.response(200, ReviewObjectionSchema(many=True))
    @blp.alt_response(403, schema=ERRORS)
    @blp.alt_response(404, schema=ERRORS)
    def get(self, reference):
        """A review's objections, oldest first (regulators of the company's sectors, market supervision)."""
        return _views(objections.service_for_regulator(bearer_account(), reference))


@blp.route("/services/<reference>/review/objections/<objection_ref>/steps")
class ReviewObjectionSteps(MethodView):
    @require(*REGULATOR_ROLES)
    @blp.arguments(ReviewObjectionStepArgs)
    @blp.response(200, ReviewObjectionChangedSchema)
    @blp.alt_response(403, schema=ERRORS)
    @blp.alt_response(404, schema=ERRORS)
    @blp.alt_response(409, schema=ERRORS)
    @blp.alt_response(422, schema=ERRORS)
    def post(self, args, reference, objection_ref):
        """`accept` or `reject`, then `uphold` (`outcome` `withdraw`: the review leaves every public summary, in
        the same entry) or `dismiss`, with reasons (regulators of the company's sectors, market supervision)."""
        regulator = bearer_account()
        service = objections.service_for_regulator(regulator, reference)
        objection = objections.get_objection(service, objection_ref)
        recorded = objections.take_step(keyring(), regulator=regulator, service=service, objection=objection,
                                        step=args["step"], reason=args.get("reason"), outcome=args.get("outcome"),
                                        today=clock.today())
        out = {"log_index": recorded.seq, "state": objection.state,
               "review_withdrawn": service.review.withdrawn_dt is not None}
        commit()
        return out


@blp.route("/services/<reference>/review/objections/<objection_ref>/documents/<int:position>")
class ReviewObjectionDocument(MethodView):
    @require(*REGULATOR_ROLES)
    @blp.response(200, content_type="application/octet-stream")
    @blp.alt_response(403, schema=ERRORS)
    @blp.alt_response(404, schema=ERRORS)
    def get(self, reference, objection_ref, position):
        """One document of an objection (the regulators who answer it)."""
        service = objections.service_for_regulator(bearer_account(), reference)
        row = objections.document(objections.get_objection(service, objection_ref), position)
        return Response(attachments.open_content(keyring(), row), mimetype=row.content_type, headers={
            "Content-Disposition": f'attachment; filename="objection-{position}"', "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff"})
