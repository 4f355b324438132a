"""Pages: company sign-up, the company's own page (pledge, users, its open change
request), the public page of a verified company and the regulators' queue of
registrations and change requests."""
from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_login import current_user

from .. import clock
from ..accounts import services as account_services
from ..accounts.roles import COMPANY_ROLES, REGULATOR_ROLES, Role
from ..accounts.views import once_page, start_session
from ..credit import score_reviews
from ..database import reading_only
from ..errors import ApiError, Msg, not_found
from ..extensions import db, limiter
from ..keys import keyring
from ..ratelimits import lookup_limit
from ..sanctions import services as sanctions
from ..sanctions import subject_notices
from ..web import account, apply_api_error, flash_msg, home_for, role_required
from . import districts, pledge, services, views_model
from .forms import (
    SIGNUP_FIELDS,
    ChangeDecisionForm,
    CompanyUserForm,
    DecisionForm,
    PledgeForm,
    ServicePhoneForm,
    SignupForm,
)
from .models import EMPLOYEE_CONDITIONS

bp = Blueprint("companies_web", __name__)

MANUAL_REVIEW = Msg("The USCC fails its check. If it is a genuine early code, ask a regulator to register it "
                    "through manual review.",
                    "统一社会信用代码校验未通过。如确为早期颁发的真实代码，请联系监管部门人工审核登记。")
CORRECT_FIELDS = Msg("Please correct the marked fields.", "请修改标出的内容。")


# --- sign-up ----------------------------------------------------------------------

def _signup_page(form: SignupForm, **extra):
    return render_template("web/companies/signup.html", form=form, districts=districts.DISTRICTS,
                           conditions=EMPLOYEE_CONDITIONS, **extra)


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["SIGNUP_LIMIT"], methods=["POST"])
def signup():
    if request.method == "GET" and current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = SignupForm()
    if request.method == "GET":
        return _signup_page(form)
    if not form.validate():
        note = MANUAL_REVIEW if form.uscc_failure in ("checksum", "org_code") else None
        return _signup_page(form, error=CORRECT_FIELDS, note=note), 400
    try:
        _company, admin = services.register_company(
            keyring(), uscc=form.uscc.data, profile=form.profile(), admin_login=form.admin_login.data,
            admin_name=form.admin_name.data, admin_password=form.admin_password.data)
    except ApiError as exc:
        error, extra = apply_api_error(form, exc, SIGNUP_FIELDS)
        return _signup_page(form, error=error, extra=extra), exc.status
    account_services.record_sign_in(admin.account, clock.now())
    db.session.flush()  # the account's id, for its session row
    start_session(admin.account)
    db.session.commit()
    flash_msg("企业已登记。在监管部门核验之前，企业状态为“待审核”；下一步见下方。",
              "Your company is registered. It stays pending until a regulator verifies it; the next steps are "
              "below.", "success")
    return redirect(url_for(".company"))


# --- the company's own page ----------------------------------------------------------

def _company_page(user, status: int = 200, *, pledge_form: PledgeForm | None = None,
                  user_form: CompanyUserForm | None = None, phone_form: ServicePhoneForm | None = None, **extra):
    company = user.company
    current = pledge.CURRENT_VERSION
    # The pledge of the current version that stands (kept); a broken one is signed again.
    signed = next((p for p in reversed(company.pledges) if p.version == current and p.state == "kept"), None)
    return render_template(
        "web/companies/company.html", user=user, company=company, view=views_model.private_view(keyring(), company),
        pledge_text=pledge.PLEDGES[current], pledge_version=current, signed=signed,
        pledge_form=pledge_form or PledgeForm(formdata=None, version=str(current)),
        user_form=user_form or CompanyUserForm(formdata=None),
        review=views_model.review_view(company) if company.status == "pending" else None,
        phone_form=phone_form or ServicePhoneForm(formdata=None, service_phone=company.service_phone or ""),
        notices=sanctions.notices_for(company_id=company.id),
        notifications=subject_notices.for_subject(company_id=company.id),
        credit=score_reviews.subject_page(keyring(), "company", company.id, clock.today()), **extra), status


@bp.get("/company")
@role_required(*COMPANY_ROLES)
def company():
    return _company_page(account())


@bp.post("/company/pledge")
@role_required(Role.COMPANY_ADMIN)
def sign_pledge():
    user = account()
    form = PledgeForm()
    if not form.validate():
        return _company_page(user, 400, pledge_form=form)
    try:
        services.sign_pledge(keyring(), account=user, company=user.company, version=int(form.version.data))
    except ApiError as exc:
        error, extra = apply_api_error(form, exc)
        return _company_page(user, exc.status, pledge_form=form, pledge_error=error, pledge_extra=extra)
    db.session.commit()
    flash_msg("已签署信用承诺。", "The credit pledge is signed.", "success")
    return redirect(url_for(".company"))


@bp.post("/company/service-phone")
@role_required(Role.COMPANY_ADMIN)
def service_phone():
    """The public service line applies at once, verified company or not: regulators do not vouch for it."""
    user = account()
    form = ServicePhoneForm()
    if not form.validate():
        return _company_page(user, 400, phone_form=form)
    try:
        services.set_service_phone(keyring(), account=user, company=user.company, phone=form.service_phone.data)
    except ApiError as exc:
        error, extra = apply_api_error(form, exc)
        return _company_page(user, exc.status, phone_form=form, phone_error=error, phone_extra=extra)
    db.session.commit()
    flash_msg("服务电话已更新。", "The service phone is updated.", "success")
    return redirect(url_for(".company"))


