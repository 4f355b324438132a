"""Objection pages, on the sanctions pages' blueprint: the subject's (/company/objections for a company's members,
/me/objections for the worker signed in) and the issuing agency's step on the regulator's sanction page."""
from __future__ import annotations

from flask import redirect, render_template, url_for

from .. import clock
from ..accounts.roles import COMPANY_ROLES, REGULATOR_ROLES
from ..attachments import rules as attachment_rules
from ..errors import ApiError
from ..extensions import db
from ..keys import keyring
from ..objections import handlers, pages
from ..web import account, apply_api_error, flash_msg, role_required
from . import objections, views_model
from . import services as sanctions
from .forms import ObjectionForm
from .views import bp

FILED = ("异议已提交。作出决定的机关将在 2 个工作日内决定是否受理。",
         "Your objection is filed. The issuing agency decides within 2 working days whether to accept it.")


def _page(subject: dict, *, worker_id=None, company_id=None, status: int = 200, failed: str | None = None,
          form=None, error=None, extra=None):
    open_ = [{**views_model.public_view(s), "subject": views_model.subject_view(s), "state": s.state,
              "objection_pending": objections.is_pending(s)}
             for s in objections.objectable_for(worker_id=worker_id, company_id=company_id)]
    mine = handlers.views(objections.view, objections.objections_of(worker_id=worker_id, company_id=company_id))
    return render_template("web/sanctions/objections.html", subject=subject, sanctions=open_, objections=mine,
                           failed=failed, form=form or ObjectionForm(formdata=None), blank=ObjectionForm(formdata=None),
                           error=error, extra=extra, max_files=attachment_rules.MAX_FILES), status


# A filing's body may carry five documents of the full 5 MiB (MAX_CONTENT_LENGTH is smaller).
handlers.allow_documents(bp, ("sanctions_web.company_object", "sanctions_web.my_object"))


# --- a company's members --------------------------------------------------------------------------

@bp.get("/company/objections")
@role_required(*COMPANY_ROLES)
def company_objections():
    user = account()
    return _page({"kind": "company", "name": user.company.name, "uscc": user.company.uscc},
                 company_id=user.company_id)


@bp.post("/company/objections/<ref>")
@role_required(*COMPANY_ROLES)
def company_object(ref: str):
    user = account()
    company = user.company
    sanction = objections.own_sanction(ref, company=company)
    form = ObjectionForm()
    try:
        if not form.validate():
            raise pages.expired()
        objections.file_as_company(keyring(), account=user, company=company, sanction=sanction,
                                   reasons=form.reasons.data, files=pages.files_of(form), now=clock.now())
    except ApiError as exc:
        error, extra = apply_api_error(form, exc, {"documents": "documents"})
        return _page({"kind": "company", "name": company.name, "uscc": company.uscc}, company_id=company.id,
                     status=exc.status, failed=ref, form=form, error=error, extra=extra)
    db.session.commit()
    flash_msg(*FILED, "success")
    return redirect(url_for(".company_objections"))


# --- the worker signed in ------------------------------------------------------------------------

def _worker():
    from ..selfservice.views import signed_in

    found = signed_in()
    return None if found is None else found[0]


@bp.get("/me/objections")
def my_objections():
    from ..selfservice.views import need_sign_in

    worker = _worker()
    if worker is None:
        return need_sign_in()
    return _page({"kind": "worker", "card_no": worker.card_no, "name_masked": worker.name_masked},
                 worker_id=worker.id)


@bp.post("/me/objections/<ref>")
def my_object(ref: str):
    from ..selfservice.views import need_sign_in

    worker = _worker()
    if worker is None:
        return need_sign_in()
    sanction = objections.own_sanction(ref, worker=worker)
    form = ObjectionForm()
    try:
        if not form.validate():
            raise pages.expired()
        objections.file_as_worker(keyring(), worker=worker, sanction=sanction, reasons=form.reasons.data,
                                  files=pages.files_of(form), now=clock.now())
    except ApiError as exc:
        error, extra = apply_api_error(form, exc, {"documents": "documents"})
        return _page({"kind": "worker", "card_no": worker.card_no, "name_masked": worker.name_masked},
                     worker_id=worker.id, status=exc.status, failed=ref, form=form, error=error, extra=extra)
    db.session.commit()
    flash_msg(*FILED, "success")
    return redirect(url_for(".my_objections"))


# --- the issuing agency ----------------------------------------------------------------------------

@bp.get("/admin/sanctions/<ref>/objections/<objection_ref>/documents/<int:position>")
@role_required(*REGULATOR_ROLES)
def objection_document(ref: str, objection_ref: str, position: int):
    """One document, for the issuing agency's regulators (they answer the objection), as a download."""
    regulator = account()
    sanction = sanctions.get_sanction(ref)
    sanctions.require_issuer(regulator, sanction)
    return handlers.download(objections.document(sanction, objections.get_objection(sanction, objection_ref),
                                                 position), position)


@bp.post("/admin/sanctions/<ref>/objections/<objection_ref>")
@role_required(*REGULATOR_ROLES)
def objection_step(ref: str, objection_ref: str):
    """accept, reject, dismiss, or uphold by withdrawing the sanction (a correction upheld: the API)."""
    regulator = account()
    sanction = sanctions.get_sanction(ref)
    sanctions.require_issuer(regulator, sanction)
    objection = objections.get_objection(sanction, objection_ref)
    return pages.step_then_back(lambda step, reason: objections.take_step(
        keyring(), regulator=regulator, sanction=sanction, objection=objection, step=step, reason=reason,
        outcome="withdraw" if step == "uphold" else None, today=clock.today()),
        url_for(".sanction", ref=ref, _anchor="objections"))
