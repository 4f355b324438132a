"""Pages: filing a complaint (from a card page — by the phone the service was booked with, when given — or with a
service's review code), following it, the regulators' queue (/admin/complaints), and the subject's pages (the
worker's /me/complaints, the company's /company/complaints).

Filing pages share the card look-up's per-address limit (filing by phone also the card's budget of phone attempts). The
reference and tracking code are shown once, on a GET page after the redirect, from the browser's signed session,
then dropped from it; a tracking code is posted, never put in a URL.
"""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, session, url_for

from .. import clock
from ..accounts.roles import COMPANY_ROLES, REGULATOR_ROLES
from ..errors import ApiError, Msg
from ..extensions import db
from ..keys import keyring
from ..ratelimits import lookup_limit, phone_match_limit, phone_missed, review_attempt_limit, tracking_limit
from ..reports.services import worker_for_card
from ..selfservice import services as selfservice
from ..selfservice.views import need_sign_in, signed_in
from ..web import account, apply_api_error, flash_msg, role_required
from . import rules, services
from .forms import CardComplaintForm, CodeComplaintForm, QueueFilterForm, ResponseForm, StepForm, TrackForm

bp = Blueprint("complaints_web", __name__)

CORRECT_FIELDS = Msg("Please correct the marked fields.", "请修改标出的内容。")
_FILED = "jiaxin.complaint_filed"


def _vocab() -> dict:
    return {"categories": rules.CATEGORIES, "states": rules.STATES, "step_words": rules.STEP_WORDS,
            "subject_kinds": rules.SUBJECT_KINDS}


# The complaint pages' words, also when another domain's page shows one of them (the report page's misconduct).
bp.context_processor(_vocab)


def _contact(form) -> services.Contact:
    return services.Contact(form.contact_name.data or None, form.contact_phone.data or None)


def _filed(filed: services.Filed):
    """Keep the reference and tracking code for the next GET (shown once), commit, redirect."""
    reference, code = filed.reference, filed.tracking_code
    db.session.commit()
    session[_FILED] = {"reference": reference, "tracking_code": code}
    return redirect(url_for(".filed"), 303)


# --- filing from a card page ---------------------------------------------------------------------

def _card_page(worker, form, status: int = 200, **extra):
    return render_template("web/complaints/card.html", worker=worker, form=form, **_vocab(), **extra), status


@bp.route("/c/<card_no>/complain", methods=["GET", "POST"])
@phone_match_limit
@lookup_limit
def complain_card(card_no: str):
    """A complaint about this card's worker (GET the form, POST it); with the phone the service was booked with
    it is filed by that phone (and linked to the service), otherwise as from the card page."""
    worker = worker_for_card(card_no)
    if request.method == "GET":
        return _card_page(worker, CardComplaintForm(formdata=None))
    form = CardComplaintForm()
    typed_phone = form.phone.data
    # The customer's phone is never shown back: a refused form comes back with the field empty.
    form.phone.raw_data, form.phone.data = [], ""
    if not form.validate():
        return _card_page(worker, form, 400, error=CORRECT_FIELDS)
    ring, now = keyring(), clock.now()
    try:
        if typed_phone:
            filed = services.file_by_phone(ring, worker=worker, phone=typed_phone, category=form.category.data,
                                           text=form.text.data, contact=_contact(form), now=now)
        else:
            filed = services.file_from_card(ring, worker=worker, category=form.category.data, text=form.text.data,
                                            contact=_contact(form), now=now)
    except ApiError as exc:
        if exc.code == "no_matching_service":
            phone_missed()
        error, extra = apply_api_error(form, exc, {"contact.name": "contact_name", "contact.phone": "contact_phone"})
        return _card_page(worker, form, exc.status, error=error, extra=extra)
    return _filed(filed)


def misconduct_page(worker, text: str | None):
    """"Report this card" with misconduct: the complaint form, the resident's words carried over (not filed yet)."""
    form = CardComplaintForm(formdata=None, text=text or "")
    return _card_page(worker, form, 200, from_report=True)


