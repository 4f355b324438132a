"""/api/v1: sanctions — recorded, noticed, decided, approved, published and corrected by regulators — and the
notices their subjects read.

Any regulator of any agency records and reads every sanction (失信惩戒共鉴);
only the issuing agency's regulators change one (403 `not_issuing_agency`), and
a serious listing is approved by a regulator who neither proposed nor decided
it (403 `four_eyes`). Each change is one service call and one log entry, and
answers its `log_index` and the sanction's new state. A company's members read
the notices addressed to their company, a worker in self-service their own.
"""
from __future__ import annotations

from flask.views import MethodView

from schemas.sanctions import (
    CorrectSanctionArgs,
    DecideSanctionArgs,
    NotifySanctionArgs,
    RecordSanctionArgs,
    RegulatorSanctionSchema,
    SanctionChangedSchema,
    SanctionListArgs,
    SanctionNoticeSchema,
    SanctionRecordedSchema,
)

from ..accounts.auth import bearer_account, require
from ..accounts.roles import COMPANY_ROLES, REGULATOR_ROLES
from ..api_util import ERRORS, api_blueprint, commit
from ..calendar import services as calendar
from ..clock import today
from ..companies import services as companies
from ..companies.access import require_member
from ..keys import keyring
from ..selfservice.api import current_worker, worker_required
from . import services, views_model

blp = api_blueprint("sanctions", __name__, "Sanctions and listings shared by every regulator; the subjects' notices.")


def changed_answer(changed: services.Changed) -> dict:
    """The answer of a change: its entry and the state it left the sanction in (read before the commit)."""
    return {"log_index": changed.recorded.seq, "state": changed.sanction.state}


@blp.route("/sanctions")
class Sanctions(MethodView):
    @require(*REGULATOR_ROLES)
    @blp.arguments(SanctionListArgs, location="query")
    @blp.response(200, RegulatorSanctionSchema(many=True))
    @blp.alt_response(403, schema=ERRORS)
    @blp.alt_response(422, schema=ERRORS)
    def get(self, args):
        """Sanctions of every agency, newest first (regulators); filter by state, worker, company or issuer.

        `agency` is an issuing agency's code; `mine=true` keeps your agency's.
        """
        regulator = services.require_regulator(bearer_account())
        rows = services.list_sanctions(
            state=args.get("state"), card_no=args.get("card_no"), uscc=args.get("uscc"),
            agency_id=regulator.agency_id if args["mine"] else None, agency_code=args.get("agency"),
            limit=args["limit"], offset=args["offset"])
        ring, day, using = keyring(), today(), calendar.schedule()
        return [views_model.regulator_view(ring, s, day, using=using) for s in rows]

    @require(*REGULATOR_ROLES)
    @blp.arguments(RecordSanctionArgs)
    @blp.response(201, SanctionRecordedSchema)
    @blp.alt_response(403, schema=ERRORS)
    @blp.alt_response(422, schema=ERRORS)
    def post(self, args):
        """Record a sanction against a worker (`card_no`) or a company (`uscc`), issued by your agency (regulators).

        A serious listing (`serious_list`) starts `proposed`: notice it, decide
        it after the objection window, have a second regulator approve it, then
        publish it. Any other kind is a decision already (`decision_no` and
        `decision_date` required) and starts `decided`.
        """
        changed = services.record_sanction(keyring(), regulator=bearer_account(), today=today(), **args)
        out = {**changed_answer(changed), "ref": changed.sanction.ref}
        commit()
        return out


@blp.route("/sanctions/<ref>")
class SanctionDetail(MethodView):
    @require(*REGULATOR_ROLES)
    @blp.response(200, RegulatorSanctionSchema)
    @blp.alt_response(403, schema=ERRORS)
    @blp.alt_response(404, schema=ERRORS)
    def get(self, ref):
        """One sanction, whichever agency issued it (regulators)."""
        services.require_regulator(bearer_account())
        return views_model.regulator_view(keyring(), services.get_sanction(ref), today())


def step_answer(service, ref: str, **kwargs) -> dict:
    """Move sanction `ref` one step with `service` for the signed-in regulator (the service checks the issuer and
    the state), commit, and answer the entry and the new state."""
    regulator = services.require_regulator(bearer_account())
    sanction = services.get_sanction(ref)
    out = changed_answer(service(keyring(), regulator=regulator, sanction=sanction, today=today(), **kwargs))
    commit()
    return out


