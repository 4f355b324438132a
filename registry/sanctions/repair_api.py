"""/api/v1: credit repair (信用修复) and withdrawal of sanctions.

The subject applies: a member of the sanctioned company (`/companies/<uscc>/sanctions/<ref>/repairs`), or the
worker in self-service (`/self/sanctions/<ref>/repairs`); each reads its own decided sanctions and applications.
A regulator of the issuing agency approves or rejects an application (403 `not_issuing_agency` for anyone
else) and withdraws a revoked decision; any regulator may record that a decision was revoked (the issuing
agency's worklist then shows the withdrawal due). Each change is one service call and one log entry.
"""
from __future__ import annotations

from flask import Response, request
from flask.views import MethodView

from schemas.repairs import (
    OwnSanctionSchema,
    RepairAppliedSchema,
    RepairApplyArgs,
    RepairDecideArgs,
    RevocationArgs,
    WithdrawArgs,
)
from schemas.sanctions import SanctionChangedSchema

from ..accounts.auth import bearer_account, require
from ..accounts.roles import COMPANY_ROLES, REGULATOR_ROLES
from ..api_util import ERRORS, api_blueprint, commit
from ..attachments import rules as attachment_rules
from ..attachments import services as attachments
from ..clock import today
from ..companies import services as companies
from ..keys import keyring
from ..selfservice.api import current_worker, worker_required
from ..workers.services import self_actor
from . import repair, services
from .api import changed_answer, step_answer

blp = api_blueprint("sanction repairs", __name__,
                    "Credit repair (信用修复) applied for by the subject and decided by the issuing agency; the "
                    "withdrawal of revoked decisions.")


APPLY_ENDPOINTS = ("sanction repairs.CompanyRepair", "sanction repairs.SelfRepair")


@blp.url_value_preprocessor
def _body_limit(endpoint, _values):
    """Let an application's body carry five documents of the full 5 MiB (MAX_CONTENT_LENGTH is smaller); set
    before anything reads the form."""
    if endpoint in APPLY_ENDPOINTS:
        request.max_content_length = attachment_rules.body_limit()


def _files() -> list[bytes]:
    """The `documents` parts' bytes (each read to one byte past the limit: a larger file is refused by size)."""
    return [f.read(attachment_rules.MAX_BYTES + 1) for f in request.files.getlist("documents")]


def _apply_args(args: dict) -> dict:
    return {"statement": args["statement"], "pledge": args["pledge"], "files": _files()}


def _applied(changed: services.Changed) -> dict:
    return {"log_index": changed.recorded.seq, "ref": changed.sanction.repairs[-1].ref,
            "state": changed.sanction.repairs[-1].state}


@blp.route("/companies/<uscc:uscc>/sanctions")
class CompanySanctions(MethodView):
    @require(*COMPANY_ROLES)
    @blp.response(200, OwnSanctionSchema(many=True))
    @blp.alt_response(403, schema=ERRORS)
    @blp.alt_response(404, schema=ERRORS)
    def get(self, uscc):
        """Your company's decided sanctions, newest first (its members): state, from when a repair may be applied
        for, the applications and any withdrawal."""
        company = companies.member_company(bearer_account(), uscc)
        ring, day = keyring(), today()
        return [repair.own_view(ring, s, day) for s in repair.own_sanctions(company=company)]


@blp.route("/companies/<uscc:uscc>/sanctions/<ref>/repairs")
class CompanyRepair(MethodView):
    @require(*COMPANY_ROLES)
    @blp.arguments(RepairApplyArgs, location="multipart")
    @blp.response(201, RepairAppliedSchema)
    @blp.alt_response(403, schema=ERRORS)
    @blp.alt_response(404, schema=ERRORS)
    @blp.alt_response(409, schema=ERRORS)
    @blp.alt_response(422, schema=ERRORS)
    def post(self, args, uscc, ref):
        """Apply for the credit repair of your company's sanction (its members), as multipart/form-data: the
        obligations met (`statement`, and up to 5 `documents` proving them), and the credit pledge signed.
        409 `repair_too_early` before the minimum period, with the first possible day in `fields.earliest`."""
        account = bearer_account()
        company = companies.member_company(account, uscc)
        sanction = repair.own_sanction(ref, company=company)
        out = _applied(repair.apply_for_repair(keyring(), sanction=sanction, applicant_kind="company",
                                               applicant=account.ref, today=today(), **_apply_args(args)))
        commit()
        return out


@blp.route("/self/sanctions")
class SelfSanctions(MethodView):
    @worker_required
    @blp.response(200, OwnSanctionSchema(many=True))
    @blp.alt_response(401, schema=ERRORS)
    def get(self):
        """Your decided sanctions, newest first: state, from when a repair may be applied for, your applications."""
        worker, _session = current_worker()
        ring, day = keyring(), today()
        return [repair.own_view(ring, s, day) for s in repair.own_sanctions(worker=worker)]


