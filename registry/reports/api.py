"""/api/v1: "report this card" from the door, and the regulators' queue of reports.

Filing is open to anyone (a resident has no account) and limited like a card
look-up, per client address; the queue and closing are for the regulators who
handle the report (see reports.py for who that is).
"""
from __future__ import annotations

from flask.views import MethodView

from schemas.common import ChangeSchema
from schemas.reports import CloseReportArgs, ReportArgs, ReportFiledSchema, ReportQueueArgs, ReportSchema

from ..accounts.auth import bearer_account, require, token_optional
from ..accounts.roles import REGULATOR_ROLES
from ..api_util import ERRORS, api_blueprint, commit
from ..clock import today
from ..keys import keyring
from ..log.services import ANONYMOUS_ACTOR
from ..ratelimits import lookup_limit
from . import services as reports

blp = api_blueprint("reports", __name__, "Reports about a card, and the regulators' queue that handles them.")


@blp.route("/cards/<card_no:card_no>/reports")
class CardReports(MethodView):
    @lookup_limit
    @token_optional
    @blp.arguments(ReportArgs)
    @blp.response(201, ReportFiledSchema)
    @blp.alt_response(404, schema=ERRORS)
    @blp.alt_response(422, schema=ERRORS)
    @blp.alt_response(429, schema=ERRORS)
    def post(self, args, card_no):
        """Report a card (anyone): a suspected fake, not the holder, or other; to the regulators' queue.

        Misconduct during a service is a complaint (`POST /api/v1/cards/{card_no}/complaints`): `misconduct`
        answers 422 `misconduct_is_a_complaint` naming that endpoint.

        With `q` (from a scanned QR) the report records the verdict on that QR.
        A number whose check character is wrong answers 422 `card_no_typo`.
        """
        ring = keyring()
        worker = reports.worker_for_card(card_no)
        account = bearer_account()
        verdict = reports.qr_verdict(ring, worker, args.get("q"), today())
        filed = reports.file_report(
            ring, actor=account.ref if account else ANONYMOUS_ACTOR, worker=worker, reason=args["reason"],
            text=args.get("text"), serial=verdict.serial if verdict else None,
            qr_verdict=verdict.code if verdict else None)
        reference, seq = filed.reference, filed.recorded.seq
        commit()
        return {"reference": reference, "log_index": seq}


@blp.route("/reports")
class ReportQueue(MethodView):
    @require(*REGULATOR_ROLES)
    @blp.arguments(ReportQueueArgs, location="query")
    @blp.response(200, ReportSchema(many=True))
    def get(self, args):
        """The reports you handle, newest first (regulators: your sector's employers' workers; market: all)."""
        rows = reports.queue(bearer_account(), state=args["state"], reference=args.get("reference"),
                             limit=args["limit"], offset=args["offset"])
        ring = keyring()
        return [reports.report_view(ring, r) for r in rows]


@blp.route("/reports/<ref>/close")
class ReportClose(MethodView):
    @require(*REGULATOR_ROLES)
    @blp.arguments(CloseReportArgs)
    @blp.response(200, ChangeSchema)
    @blp.alt_response(404, schema=ERRORS)
    @blp.alt_response(409, schema=ERRORS)
    def post(self, args, ref):
        """Close a report with a note saying what was done (the regulators who handle it)."""
        regulator = bearer_account()
        report = reports.get_report(regulator, ref)
        recorded = reports.close_report(keyring(), regulator=regulator, report=report, note=args["note"])
        commit()
        return {"log_index": recorded.seq}
