"""Pages: the regulators' worklist (/regulator), their sanction pages (/admin/sanctions: list, record, one
sanction with the steps its state allows) and the subjects' notices (/company/notices; a worker's are on /me).

Any regulator reads every sanction; only the issuing agency's regulators see the
action forms, and a step posted by anyone else is refused (403) before its form
is read. Each step is one service call and one log entry; a refusal shows the
page again with the error summary and nothing stored.
"""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for

from .. import clock
from ..accounts.roles import COMPANY_ROLES, REGULATOR_ROLES
from ..complaints import rules as complaint_rules
from ..complaints import services as complaints
from ..credit import score_reviews
from ..errors import ApiError, Msg
from ..extensions import db
from ..keys import keyring
from ..reports import services as reports
from ..trace.services import reference_of
from ..web import account, apply_api_error, flash_msg, role_required, t
from . import objection_rules, objections, repair_rules, rules, views_model, worklist
from . import repair as repair_deadlines
from . import services as sanctions
from .forms import (
    CorrectForm,
    DecideForm,
    ListFilterForm,
    NotifyForm,
    RepairDecideForm,
    RevocationForm,
    SanctionForm,
    StepForm,
    WithdrawForm,
)

bp = Blueprint("sanctions_web", __name__)

CORRECT_FIELDS = Msg("Please correct the marked fields.", "请修改标出的内容。")
PAGE_SIZE = 50
# What a correction changed, in words (services.CORRECTABLE).
CORRECTED_FIELDS = {
    "legal_basis": ("法律依据", "legal basis"), "facts": ("违法失信事实", "facts"),
    "measures": ("惩戒措施", "measures"),
    "bars_home_service": ("是否限制从事家政上门服务", "whether home-service work is barred"),
    "publish_months": ("公示期", "publication window"), "severity": ("严重程度", "severity"),
    "decision_no": ("决定书文号", "decision number"), "decision_date": ("决定日期", "decision date"),
}
# A form's invalid input answers 422, as the services' refusals of bad input do.
INVALID = 422


@bp.app_context_processor
def _words():
    # App-wide: the worker's own record (/me) shows its notices with these pages' pieces.
    def sanction_word(table: str, code: str | None) -> str:
        """The label of a sanction code (`KINDS`, `STATES`, … in rules.py) in the page's language."""
        pair = getattr(rules, table).get(code) if code else None
        return t(*pair) if pair else (code or "")

    return {"sanction_word": sanction_word, "sanction_rules": rules}


# --- the worklist -----------------------------------------------------------------------------

@bp.get("/regulator")
@role_required(*REGULATOR_ROLES)
def worklist_page():
    """Where regulators land after signing in: what their agency has to do next, and by when."""
    regulator = account()
    work = worklist.worklist(regulator, clock.today())
    refs = [r for item in work.awaiting_approval for r in item.cannot_approve]
    return render_template("web/sanctions/worklist.html", regulator=regulator, work=work,
                           logins=worklist.logins_of(refs),
                           reports=[_report_row(r) for r in work.open_reports],
                           complaints_due=[_complaint_row(d) for d in work.complaints_due],
                           repair_days=repair_deadlines.answer_working_days(), review_reference=reference_of,
                           score_review_days=score_reviews.answer_working_days())


def _complaint_row(due) -> dict:
    """A complaint with its deadline as the worklist lists it: no text (the complaint's page shows that)."""
    c = due.complaint
    return {"ref": c.ref, "reference": complaints.reference_of(c), "subject": complaints.subject_view(c),
            "category_label": complaints.words(complaint_rules.CATEGORIES, c.category),
            "state_label": complaints.words(complaint_rules.STATES, c.state), "kind": due.kind,
            "deadline": due.deadline, "overdue": due.overdue}


def _report_row(report) -> dict:
    """An open report as the worklist lists it: no text (the queue shows that)."""
    zh, en = reports.reason_words(report.reason)
    return {"ref": report.ref, "reference": reports.reference_of(report), "card_no": report.worker.card_no,
            "name_masked": report.worker.name_masked, "reason_label": {"zh": zh, "en": en},
            "created_dt": report.created_dt}


# --- the list ---------------------------------------------------------------------------------

def _row(sanction) -> dict:
    return {**views_model.public_view(sanction), "subject": views_model.subject_view(sanction),
            "state": sanction.state, "created_dt": sanction.created_dt}


@bp.get("/admin/sanctions")
@role_required(*REGULATOR_ROLES)
def index():
    regulator = account()
    filters = ListFilterForm(formdata=request.args)
    status, error, extra, rows = 200, None, [], []
    if not filters.validate():
        status, error = INVALID, CORRECT_FIELDS
    else:
        try:
            rows = sanctions.list_sanctions(
                state=filters.state.data or None, card_no=filters.card_no.data or None,
                uscc=filters.uscc.data or None,
                agency_id=regulator.agency_id if filters.scope.data == "mine" else None,
                limit=PAGE_SIZE + 1, offset=(filters.page_number() - 1) * PAGE_SIZE)
        except ApiError as exc:
            error, extra = apply_api_error(filters, exc)
            status = exc.status
    more = len(rows) > PAGE_SIZE
    return render_template("web/sanctions/list.html", regulator=regulator, filters=filters,
                           rows=[_row(s) for s in rows[:PAGE_SIZE]], more=more,
                           page=filters.page_number() if not filters.page.errors else 1,
                           error=error, extra=extra), status


