"""/api/v1/tasks/{id}: a queued task's progress, for whoever it belongs to."""
from flask.views import MethodView
from marshmallow import Schema, fields

from ..accounts.auth import bearer_account, require
from ..accounts.roles import Role
from ..api_util import ERRORS, api_blueprint
from ..errors import not_found
from . import services

blp = api_blueprint("tasks", __name__, "Queued long tasks and their progress.")


class ProgressSchema(Schema):
    done = fields.Integer()
    total = fields.Integer(allow_none=True)
    percent = fields.Integer(allow_none=True)


class TaskSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    state = fields.String(metadata={"description": "queued, running, done or failed"})
    progress = fields.Nested(ProgressSchema)
    result = fields.Raw(allow_none=True)
    error = fields.Raw(allow_none=True)
    created_dt = fields.String()
    finished_dt = fields.String(allow_none=True)


def may_see(account, task) -> bool:
    """The task's own company or agency, or an operator."""
    if account.role == Role.OPERATOR_ADMIN:
        return True
    owner = account.aggregate
    return task.owner_ref is not None and owner is not None and task.owner_ref == owner.log_ref


@blp.route("/tasks/<int:task_id>")
class TaskItem(MethodView):
    @require()
    @blp.response(200, TaskSchema)
    @blp.alt_response(404, schema=ERRORS)
    def get(self, task_id):
        """Show a task's state and progress (its owner, or operators)."""
        task = services.get(task_id)
        if task is None or not may_see(bearer_account(), task):
            raise not_found("task", "任务")
        return services.progress_view(task)
