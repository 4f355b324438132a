"""Pages: the operators' view of the task queue, with a retry button for failed tasks."""
from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, url_for

from ..accounts.roles import Role
from ..errors import ApiError
from ..extensions import db
from ..web import flash_msg, role_required
from . import services

bp = Blueprint("tasks_web", __name__)

# Task kinds in the page's language; an unknown kind is shown as its code.
KINDS = {
    "staff.import": ("从业人员导入", "Staff import"),
    "card_print": ("批量打印服务证", "Card print run"),
    "keys.rotate": ("密钥轮换", "Key rotation"),
    "credit.recompute": ("信用积分重算（采用新规则版本后）", "Credit score recompute (after a rules adoption)"),
}
STATES = {"queued": ("排队中", "Queued"), "running": ("进行中", "Running"), "failed": ("失败", "Failed")}


@bp.get("/admin/tasks")
@role_required(Role.OPERATOR_ADMIN)
def queue():
    tasks = services.open_tasks()
    return render_template("web/tasks/queue.html", tasks=tasks, views={t.id: services.progress_view(t) for t in tasks},
                           owners=services.owner_names(tasks), kinds=KINDS, states=STATES)


@bp.post("/admin/tasks/<int:task_id>/retry")
@role_required(Role.OPERATOR_ADMIN)
def retry(task_id: int):
    # Tasks are not business state: putting one back in the queue writes no log entry; what it then
    # stores writes its own.
    try:
        services.retry(task_id)
    except ApiError as exc:
        db.session.rollback()
        if exc.status == 404:
            abort(404)
        flash_msg(exc.zh, exc.en, "error")
        return redirect(url_for("tasks_web.queue"))
    db.session.commit()
    flash_msg(f"任务 #{task_id} 已重新排队。", f"Task #{task_id} is queued again.", "success")
    return redirect(url_for("tasks_web.queue"))
