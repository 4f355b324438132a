"""Pages: recording services, a company's and a worker's services, the regulators' household query and its record.

A customer's phone is typed into two forms only (recording, the household
query), both POST; no page shows it back, puts it in a URL or keeps it in the
session. The reference a company reads after recording is kept in the signed
session across the redirect, and the customer's review code never reaches a
page at all.
"""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, session, url_for

from .. import clock
from ..accounts.roles import COMPANY_ROLES, REGULATOR_ROLES, Role
from ..database import reads_first, writing_now
from ..errors import ApiError, Msg
from ..extensions import db
from ..keys import keyring
from ..ratelimits import household_limit
from ..web import account, apply_api_error, role_required
from ..workers.services import get_worker
from . import queries, views_model
from . import services as trace
from .forms import HouseholdForm, RecordServiceForm, ServicesFilterForm
from .rules import OVERRIDES
from .vocab import QUERY_PURPOSES, SERVICE_TYPES

bp = Blueprint("trace_web", __name__)

CORRECT_FIELDS = Msg("Please correct the marked fields.", "请修改标出的内容。")
PAGE_SIZE = 50
_RECORDED = "jiaxin.service_recorded"


@bp.context_processor
def _vocab():
    return {"service_types": SERVICE_TYPES, "query_purposes": QUERY_PURPOSES, "override_words": OVERRIDES}


# --- recording -----------------------------------------------------------------------------------------------

def _record_page(form: RecordServiceForm, status: int = 200, **extra):
    # Never the phone back on the page, whatever happened: the company types it again.
    form.phone.data = ""
    form.phone.raw_data = []
    return render_template("web/trace/record.html", form=form, company=account().company, **extra), status


@bp.route("/company/services/new", methods=["GET", "POST"])
@role_required(*COMPANY_ROLES)
def record():
    """The form (GET, a card number may come filled in from the staff list) and recording (POST)."""
    user = account()
    if request.method == "GET":
        return _record_page(RecordServiceForm(formdata=None, card_no=request.args.get("card_no", "")[:30]))
    form = RecordServiceForm()
    if not form.validate():
        return _record_page(form, 400, error=CORRECT_FIELDS)
    try:
        worker = trace.worker_for_service(form.card_no.data)
        done = trace.record_service(keyring(), account=user, company=user.company, worker=worker,
                                    fields=form.service_fields(), now=clock.now())
    except ApiError as exc:
        error, extra = apply_api_error(form, exc)
        return _record_page(form, exc.status, error=error, extra=extra)
    recorded = {"reference": trace.reference_of(done.service.ref), "card_no": worker.card_no,
                "name_masked": worker.name_masked, "overrides": done.service.overrides or []}
    db.session.commit()
    session[_RECORDED] = recorded
    return redirect(url_for(".recorded"))


@bp.get("/company/services/recorded")
@role_required(*COMPANY_ROLES)
def recorded():
    """The reference of the service this browser just recorded (the customer has the code; nobody here does)."""
    done = session.get(_RECORDED)
    if not isinstance(done, dict):
        return redirect(url_for(".company_services"))
    return render_template("web/trace/recorded.html", done=done)


# --- the company's services ------------------------------------------------------------------------------------

@bp.get("/company/services")
@role_required(*COMPANY_ROLES)
def company_services():
    user = account()
    form = ServicesFilterForm(formdata=request.args)
    status, error, extra, page = 200, None, [], None
    if not form.validate():
        status, error = 400, CORRECT_FIELDS
    else:
        start_from, start_to = form.window()
        try:
            page = queries.company_services(user.company, card_no=form.card_no.data or None, start_from=start_from,
                                            start_to=start_to, page=form.page.data or 1, page_size=PAGE_SIZE)
        except ApiError as exc:
            error, extra = apply_api_error(form, exc, {"to": "start_to", "from": "start_from"})
            status = exc.status
    views = [views_model.company_view(views_model.facts_of(s)) for s in page.rows] if page else []
    return render_template("web/trace/company_services.html", form=form, page=page, views=views,
                           company=user.company, error=error, extra=extra), status


# --- a worker's services --------------------------------------------------------------------------------------

@bp.get("/workers/<card_no>/services")
@role_required(*COMPANY_ROLES, *REGULATOR_ROLES)
def worker_services(card_no: str):
    """The services of a worker the user may see: the company's own records, or every company's for regulators
    of the detailed record's rule; 404 otherwise."""
    user = account()
    worker = get_worker(card_no)
    if card_no != worker.card_no:
        return redirect(url_for(".worker_services", card_no=worker.card_no))
    try:
        number = max(1, min(int(request.args.get("page", "1")), 2**31 - 1))
    except ValueError:
        number = 1
    page = queries.worker_services(user, worker, page=number, page_size=PAGE_SIZE)
    views = [views_model.view_for(user, s) for s in page.rows]
    return render_template("web/trace/worker_services.html", worker=worker, page=page, views=views,
                           regulator=user.role in REGULATOR_ROLES)


def latest_services(user, worker, n: int = 5) -> dict | None:
    """The newest services of the worker that `user` may see, for the worker's detailed record page."""
    if not queries.may_see_services(user, worker):
        return None
    page = queries.worker_services(user, worker, page=1, page_size=n)
    return {"views": [views_model.view_for(user, s) for s in page.rows], "total": page.total,
            "regulator": user.role in REGULATOR_ROLES, "card_no": worker.card_no}


# --- the household query ----------------------------------------------------------------------------------------

def _household_page(form: HouseholdForm, status: int = 200, **extra):
    form.phone.data = ""
    form.phone.raw_data = []
    return render_template("web/trace/household.html", form=form, user=account(), **extra), status


@bp.get("/regulator/households")
@role_required(*REGULATOR_ROLES)
def household_form():
    return _household_page(HouseholdForm(formdata=None))


@bp.post("/regulator/households")
@reads_first
@household_limit
@role_required(*REGULATOR_ROLES)
def household_query():
    """Query and answer in one POST: the phone stays in the body, the answer is this page (no redirect)."""
    form = HouseholdForm()
    if not form.validate():
        return _household_page(form, 400, error=CORRECT_FIELDS)
    regulator = account()
    try:
        # The read and its record, one short write transaction.
        with writing_now():
            found = queries.household_services(keyring(), regulator=regulator, phone=form.phone.data,
                                               purpose=form.purpose.data, note=form.note.data or None,
                                               now=clock.now())
            db.session.commit()
    except ApiError as exc:
        error, extra = apply_api_error(form, exc)
        return _household_page(form, exc.status, error=error, extra=extra)
    views = [views_model.regulator_view(f) for f in found.services]
    query_id = found.query_id
    return _household_page(HouseholdForm(formdata=None), views=views, query_id=query_id,
                           limit=queries.HOUSEHOLD_LIMIT, asked=True)


# --- the record of household queries ------------------------------------------------------------------------------

@bp.get("/admin/household-queries")
@role_required(Role.OPERATOR_ADMIN, Role.REGULATOR_ADMIN)
def query_records():
    try:
        number = max(1, min(int(request.args.get("page", "1")), 2**31 - 1))
    except ValueError:
        number = 1
    user = account()
    page = queries.query_records(user, page=number, page_size=PAGE_SIZE)
    return render_template("web/trace/queries.html", page=page, rows=[views_model.query_record_view(r)
                                                                       for r in page.rows], user=user)
