"""Objection pages on the complaints' blueprint: the subject files an objection to a substantiated complaint from
its complaints page (/me/complaints for the worker signed in, /company/complaints for a company's members); the
concluding agency's regulators open the documents and take their step on the complaint's page."""
from __future__ import annotations

from flask import url_for

from .. import clock
from ..accounts.roles import COMPANY_ROLES, REGULATOR_ROLES
from ..keys import keyring
from ..objections import handlers, pages
from ..selfservice.views import need_sign_in, signed_in
from ..web import account, role_required
from . import objections, services
from .views import bp

FILED = ("异议已提交。认定该投诉的机关将在 2 个工作日内决定是否受理。",
         "Your objection is filed. The agency that concluded the complaint decides within 2 working days whether "
         "to accept it.")


# A filing's body may carry five documents of the full 5 MiB.
handlers.allow_documents(bp, ("complaints_web.my_object", "complaints_web.company_object"))


@bp.post("/me/complaints/<ref>/objections")
def my_object(ref: str):
    found = signed_in()
    if found is None:
        return need_sign_in()
    worker, _session = found
    complaint = services.own_complaint(ref, worker=worker)
    return pages.file_then_back(lambda reasons, files: objections.file_as_worker(
        keyring(), worker=worker, complaint=complaint, reasons=reasons, files=files, now=clock.now()),
        url_for(".my_complaints", _anchor=f"complaint-{complaint.ref}"), FILED)


@bp.post("/company/complaints/<ref>/objections")
@role_required(*COMPANY_ROLES)
def company_object(ref: str):
    user = account()
    complaint = services.own_complaint(ref, company=user.company)
    return pages.file_then_back(lambda reasons, files: objections.file_as_company(
        keyring(), account=user, company=user.company, complaint=complaint, reasons=reasons, files=files,
        now=clock.now()), url_for(".company_complaints", _anchor=f"complaint-{complaint.ref}"), FILED)


@bp.get("/admin/complaints/<ref>/objections/<objection_ref>/documents/<int:position>")
@role_required(*REGULATOR_ROLES)
def objection_document(ref: str, objection_ref: str, position: int):
    """One document, for the concluding agency's regulators (they answer the objection), as a download."""
    regulator = account()
    complaint = objections.complaint_for_regulator(regulator, ref)
    objections.require_concluder(regulator, complaint)
    return handlers.download(objections.document(objections.get_objection(complaint, objection_ref), position),
                             position)


@bp.post("/admin/complaints/<ref>/objections/<objection_ref>")
@role_required(*REGULATOR_ROLES)
def objection_step(ref: str, objection_ref: str):
    """accept, reject, dismiss, or uphold by withdrawing the complaint (a category corrected: the API)."""
    regulator = account()
    complaint = objections.complaint_for_regulator(regulator, ref)
    objection = objections.get_objection(complaint, objection_ref)
    return pages.step_then_back(lambda step, reason: objections.take_step(
        keyring(), regulator=regulator, complaint=complaint, objection=objection, step=step, reason=reason,
        outcome="withdraw" if step == "uphold" else None, today=clock.today()),
        url_for(".complaint", ref=complaint.ref, _anchor="objections"))


def page_objections(complaint) -> list[dict]:
    """The complaint's objections as its pages show them."""
    return handlers.views(objections.view, complaint.objections)
