"""Pages: a company's staff list, worker registration, and the detailed record
(with the employer's record, correction and end-of-employment forms).

ID numbers and phones travel only in POST bodies and appear only on the
detailed record, whose every view is written to the worker's access record
first; redirects carry the card number alone.
"""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for

from .. import clock
from ..accounts.roles import COMPANY_ROLES, REGULATOR_ROLES
from ..cards.views import card_section
from ..clock import today
from ..companies import views_model as company_views
from ..database import reading_only
from ..errors import ApiError, Msg, field_error, not_found
from ..extensions import db
from ..keys import keyring
from ..ratelimits import attempt_limit, failed_attempt, send_limit
from ..retention.requests import may_erase
from ..sanctions import access as market
from ..selfservice.services import Refusal
from ..trace import views as trace_pages
from ..web import COLOURS, account, apply_api_error, flash_msg, role_required, t
from . import attach, search, services, views_model
from .forms import (
    RECORD_FORMS,
    RECORD_LABELS,
    RESULT_LABELS,
    YES_NO,
    EndForm,
    RegisterForm,
    SearchForm,
    StaffSearchForm,
)
from .vocab import EMPLOYMENT_KINDS, OCCUPATIONS, RECORD_KINDS, REGULATOR_PURPOSES

bp = Blueprint("workers_web", __name__)

CORRECT_FIELDS = Msg("Please correct the marked fields.", "请修改标出的内容。")
EXPIRING = {"health": ("体检", "Health check"), "insurance": ("保险", "Insurance"), "any": ("体检或保险", "Either")}
EMPLOYMENT_FILTER = {"active": ("在职", "Current"), "ended": ("已离职", "Ended"), "all": ("全部", "All")}
ID_KINDS = {"resident": ("居民身份证", "Resident ID card"), "hk_permit": ("港澳居民居住证（香港）",
                                                                     "Residence permit (Hong Kong)"),
            "mo_permit": ("港澳居民居住证（澳门）", "Residence permit (Macau)"),
            "tw_permit": ("台湾居民居住证", "Residence permit (Taiwan)"),
            "foreigner": ("外国人永久居留身份证", "Foreigner permanent-residence ID")}
VOCAB = {"occupation": OCCUPATIONS, "employment_kind": EMPLOYMENT_KINDS, "record_kind": RECORD_KINDS,
         "colour": COLOURS, "expiring": EXPIRING, "employment": EMPLOYMENT_FILTER, "result": RESULT_LABELS,
         "exam": YES_NO, "field": RECORD_LABELS, "id_kind": ID_KINDS, "purpose": REGULATOR_PURPOSES}


@bp.context_processor
def _vocab():
    def vocab(kind: str, code) -> str:
        pair = VOCAB.get(kind, {}).get(code)
        return t(*pair) if pair else (code or "")

    return {"vocab": vocab, "vocab_codes": lambda kind: list(VOCAB[kind])}


# --- the staff list ---------------------------------------------------------------------

@bp.route("/company/workers", methods=["GET", "POST"])
@role_required(*COMPANY_ROLES)
def staff():
    """The staff list, one page of 50. Its form posts, so a typed name or phone stays out of every URL."""
    user = account()
    if request.method == "GET":
        form = StaffSearchForm.from_query(request.args)
    else:
        form = StaffSearchForm()
    if not form.validate():
        return _staff_page(user.company, form, None, 400, error=CORRECT_FIELDS)
    try:
        search = services.staff_search(**form.search_terms())
    except ApiError as exc:
        error, extra = apply_api_error(form, exc)
        return _staff_page(user.company, form, None, exc.status, error=error, extra=extra)
    page = services.staff_page(keyring(), user.company, today=today(), search=search, page=form.page.data or 1,
                               **form.filters())
    return _staff_page(user.company, form, page, searched=bool(search))


def _staff_page(company, form, page, status: int = 200, **extra):
    rows = [views_model.staff_row(w, e, st) for w, e, st in page.rows] if page else []
    return render_template("web/workers/staff.html", company=company, form=form, rows=rows, page=page,
                           review=_review(company), **extra), status


def _review(company) -> dict | None:
    """Why a company not yet verified sees no registration, import or print forms, and who it waits for."""
    return None if company.status == "verified" else company_views.review_view(company)


# --- registration -------------------------------------------------------------------------

