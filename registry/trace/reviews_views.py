"""Pages: the customer's review (/review, named in the text message and linked from every card page) and the
company's reviews with a reply form (/company/reviews).

No code or reference ever goes into a URL: both are typed into a POSTed form,
and the thank-you page knows only that this browser just left a review (the
session). The review page is limited like the API (`review_attempt_limit`,
refusals per address); a refusal that counted a wrong try is committed before
the page answers it.
"""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, session, url_for

from .. import clock
from ..accounts.roles import COMPANY_ROLES
from ..attachments import rules as attachment_rules
from ..calendar import services as calendar
from ..errors import ApiError, Msg
from ..extensions import db
from ..keys import keyring
from ..ratelimits import review_attempt_limit
from ..selfservice.services import Refusal
from ..web import account, apply_api_error, flash_msg, role_required
from . import review_objections, review_rules, reviews
from .reviews_forms import ReplyForm, ReviewForm
from .services import review_code_days
from .vocab import REVIEW_TAGS

bp = Blueprint("reviews_web", __name__)

CORRECT_FIELDS = Msg("Please correct the marked fields.", "请修改标出的内容。")
_THANKS = "jiaxin.review_left"


# --- the customer's review ------------------------------------------------------------------

def _review_page(form: ReviewForm, status: int = 200, **extra):
    return render_template("web/reviews/review.html", form=form, tags=REVIEW_TAGS, text_max=review_rules.TEXT_MAX,
                           tags_max=review_rules.TAGS_MAX, code_days=review_code_days(), **extra), status


@bp.route("/review", methods=["GET", "POST"])
@review_attempt_limit
def review():
    """The review form (GET) and leaving the review (POST)."""
    if request.method == "GET":
        return _review_page(ReviewForm(formdata=None))
    form = ReviewForm()
    if not form.validate():
        return _review_page(form, 400, error=CORRECT_FIELDS)
    try:
        reviews.leave_review(keyring(), reference=form.reference.data, code=form.code.data,
                             rating=form.rating_value(), tags=form.tags.data, text=form.text.data,
                             now=clock.now())
    except Refusal as exc:
        # The wrong try it counted is kept; then the form shows the refusal.
        db.session.commit()
        error, extra = apply_api_error(form, exc)
        return _review_page(form, exc.status, error=error, extra=extra)
    except ApiError as exc:
        error, extra = apply_api_error(form, exc)
        return _review_page(form, exc.status, error=error, extra=extra)
    db.session.commit()
    session[_THANKS] = True
    return redirect(url_for(".thanks"))


@bp.get("/review/thanks")
def thanks():
    """Thanks, once, for the review this browser just left (otherwise back to the form)."""
    if not session.pop(_THANKS, None):
        return redirect(url_for(".review"))
    return render_template("web/reviews/thanks.html")


# --- the company's reviews ------------------------------------------------------------------

def page_view(ring, review, today, *, using=None, view=reviews.review_view) -> dict:
    """A review as its pages show it (its company's, its worker's, the deciding regulator's): the review (as
    `view` shows it to this reader), its objections (异议), and whether its subject may object now. `using`: the
    calendar, read once for a page of reviews."""
    service = review.service
    return {**view(ring, review),
            "objections": [review_objections.view(ring, o, today, using=using) for o in service.objections],
            "may_object": review_objections.may_object(review, len(review_objections.pending(service))) is None}


PAGE = 50


def _company_page(status: int = 200, *, failed: str | None = None, form: ReplyForm | None = None,
                  error: Msg | None = None, extra=None):
    user = account()
    company = user.company
    rows, total = reviews.company_reviews(company, limit=PAGE, offset=0)
    ring, today, using = keyring(), clock.today(), calendar.schedule()
    return render_template("web/reviews/company.html", company=company, total=total,
                           rows=[page_view(ring, r, today, using=using) for r in rows],
                           max_files=attachment_rules.MAX_FILES,
                           summary=reviews.company_summary(company.id),
                           failed=failed, failed_form=form, error=error, extra=extra or [],
                           text_max=review_rules.TEXT_MAX), status


@bp.get("/company/reviews")
@role_required(*COMPANY_ROLES)
def company_reviews():
    """The reviews of this company's services, newest first, each with its reply or a reply form."""
    return _company_page()


@bp.post("/company/reviews/<service_reference:reference>/reply")
@role_required(*COMPANY_ROLES)
def reply(reference: str):
    user = account()
    company = user.company
    service = reviews.company_service(company, reference)
    shown = reviews.reference_of(service.ref)
    form = ReplyForm()
    if not form.validate():
        return _company_page(400, failed=shown, form=form, error=CORRECT_FIELDS)
    try:
        reviews.reply(keyring(), account=user, company=company, service=service, text=form.text.data,
                      now=clock.now())
    except ApiError as exc:
        error, extra = apply_api_error(form, exc)
        return _company_page(exc.status, failed=shown, form=form, error=error, extra=extra)
    db.session.commit()
    flash_msg(f"已回复服务 {shown} 的评价。", f"Your reply to the review of service {shown} is published.", "success")
    return redirect(url_for(".company_reviews"))
