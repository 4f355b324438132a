"""/api/v1: the notifications the subject of a record reads (a company's members, the worker in self-service):
each step of the objections to its sanctions, complaints and reviews, of its credit repairs and of withdrawals,
newest first (`subject_notices.for_subject`)."""
from __future__ import annotations

from flask.views import MethodView

from schemas.subject_notices import SubjectNotificationSchema

from ..accounts.auth import bearer_account, require
from ..accounts.roles import COMPANY_ROLES
from ..api_util import ERRORS, api_blueprint
from ..companies import services as companies
from ..companies.access import require_member
from ..selfservice.api import current_worker, worker_required
from . import subject_notices

blp = api_blueprint("subject_notifications", __name__,
                    "What the subject of a record was told at each step of its objections, repairs and withdrawals.")


@blp.route("/companies/<uscc:uscc>/notifications")
class CompanyNotifications(MethodView):
    @require(*COMPANY_ROLES)
    @blp.response(200, SubjectNotificationSchema(many=True))
    @blp.alt_response(403, schema=ERRORS)
    @blp.alt_response(404, schema=ERRORS)
    def get(self, uscc):
        """Your company's notifications about its sanctions, complaints and reviews, newest first (its members)."""
        company = companies.get_company(uscc)
        require_member(bearer_account(), company)
        return subject_notices.for_subject(company_id=company.id)


@blp.route("/self/notifications")
class SelfNotifications(MethodView):
    @worker_required
    @blp.response(200, SubjectNotificationSchema(many=True))
    @blp.alt_response(401, schema=ERRORS)
    def get(self):
        """Your notifications about your sanctions, complaints and reviews, newest first (self-service)."""
        worker, _session = current_worker()
        return subject_notices.for_subject(worker_id=worker.id)