def _register_page(form: RegisterForm, status: int = 200, **extra):
    company = account().company
    # A company on the serious-dishonesty list registers nobody while the listing is in effect: no form.
    listed = (market.company_listed_error()
              if company.status == "verified" and market.company_listed(company.id, today()) else None)
    return render_template("web/workers/register.html", form=form, company=company, review=_review(company),
                           listed=listed, occupations=OCCUPATIONS, kinds=EMPLOYMENT_KINDS, **extra), status


@bp.route("/company/workers/new", methods=["GET", "POST"])
@role_required(*COMPANY_ROLES)
def register():
    user = account()
    if request.method == "GET":
        return _register_page(RegisterForm(start_date=today()))
    form = RegisterForm()
    if not form.validate():
        return _register_page(form, 400, error=CORRECT_FIELDS)
    try:
        registered = services.register_with_retry(
            keyring(), account=user, company=user.company, today=today(),
            person=services.Person(form.name.data, form.id_number.data, form.phone.data),
            engagement=services.Engagement(form.occupation.data, form.employment_kind.data, form.start_date.data,
                                           bool(form.social_insurance.data)))
    except ApiError as exc:
        error, extra = apply_api_error(form, exc)
        return _register_page(form, exc.status, error=error, extra=extra)
    card_no, masked, created = registered.worker.card_no, registered.worker.name_masked, registered.created
    warnings = registered.warnings
    db.session.commit()
    # The worker's listings in effect that let the registration through: shown where the page goes next.
    for w in warnings:
        flash_msg(w["message"]["zh"], w["message"]["en"], "warning")
    if created:
        flash_msg(f"已登记 {masked}，发放终身卡号 {card_no}。",
                  f"{masked} is registered; lifetime card number {card_no} issued.", "success")
        return redirect(url_for(".detail", card_no=card_no))
    # An existing worker: nothing opens until they confirm, so back to the list, where the code is entered.
    flash_msg(f"{masked} 已持有卡号 {card_no}。已向其登记手机发送确认码，待本人确认：请向本人索取确认码并在下方填写。",
              f"{masked} already holds card number {card_no}. A confirmation code was sent to their phone on "
              "record; ask them for it and enter it below.", "success")
    return redirect(url_for(".staff", _anchor=f"awaiting-{card_no}"))


# --- confirming an attachment -------------------------------------------------------------

@bp.post("/company/workers/<card_no>/employments/<int:employment_id>/confirm")
@attempt_limit
@role_required(*COMPANY_ROLES)
def confirm(card_no: str, employment_id: int):
    """The code the worker gave the company; wrong tries count (and are committed) like any code's."""
    user = account()
    worker = services.get_worker(card_no)
    try:
        attach.confirm_with_code(keyring(), account=user, company=user.company, worker=worker,
                                 employment_id=employment_id, code=request.form.get("code", ""), today=today(),
                                 now=clock.now())
    except ApiError as exc:
        if isinstance(exc, Refusal):
            db.session.commit()
        else:
            db.session.rollback()
        failed_attempt()  # the answer is a redirect back to the list: mark it, or the budget never sees it
        flash_msg(exc.zh if not exc.fields else next(iter(exc.fields.values()))["zh"],
                  exc.en if not exc.fields else next(iter(exc.fields.values()))["en"], "error")
        return redirect(url_for(".staff", _anchor=f"awaiting-{card_no}"))
    masked, card = worker.name_masked, worker.card_no
    db.session.commit()
    flash_msg(f"{masked} 已确认，本企业的用工生效。",
              f"{masked} confirmed: the employment with your company is current.",
              "success")
    return redirect(url_for(".detail", card_no=card))


@bp.post("/company/workers/<card_no>/employments/<int:employment_id>/confirmation-code")
@send_limit
@role_required(*COMPANY_ROLES)
def resend(card_no: str, employment_id: int):
    user = account()
    worker = services.get_worker(card_no)
    try:
        attach.resend_code(keyring(), account=user, company=user.company, worker=worker,
                           employment_id=employment_id, today=today(), now=clock.now())
    except ApiError as exc:
        db.session.rollback()
        flash_msg(exc.zh, exc.en, "error")
        return redirect(url_for(".staff", _anchor=f"awaiting-{card_no}"))
    masked = worker.name_masked
    db.session.commit()
    flash_msg(f"已向 {masked} 登记的手机重新发送确认码；之前的确认码已失效。",
              f"A new confirmation code was sent to the phone {masked} registered; the earlier one no longer works.",
              "success")
    return redirect(url_for(".staff", _anchor=f"awaiting-{card_no}"))


# --- the detailed record ------------------------------------------------------------------

def _viewable(user, card_no: str):
    worker = services.get_worker(card_no)
    if not services.may_view(user, worker):
        raise not_found("worker", "从业人员")
    return worker


