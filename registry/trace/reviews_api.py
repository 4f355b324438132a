"""/api/v1: a customer's review with the review code (anyone: customers have no account), the company's one
reply, and the reviews of a company's services for its members.

Leaving a review is an attempt at a code: a refusal commits the wrong try it
counted before answering (`refusals_commit`), and refusals are limited per
client address (`review_attempt_limit`, outermost). The company never sees a
code: nothing here or in any company endpoint answers one.
"""
from __future__ import annotations

from flask.views import MethodView

from schemas.common import ChangeSchema
from schemas.reviews import (
    CompanyReviewsArgs,
    CompanyReviewSchema,
    ReplyArgs,
    ReviewArgs,
    ReviewLeftSchema,
    WorkerReviewSchema,
)

from .. import clock
from ..accounts.auth import bearer_account, require
from ..accounts.roles import COMPANY_ROLES
from ..api_util import ERRORS, api_blueprint, commit
from ..companies.services import member_company
from ..keys import keyring
from ..ratelimits import review_attempt_limit
from ..selfservice.api import current_worker, refusals_commit, worker_required
from . import reviews

blp = api_blueprint("reviews", __name__,
                    "Reviews from real customers (with the review code their service's text message carried), and "
                    "the company's reply.")


@blp.route("/reviews")
class Reviews(MethodView):
    @review_attempt_limit
    @blp.arguments(ReviewArgs)
    @blp.response(201, ReviewLeftSchema)
    @blp.alt_response(422, schema=ERRORS)
    @blp.alt_response(429, schema=ERRORS)
    @refusals_commit
    def post(self, args):
        """Review a service (anyone holding its code: no account): stars, tags, text; once per service.

        The service reference and the review code come from the customer's text
        message. A wrong, expired, used or burnt code answers 422
        `review_code_invalid` alike; the 5th wrong try burns the code, and refusals
        are limited per address (429). Phone and ID numbers in the text are masked
        before it is stored. Logged as `service:review` by the anonymous actor.
        """
        recorded = reviews.leave_review(keyring(), reference=args["reference"], code=args["code"],
                                        rating=args["rating"], tags=args["tags"], text=args.get("text"),
                                        now=clock.now())
        seq = recorded.seq
        commit()
        return {"log_index": seq}


@blp.route("/companies/<uscc:uscc>/services/<service_reference:reference>/reply")
class Reply(MethodView):
    @require(*COMPANY_ROLES)
    @blp.arguments(ReplyArgs)
    @blp.response(201, ChangeSchema)
    @blp.alt_response(404, schema=ERRORS)
    @blp.alt_response(409, schema=ERRORS)
    @blp.alt_response(422, schema=ERRORS)
    def post(self, args, uscc, reference):
        """Reply once to the review of one of your company's services (company members).

        A service without a review answers 409 `not_reviewed`, a second reply 409
        `already_replied`. Phone and ID numbers in the text are masked before it is stored.
        """
        account = bearer_account()
        company = member_company(account, uscc)
        service = reviews.company_service(company, reference)
        recorded = reviews.reply(keyring(), account=account, company=company, service=service, text=args["text"],
                                 now=clock.now())
        seq = recorded.seq
        commit()
        return {"log_index": seq}


@blp.route("/companies/<uscc:uscc>/reviews")
class CompanyReviews(MethodView):
    @require(*COMPANY_ROLES)
    @blp.arguments(CompanyReviewsArgs, location="query")
    @blp.response(200, CompanyReviewSchema(many=True))
    @blp.alt_response(404, schema=ERRORS)
    def get(self, args, uscc):
        """The reviews of your company's services, newest first, with your replies (company members)."""
        company = member_company(bearer_account(), uscc)
        rows, _total = reviews.company_reviews(company, limit=args["limit"], offset=args["offset"])
        ring = keyring()
        return [reviews.review_view(ring, r) for r in rows]


@blp.route("/self/reviews")
class SelfReviews(MethodView):
    @worker_required
    @blp.arguments(CompanyReviewsArgs, location="query")
    @blp.response(200, WorkerReviewSchema(many=True))
    @blp.alt_response(401, schema=ERRORS)
    def get(self, args):
        """The reviews of the services you performed, newest first, with the company's replies, whether one is
        withdrawn or objected to (the worker in self-service; object with the service reference). Not when or where
        each service was: that would tell you which household wrote the review."""
        worker, _session = current_worker()
        rows, _total = reviews.worker_reviews(worker, limit=args["limit"], offset=args["offset"])
        ring = keyring()
        return [reviews.worker_review_view(ring, r) for r in rows]
