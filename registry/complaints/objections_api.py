"""/api/v1: objections (异议) to substantiated complaints — filed by the subject (a company's members, the worker in
self-service) with up to 5 documents, read by the regulators who handle the complaint, answered only by the
regulators of the agency that concluded it.

Each filing and each step is one entry of the complaint's aggregate and answers its `log_index`.
"""
from __future__ import annotations

from flask.views import MethodView

from schemas.complaints import ComplaintObjectionChangedSchema, ComplaintObjectionSchema, ComplaintObjectionStepArgs
from schemas.objections import FileObjectionArgs, ObjectionFiledSchema

from .. import clock
from ..accounts.auth import bearer_account, require
from ..accounts.roles import COMPANY_ROLES, REGULATOR_ROLES
from ..api_util import ERRORS, api_blueprint, commit
from ..keys import keyring
from ..objections import handlers
from ..selfservice.api import current_worker, worker_required
from . import objections, services

blp = api_blueprint("complaint_objections", __name__,
                    "Objections to substantiated complaints: filed by their subjects with documents, answered by "
                    "the agency that concluded them.")

# A filing's body may carry five documents of the full 5 MiB.
handlers.allow_documents(blp, ("complaint_objections.CompanyComplaintObjection",
                               "complaint_objections.SelfComplaintObjection"))


@blp.route("/companies/<uscc:uscc>/complaints/<ref>/objections")
class CompanyComplaintObjection(MethodView):
    @require(*COMPANY_ROLES)
    @blp.arguments(FileObjectionArgs, location="multipart")
    @blp.response(201, ObjectionFiledSchema)
    @blp.alt_response(403, schema=ERRORS)
    @blp.alt_response(404, schema=ERRORS)
    @blp.alt_response(409, schema=ERRORS)
    @blp.alt_response(422, schema=ERRORS)
    def post(self, form, uscc, ref):
        """Object to a substantiated complaint about your company (its members): reasons and up to 5 documents.

        409 `not_objectable` unless substantiated; 409 `objection_pending` while an earlier one is handled.
        """
        account, company = handlers.company_member(uscc)
        complaint = services.own_complaint(ref, company=company)
        return handlers.filed_answer(objections.file_as_company(
            keyring(), account=account, company=company, complaint=complaint, reasons=form.get("reasons"),
            files=handlers.uploaded(), now=clock.now()))

    @require(*COMPANY_ROLES)
    @blp.response(200, ComplaintObjectionSchema(many=True))
    @blp.alt_response(403, schema=ERRORS)
    @blp.alt_response(404, schema=ERRORS)
    def get(self, uscc, ref):
        """The objections to a complaint about your company, oldest first, with state, deadline and answer."""
        _account, company = handlers.company_member(uscc)
        return handlers.views(objections.view, services.own_complaint(ref, company=company).objections)


@blp.route("/self/complaints/<ref>/objections")
class SelfComplaintObjection(MethodView):
    @worker_required
    @blp.arguments(FileObjectionArgs, location="multipart")
    @blp.response(201, ObjectionFiledSchema)
    @blp.alt_response(401, schema=ERRORS)
    @blp.alt_response(404, schema=ERRORS)
    @blp.alt_response(409, schema=ERRORS)
    @blp.alt_response(422, schema=ERRORS)
    def post(self, form, ref):
        """Object to a substantiated complaint about you (the worker in self-service): reasons and documents."""
        worker, _session = current_worker()
        complaint = services.own_complaint(ref, worker=worker)
        return handlers.filed_answer(objections.file_as_worker(
            keyring(), worker=worker, complaint=complaint, reasons=form.get("reasons"), files=handlers.uploaded(),
            now=clock.now()))

    @worker_required
    @blp.response(200, ComplaintObjectionSchema(many=True))
    @blp.alt_response(401, schema=ERRORS)
    @blp.alt_response(404, schema=ERRORS)
    def get(self, ref):
        """The objections to a complaint about you, oldest first."""
        worker, _session = current_worker()
        return handlers.views(objections.view, services.own_complaint(ref, worker=worker).objections)


@blp.route("/complaints/<ref>/objections")
class ComplaintObjections(MethodView):
    @require(*REGULATOR_ROLES)
    @blp.response(200, ComplaintObjectionSchema(many=True))
    @blp.alt_response(403, schema=ERRORS)
    @blp.alt_response(404, schema=ERRORS)
    def get(self, ref):
        """A complaint's objections, oldest first (the regulators who handle the complaint read them)."""
        return handlers.views(objections.view, objections.complaint_for_regulator(bearer_account(), ref).objections)


@blp.route("/complaints/<ref>/objections/<objection_ref>/steps")
class ComplaintObjectionSteps(MethodView):
    @require(*REGULATOR_ROLES)
    @blp.arguments(ComplaintObjectionStepArgs)
    @blp.response(200, ComplaintObjectionChangedSchema)
    @blp.alt_response(403, schema=ERRORS)
    @blp.alt_response(404, schema=ERRORS)
    @blp.alt_response(409, schema=ERRORS)
    @blp.alt_response(422, schema=ERRORS)
    def post(self, args, ref, objection_ref):
        """Take a step on an objection (the concluding agency's regulators: 403 `not_concluding_agency` otherwise).

        `accept` or `reject` (within 2 working days of filing), then `uphold` or `dismiss` (within 10 of
        acceptance) with reasons. `uphold` withdraws the complaint (`outcome` `withdraw`: it counts nowhere) or
        corrects its category (`correct` with `category`), in the same operation and entry.
        """
        regulator = bearer_account()
        complaint = objections.complaint_for_regulator(regulator, ref)
        objection = objections.get_objection(complaint, objection_ref)
        recorded = objections.take_step(keyring(), regulator=regulator, complaint=complaint, objection=objection,
                                        step=args["step"], reason=args.get("reason"), outcome=args.get("outcome"),
                                        category=args.get("category"), today=clock.today())
        out = {"log_index": recorded.seq, "state": objection.state, "complaint_state": complaint.state}
        commit()
        return out


@blp.route("/complaints/<ref>/objections/<objection_ref>/documents/<int:position>")
class ComplaintObjectionDocument(MethodView):
    @require(*REGULATOR_ROLES)
    @blp.response(200, content_type="application/octet-stream")
    @blp.alt_response(403, schema=ERRORS)
    @blp.alt_response(404, schema=ERRORS)
    def get(self, ref, objection_ref, position):
        """One document of an objection (the concluding agency's regulators, who answer it)."""
        regulator = bearer_account()
        complaint = objections.complaint_for_regulator(regulator, ref)
        objections.require_concluder(regulator, complaint)
        return handlers.download(objections.document(objections.get_objection(complaint, objection_ref), position),
                                 position)