def _employer(user, card_no: str):
    """The worker and the user's company, which must employ them now."""
    company, worker = services.employed_by(user, card_no)
    return worker, company


def _record_slots(view: dict, company) -> dict:
    """The record forms of the page, by key: `new-<kind>` and `fix-<record id>`."""
    slots = {f"new-{kind}": RECORD_FORMS[kind](formdata=None, id_prefix=f"new-{kind}") for kind in RECORD_KINDS}
    for r in view["records"]:
        if r["company_uscc"] == company.uscc and not r["superseded"]:
            cls = RECORD_FORMS[r["kind"]]
            slots[f"fix-{r['id']}"] = cls(formdata=None, id_prefix=f"fix-{r['id']}",
                                          data={**cls.prefill(r), "supersedes": str(r["id"])})
    return slots


def _detail_page(user, worker, status: int = 200, *, failed: tuple[str, object] | None = None,
                 error: Msg | None = None, extra: list | None = None, opened: search.Query | None = None):
    """The detailed record: an employer's read, or a regulator's `opened` with the purpose they chose."""
    with reading_only():
        if opened is not None:
            search.open_record(regulator=user, worker=worker, q=opened)
        elif user.role in COMPANY_ROLES:
            services.note_access(worker=worker, account=user, purpose="employer_view")
        else:
            raise not_found("worker", "从业人员")
        view = views_model.detail(keyring(), worker, today())
        employer = None
        if user.role in COMPANY_ROLES and user.company is not None \
                and services.active_employment(worker, user.company) is not None:
            employer = user.company
        slots, end_form, to_void = {}, None, []
        if employer is not None:
            slots = _record_slots(view, employer)
            end_form = EndForm(formdata=None, end_date=today())
            # Said before the company confirms: ending the employment voids these cards.
            to_void = [c.serial for c in services.cards_to_void(worker, employer)]
        failed_key = None
        if failed is not None:
            key, form = failed
            if key == "end":
                end_form = form
                failed_key = key
            elif key in slots:
                slots[key] = form
                failed_key = key
            else:
                # No place on the page for this form: show all its messages at the top.
                extra = [*(extra or []), *(e for f in form for e in f.errors)]
        grouped = {kind: [r for r in view["records"] if r["kind"] == kind] for kind in RECORD_KINDS}
        latest = trace_pages.latest_services(user, worker)
        # The way to a lawful request's erasure, for whoever the erasure page itself lets in; none once erased.
        erasable = worker.erased_dt is None and may_erase(user, worker)
        html = render_template("web/workers/detail.html", view=view, user=user, employer=employer, grouped=grouped,
                               slots=slots, end_form=end_form, to_void=to_void, failed_key=failed_key, error=error,
                               extra=extra or [], opened=opened,
                               card_section=card_section(worker) if employer is not None else None,
                               services=latest, erasable=erasable)
    return html, status


@bp.get("/workers/<card_no>")
@role_required(*COMPANY_ROLES, *REGULATOR_ROLES)
def detail(card_no: str):
    user = account()
    worker = _viewable(user, card_no)
    if user.role in REGULATOR_ROLES:
        # A regulator says why before anything personal opens: the search form, the card number filled in.
        return redirect(url_for(".search_form", card_no=worker.card_no))
    if card_no != worker.card_no:
        # A card number typed in lower case or with spaces: one address per card.
        return redirect(url_for(".detail", card_no=worker.card_no))
    return _detail_page(user, worker)


@bp.post("/workers/<card_no>/records")
@role_required(*COMPANY_ROLES)
def add_record(card_no: str):
    user = account()
    worker, company = _employer(user, card_no)
    kind = request.form.get("kind", "")
    if kind not in RECORD_FORMS:
        raise field_error("kind", "Unknown record kind.", "未知的记录类型。")
    supersedes = request.form.get("supersedes", "")
    key = f"fix-{supersedes}" if supersedes else f"new-{kind}"
    form = RECORD_FORMS[kind](id_prefix=key)
    if not form.validate():
        return _detail_page(user, worker, 400, failed=(key, form), error=CORRECT_FIELDS)
    try:
        services.add_record(keyring(), account=user, company=company, worker=worker, kind=kind,
                            data=form.record_data(), today=today(), supersedes_id=form.supersedes_id())
    except ApiError as exc:
        error, extra = apply_api_error(form, exc)
        return _detail_page(user, worker, exc.status, failed=(key, form), error=error, extra=extra)
    target = url_for(".detail", card_no=worker.card_no, _anchor=f"records-{kind}")
    db.session.commit()
    zh, en = RECORD_KINDS[kind]
    if supersedes:
        flash_msg(f"已更正{zh}记录。", f"The {en.lower()} record is corrected.", "success")
    else:
        flash_msg(f"已添加{zh}记录。", f"The {en.lower()} record is added.", "success")
    return redirect(target)


