"""/api/v1/outbox: the development outbox, for operators."""
from flask.views import MethodView
from marshmallow import Schema, fields

from schemas.common import BoundedInteger

from ..accounts.auth import require
from ..accounts.roles import Role
from ..api_util import api_blueprint
from ..keys import keyring
from . import services

blp = api_blueprint("notify", __name__, "The development outbox of the notification interface.")


class OutboxArgs(Schema):
    limit = BoundedInteger(load_default=50, minimum=1, maximum=500)


class OutboxSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    recipient = fields.String()
    text = fields.String()
    created_dt = fields.DateTime()


@blp.route("/outbox")
class Outbox(MethodView):
    @require(Role.OPERATOR_ADMIN)
    @blp.arguments(OutboxArgs, location="query")
    @blp.response(200, OutboxSchema(many=True))
    def get(self, args):
        """Read the newest messages in the outbox (operator admins)."""
        return services.read_outbox(keyring(), args["limit"])
