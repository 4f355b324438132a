"""Pages: the credit rules for operators (/admin/credit/rules) — the version in force, the versions in the rules
folder, the adoptions, the recompute's progress (the page reloads itself while it runs), and the form to adopt a
version. One service call and one log entry per adoption; a refusal shows the page again with the error summary
and nothing stored. The same facts are public at GET /api/v1/credit/rules.
"""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField

from ..accounts.forms import MaxLength, Required, strip
from ..accounts.roles import Role
from ..errors import ApiError, Msg
from ..extensions import db
from ..keys import keyring
from ..web import account, apply_api_error, flash_msg, role_required
from . import adoption
from .models import ADOPTION_REASON_MAX

bp = Blueprint("credit_rules_web", __name__)

CORRECT_FIELDS = Msg("Please correct the marked fields.", "请修改标出的内容。")
# A form's invalid input answers 422, as the services' refusals of bad input do.
INVALID = 422
REFRESH_SECONDS = 3
STATES = {"queued": ("排队中", "Queued"), "running": ("进行中", "Running"), "done": ("已完成", "Done"),
          "failed": ("失败", "Failed")}


class AdoptForm(FlaskForm):
    """Adopt a version: the fields are named as the service names them, so its errors land on them."""

    version = SelectField(validate_choice=False, validators=[Required("请选择规则版本。", "Choose a version.")])
    reason = TextAreaField(validators=[Required("请说明采用理由（所依据的决定及文号）。",
                                                "Say why the version is adopted (the decision it follows)."),
                                       MaxLength(ADOPTION_REASON_MAX)], filters=[strip])


def _page(status: int = 200, *, form: AdoptForm | None = None, error=None, extra=None):
    view = adoption.status_view()
    form = form or AdoptForm(formdata=None)
    form.version.choices = [(v["version"], v["version"]) for v in view["versions"]
                            if v["valid"] and not v["in_force"]]
    recompute = view["recompute"]
    active = recompute is not None and recompute["state"] in ("queued", "running")
    return render_template("web/credit/rules.html", view=view, form=form, error=error, extra=extra or [],
                           active=active, refresh=REFRESH_SECONDS, states=STATES), status


@bp.get("/admin/credit/rules")
@role_required(Role.OPERATOR_ADMIN)
def page():
    return _page()


@bp.post("/admin/credit/rules")
@role_required(Role.OPERATOR_ADMIN)
def adopt():
    form = AdoptForm()
    if not form.validate():
        return _page(INVALID, form=form, error=CORRECT_FIELDS)
    try:
        adopted = adoption.adopt(keyring(), actor=account().ref, version=form.version.data, reason=form.reason.data)
    except ApiError as exc:
        error, extra = apply_api_error(form, exc)
        return _page(exc.status, form=form, error=error, extra=extra)
    version, task_id = adopted.adoption.version, adopted.task_id
    db.session.commit()
    flash_msg(f"已采用信用积分规则 {version}；全部信用积分正在重算（任务 #{task_id}）。",
              f"Credit rules {version} adopted; every score is being computed again (task #{task_id}).", "success")
    return redirect(url_for(".page"))