@bp.post("/company/users")
@role_required(Role.COMPANY_ADMIN)
def add_user():
    user = account()
    form = CompanyUserForm()
    if not form.validate():
        return _company_page(user, 400, user_form=form)
    try:
        new = services.add_user(keyring(), actor=user, company=user.company, login=form.login.data,
                                name=form.name.data, role=form.role.data)
    except ApiError as exc:
        error, extra = apply_api_error(form, exc)
        return _company_page(user, exc.status, user_form=form, user_error=error, user_extra=extra)
    db.session.commit()
    return once_page(new.account, password=new.password, created=True), 201


@bp.post("/company/changes/<ref>/withdraw")
@role_required(Role.COMPANY_ADMIN)
def withdraw_change(ref: str):
    user = account()
    change = services.get_change(ref)
    if not services.is_member(user, change.company):
        raise not_found("change request", "变更申请")
    try:
        services.withdraw_change(keyring(), account=user, change=change)
    except ApiError as exc:
        error, _extra = apply_api_error(None, exc)
        return _company_page(user, exc.status, change_error=error)
    db.session.commit()
    flash_msg("已撤回变更申请。", "The change request is withdrawn.", "success")
    return redirect(url_for(".company"))


# --- the public page (linked from the card page) ---------------------------------------

@bp.get("/companies/<uscc>")
@lookup_limit
def public(uscc: str):
    """A verified company's public credit view; anything else answers as an unknown code does."""
    company = services.get_public_company(uscc)
    return render_template("web/companies/public.html", view=views_model.public_view(company))


# --- the regulators' queue -------------------------------------------------------------

def _queue_page(regulator, status: int = 200, *, failed_uscc: str | None = None,
                form: DecisionForm | None = None, error: Msg | None = None, failed_change: str | None = None,
                change_form: ChangeDecisionForm | None = None):
    ring = keyring()
    with reading_only():
        pending = services.companies_for(regulator, "pending")
        verified = services.companies_for(regulator, "verified")
        # Graded C or bound by a serious listing: marked in the list (credit/market_access.py).
        marks = views_model.access_marks(verified, clock.today())
        # The verifying regulator sees each contact person in clear: recorded first.
        services.note_contact_reads(companies=pending, account=regulator, purpose="verification")
        return render_template(
            "web/companies/queue.html", regulator=regulator,
            pending=[views_model.verification_view(ring, c) for c in pending],
            changes=[views_model.change_view(c) | {"name": c.company.name} for c in services.changes_for(regulator)],
            verified=[views_model.profile_view(c) | {"decided_dt": c.decided_dt, "market_access": marks[c.id]}
                      for c in verified],
            failed_uscc=failed_uscc, failed_form=form, error=error, failed_change=failed_change,
            change_form=change_form), status


def _confirm_page(regulator, company, form: DecisionForm):
    """Verifying is asked once more, with everything the regulator vouches for on one page (nothing changes yet)."""
    with reading_only():
        services.note_contact_reads(companies=[company], account=regulator, purpose="verification")
        return render_template("web/companies/verify_confirm.html", regulator=regulator, form=form,
                               c=views_model.verification_view(keyring(), company))


@bp.get("/regulator/companies")
@role_required(*REGULATOR_ROLES)
def queue():
    return _queue_page(account())


@bp.post("/regulator/companies/<uscc>/decision")
@role_required(*REGULATOR_ROLES)
def decide(uscc: str):
    regulator = account()
    company = services.get_company(uscc)
    if not services.regulates(regulator, company):
        raise not_found("company", "企业")
    form = DecisionForm()
    if not form.validate():
        return _queue_page(regulator, 400, failed_uscc=company.uscc, form=form, error=CORRECT_FIELDS)
    verify = form.decision.data == "verify"
    if verify and form.confirmed.data != "yes":
        return _confirm_page(regulator, company, form)
    try:
        services.decide(keyring(), regulator=regulator, company=company, verify=verify, note=form.note.data)
    except ApiError as exc:
        error, _extra = apply_api_error(form, exc)
        return _queue_page(regulator, exc.status, failed_uscc=company.uscc, form=form, error=error)
    db.session.commit()
    if verify:
        flash_msg(f"已核验：{company.name}", f"Verified: {company.name}", "success")
    else:
        flash_msg(f"已驳回：{company.name}", f"Rejected: {company.name}", "success")
    return redirect(url_for(".queue"))


@bp.post("/regulator/company-changes/<ref>/decision")
@role_required(*REGULATOR_ROLES)
def decide_change(ref: str):
    regulator = account()
    change = services.get_change(ref)
    if not services.oversees_change(regulator, change):
        raise not_found("change request", "变更申请")
    form = ChangeDecisionForm()
    if not form.validate():
        return _queue_page(regulator, 400, failed_change=change.ref, change_form=form, error=CORRECT_FIELDS)
    approve = form.decision.data == "approve"
    name = change.name
    try:
        services.decide_change(keyring(), regulator=regulator, change=change, approve=approve,
                               reason=form.reason.data)
    except ApiError as exc:
        error, _extra = apply_api_error(form, exc)
        return _queue_page(regulator, exc.status, failed_change=ref, change_form=form, error=error)
    db.session.commit()
    if approve:
        flash_msg(f"已批准变更：{name}", f"Change approved: {name}", "success")
    else:
        flash_msg("已驳回变更申请。", "Change request rejected.", "success")
    return redirect(url_for(".queue"))
