"""/api/v1/cards/{card_no}: the public view of a card, with the verdict on a scanned QR."""
from __future__ import annotations

import json

from flask import current_app, request
from flask.views import MethodView

from schemas.lookup import CardViewSchema

from ..api_util import ERRORS, api_blueprint
from ..caching import etagged
from ..clock import today
from ..keys import keyring
from ..ratelimits import lookup_limit
from ..workers.services import check_card_no
from . import services

blp = api_blueprint("lookup", __name__, "The public card look-up: what a resident at the door sees.")

Q_PARAM = {"in": "query", "name": "q", "required": False, "schema": {"type": "string"},
           "description": "The `q` value of a scanned card QR: `{serial}.{valid_until}.{key_id}.{sig}`."}


@blp.route("/cards/<card_no:card_no>")
class CardView(MethodView):
    @lookup_limit
    @blp.doc(parameters=[Q_PARAM])
    @blp.response(200, CardViewSchema)
    @blp.alt_response(304, description="Not modified: today's view is the one the ETag names.")
    @blp.alt_response(404, schema=ERRORS)
    @blp.alt_response(422, schema=ERRORS)
    @blp.alt_response(429, schema=ERRORS)
    def get(self, card_no):
        """The public credit view of a card (masked): status colour and reasons, employer, validity dates.

        A number whose check character is wrong answers 422 `card_no_typo`. With `q`,
        the answer also carries the verdict on that QR code: `wrong_origin` when the request did not arrive at
        the registry's official address.
        """
        number = check_card_no(card_no)
        scan = services.scan_for(keyring(), request.args.get("q"), opened_at=request.host_url,
                                 official_url=current_app.config["PUBLIC_URL"])
        view = services.card_view(number, today(), scan=scan, hotline=current_app.config["REGULATOR_HOTLINE"])
        body = json.dumps(view, ensure_ascii=False, separators=(",", ":")).encode()
        return etagged(body, "application/json")
