"""Pages: a company for its regulators (/regulator/companies/<uscc>/commendations) — its commendations (表彰): the
list, the form to record one, and a revoke button on those their agency recorded; and its credit pledge (信用承诺):
its state, the breaches recorded, and the form to record that the current pledge was found broken.

The regulators who may commend the company (its sectors' and market supervision) see the page — the same who record
a broken pledge; anyone else is answered as for an unknown company (404). A revocation by another agency is refused
(403) before its form is read. Each change is one service call and one log entry; a refusal shows the page again
with the error summary and nothing stored. What the public sees is on the company's public page (companies/views.py).
"""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import DateField, StringField, TextAreaField
from wtforms.validators import Optional

from .. import clock
from ..accounts.forms import MaxLength, Required, strip
from ..accounts.roles import REGULATOR_ROLES
from ..companies import services as companies
from ..companies import views_model as company_views
from ..companies.models import BREACH_BASIS_MAX
from ..errors import ApiError, Msg, not_found
from ..extensions import db
from ..keys import keyring
from ..web import account, apply_api_error, flash_msg, role_required
from ..workers.forms import BAD_DATE, date_field
from . import commendations as services
from .models import BASIS_MAX, REVOKE_REASON_MAX, TITLE_MAX

bp = Blueprint("credit_web", __name__)

CORRECT_FIELDS = Msg("Please correct the marked fields.", "请修改标出的内容。")
# A form's invalid input answers 422, as the services' refusals of bad input do.
INVALID = 422


class CommendationForm(FlaskForm):
    """Record a commendation: the fields are named as the service names them, so its errors land on them."""

    title = StringField(validators=[Required("请填写表彰名称。", "Give the commendation's title."),
                                    MaxLength(TITLE_MAX)], filters=[strip])
    basis = StringField(validators=[Required("请填写表彰依据（文件及文号）。",
                                             "Give the document that commends (its number)."),
                                    MaxLength(BASIS_MAX)], filters=[strip])
    commended_on = date_field("请填写表彰日期。", "Give the day of the commendation.")
    valid_until = DateField(invalid_value_message=BAD_DATE, validators=[Optional()])


class RevokeForm(FlaskForm):
    reason = TextAreaField(validators=[Required("请说明撤销理由。", "Say why the commendation is revoked."),
                                       MaxLength(REVOKE_REASON_MAX)], filters=[strip])

    def __init__(self, *args, ref: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if ref is not None:
            # Page-unique ids: every commendation of the agency carries its own revoke form.
            self.reason.id = f"reason-{ref}"


class PledgeBreachForm(FlaskForm):
    """Record that the company's current pledge was found broken: fields named as the service names them."""

    found_on = date_field("请填写认定违背承诺的日期。", "Give the day the pledge was found broken.")
    basis = StringField(validators=[Required("请填写认定依据（认定或决定文书及文号）。",
                                             "Give the basis: the finding or decision number."),
                                    MaxLength(BREACH_BASIS_MAX)], filters=[strip])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Page-unique ids: the commendation form beside it has its own `basis`.
        for field in (self.found_on, self.basis):
            field.id = f"breach-{field.name}"


def _company_for(regulator, uscc: str):
    """The company, if `regulator` may commend it; anyone else is answered as for an unknown company."""
    company = companies.get_company(uscc)
    if not services.may_commend(regulator, company):
        raise not_found("company", "企业")
    return company


def _page(regulator, company, status: int = 200, *, form: CommendationForm | None = None,
          failed_ref: str | None = None, revoke_form: RevokeForm | None = None, error=None, extra=None,
          breach_form: PledgeBreachForm | None = None):
    today = clock.today()
    return render_template(
        "web/credit/commendations.html", regulator=regulator, company=company, today=today,
        commendations=[services.regulator_view(c, today) for c in services.for_company(company.id)],
        form=form or CommendationForm(formdata=None), failed_ref=failed_ref, revoke_form=revoke_form,
        blank_revoke=lambda ref: RevokeForm(formdata=None, ref=ref),
        pledge=company.current_pledge, breaches=company_views.pledge_breaches(company),
        breach_form=breach_form or PledgeBreachForm(formdata=None), breach_failed=breach_form is not None,
        error=error, extra=extra or [], default_months=services.valid_months()), status


@bp.get("/regulator/companies/<uscc>/commendations")
@role_required(*REGULATOR_ROLES)
def page(uscc: str):
    regulator = account()
    return _page(regulator, _company_for(regulator, uscc))


@bp.post("/regulator/companies/<uscc>/commendations")
@role_required(*REGULATOR_ROLES)
def record(uscc: str):
    regulator = account()
    company = _company_for(regulator, uscc)
    form = CommendationForm()
    if not form.validate():
        return _page(regulator, company, INVALID, form=form, error=CORRECT_FIELDS)
    try:
        services.record_commendation(keyring(), regulator=regulator, company=company, title=form.title.data,
                                     basis=form.basis.data, commended_on=form.commended_on.data,
                                     valid_until=form.valid_until.data, today=clock.today())
    except ApiError as exc:
        error, extra = apply_api_error(form, exc)
        return _page(regulator, company, exc.status, form=form, error=error, extra=extra)
    db.session.commit()
    flash_msg("表彰已登记，并在企业公开页面展示至有效期届满。",
              "The commendation is recorded; the company's public page shows it until it lapses.", "success")
    return redirect(url_for(".page", uscc=company.uscc))


@bp.post("/regulator/commendations/<ref>/revoke")
@role_required(*REGULATOR_ROLES)
def revoke(ref: str):
    regulator = account()
    commendation = services.get_commendation(ref)
    company = commendation.company
    # Another agency's regulator is refused before the form is read: the page never offered it.
    services.require_recorder(regulator, commendation)
    form = RevokeForm(ref=ref)
    if not form.validate():
        return _page(regulator, company, INVALID, failed_ref=ref, revoke_form=form, error=CORRECT_FIELDS)
    try:
        services.revoke_commendation(keyring(), regulator=regulator, commendation=commendation,
                                     reason=form.reason.data)
    except ApiError as exc:
        error, extra = apply_api_error(form, exc)
        return _page(regulator, company, exc.status, failed_ref=ref, revoke_form=form, error=error, extra=extra)
    db.session.commit()
    flash_msg("表彰已撤销，不再公开展示。", "The commendation is revoked and no longer shown.", "success")
    return redirect(url_for(".page", uscc=company.uscc))


@bp.post("/regulator/companies/<uscc>/pledge/breach")
@role_required(*REGULATOR_ROLES)
def record_pledge_breach(uscc: str):
    regulator = account()
    company = _company_for(regulator, uscc)
    form = PledgeBreachForm()
    if not form.validate():
        return _page(regulator, company, INVALID, breach_form=form, error=CORRECT_FIELDS)
    try:
        companies.record_pledge_breach(keyring(), regulator=regulator, company=company, found_on=form.found_on.data,
                                       basis=form.basis.data, today=clock.today())
    except ApiError as exc:
        error, extra = apply_api_error(form, exc)
        return _page(regulator, company, exc.status, breach_form=form, error=error, extra=extra)
    db.session.commit()
    flash_msg("已记录违背信用承诺，企业信用积分已随之更新。",
              "The broken pledge is recorded; the company's credit score is updated with it.", "success")
    return redirect(url_for(".page", uscc=company.uscc, _anchor="pledge"))
