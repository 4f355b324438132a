"""Pages: "report this card" (/c/<card_no>/report, from the card page) and the regulators' queue (/admin/reports).

The report page is a look-up of a card like the card page itself, so it
shares the card page's per-address limit. Its thank-you page shows the
reference to quote, kept in the session across the redirect (never in a URL).
"""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_login import current_user

from ..accounts.roles import REGULATOR_ROLES
from ..cards import qr
from ..clock import today
from ..complaints import views as complaint_pages
from ..errors import ApiError, Msg
from ..extensions import db
from ..keys import keyring
from ..log.services import ANONYMOUS_ACTOR
from ..lookup.services import employer_contacts
from ..ratelimits import lookup_limit
from ..web import account, apply_api_error, flash_msg, role_required
from . import services as reports
from .forms import CloseReportForm, QueueFilterForm, ReportForm
from .models import REPORT_REASONS

bp = Blueprint("reports_web", __name__)

CORRECT_FIELDS = Msg("Please correct the marked fields.", "请修改标出的内容。")
_THANKS = "jiaxin.report_reference"


# --- the resident's report ------------------------------------------------------------

def _report_page(worker, form: ReportForm, status: int = 200, **extra):
    return render_template("web/reports/report.html", worker=worker, form=form, reasons=REPORT_REASONS,
                           **extra), status


@bp.route("/c/<card_no>/report", methods=["GET", "POST"])
@lookup_limit
def report_card(card_no: str):
    """The report form (GET, `q` passed on from the card page) and filing it (POST)."""
    worker = reports.worker_for_card(card_no)
    if request.method == "GET":
        return _report_page(worker, ReportForm(formdata=None, q=request.args.get("q", "")))
    form = ReportForm()
    if form.reason.data == "misconduct":
        # Misconduct is a complaint: the complaint form, the resident's words carried over, nothing filed yet.
        return complaint_pages.misconduct_page(worker, form.text.data)
    if not form.validate():
        return _report_page(worker, form, 400, error=CORRECT_FIELDS)
    ring = keyring()
    try:
        verdict = reports.qr_verdict(ring, worker, form.q.data or None, today())
        actor = current_user.ref if current_user.is_authenticated else ANONYMOUS_ACTOR
        filed = reports.file_report(ring, actor=actor, worker=worker, reason=form.reason.data,
                                    text=form.text.data, serial=verdict.serial if verdict else None,
                                    qr_verdict=verdict.code if verdict else None)
    except ApiError as exc:
        error, extra = apply_api_error(form, exc)
        return _report_page(worker, form, exc.status, error=error, extra=extra)
    reference = filed.reference
    db.session.commit()
    session[_THANKS] = {"card_no": worker.card_no, "reference": reference}
    return redirect(url_for(".thanks", card_no=worker.card_no))


@bp.get("/c/<card_no>/report/thanks")
def thanks(card_no: str):
    """The reference of the report this browser just filed about this card (nothing otherwise)."""
    filed = session.get(_THANKS)
    if not isinstance(filed, dict) or filed.get("card_no") != card_no:
        return redirect(url_for("lookup_web.card", card_no=card_no))
    return render_template("web/reports/thanks.html", card_no=card_no, reference=filed.get("reference"),
                           contacts=employer_contacts(card_no))


# --- the regulators' queue -------------------------------------------------------------

def _queue_page(regulator, filters: QueueFilterForm, status: int = 200, *, failed_ref: str | None = None,
                form: CloseReportForm | None = None, error: Msg | None = None, extra=None):
    state = filters.state.data if filters.state.data in ("open", "closed") else "open"
    rows, filter_error = [], None
    try:
        rows = reports.queue(regulator, state=state, reference=filters.reference.data or None)
    except ApiError as exc:
        filter_error, _unplaced = apply_api_error(filters, exc)
        status = max(status, exc.status)
    ring = keyring()
    return render_template("web/reports/queue.html", regulator=regulator, filters=filters, state=state,
                           qr_words=qr.WORDS,
                           rows=[reports.report_view(ring, r) for r in rows], failed_ref=failed_ref,
                           failed_form=form, error=error or filter_error, extra=extra or []), status


@bp.get("/admin/reports")
@role_required(*REGULATOR_ROLES)
def queue():
    filters = QueueFilterForm(formdata=request.args)
    if not filters.validate():
        return _queue_page(account(), QueueFilterForm(formdata=None), 400, error=CORRECT_FIELDS)
    return _queue_page(account(), filters)


@bp.post("/admin/reports/<ref>/close")
@role_required(*REGULATOR_ROLES)
def close(ref: str):
    regulator = account()
    report = reports.get_report(regulator, ref)
    form = CloseReportForm()
    filters = QueueFilterForm(formdata=None)
    if not form.validate():
        return _queue_page(regulator, filters, 400, failed_ref=report.ref, form=form, error=CORRECT_FIELDS)
    try:
        reports.close_report(keyring(), regulator=regulator, report=report, note=form.note.data)
    except ApiError as exc:
        error, extra = apply_api_error(form, exc)
        return _queue_page(regulator, filters, exc.status, failed_ref=ref, form=form, error=error, extra=extra)
    reference = reports.reference_of(report)
    db.session.commit()
    flash_msg(f"已办结举报 {reference}。", f"Report {reference} is closed.", "success")
    return redirect(url_for(".queue"))
