"""The staff-import task handler (loaded by the jobs process and the web)."""
from flask import current_app

from ..clock import today
from ..keys import keyring
from ..tasks.services import TaskContext, task_handler
from ..writers_first import bulk_work
from .services import TASK_KIND, run_import


@task_handler(TASK_KIND)
def staff_import(ctx: TaskContext) -> None:
    """Import one uploaded staff file."""
    # Bulk work: a change waiting for the write lock goes before its next batch (registry/writers_first.py).
    with bulk_work():
        run_import(keyring(), ctx, today=today(), batch=current_app.config["IMPORT_BATCH"],
                   lock_seconds=current_app.config["BULK_LOCK_SECONDS"], share=current_app.config["BULK_SHARE"],
                   quiet_seconds=current_app.config["BULK_QUIET_SECONDS"])