@blp.route("/self/sanctions/<ref>/repairs")
class SelfRepair(MethodView):
    @worker_required
    @blp.arguments(RepairApplyArgs, location="multipart")
    @blp.response(201, RepairAppliedSchema)
    @blp.alt_response(401, schema=ERRORS)
    @blp.alt_response(404, schema=ERRORS)
    @blp.alt_response(409, schema=ERRORS)
    @blp.alt_response(422, schema=ERRORS)
    def post(self, args, ref):
        """Apply for the credit repair of your sanction, as multipart/form-data: the obligations met (`statement`,
        and up to 5 `documents` proving them), and the credit pledge signed.
        409 `repair_too_early` before the minimum period, with the first possible day in `fields.earliest`."""
        worker, _session = current_worker()
        sanction = repair.own_sanction(ref, worker=worker)
        out = _applied(repair.apply_for_repair(keyring(), sanction=sanction, applicant_kind="worker",
                                               applicant=self_actor(worker, sanction.log_ref), today=today(),
                                               **_apply_args(args)))
        commit()
        return out


@blp.route("/sanctions/<ref>/repairs/<repair_ref>/decide")
class RepairDecide(MethodView):
    @require(*REGULATOR_ROLES)
    @blp.arguments(RepairDecideArgs)
    @blp.response(200, SanctionChangedSchema)
    @blp.alt_response(403, schema=ERRORS)
    @blp.alt_response(404, schema=ERRORS)
    @blp.alt_response(409, schema=ERRORS)
    @blp.alt_response(422, schema=ERRORS)
    def post(self, args, ref, repair_ref):
        """Approve (the sanction is `repaired`: no longer public, shared or binding, at once) or reject with
        reasons a repair application (the issuing agency)."""
        regulator = services.require_regulator(bearer_account())
        sanction = services.get_sanction(ref)
        application = repair.get_repair(sanction, repair_ref)
        changed = repair.decide_repair(keyring(), regulator=regulator, sanction=sanction, repair=application,
                                       today=today(), approve=args["decision"] == "approve", reason=args["reason"])
        out = changed_answer(changed)
        commit()
        return out


@blp.route("/sanctions/<ref>/revocation")
class SanctionRevocation(MethodView):
    @require(*REGULATOR_ROLES)
    @blp.arguments(RevocationArgs)
    @blp.response(200, SanctionChangedSchema)
    @blp.alt_response(403, schema=ERRORS)
    @blp.alt_response(404, schema=ERRORS)
    @blp.alt_response(409, schema=ERRORS)
    @blp.alt_response(422, schema=ERRORS)
    def post(self, args, ref):
        """Record that a decision was revoked or changed (any regulator, e.g. the review body): the issuing agency
        must withdraw it within 3 working days of `revoked_on`, and its worklist shows it until then."""
        return step_answer(repair.record_revocation, ref, **args)


@blp.route("/sanctions/<ref>/withdraw")
class SanctionWithdraw(MethodView):
    @require(*REGULATOR_ROLES)
    @blp.arguments(WithdrawArgs)
    @blp.response(200, SanctionChangedSchema)
    @blp.alt_response(403, schema=ERRORS)
    @blp.alt_response(404, schema=ERRORS)
    @blp.alt_response(409, schema=ERRORS)
    @blp.alt_response(422, schema=ERRORS)
    def post(self, args, ref):
        """Withdraw a revoked decision (the issuing agency): no longer public, shared or binding, at once. With a
        revocation recorded nothing is required; otherwise `authority`, `revoked_on` and `reason`."""
        return step_answer(repair.withdraw_sanction, ref, **args)


@blp.route("/sanctions/<ref>/repairs/<repair_ref>/documents/<int:position>")
class RepairDocument(MethodView):
    @require(*REGULATOR_ROLES)
    @blp.response(200, content_type="application/octet-stream")
    @blp.alt_response(403, schema=ERRORS)
    @blp.alt_response(404, schema=ERRORS)
    def get(self, ref, repair_ref, position):
        """One document of a repair application (the issuing agency's regulators, who decide it)."""
        regulator = services.require_regulator(bearer_account())
        sanction = services.get_sanction(ref)
        services.require_issuer(regulator, sanction)
        row = repair.document(repair.get_repair(sanction, repair_ref), position)
        return Response(attachments.open_content(keyring(), row), mimetype=row.content_type, headers={
            "Content-Disposition": f'attachment; filename="repair-{position}"', "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff"})
