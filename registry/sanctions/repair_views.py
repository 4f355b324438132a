"""Pages for credit repair and withdrawal: the subject's own sanctions and its application (/company/sanctions,
/me/sanctions), and the regulators' steps on a sanction's page (answer an application, record a revocation,
withdraw).

Answering an application and withdrawing are the issuing agency's (403 before the form is read); any regulator
records a revocation. Each step is one service call and one log entry; a refusal shows the page again with the
error and nothing stored (the subject's page: the error as a message).
"""
from __future__ import annotations

from flask import Response, redirect, render_template, request, url_for

from .. import clock
from ..accounts.roles import COMPANY_ROLES, REGULATOR_ROLES
from ..attachments import rules as attachment_rules
from ..attachments import services as attachments
from ..errors import ApiError
from ..extensions import db
from ..keys import keyring
from ..selfservice.views import need_sign_in, signed_in
from ..web import account, apply_api_error, flash_msg, role_required
from ..workers.services import self_actor
from . import repair, repair_rules
from . import services as sanctions
from .forms import RepairApplyForm, RepairDecideForm, RevocationForm, WithdrawForm
from .views import CORRECT_FIELDS, INVALID, _sanction_page, bp

# --- the subject ------------------------------------------------------------------------------------------------

def _own_page(rows, **extra):
    ring, today = keyring(), clock.today()
    return render_template("web/sanctions/own.html", rows=[repair.own_view(ring, s, today) for s in rows],
                           pledge_text=repair_rules.PLEDGE_TEXT, max_files=attachment_rules.MAX_FILES, **extra)


@bp.url_value_preprocessor
def _body_limit(endpoint, _values):
    """An application's body may carry five documents of the full 5 MiB (MAX_CONTENT_LENGTH is smaller); set before
    the CSRF check reads the form."""
    if endpoint in ("sanctions_web.company_repair", "sanctions_web.my_repair"):
        request.max_content_length = attachment_rules.body_limit()


def _files(form) -> list[bytes]:
    return [f.read(attachment_rules.MAX_BYTES + 1) for f in (form.documents.data or []) if getattr(f, "filename", "")]


def _apply(sanction, applicant_kind: str, applicant: str, back: str):
    form = RepairApplyForm()
    if not form.validate():
        flash_msg("请说明已履行的义务和整改情况（最多 2000 字）。",
                  "Say which obligations were met and what was corrected (at most 2000 characters).", "error")
        return redirect(back)
    try:
        repair.apply_for_repair(keyring(), sanction=sanction, applicant_kind=applicant_kind, applicant=applicant,
                                today=clock.today(), statement=form.statement.data, pledge=bool(form.pledge.data),
                                files=_files(form))
    except ApiError as exc:
        db.session.rollback()
        if exc.code == "invalid_input" and "pledge" in exc.fields:
            flash_msg("请勾选并签署信用承诺。", "Tick the box to sign the credit pledge.", "error")
        elif any(f.split(".")[0] == "documents" for f in exc.fields):
            flash_msg(*_document_message(exc), "error")
        else:
            flash_msg(exc.zh, exc.en, "error")
        return redirect(back)
    db.session.commit()
    flash_msg("已提交信用修复申请，作出决定的机关审核后会通知您。",
              "Your repair application is sent; the issuing agency will answer it and tell you.", "success")
    return redirect(back)


def _document_message(exc: ApiError) -> tuple[str, str]:
    """The refusal of the documents, naming each file at fault by its number (1 to 5) and what is wrong with it."""
    zh, en = [], []
    for name, problem in exc.fields.items():
        head, _, index = name.partition(".")
        if head != "documents":
            continue
        text = problem if isinstance(problem, dict) else {}
        if index.isdigit():
            zh.append(f"第 {int(index) + 1} 份材料：{text.get('zh', '')}")
            en.append(f"Document {int(index) + 1}: {text.get('en', '')}")
        else:
            zh.append(text.get("zh", ""))
            en.append(text.get("en", ""))
    return "；".join(zh) + " 未保存任何内容。", " ".join(en) + " Nothing was stored."


@bp.get("/company/sanctions")
@role_required(*COMPANY_ROLES)
def company_sanctions():
    """The company's own decided sanctions, and its repair applications (its members)."""
    user = account()
    return _own_page(repair.own_sanctions(company=user.company), who="company", company=user.company,
                     action=lambda ref: url_for(".company_repair", ref=ref))


