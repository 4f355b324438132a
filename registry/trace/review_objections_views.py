"""Objection pages for reviews, on the reviews' blueprint: the recording company's members object from
/company/reviews, the worker signed in from /me/reviews (the reviews of the services they performed); a regulator
who may decide (a sector of the company, market supervision) reads the review with its objections and documents on
/admin/reviews/<service number> and takes the step there (the worklist links to it)."""
from __future__ import annotations

from flask import render_template, url_for

from .. import clock
from ..accounts.roles import COMPANY_ROLES, REGULATOR_ROLES
from ..attachments import rules as attachment_rules
from ..calendar import services as calendar
from ..errors import not_found
from ..keys import keyring
from ..objections import handlers, pages
from ..sanctions import objection_rules as orules
from ..selfservice.views import need_sign_in, signed_in
from ..web import account, role_required
from . import review_objections as objections
from . import reviews
from .reviews_views import bp, page_view

FILED = ("异议已提交。监管部门将在 2 个工作日内决定是否受理。",
         "Your objection is filed. A regulator decides within 2 working days whether to accept it.")
PAGE = 50

handlers.allow_documents(bp, ("reviews_web.company_object", "reviews_web.my_object"))


# --- the worker signed in ------------------------------------------------------------------------

@bp.get("/me/reviews")
def my_reviews():
    """The reviews of the services this worker performed, newest first, each with its objections and a form."""
    found = signed_in()
    if found is None:
        return need_sign_in()
    worker, _session = found
    rows, total = reviews.worker_reviews(worker, limit=PAGE, offset=0)
    ring, today, using = keyring(), clock.today(), calendar.schedule()
    return render_template("web/reviews/mine.html", worker=worker, total=total, max_files=attachment_rules.MAX_FILES,
                           rows=[page_view(ring, r, today, using=using, view=reviews.worker_review_view)
                                 for r in rows])


@bp.post("/me/reviews/<service_reference:reference>/objections")
def my_object(reference: str):
    found = signed_in()
    if found is None:
        return need_sign_in()
    worker, _session = found
    service = objections.own_service(reference, worker=worker)
    return pages.file_then_back(lambda reasons, files: objections.file_as_worker(
        keyring(), worker=worker, service=service, reasons=reasons, files=files, now=clock.now()),
        url_for(".my_reviews", _anchor=f"review-{reviews.reference_of(service.ref)}"), FILED)


# --- the recording company's members -------------------------------------------------------------

@bp.post("/company/reviews/<service_reference:reference>/objections")
@role_required(*COMPANY_ROLES)
def company_object(reference: str):
    user = account()
    service = objections.own_service(reference, company=user.company)
    return pages.file_then_back(lambda reasons, files: objections.file_as_company(
        keyring(), account=user, company=user.company, service=service, reasons=reasons, files=files,
        now=clock.now()), url_for(".company_reviews", _anchor=f"review-{reviews.reference_of(service.ref)}"), FILED)


# --- the regulators who decide -------------------------------------------------------------------

@bp.get("/admin/reviews/<service_reference:reference>")
@role_required(*REGULATOR_ROLES)
def review_for_regulator(reference: str):
    """The review, its company and its objections with their documents and deadlines; the step forms. Only a
    review somebody objected to: the review's text is otherwise its company's alone (docs/privacy.md)."""
    service = objections.service_for_regulator(account(), reference)
    if not service.objections:
        raise not_found("review", "评价")
    ring, today = keyring(), clock.today()
    shown = reviews.reference_of(service.ref)
    return render_template("web/reviews/regulator.html", company=service.company,
                           r=page_view(ring, service.review, today), objection_steps=orules.steps_from,
                           objection_words=orules.STEP_WORDS,
                           doc_url=lambda objection_ref, position: url_for(
                               ".objection_document", reference=shown, objection_ref=objection_ref,
                               position=position))


@bp.get("/admin/reviews/<service_reference:reference>/objections/<objection_ref>/documents/<int:position>")
@role_required(*REGULATOR_ROLES)
def objection_document(reference: str, objection_ref: str, position: int):
    service = objections.service_for_regulator(account(), reference)
    row = objections.document(objections.get_objection(service, objection_ref), position)
    return handlers.download(row, position)


@bp.post("/admin/reviews/<service_reference:reference>/objections/<objection_ref>")
@role_required(*REGULATOR_ROLES)
def objection_step(reference: str, objection_ref: str):
    """accept, reject, dismiss, or uphold by withdrawing the review (the only outcome: nobody rewrites it)."""
    regulator = account()
    service = objections.service_for_regulator(regulator, reference)
    objection = objections.get_objection(service, objection_ref)
    return pages.step_then_back(lambda step, reason: objections.take_step(
        keyring(), regulator=regulator, service=service, objection=objection, step=step, reason=reason,
        outcome="withdraw" if step == "uphold" else None, today=clock.today()),
        url_for(".review_for_regulator", reference=reviews.reference_of(service.ref), _anchor="objections"))
