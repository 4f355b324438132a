"""/api/v1: erasing a worker's personal data on a lawful request (PIPL art. 47).

`POST /workers/{card_no}/erasure`: an operator admin, or a regulator who oversees the worker (market supervision
oversees everyone; another sector a worker its companies employ), with the basis and the request's reference. One
service call and one `worker:erase` entry; 409 `worker_employed`, `sanction_in_effect` or `already_erased` for
what may not be erased; 422 naming the field for a missing or unknown basis or reference.
"""
from __future__ import annotations

from flask.views import MethodView

from schemas.retention import ErasedSchema, ErasureArgs

from ..accounts.auth import bearer_account, require
from ..accounts.roles import REGULATOR_ROLES, Role
from ..api_util import ERRORS, api_blueprint, commit
from ..keys import keyring
from . import requests

blp = api_blueprint("retention", __name__, "Erasure of a worker's personal data on a lawful request (PIPL art. 47).")


@blp.route("/workers/<card_no>/erasure")
class Erasure(MethodView):
    @require(*REGULATOR_ROLES, Role.OPERATOR_ADMIN)
    @blp.arguments(ErasureArgs)
    @blp.response(200, ErasedSchema)
    @blp.alt_response(403, schema=ERRORS)
    @blp.alt_response(404, schema=ERRORS)
    @blp.alt_response(409, schema=ERRORS)
    @blp.alt_response(422, schema=ERRORS)
    def post(self, args, card_no):
        """Erase the worker's name, ID number, phone and photo on a lawful request: the state HMACs, the record and
        its public views stay (an operator admin; a regulator who oversees the worker; anyone else: 404)."""
        erased = requests.erase_on_request(keyring(), account=bearer_account(), card_no=card_no,
                                           basis=args["basis"], reference=args["reference"])
        out = {"log_index": erased.recorded.seq, "card_no": erased.worker.card_no,
               "erased_at": erased.worker.erased_dt, "basis": erased.worker.erased_basis}
        commit()
        return out