@blp.route("/sanctions/<ref>/notify")
class SanctionNotify(MethodView):
    @require(*REGULATOR_ROLES)
    @blp.arguments(NotifySanctionArgs)
    @blp.response(200, SanctionChangedSchema)
    @blp.alt_response(403, schema=ERRORS)
    @blp.alt_response(404, schema=ERRORS)
    @blp.alt_response(409, schema=ERRORS)
    @blp.alt_response(422, schema=ERRORS)
    def post(self, args, ref):
        """Notice the subject of a proposed serious listing (the issuing agency): reasons, basis, rights, window.

        By default a text message goes to the mobile on record, delivered today;
        where there is none (a company's landline; a worker whose phone was
        erased, 422 `worker_erased` for a text message) say how
        (`delivery_method`) and when (`delivered_on`) it was delivered.
        """
        return step_answer(services.notify_sanction, ref, **args)


@blp.route("/sanctions/<ref>/decide")
class SanctionDecide(MethodView):
    @require(*REGULATOR_ROLES)
    @blp.arguments(DecideSanctionArgs)
    @blp.response(200, SanctionChangedSchema)
    @blp.alt_response(403, schema=ERRORS)
    @blp.alt_response(404, schema=ERRORS)
    @blp.alt_response(409, schema=ERRORS)
    @blp.alt_response(422, schema=ERRORS)
    def post(self, args, ref):
        """Decide a noticed listing once its objection window has ended (the issuing agency; 409
        `objection_window_open` before)."""
        return step_answer(services.decide_sanction, ref, **args)


@blp.route("/sanctions/<ref>/approve")
class SanctionApprove(MethodView):
    @require(*REGULATOR_ROLES)
    @blp.response(200, SanctionChangedSchema)
    @blp.alt_response(403, schema=ERRORS)
    @blp.alt_response(404, schema=ERRORS)
    @blp.alt_response(409, schema=ERRORS)
    def post(self, ref):
        """Approve a decided serious listing: a second regulator of the issuing agency, who neither proposed nor
        decided it (403 `four_eyes`). It binds from now."""
        return step_answer(services.approve_sanction, ref)


@blp.route("/sanctions/<ref>/publish")
class SanctionPublish(MethodView):
    @require(*REGULATOR_ROLES)
    @blp.response(200, SanctionChangedSchema)
    @blp.alt_response(403, schema=ERRORS)
    @blp.alt_response(404, schema=ERRORS)
    @blp.alt_response(409, schema=ERRORS)
    def post(self, ref):
        """Publish a decided sanction (a listing: approved) within its window (the issuing agency)."""
        return step_answer(services.publish_sanction, ref)


@blp.route("/sanctions/<ref>/correct")
class SanctionCorrect(MethodView):
    @require(*REGULATOR_ROLES)
    @blp.arguments(CorrectSanctionArgs)
    @blp.response(200, SanctionChangedSchema)
    @blp.alt_response(403, schema=ERRORS)
    @blp.alt_response(404, schema=ERRORS)
    @blp.alt_response(409, schema=ERRORS)
    @blp.alt_response(422, schema=ERRORS)
    def post(self, args, ref):
        """Correct fields of a sanction, saying why (the issuing agency); the log keeps every earlier state.

        A correction that changes nothing answers 409 `nothing_changed`.
        """
        reason = args.pop("reason")
        return step_answer(services.correct_sanction, ref, changes=args, reason=reason)


@blp.route("/companies/<uscc:uscc>/notices")
class CompanyNotices(MethodView):
    @require(*COMPANY_ROLES)
    @blp.response(200, SanctionNoticeSchema(many=True))
    @blp.alt_response(403, schema=ERRORS)
    @blp.alt_response(404, schema=ERRORS)
    def get(self, uscc):
        """The listing notices addressed to your company, newest first (its members): reasons, basis, measures,
        your rights and the objection window."""
        account = bearer_account()
        company = companies.get_company(uscc)
        require_member(account, company)
        ring, using = keyring(), calendar.schedule()
        return [views_model.notice_view(ring, s, using=using) for s in services.notices_for(company_id=company.id)]


@blp.route("/self/notices")
class SelfNotices(MethodView):
    @worker_required
    @blp.response(200, SanctionNoticeSchema(many=True))
    @blp.alt_response(401, schema=ERRORS)
    def get(self):
        """The listing notices addressed to you, newest first: reasons, basis, measures, your rights and the
        objection window."""
        worker, _session = current_worker()
        ring, using = keyring(), calendar.schedule()
        return [views_model.notice_view(ring, s, using=using) for s in services.notices_for(worker_id=worker.id)]
