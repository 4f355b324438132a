"""The credit-score recompute task handler (loaded by the jobs process and the web)."""
from flask import current_app

from ..tasks.services import TaskContext, task_handler
from .adoption import TASK_KIND, run_recompute


@task_handler(TASK_KIND)
def recompute_scores(ctx: TaskContext) -> None:
    """Compute every company's and worker's score again with the rules in force, after an adoption."""
    run_recompute(ctx, batch=current_app.config["CREDIT_RECOMPUTE_BATCH"])
