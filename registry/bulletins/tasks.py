"""The bulletin generation task handler (loaded by the jobs process and the web)."""
from flask import current_app

from ..keys import keyring
from ..tasks.services import TaskContext, task_handler
from .generate import TASK_KIND, run_generation


@task_handler(TASK_KIND)
def generate_bulletin(ctx: TaskContext) -> None:
    """Make and publish one period's bulletin."""
    config = current_app.config
    run_generation(keyring(), ctx, origin=config["LOG_ORIGIN"], public_url=config["PUBLIC_URL"],
                   issuer=(config["BULLETIN_ISSUER_ZH"], config["BULLETIN_ISSUER_EN"]))