# --- filing with a review code -------------------------------------------------------------------

def _code_page(form, status: int = 200, **extra):
    return render_template("web/complaints/by_code.html", form=form, **extra), status


@bp.route("/complain", methods=["GET", "POST"])
@review_attempt_limit
@lookup_limit
def complain_by_code():
    """A customer's complaint about a service, with the reference and review code of its text message."""
    if request.method == "GET":
        return _code_page(CodeComplaintForm(formdata=None, about="worker"))
    form = CodeComplaintForm()
    if not form.validate():
        return _code_page(form, 400, error=CORRECT_FIELDS)
    try:
        filed = services.file_by_code(keyring(), reference=form.reference.data, code=form.code.data,
                                      about=form.about.data, category=form.category.data, text=form.text.data,
                                      contact=_contact(form), now=clock.now())
    except ApiError as exc:
        if isinstance(exc, selfservice.Refusal):
            db.session.commit()  # the wrong try counts
        error, extra = apply_api_error(form, exc, {"contact.name": "contact_name", "contact.phone": "contact_phone"})
        return _code_page(form, exc.status, error=error, extra=extra)
    return _filed(filed)


@bp.get("/complaints/filed")
def filed():
    """The reference and tracking code of the complaint this browser just filed: shown once, then forgotten."""
    shown = session.pop(_FILED, None)
    if not isinstance(shown, dict):
        return redirect(url_for(".track"))
    return render_template("web/complaints/filed.html", reference=shown.get("reference"),
                           tracking_code=shown.get("tracking_code"))


# --- following a complaint -----------------------------------------------------------------------

@bp.route("/complaints/track", methods=["GET", "POST"])
@tracking_limit
@lookup_limit
def track():
    """The tracking form (GET) and the complaint's progress (POST: the code never goes in a URL)."""
    page = "web/complaints/track.html"
    if request.method == "GET":
        return render_template(page, form=TrackForm(formdata=None))
    form = TrackForm()
    if not form.validate():
        return render_template(page, form=form, error=CORRECT_FIELDS), 400
    ring = keyring()
    try:
        complaint = services.track(ring, reference=form.reference.data, tracking_code=form.tracking_code.data)
    except ApiError as exc:
        error, extra = apply_api_error(form, exc)
        return render_template(page, form=form, error=error, extra=extra), exc.status
    return render_template(page, form=TrackForm(formdata=None), view=services.tracking_view(ring, complaint,
                                                                                            clock.today()))


# --- the regulators' queue -----------------------------------------------------------------------

@bp.get("/admin/complaints")
@role_required(*REGULATOR_ROLES)
def queue():
    """The complaints you handle, filtered by state (default: every state), oldest first, with deadlines."""
    regulator = account()
    filters = QueueFilterForm(formdata=request.args)
    rows, error, status = [], None, 200
    if not filters.validate():
        error, status = CORRECT_FIELDS, 400
    else:
        try:
            rows = services.queue(regulator, state=filters.state.data or None,
                                  reference=filters.reference.data or None)
        except ApiError as exc:
            error, _unplaced = apply_api_error(filters, exc)
            status = exc.status
    ring, today = keyring(), clock.today()
    return render_template("web/complaints/queue.html", filters=filters, error=error,
                           rows=[services.regulator_view(ring, c, today) for c in rows]), status


def _complaint_page(regulator, complaint, status: int = 200, *, form=None, **extra):
    from . import objections
    from .objections_views import page_objections

    view = services.regulator_view(keyring(), complaint, clock.today())
    concluder = complaint.concluded_agency_id is not None and regulator.agency_id == complaint.concluded_agency_id
    return render_template("web/complaints/complaint.html", view=view, failed=form,
                           objections=page_objections(complaint), concluder=concluder,
                           doc_url=(lambda oref, n: url_for(".objection_document", ref=complaint.ref,
                                                            objection_ref=oref, position=n)) if concluder else None,
                           objection_steps=objections.orules.steps_from,
                           objection_words=objections.orules.STEP_WORDS, **extra), status


