"""Pages: the development outbox, for operator admins."""
from flask import Blueprint, render_template

from ..accounts.roles import Role
from ..keys import keyring
from ..web import role_required
from . import services

bp = Blueprint("notify_web", __name__)


@bp.get("/admin/outbox")
@role_required(Role.OPERATOR_ADMIN)
def outbox():
    return render_template("web/notify/outbox.html", messages=services.read_outbox(keyring(), limit=100))
