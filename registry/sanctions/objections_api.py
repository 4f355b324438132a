"""/api/v1: objections (异议) to sanctions — filed by the subject (a company's members, the worker in self-service)
with up to 5 documents, read by every regulator, answered by the issuing agency's regulators only.

Each filing and each step is one entry of the sanction's aggregate and answers its `log_index`.
"""
from __future__ import annotations

from flask.views import MethodView

from schemas.objections import (
    FileObjectionArgs,
    ObjectionChangedSchema,
    ObjectionFiledSchema,
    ObjectionSchema,
    ObjectionStepArgs,
)

from .. import clock
from ..accounts.auth import bearer_account, require
from ..accounts.roles import COMPANY_ROLES, REGULATOR_ROLES
from ..api_util import ERRORS, api_blueprint, commit
from ..keys import keyring
from ..objections import handlers
from ..selfservice.api import current_worker, worker_required
from . import objections, services

blp = api_blueprint("objections", __name__, "Objections to sanctions: filed by their subjects with documents, "
                                            "answered by the issuing agency.")


# A filing's body may carry five documents of the full 5 MiB (MAX_CONTENT_LENGTH is smaller).
handlers.allow_documents(blp, ("objections.CompanyObjection", "objections.SelfObjection"))


@blp.route("/companies/<uscc:uscc>/sanctions/<ref>/objections")
class CompanyObjection(MethodView):
    @require(*COMPANY_ROLES)
    @blp.arguments(FileObjectionArgs, location="multipart")
    @blp.response(201, ObjectionFiledSchema)
    @blp.alt_response(403, schema=ERRORS)
    @blp.alt_response(404, schema=ERRORS)
    @blp.alt_response(409, schema=ERRORS)
    @blp.alt_response(422, schema=ERRORS)
    def post(self, form, uscc, ref):
        """Object to a sanction of your company (its members): reasons and up to 5 documents.

        409 `objection_pending` while an earlier objection is being handled; 409 `not_objectable` for a withdrawn
        sanction. Filed inside a listing notice's window, the decision waits for the answer.
        """
        account, company = handlers.company_member(uscc)
        sanction = objections.own_sanction(ref, company=company)
        return handlers.filed_answer(objections.file_as_company(
            keyring(), account=account, company=company, sanction=sanction, reasons=form.get("reasons"),
            files=handlers.uploaded(), now=clock.now()))


@blp.route("/companies/<uscc:uscc>/objections")
class CompanyObjections(MethodView):
    @require(*COMPANY_ROLES)
    @blp.response(200, ObjectionSchema(many=True))
    @blp.alt_response(403, schema=ERRORS)
    @blp.alt_response(404, schema=ERRORS)
    def get(self, uscc):
        """Your company's objections, newest first, with their state, deadline and answer (its members)."""
        _account, company = handlers.company_member(uscc)
        return handlers.views(objections.view, objections.objections_of(company_id=company.id))


@blp.route("/self/sanctions/<ref>/objections")
class SelfObjection(MethodView):
    @worker_required
    @blp.arguments(FileObjectionArgs, location="multipart")
    @blp.response(201, ObjectionFiledSchema)
    @blp.alt_response(401, schema=ERRORS)
    @blp.alt_response(404, schema=ERRORS)
    @blp.alt_response(409, schema=ERRORS)
    @blp.alt_response(422, schema=ERRORS)
    def post(self, form, ref):
        """Object to a sanction of yours (the worker in self-service): reasons and up to 5 documents."""
        worker, _session = current_worker()
        sanction = objections.own_sanction(ref, worker=worker)
        return handlers.filed_answer(objections.file_as_worker(
            keyring(), worker=worker, sanction=sanction, reasons=form.get("reasons"), files=handlers.uploaded(),
            now=clock.now()))


@blp.route("/self/objections")
class SelfObjections(MethodView):
    @worker_required
    @blp.response(200, ObjectionSchema(many=True))
    @blp.alt_response(401, schema=ERRORS)
    def get(self):
        """Your objections, newest first, with their state, deadline and answer."""
        worker, _session = current_worker()
        return handlers.views(objections.view, objections.objections_of(worker_id=worker.id))


@blp.route("/sanctions/<ref>/objections")
class SanctionObjections(MethodView):
    @require(*REGULATOR_ROLES)
    @blp.response(200, ObjectionSchema(many=True))
    @blp.alt_response(403, schema=ERRORS)
    @blp.alt_response(404, schema=ERRORS)
    def get(self, ref):
        """A sanction's objections, oldest first (regulators: every agency reads; only the issuer answers)."""
        services.require_regulator(bearer_account())
        return handlers.views(objections.view, services.get_sanction(ref).objections)


@blp.route("/sanctions/<ref>/objections/<objection_ref>/steps")
class ObjectionSteps(MethodView):
    @require(*REGULATOR_ROLES)
    @blp.arguments(ObjectionStepArgs)
    @blp.response(200, ObjectionChangedSchema)
    @blp.alt_response(403, schema=ERRORS)
    @blp.alt_response(404, schema=ERRORS)
    @blp.alt_response(409, schema=ERRORS)
    @blp.alt_response(422, schema=ERRORS)
    def post(self, args, ref, objection_ref):
        """Take a step on an objection (the issuing agency's regulators: 403 `not_issuing_agency` otherwise).

        `accept` or `reject` (within 2 working days of filing), then `uphold` or `dismiss` (within 10 of acceptance)
        with reasons. `uphold` corrects (`outcome` `correct` with `changes`) or withdraws (`withdraw`) the sanction
        in the same operation and entry.
        """
        regulator = services.require_regulator(bearer_account())
        sanction = services.get_sanction(ref)
        objection = objections.get_objection(sanction, objection_ref)
        recorded = objections.take_step(keyring(), regulator=regulator, sanction=sanction, objection=objection,
                                        step=args["step"], reason=args.get("reason"), outcome=args.get("outcome"),
                                        changes=args.get("changes"), today=clock.today())
        out = {"log_index": recorded.seq, "state": objection.state, "sanction_state": sanction.state}
        commit()
        return out


@blp.route("/sanctions/<ref>/objections/<objection_ref>/documents/<int:position>")
class ObjectionDocument(MethodView):
    @require(*REGULATOR_ROLES)
    @blp.response(200, content_type="application/octet-stream")
    @blp.alt_response(403, schema=ERRORS)
    @blp.alt_response(404, schema=ERRORS)
    def get(self, ref, objection_ref, position):
        """One document of an objection (the issuing agency's regulators, who answer it)."""
        regulator = services.require_regulator(bearer_account())
        sanction = services.get_sanction(ref)
        services.require_issuer(regulator, sanction)
        objection = objections.get_objection(sanction, objection_ref)
        return handlers.download(objections.document(sanction, objection, position), position)
