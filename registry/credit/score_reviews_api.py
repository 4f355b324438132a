"""/api/v1: a credit score explained to its subject and regulators, and human review of it (PIPL art. 24).

- `GET /companies/{uscc}/score` (the company's members; the regulators of its sectors and market supervision) and
  `GET /self/score` (the worker in self-service): the kept score with every component in words. 404
  `score_not_kept` while none is kept. The public reads only points and grade, in the company and card views.
- `POST /companies/{uscc}/score-reviews` (the company's admin) and `POST /self/score-reviews` (the worker): ask for
  human review, with a reason and optionally the components disputed; one open at a time (409
  `score_review_open`). `GET` of each: the subject's own reviews, newest first.
- `GET /score-reviews` (regulators): the reviews they may answer, open by default, oldest first.
- `POST /score-reviews/{ref}/answer`: a regulator who may answer (403 `not_subject_regulator` otherwise) answers
  with a note and optionally a correction that enters the subject's score in the same commit.

Each change is one service call and one log entry, and answers its `log_index`.
"""
from __future__ import annotations

from flask.views import MethodView

from schemas.score_reviews import (
    AnswerScoreReviewArgs,
    FileScoreReviewArgs,
    RegulatorScoreReviewSchema,
    ScoreReviewAnsweredSchema,
    ScoreReviewFiledSchema,
    ScoreReviewListArgs,
    ScoreReviewSchema,
    ScoreSchema,
)

from .. import clock
from ..accounts.auth import bearer_account, require
from ..accounts.roles import COMPANY_ROLES, REGULATOR_ROLES, Role
from ..api_util import ERRORS, api_blueprint, commit
from ..calendar import services as calendar
from ..companies import services as companies
from ..companies.access import require_member
from ..extensions import db
from ..keys import keyring
from ..selfservice.api import current_worker, worker_required
from . import score_reviews as services
from .score_models import CreditScore

blp = api_blueprint("score_reviews", __name__,
                    "Credit scores explained to their subjects and regulators, and human review of a score "
                    "(PIPL art. 24).")


def _views(view, reviews) -> list[dict]:
    ring, today, using = keyring(), clock.today(), calendar.schedule()
    return [view(ring, r, today, using=using) for r in reviews]


def _filed(changed) -> dict:
    out = {"log_index": changed.recorded.seq, "ref": changed.review.ref, "state": changed.review.state}
    commit()
    return out


@blp.route("/companies/<uscc:uscc>/score")
class CompanyScore(MethodView):
    @require(*COMPANY_ROLES, *REGULATOR_ROLES)
    @blp.response(200, ScoreSchema)
    @blp.alt_response(403, schema=ERRORS)
    @blp.alt_response(404, schema=ERRORS)
    def get(self, uscc):
        """The company's kept score with every component in words (its members; the regulators of its sectors and
        market supervision; anyone else: 404). 404 `score_not_kept` while none is kept."""
        company = companies.get_company(uscc)
        return services.explanation(services.company_score(bearer_account(), company))


@blp.route("/self/score")
class SelfScore(MethodView):
    @worker_required
    @blp.response(200, ScoreSchema)
    @blp.alt_response(401, schema=ERRORS)
    @blp.alt_response(404, schema=ERRORS)
    def get(self):
        """Your kept score with every component in words (the worker in self-service; no grade). 404
        `score_not_kept` while none is kept."""
        worker, _session = current_worker()
        return services.explanation(services.kept("worker", worker.id))


@blp.route("/companies/<uscc:uscc>/score-reviews")
class CompanyScoreReviews(MethodView):
    @require(Role.COMPANY_ADMIN)
    @blp.arguments(FileScoreReviewArgs)
    @blp.response(201, ScoreReviewFiledSchema)
    @blp.alt_response(403, schema=ERRORS)
    @blp.alt_response(404, schema=ERRORS)
    @blp.alt_response(409, schema=ERRORS)
    @blp.alt_response(422, schema=ERRORS)
    def post(self, args, uscc):
        """Ask for human review of your company's current score (its admin): a `reason` and optionally the
        components `disputed`. 409 `score_review_open` while one is open; 409 `score_not_kept` with no score."""
        company = companies.get_company(uscc)
        return _filed(services.file_for_company(keyring(), account=bearer_account(), company=company,
                                                reason=args["reason"], disputed=args.get("disputed"),
                                                now=clock.now()))

    @require(*COMPANY_ROLES)
    @blp.response(200, ScoreReviewSchema(many=True))
    @blp.alt_response(403, schema=ERRORS)
    @blp.alt_response(404, schema=ERRORS)
    def get(self, uscc):
        """Your company's reviews, newest first, with their deadline while open and the answer once given."""
        company = companies.get_company(uscc)
        require_member(bearer_account(), company)
        return _views(services.view, services.of_subject("company", company.id))


@blp.route("/self/score-reviews")
class SelfScoreReviews(MethodView):
    @worker_required
    @blp.arguments(FileScoreReviewArgs)
    @blp.response(201, ScoreReviewFiledSchema)
    @blp.alt_response(401, schema=ERRORS)
    @blp.alt_response(409, schema=ERRORS)
    @blp.alt_response(422, schema=ERRORS)
    def post(self, args):
        """Ask for human review of your current score (the worker in self-service)."""
        worker, _session = current_worker()
        return _filed(services.file_for_worker(keyring(), worker=worker, reason=args["reason"],
                                               disputed=args.get("disputed"), now=clock.now()))

    @worker_required
    @blp.response(200, ScoreReviewSchema(many=True))
    @blp.alt_response(401, schema=ERRORS)
    def get(self):
        """Your reviews, newest first."""
        worker, _session = current_worker()
        return _views(services.view, services.of_subject("worker", worker.id))


@blp.route("/score-reviews")
class ScoreReviews(MethodView):
    @require(*REGULATOR_ROLES)
    @blp.arguments(ScoreReviewListArgs, location="query")
    @blp.response(200, RegulatorScoreReviewSchema(many=True))
    @blp.alt_response(403, schema=ERRORS)
    @blp.alt_response(422, schema=ERRORS)
    def get(self, args):
        """The reviews you may answer (a company of your sector, a worker employed in it; market supervision:
        all): `open` (the default) all of them, oldest first, each with its deadline; `answered` the latest 200,
        newest first."""
        return _views(services.regulator_view, services.for_regulator(bearer_account(), state=args.get("state")))


@blp.route("/score-reviews/<ref:ref>/answer")
class ScoreReviewAnswer(MethodView):
    @require(*REGULATOR_ROLES)
    @blp.arguments(AnswerScoreReviewArgs)
    @blp.response(200, ScoreReviewAnsweredSchema)
    @blp.alt_response(403, schema=ERRORS)
    @blp.alt_response(404, schema=ERRORS)
    @blp.alt_response(409, schema=ERRORS)
    @blp.alt_response(422, schema=ERRORS)
    def post(self, args, ref):
        """Answer a review with a `note` and optionally a correction (`correction_points`, `correction_until`)
        that enters the subject's score as its own component, in the same commit. 409 `already_answered`."""
        review = services.get(ref)
        changed = services.answer(keyring(), regulator=bearer_account(), review=review, note=args["note"],
                                  correction_points=args.get("correction_points"),
                                  correction_until=args.get("correction_until"), today=clock.today())
        out = {"log_index": changed.recorded.seq, "ref": review.ref, "state": review.state}
        subject_id = review.company_id if review.subject_kind == "company" else review.worker_id
        subject_kind = review.subject_kind
        commit()
        row = db.session.get(CreditScore, (subject_kind, subject_id))
        return {**out, "score": row.points if row else None}
