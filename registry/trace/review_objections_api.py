"""/api/v1: objections (异议) to a service's review — filed by its subject (the recording company's members, the
service's worker in self-service) with up to 5 documents; read and answered by the regulators who may decide (a
sector of the company, market supervision). The service is named by its service number.

Each filing and each step is one entry of the service's aggregate and answers its `log_index`.
"""
from __future__ import annotations

from flask.views import MethodView

from schemas.objections import FileObjectionArgs, ObjectionFiledSchema
from schemas.reviews import ReviewObjectionChangedSchema, ReviewObjectionSchema, ReviewObjectionStepArgs

from .. import clock
from ..accounts.auth import bearer_account, require
from ..accounts.roles import COMPANY_ROLES, REGULATOR_ROLES
from ..api_util import ERRORS, api_blueprint, commit
from ..keys import keyring
from ..objections import handlers
from ..selfservice.api import current_worker, worker_required
from . import review_objections as objections

blp = api_blueprint("review_objections", __name__,
                    "Objections to reviews: filed by the service's company or worker with documents, answered by "
                    "the regulators of the company's sectors or market supervision.")

# A filing's body may carry five documents of the full 5 MiB.
handlers.allow_documents(blp, ("review_objections.CompanyReviewObjection", "review_objections.SelfReviewObjection"))


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
        account, company = handlers.company_member(uscc)
        service = objections.own_service(reference, company=company)
        return handlers.filed_answer(objections.file_as_company(
            keyring(), account=account, company=company, service=service, reasons=form.get("reasons"),
            files=handlers.uploaded(), now=clock.now()))

    @require(*COMPANY_ROLES)
    @blp.response(200, ReviewObjectionSchema(many=True))
    @blp.alt_response(403, schema=ERRORS)
    @blp.alt_response(404, schema=ERRORS)
    def get(self, uscc, reference):
        """The objections to the review of one of your company's services, oldest first."""
        _account, company = handlers.company_member(uscc)
        return handlers.views(objections.view, objections.own_service(reference, company=company).objections)


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
        return handlers.filed_answer(objections.file_as_worker(
            keyring(), worker=worker, service=service, reasons=form.get("reasons"), files=handlers.uploaded(),
            now=clock.now()))

    @worker_required
    @blp.response(200, ReviewObjectionSchema(many=True))
    @blp.alt_response(401, schema=ERRORS)
    @blp.alt_response(404, schema=ERRORS)
    def get(self, reference):
        """The objections to the review of a service you performed, oldest first."""
        worker, _session = current_worker()
        return handlers.views(objections.view, objections.own_service(reference, worker=worker).objections)


@blp.route("/services/<reference>/review/objections")
class ReviewObjections(MethodView):
    @require(*REGULATOR_ROLES)
    @blp.response(200, ReviewObjectionSchema(many=True))
    @blp.alt_response(403, schema=ERRORS)
    @blp.alt_response(404, schema=ERRORS)
    def get(self, reference):
        """A review's objections, oldest first (regulators of the company's sectors, market supervision)."""
        return handlers.views(objections.view, objections.service_for_regulator(bearer_account(), reference).objections)


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
        return handlers.download(objections.document(objections.get_objection(service, objection_ref), position),
                                 position)