@bp.get("/admin/complaints/<ref>")
@role_required(*REGULATOR_ROLES)
def complaint(ref: str):
    regulator = account()
    return _complaint_page(regulator, services.get_complaint(regulator, ref))


@bp.post("/admin/complaints/<ref>/steps")
@role_required(*REGULATOR_ROLES)
def step(ref: str):
    regulator = account()
    target = services.get_complaint(regulator, ref)
    form = StepForm()
    if not form.validate():
        return _complaint_page(regulator, target, 400, form=form, error=CORRECT_FIELDS)
    try:
        services.take_step(keyring(), regulator=regulator, complaint=target, step=form.step.data,
                           reason=form.reason.data, now=clock.now())
    except ApiError as exc:
        error, extra = apply_api_error(form, exc)
        return _complaint_page(regulator, services.get_complaint(regulator, ref), exc.status, form=form,
                               error=error, extra=extra)
    zh, en = rules.STATES[target.state]
    reference = services.reference_of(target)
    db.session.commit()
    flash_msg(f"投诉 {reference}：{zh}。", f"Complaint {reference}: {en.lower()}.", "success")
    return redirect(url_for(".complaint", ref=ref))


# --- the subject: the worker in self-service, the company's members ------------------------------

def _own_page(template: str, rows, **extra):
    from . import objections
    from .objections_views import page_objections

    ring, today = keyring(), clock.today()
    views = [{**services.own_view(ring, c, today), "objections": page_objections(c),
              "may_object": objections.may_object(c.state, len(objections.pending(c))) is None} for c in rows]
    return render_template(template, rows=views, **extra)


@bp.get("/me/complaints")
def my_complaints():
    found = signed_in()
    if found is None:
        return need_sign_in()
    worker, _session = found
    return _own_page("web/complaints/own.html", services.about_worker(worker), who="worker",
                     action=lambda ref: url_for(".my_response", ref=ref),
                     object_action=lambda ref: url_for(".my_object", ref=ref))


@bp.post("/me/complaints/<ref>/responses")
def my_response(ref: str):
    found = signed_in()
    if found is None:
        return need_sign_in()
    worker, _session = found
    complaint = services.own_complaint(ref, worker=worker)
    return _respond(lambda ring, text, now: services.respond_as_worker(ring, worker=worker, complaint=complaint,
                                                                      text=text, now=now),
                    url_for(".my_complaints"))


@bp.get("/company/complaints")
@role_required(*COMPANY_ROLES)
def company_complaints():
    user = account()
    return _own_page("web/complaints/own.html", services.about_company(user, user.company), who="company",
                     company=user.company, action=lambda ref: url_for(".company_response", ref=ref),
                     object_action=lambda ref: url_for(".company_object", ref=ref))


@bp.post("/company/complaints/<ref>/responses")
@role_required(*COMPANY_ROLES)
def company_response(ref: str):
    user = account()
    complaint = services.own_complaint(ref, company=user.company)
    return _respond(lambda ring, text, now: services.respond_as_company(ring, account=user, company=user.company,
                                                                       complaint=complaint, text=text, now=now),
                    url_for(".company_complaints"))


def _respond(run, back: str):
    form = ResponseForm()
    if not form.validate():
        flash_msg("请填写答复内容（最多 1000 字）。", "Write your response (at most 1000 characters).", "error")
        return redirect(back)
    try:
        run(keyring(), form.text.data, clock.now())
    except ApiError as exc:
        db.session.rollback()
        flash_msg(exc.zh, exc.en, "error")
        return redirect(back)
    db.session.commit()
    flash_msg("已提交答复，监管部门会一并考虑。", "Your response is recorded; the regulators will consider it.",
              "success")
    return redirect(back)
