"""The regulators' bulletin page: every version made, a period's bulletin made now (a queued task followed by a
progress bar), a version withdrawn with its reason (its period then gets a new version, by the schedule or here)."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for

from ..accounts.roles import REGULATOR_ROLES
from ..errors import ApiError, Msg, not_found
from ..extensions import db
from ..keys import keyring
from ..tasks import services as tasks
from ..web import account, apply_api_error, flash_msg, role_required, t
from . import generate
from . import services as bulletins
from .forms import GenerateForm, WithdrawForm

bp = Blueprint("bulletins_regulator", __name__)

REFRESH_SECONDS = 2
INVALID = 422
CORRECT_FIELDS = Msg("Please correct the marked fields.", "请修改标出的内容。")
STATES = {"queued": ("排队中", "Queued"), "running": ("生成中", "Making"), "done": ("已完成", "Done"),
          "failed": ("失败", "Failed")}


def _page(status: int = 200, *, form=None, withdraw=None, failed_ref=None, error=None, extra=None):
    listing = bulletins.listing(1, 50)
    return render_template("web/bulletins/regulator.html", bulletins=listing.bulletins,
                           form=form or GenerateForm(formdata=None), withdraw_form=withdraw or WithdrawForm(
                               formdata=None), failed_ref=failed_ref, error=error, extra=extra), status


@bp.get("/regulator/bulletins")
@role_required(*REGULATOR_ROLES)
def page():
    return _page()


@bp.post("/regulator/bulletins")
@role_required(*REGULATOR_ROLES)
def make():
    """Queue the generation of one ended period's next version."""
    form = GenerateForm()
    if not form.validate():
        return _page(INVALID, form=form, error=CORRECT_FIELDS)
    regulator = account()
    try:
        task = generate.queue(generate.period_of(form.period.data), actor_ref=regulator.ref,
                              owner_ref=regulator.aggregate.log_ref)
    except ApiError as exc:
        error, extra = apply_api_error(form, exc)
        return _page(exc.status, form=form, error=error, extra=extra)
    db.session.commit()
    return redirect(url_for(".progress", task_id=task.id))


@bp.get("/regulator/bulletins/tasks/<int:task_id>")
@role_required(*REGULATOR_ROLES)
def progress(task_id: int):
    task = tasks.get(task_id)
    if task is None or task.kind != generate.TASK_KIND:
        raise not_found("task", "任务")
    view = tasks.progress_view(task)
    published = (view["result"] or {}).get("published")
    return render_template("web/bulletins/progress.html", task=task, view=view, published=published,
                           active=task.state in ("queued", "running"), refresh=REFRESH_SECONDS,
                           state_label=t(*STATES.get(task.state, (task.state, task.state))))


@bp.post("/regulator/bulletins/<ref>/withdraw")
@role_required(*REGULATOR_ROLES)
def withdraw(ref: str):
    bulletin = bulletins.get(ref)
    form = WithdrawForm()
    if not form.validate():
        return _page(INVALID, withdraw=form, failed_ref=ref, error=CORRECT_FIELDS)
    try:
        bulletins.withdraw(keyring(), actor=account().ref, bulletin=bulletin, reason=form.reason.data)
    except ApiError as exc:
        error, extra = apply_api_error(form, exc)
        return _page(exc.status, withdraw=form, failed_ref=ref, error=error, extra=extra)
    db.session.commit()
    flash_msg(f"已撤回 {bulletin.period_key} 第 {bulletin.version} 版；可重新生成新版本。",
              f"Withdrew {bulletin.period_key} v{bulletin.version}; a new version can now be made.", "success")
    return redirect(url_for(".page"))
