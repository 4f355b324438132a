"""The key-rotation task handler (loaded by the jobs process and the web)."""
from flask import current_app

from ..tasks.services import TaskContext, task_handler
from . import keyring
from .rotation import TASK_KIND, run_rotation


@task_handler(TASK_KIND)
def rotate_keys(ctx: TaskContext) -> None:
    """Move every value of one purpose to its new key."""
    run_rotation(keyring(), ctx, batch=current_app.config["ROTATION_BATCH"])
