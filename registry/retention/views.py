"""Page: a regulator's or operator's erasure of a worker on a lawful request (/admin/workers/<card_no>/erase).

The page says what erasure deletes and what stays, asks for the basis and the request's reference, and makes the
same one service call as the API (`requests.erase_on_request`): one `worker:erase` entry. A refusal shows the page
again with the error summary and nothing stored; whoever may not erase the worker gets 404.
"""
from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField

from ..accounts.forms import MaxLength, Required, strip
from ..accounts.roles import Role
from ..errors import ApiError, Msg
from ..extensions import db
from ..keys import keyring
from ..web import account, apply_api_error, flash_msg, role_required, t
from ..workers import services as workers
from . import requests, rules

bp = Blueprint("retention_web", __name__)

CORRECT_FIELDS = Msg("Please correct the marked fields.", "请修改标出的内容。")
INVALID = 422
ROLES = (Role.OPERATOR_ADMIN, Role.REGULATOR, Role.REGULATOR_ADMIN)


class EraseForm(FlaskForm):
    """Named as the service names its fields, so its errors land on them."""

    basis = SelectField(validate_choice=False, validators=[Required("请选择删除的法律依据。",
                                                                    "Give the lawful basis of the request.")])
    reference = StringField(validators=[Required("请填写请求的案号或文书编号。",
                                                 "Give the request's case or document reference."),
                                        MaxLength(rules.REFERENCE_MAX)], filters=[strip])


def _worker(card_no: str):
    try:
        worker = workers.get_worker_or_none(workers.check_card_no(card_no))
    except ApiError:
        worker = None
    if worker is None or not requests.may_erase(account(), worker):
        abort(404)
    return worker


def _page(worker, status: int = 200, *, form: EraseForm | None = None, error=None, extra=None):
    form = form or EraseForm(formdata=None)
    form.basis.choices = [("", t("请选择", "Choose"))] + [
        (code, t(*rules.ERASURE_BASES[code])) for code in rules.LAWFUL_BASES]
    return render_template("web/retention/erase.html", worker=worker, form=form, error=error, extra=extra or []), status


@bp.get("/admin/workers/<card_no>/erase")
@role_required(*ROLES)
def page(card_no):
    return _page(_worker(card_no))


@bp.post("/admin/workers/<card_no>/erase")
@role_required(*ROLES)
def erase(card_no):
    worker = _worker(card_no)
    form = EraseForm()
    if not form.validate():
        return _page(worker, INVALID, form=form, error=CORRECT_FIELDS)
    try:
        requests.erase_on_request(keyring(), account=account(), card_no=card_no, basis=form.basis.data,
                                  reference=form.reference.data)
    except ApiError as exc:
        error, extra = apply_api_error(form, exc)
        return _page(worker, exc.status, form=form, error=error, extra=extra)
    db.session.commit()
    flash_msg(f"卡号 {card_no} 人员的姓名、证件号码、手机号和照片已删除。",
              f"The name, ID number, phone and photo of card {card_no}'s holder are erased.", "success")
    return redirect(url_for(".page", card_no=card_no))
