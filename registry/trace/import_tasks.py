"""The service-import task handler (loaded by the jobs process and the web), and its ending."""
from flask import current_app

from ..clock import now
from ..keys import keyring
from ..tasks.services import TaskContext, on_task_end, task_handler
from ..writers_first import bulk_work
from .imports import TASK_KIND, forget_file, run_import


@task_handler(TASK_KIND)
def services_import(ctx: TaskContext) -> None:
    """Import one uploaded service file."""
    # Bulk work: a change waiting for the write lock goes before its next batch (registry/writers_first.py).
    with bulk_work():
        run_import(keyring(), ctx, now=now(), batch=current_app.config["IMPORT_BATCH"],
                   lock_seconds=current_app.config["BULK_LOCK_SECONDS"], share=current_app.config["BULK_SHARE"],
                   quiet_seconds=current_app.config["BULK_QUIET_SECONDS"])


# The uploaded file's content goes in the commit that ends its task, done or failed.
on_task_end(TASK_KIND)(forget_file)
