"""The bulk card-print task handler (loaded by the jobs process and the web)."""
from flask import current_app

from ..clock import today
from ..keys import keyring
from ..tasks.services import TaskContext, task_handler
from .print_runs import TASK_KIND, run_print


@task_handler(TASK_KIND)
def card_print(ctx: TaskContext) -> None:
    """Issue the missing cards of a print run, then render its PDF."""
    run_print(keyring(), ctx, today=today(), public_url=current_app.config["PUBLIC_URL"],
              batch=current_app.config.get("CARD_PRINT_BATCH", 50))