# --- recording ------------------------------------------------------------------------------

def _new_page(form: SanctionForm, status: int = 200, **extra):
    return render_template("web/sanctions/new.html", form=form, rows=range(1, 4), **extra), status


@bp.route("/admin/sanctions/new", methods=["GET", "POST"])
@role_required(*REGULATOR_ROLES)
def new():
    """The form (GET: a worker's card number, a company's code and a report's reference may come filled in, from
    the report queue's "record a sanction" link) and recording (POST)."""
    if request.method == "GET":
        args = request.args
        subject = args.get("subject_kind", "")
        form = SanctionForm(formdata=None, subject_kind=subject if subject in rules.SUBJECT_KINDS else None,
                            card_no=args.get("card_no", "")[:30], uscc=args.get("uscc", "")[:30],
                            origin_report=args.get("origin_report", "")[:20],
                            origin_complaint=args.get("origin_complaint", "")[:20])
        return _new_page(form)
    regulator = account()
    form = SanctionForm()
    if not form.validate():
        return _new_page(form, INVALID, error=CORRECT_FIELDS)
    persons, names = form.persons()
    try:
        changed = sanctions.record_sanction(keyring(), regulator=regulator, today=clock.today(), persons=persons,
                                            **form.service_args())
    except ApiError as exc:
        error, extra = apply_api_error(form, exc, names)
        return _new_page(form, exc.status, error=error, extra=extra)
    ref = changed.sanction.ref
    listing = rules.needs_four_eyes(changed.sanction.kind)
    db.session.commit()
    if listing:
        flash_msg("已登记拟列入严重失信主体名单；下一步：告知当事人。",
                  "The proposed serious listing is recorded; next, notify the subject.", "success")
    else:
        flash_msg("处罚已登记；请在 7 个工作日内公示。",
                  "The sanction is recorded; publish it within 7 working days.", "success")
    return redirect(url_for(".sanction", ref=ref))


# --- one sanction -----------------------------------------------------------------------------

def _no_mobile(ring, sanction) -> str | None:
    """Why the subject has no mobile phone on record, if they have none: `landline` (a company's) or `erased` (a
    worker whose phone was erased). Then no text message can carry the notice. Workers register with a mobile
    number, so a live worker's is not opened here."""
    if sanctions.subject_erased(sanction):
        return "erased"
    if sanction.subject_kind == "company" and sanctions.subject_phone(ring, sanction) is None:
        return "landline"
    return None


def _steps(regulator, sanction, today) -> dict:
    """Which steps the page offers the issuing agency's regulator, in the sanction's state."""
    state, kind = sanction.state, sanction.kind
    steps = {"notify": state == "proposed", "correct": True}
    if state == "notified":
        steps["decide_after"] = sanctions.objection_until(sanction).day
        steps["decide"] = today > steps["decide_after"]
    if state == "decided" and rules.needs_four_eyes(kind):
        excluded = worklist.four_eyes_excluded(sanction)
        steps["approve"] = regulator.ref not in excluded
        steps["approve_refused"] = {
            "proposed": regulator.ref == sanction.proposed_by,
            "decided": sanction.decision is not None and regulator.ref == sanction.decision.decided_by,
        } if regulator.ref in excluded else None
    if rules.publishable(kind=kind, state=state, months=sanction.publish_months):
        steps["publish"] = today <= sanction.window_end
        steps["publish_over"] = not steps["publish"]
    elif state in ("decided", "approved") and not sanction.publish_months and not (
            state == "decided" and rules.needs_four_eyes(kind)):
        steps["unpublished_minor"] = True
    return steps