@bp.post("/company/sanctions/<ref>/repairs")
@role_required(*COMPANY_ROLES)
def company_repair(ref: str):
    user = account()
    sanction = repair.own_sanction(ref, company=user.company)
    return _apply(sanction, "company", user.ref, url_for(".company_sanctions"))


@bp.get("/me/sanctions")
def my_sanctions():
    found = signed_in()
    if found is None:
        return need_sign_in()
    worker, _session = found
    return _own_page(repair.own_sanctions(worker=worker), who="worker",
                     action=lambda ref: url_for(".my_repair", ref=ref))


@bp.post("/me/sanctions/<ref>/repairs")
def my_repair(ref: str):
    found = signed_in()
    if found is None:
        return need_sign_in()
    worker, _session = found
    sanction = repair.own_sanction(ref, worker=worker)
    return _apply(sanction, "worker", self_actor(worker, sanction.log_ref), url_for(".my_sanctions"))


# --- the regulators -----------------------------------------------------------------------------------------------

@bp.get("/admin/sanctions/<ref>/repairs/<repair_ref>/documents/<int:position>")
@role_required(*REGULATOR_ROLES)
def repair_document(ref: str, repair_ref: str, position: int):
    """One document of a repair application, for the issuing agency's regulators (they decide it), as a download."""
    regulator = account()
    target = sanctions.get_sanction(ref)
    sanctions.require_issuer(regulator, target)
    row = repair.document(repair.get_repair(target, repair_ref), position)
    return Response(attachments.open_content(keyring(), row), mimetype=row.content_type, headers={
        "Content-Disposition": f'attachment; filename="repair-{position}"', "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff"})


def _regulator_step(ref: str, key: str, form, run, done: tuple[str, str], *, issuer_only: bool = True):
    regulator = account()
    target = sanctions.get_sanction(ref)
    if issuer_only:
        sanctions.require_issuer(regulator, target)
    else:
        sanctions.require_regulator(regulator)
    if not form.validate():
        return _sanction_page(regulator, target, INVALID, failed=(key, form), error=CORRECT_FIELDS)
    try:
        run(keyring(), regulator, target, clock.today())
    except ApiError as exc:
        error, extra = apply_api_error(form, exc)
        return _sanction_page(regulator, sanctions.get_sanction(ref), exc.status, failed=(key, form), error=error,
                              extra=extra)
    db.session.commit()
    flash_msg(*done, "success")
    return redirect(url_for(".sanction", ref=ref))


@bp.post("/admin/sanctions/<ref>/repairs/<repair_ref>/decide")
@role_required(*REGULATOR_ROLES)
def decide_repair(ref: str, repair_ref: str):
    form = RepairDecideForm()

    def run(ring, regulator, s, today):
        repair.decide_repair(ring, regulator=regulator, sanction=s, repair=repair.get_repair(s, repair_ref),
                             today=today, approve=form.decision.data == "approve", reason=form.reason.data or None)

    return _regulator_step(ref, "repair_decide", form, run, (
        "已审核信用修复申请，并通知了当事人。", "The repair application is answered; the subject is told."))


@bp.post("/admin/sanctions/<ref>/revocation")
@role_required(*REGULATOR_ROLES)
def revocation(ref: str):
    form = RevocationForm()

    def run(ring, regulator, s, today):
        repair.record_revocation(ring, regulator=regulator, sanction=s, today=today, **form.service_args())

    return _regulator_step(ref, "revocation", form, run, (
        "已登记决定被撤销；作出决定的机关须在三日内撤回。",
        "The revocation is recorded; the issuing agency must withdraw the sanction within 3 days."),
        issuer_only=False)


@bp.post("/admin/sanctions/<ref>/withdraw")
@role_required(*REGULATOR_ROLES)
def withdraw(ref: str):
    form = WithdrawForm()

    def run(ring, regulator, s, today):
        repair.withdraw_sanction(ring, regulator=regulator, sanction=s, today=today, **form.service_args())

    return _regulator_step(ref, "withdraw", form, run, (
        "已撤回：该记录即时停止公示、共享和惩戒。", "Withdrawn: no longer public, shared or binding, from now."))