@bp.post("/workers/<card_no>/end")
@role_required(*COMPANY_ROLES)
def end(card_no: str):
    user = account()
    worker, company = _employer(user, card_no)
    form = EndForm()
    if not form.validate():
        return _detail_page(user, worker, 400, failed=("end", form), error=CORRECT_FIELDS)
    if request.form.get("confirmed") != "yes":
        # First the consequence, then the change: a second post with `confirmed` ends it.
        try:
            services.check_end(user, company, worker, form.end_date.data, today())
        except ApiError as exc:
            error, extra = apply_api_error(form, exc)
            return _detail_page(user, worker, exc.status, failed=("end", form), error=error, extra=extra)
        return _end_confirmation(worker, company, form.end_date.data)
    try:
        ended = services.end_employment(keyring(), account=user, company=company, worker=worker,
                                        end_date=form.end_date.data, today=today())
    except ApiError as exc:
        error, extra = apply_api_error(form, exc)
        return _detail_page(user, worker, exc.status, failed=("end", form), error=error, extra=extra)
    masked, card, voided = worker.name_masked, worker.card_no, ended.voided_serials
    db.session.commit()
    if voided:
        serials = ", ".join(str(n) for n in voided)
        flash_msg(f"{masked}（{card}）在本企业的用工已结束；本企业发放的服务证（第 {serials} 张）已作废。",
                  f"The employment of {masked} ({card}) with your company has ended; the cards your company "
                  f"issued (serial {serials}) are void.", "success")
    else:
        flash_msg(f"{masked}（{card}）在本企业的用工已结束。",
                  f"The employment of {masked} ({card}) with your company has ended.", "success")
    # The detailed record is for current employers: back to the list of ended employments.
    return redirect(url_for(".staff", employment="ended"))


# --- a regulator's search ---------------------------------------------------------------

def _search_page(form: SearchForm, status: int = 200, **extra):
    return render_template("web/workers/search.html", form=form, user=account(), **extra), status


@bp.get("/regulator/workers")
@role_required(*REGULATOR_ROLES)
def search_form():
    """The search form; a card number may come filled in (from a report, say), never an ID number."""
    return _search_page(SearchForm(formdata=None, card_no=request.args.get("card_no", "")[:30]))


@bp.post("/regulator/workers")
@role_required(*REGULATOR_ROLES)
def search_worker():
    """Find and open in one POST: the ID number stays in the body, never in a URL (no redirect)."""
    user = account()
    form = SearchForm()
    if not form.validate():
        return _search_page(form, 400, error=CORRECT_FIELDS)
    q = search.Query(form.card_no.data or None, form.id_number.data or None, form.purpose.data,
                     form.note.data or None)
    try:
        with reading_only():
            worker = search.find(keyring(), regulator=user, q=q, today=today())
    except ApiError as exc:
        error, extra = apply_api_error(form, exc)
        return _search_page(form, exc.status, error=error, extra=extra)
    return _detail_page(user, worker, opened=q)


def _end_confirmation(worker, company, end_date):
    masked, card = worker.name_masked, worker.card_no
    return render_template(
        "web/confirm.html", title=t("确认结束用工", "Confirm the end of the employment"),
        subject=t(f"{masked}（{card}），{company.name}", f"{masked} ({card}), {company.name}"),
        consequences=[
            t(f"{masked} 自 {end_date} 起离职，从本企业的在职名单中移出（用工历史保留）。",
              f"{masked} leaves your staff list as of {end_date} (the history is kept)."),
            t("本企业为其发放的服务证随即失效，上门扫码不再显示本企业。",
              "The cards your company issued for this worker stop being valid at once; a scan at the door no "
              "longer shows your company."),
            t("本企业不能再查看其详细记录、添加记录或发放服务证；如需恢复，须重新登记并经本人确认。",
              "Your company can no longer open the detailed record, add records or issue cards; to take the "
              "worker back, register them again and they confirm."),
        ],
        action=url_for(".end", card_no=card), hidden={"end_date": end_date.isoformat()},
        confirm_label=t("确认结束用工", "End the employment"), cancel=url_for(".detail", card_no=card))