def _sanction_page(regulator, sanction, status: int = 200, *, failed: tuple | None = None, error=None, extra=None):
    ring = keyring()
    today = clock.today()
    view = views_model.regulator_view(ring, sanction, today)
    issuer = regulator.agency_id == sanction.agency_id
    no_mobile = _no_mobile(ring, sanction) if issuer and sanction.state == "proposed" else None
    forms = {
        "notify": NotifyForm(formdata=None, objection_days=str(sanctions.objection_days_default()),
                             delivery_method=None if no_mobile else "sms"),
        "decide": DecideForm(formdata=None),
        "approve": StepForm(formdata=None),
        "publish": StepForm(formdata=None),
        "correct": CorrectForm.current(sanction, view["facts"]),
        # Credit repair and withdrawal (repair_views.py).
        "repair_decide": RepairDecideForm(formdata=None),
        "revocation": RevocationForm(formdata=None),
        "withdraw": WithdrawForm(formdata=None),
    }
    if failed is not None:
        forms[failed[0]] = failed[1]
    refs = [view["proposed_by"], view["decided_by"], sanction.published_by, *view["approved_by"],
            *(c["corrected_by"] for c in view["corrections"]), *(r.decided_by for r in sanction.repairs),
            *((sanction.withdrawal.recorded_by, sanction.withdrawal.withdrawn_by) if sanction.withdrawal else ())]
    deadline = view["publication_deadline"]
    return render_template(
        "web/sanctions/sanction.html", regulator=regulator, s=sanction, view=view, issuer=issuer, today=today,
        repair_rules=repair_rules, authority_labels={k: t(*v) for k, v in repair_rules.AUTHORITIES.items()},
        steps=_steps(regulator, sanction, today) if issuer else {}, forms=forms,
        failed=failed[0] if failed else None, error=error, extra=extra or [],
        no_mobile=no_mobile,
        logins=worklist.logins_of(refs), corrected_fields=CORRECTED_FIELDS,
        overdue=bool(deadline) and sanction.state in ("decided", "approved") and today > deadline["day"],
        objections=[objections.view(ring, o, today) for o in sanction.objections],
        objection_steps=objection_rules.steps_from, objection_words=objection_rules.STEP_WORDS,
    ), status


@bp.get("/admin/sanctions/<ref>")
@role_required(*REGULATOR_ROLES)
def sanction(ref: str):
    return _sanction_page(account(), sanctions.get_sanction(ref))


def _step(ref: str, key: str, form_cls, run, done: tuple[str, str]):
    """One step on a sanction: the issuing agency only, the form checked, one service call, one entry."""
    regulator = account()
    target = sanctions.get_sanction(ref)
    # Another agency's regulator is refused before the form is read: the page never offered it.
    sanctions.require_issuer(regulator, target)
    form = form_cls()
    if not form.validate():
        return _sanction_page(regulator, target, INVALID, failed=(key, form), error=CORRECT_FIELDS)
    try:
        run(keyring(), regulator, target, form, clock.today())
    except ApiError as exc:
        error, extra = apply_api_error(form, exc)
        return _sanction_page(regulator, sanctions.get_sanction(ref), exc.status, failed=(key, form),
                              error=error, extra=extra)
    db.session.commit()
    flash_msg(*done, "success")
    return redirect(url_for(".sanction", ref=ref))


@bp.post("/admin/sanctions/<ref>/notify")
@role_required(*REGULATOR_ROLES)
def notify(ref: str):
    def run(ring, regulator, s, form, today):
        days = form.objection_days.data
        sanctions.notify_sanction(ring, regulator=regulator, sanction=s, today=today, reasons=form.reasons.data,
                                  objection_days=int(days) if days else None,
                                  delivery_method=form.delivery_method.data,
                                  delivered_on=form.delivered_on.data)

    return _step(ref, "notify", NotifyForm, run, ("已告知当事人，异议期开始计算。",
                                                  "The subject is notified; the objection window runs."))


@bp.post("/admin/sanctions/<ref>/decide")
@role_required(*REGULATOR_ROLES)
def decide(ref: str):
    def run(ring, regulator, s, form, today):
        sanctions.decide_sanction(ring, regulator=regulator, sanction=s, today=today,
                                  decision_no=form.decision_no.data, decision_date=form.decision_date.data)

    return _step(ref, "decide", DecideForm, run, ("已作出列入决定；须由另一名监管人员复核。",
                                                  "The listing is decided; a second regulator must approve it."))


@bp.post("/admin/sanctions/<ref>/approve")
@role_required(*REGULATOR_ROLES)
def approve(ref: str):
    def run(ring, regulator, s, form, today):
        sanctions.approve_sanction(ring, regulator=regulator, sanction=s, today=today)

    return _step(ref, "approve", StepForm, run, ("已复核；列入决定自即日起生效，请按期公示。",
                                                 "Approved: the listing binds from today; publish it in time."))


@bp.post("/admin/sanctions/<ref>/publish")
@role_required(*REGULATOR_ROLES)
def publish(ref: str):
    def run(ring, regulator, s, form, today):
        sanctions.publish_sanction(ring, regulator=regulator, sanction=s, today=today)

    return _step(ref, "publish", StepForm, run, ("已公示。", "Published."))


@bp.post("/admin/sanctions/<ref>/correct")
@role_required(*REGULATOR_ROLES)
def correct(ref: str):
    def run(ring, regulator, s, form, today):
        sanctions.correct_sanction(ring, regulator=regulator, sanction=s, today=today, changes=form.changes(s),
                                   reason=form.reason.data)

    return _step(ref, "correct", CorrectForm, run, ("已更正，并记录了更正理由。",
                                                    "Corrected; the reason is recorded."))


# --- the subject's notices ----------------------------------------------------------------------

@bp.get("/company/notices")
@role_required(*COMPANY_ROLES)
def company_notices():
    """The notices regulators sent this company (its own only: the account's company)."""
    user = account()
    ring = keyring()
    notices = [views_model.notice_view(ring, s) for s in sanctions.notices_for(company_id=user.company_id)]
    return render_template("web/sanctions/notices.html", company=user.company, notices=notices)
