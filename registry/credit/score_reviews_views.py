"""Pages: human review of a credit score (PIPL art. 24).

- The subject asks from the score section of its page: the company's admin from the portal (POST
  /company/score-reviews), the worker from /me (POST /me/score-reviews); a refusal stores nothing and goes back to
  the section with the reason, field by field (as an objection's filing does).
- The regulators who may answer (a company's sectors or market supervision; a worker's current employers' sectors
  or market supervision) list them (/regulator/score-reviews), read one beside the subject's current score
  (/regulator/score-reviews/<ref>; anyone else: 404) and answer it there with a note and optionally a correction.

The score sections themselves are `web/credit/_score.html`, filled by `score_reviews.subject_page`.
"""
from __future__ import annotations

from flask import redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectMultipleField, TextAreaField
from wtforms.validators import Optional

from .. import clock
from ..accounts.forms import MaxLength, Required, strip
from ..accounts.roles import REGULATOR_ROLES, Role
from ..calendar import services as calendar
from ..errors import ApiError
from ..extensions import db
from ..keys import keyring
from ..selfservice.views import need_sign_in, signed_in
from ..web import account, apply_api_error, flash_msg, role_required
from ..workers.forms import BAD_DATE
from . import score_reviews as services
from .commendations_views import CORRECT_FIELDS, INVALID, bp
from .models import REVIEW_NOTE_MAX, REVIEW_REASON_MAX
from .score_models import CreditScore

FILED = ("复核申请已提交。监管部门将在 %d 个工作日内答复。",
         "Your request for review is filed. A regulator answers within %d working days.")
ANSWERED = ("已答复该复核申请。", "The review is answered.")

# Answered reviews shown on the regulators' page (the API lists up to `ANSWERED_SHOWN`).
ANSWERED_ON_PAGE = 50


class ScoreReviewForm(FlaskForm):
    """Ask for review: the reason, and the components disputed (each `kind|ref` of the current score)."""

    reason = TextAreaField(validators=[Required("请说明申请复核的理由。", "Say why the score should be reviewed."),
                                       MaxLength(REVIEW_REASON_MAX)], filters=[strip])
    disputed = SelectMultipleField(choices=[], validate_choice=False)

    def chosen(self) -> list[dict]:
        out = []
        for value in self.disputed.data or []:
            kind, _, ref = str(value).partition("|")
            out.append({"kind": kind, "ref": ref})
        return out


class AnswerForm(FlaskForm):
    note = TextAreaField(validators=[Required("请填写答复意见。", "Give the answer's note."),
                                     MaxLength(REVIEW_NOTE_MAX)], filters=[strip])
    correction_points = IntegerField(validators=[Optional()])
    correction_until = DateField(invalid_value_message=BAD_DATE, validators=[Optional()])


def _refused(exc: ApiError) -> None:
    db.session.rollback()
    flash_msg(exc.zh, exc.en, "error")
    for text in (exc.fields or {}).values():
        flash_msg(text["zh"], text["en"], "error")


def _expired() -> ApiError:
    return ApiError(400, "invalid_form", "表单已过期，请重试。", "The form expired: please try again.")


def _file_then_back(run, back: str):
    form = ScoreReviewForm()
    try:
        if not form.validate() and "csrf_token" in form.errors:
            raise _expired()
        # The service judges the reason and the components, with the same words as the API's.
        run(form.reason.data, form.chosen() or None)
    except ApiError as exc:
        _refused(exc)
        return redirect(back)
    db.session.commit()
    days = services.answer_working_days()
    flash_msg(FILED[0] % days, FILED[1] % days, "success")
    return redirect(back)


@bp.post("/company/score-reviews")
@role_required(Role.COMPANY_ADMIN)
def company_ask():
    user = account()
    return _file_then_back(lambda reason, disputed: services.file_for_company(
        keyring(), account=user, company=user.company, reason=reason, disputed=disputed, now=clock.now()),
        url_for("companies_web.company", _anchor="score"))


@bp.post("/me/score-reviews")
def my_ask():
    found = signed_in()
    if found is None:
        return need_sign_in()
    worker, _session = found
    return _file_then_back(lambda reason, disputed: services.file_for_worker(
        keyring(), worker=worker, reason=reason, disputed=disputed, now=clock.now()),
        url_for("selfservice_web.me", _anchor="score"))


# --- the regulators' pages -----------------------------------------------------------------------

@bp.get("/regulator/score-reviews")
@role_required(*REGULATOR_ROLES)
def review_list():
    regulator = account()
    ring, today, using = keyring(), clock.today(), calendar.schedule()
    open_ = [services.regulator_view(ring, r, today, using=using) for r in services.for_regulator(regulator)]
    # The latest answered (newest first), the page's share of what the API lists: only these are unsealed.
    answered = [services.regulator_view(ring, r, today, using=using)
                for r in services.for_regulator(regulator, state="answered")[:ANSWERED_ON_PAGE]]
    return render_template("web/credit/score_reviews.html", regulator=regulator, open_reviews=open_,
                           answered=answered, today=today,
                           days=services.answer_working_days())


def _review_page(regulator, review, status: int = 200, *, form: AnswerForm | None = None, error=None, extra=None):
    today = clock.today()
    subject_id = review.company_id if review.subject_kind == "company" else review.worker_id
    row = db.session.get(CreditScore, (review.subject_kind, subject_id))
    rules = services.adoption.adopted_rules()
    return render_template(
        "web/credit/score_review.html", regulator=regulator, review=services.regulator_view(keyring(), review, today),
        score=None if row is None else services.explanation(row),
        grading=None if row is None or review.subject_kind != "company" else services.grading_words(row.rules_version),
        form=form or AnswerForm(formdata=None), error=error, extra=extra or [],
        bound=rules.of(review.subject_kind).items["correction"].bound, default_months=rules.default_months), status


@bp.get("/regulator/score-reviews/<ref>")
@role_required(*REGULATOR_ROLES)
def review_page(ref: str):
    regulator = account()
    return _review_page(regulator, services.for_regulator_ref(regulator, ref))


@bp.post("/regulator/score-reviews/<ref>/answer")
@role_required(*REGULATOR_ROLES)
def answer(ref: str):
    regulator = account()
    review = services.for_regulator_ref(regulator, ref)
    form = AnswerForm()
    if not form.validate():
        return _review_page(regulator, review, INVALID, form=form, error=CORRECT_FIELDS)
    try:
        services.answer(keyring(), regulator=regulator, review=review, note=form.note.data,
                        correction_points=form.correction_points.data, correction_until=form.correction_until.data,
                        today=clock.today())
    except ApiError as exc:
        db.session.rollback()
        review = services.for_regulator_ref(regulator, ref)
        error, extra = apply_api_error(form, exc)
        return _review_page(regulator, review, exc.status, form=form, error=error, extra=extra)
    db.session.commit()
    flash_msg(*ANSWERED, "success")
    return redirect(url_for(".review_page", ref=review.ref))
