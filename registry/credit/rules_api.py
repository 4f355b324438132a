"""/api/v1/credit/rules: the credit-rules versions, which is in force, its adoptions and the recompute's progress
(anyone), and adopting a version (operator admins).

The rules are public, and every score names its `rules_version`: anyone reads what each version is and when it was
adopted. Adopting is one service call and one `credit_rules:adopt` entry; it answers its `log_index` and the
recompute task's id (201).
"""
from __future__ import annotations

from flask.views import MethodView

from schemas.credit_rules import AdoptRulesArgs, RulesAdoptedSchema, RulesStatusSchema

from ..accounts.auth import bearer_account, require
from ..accounts.roles import Role
from ..api_util import ERRORS, api_blueprint, commit
from ..keys import keyring
from ..ratelimits import lookup_limit
from . import adoption

blp = api_blueprint("credit_rules", __name__,
                    "Credit rules (信用积分规则): the versions, the one in force and its adoption.")


@blp.route("/credit/rules")
class CreditRules(MethodView):
    @lookup_limit
    @blp.response(200, RulesStatusSchema)
    @blp.alt_response(429, schema=ERRORS)
    def get(self):
        """The credit-rules versions, the one in force, the adoptions and the latest recompute's progress (anyone).

        With no adoption recorded, the version in force is the one in code (`by_adoption: false`). While a
        recompute runs, some scores still show the previous `rules_version`.
        """
        return adoption.status_view()


@blp.route("/credit/rules/adoptions")
class CreditRulesAdoptions(MethodView):
    @require(Role.OPERATOR_ADMIN)
    @blp.arguments(AdoptRulesArgs)
    @blp.response(201, RulesAdoptedSchema)
    @blp.alt_response(403, schema=ERRORS)
    @blp.alt_response(409, schema=ERRORS)
    @blp.alt_response(422, schema=ERRORS)
    def post(self, args):
        """Adopt a credit-rules version (operator admins): every score is computed with it from now on.

        Queues the task that computes every score again (poll `/api/v1/tasks/{task_id}` or GET /credit/rules).
        The version in force: 409 `rules_already_adopted`; no such file: 422 `rules_version_unknown`; a file that
        fails its check: 422 `rules_invalid`, naming the key at fault.
        """
        account = bearer_account()
        adopted = adoption.adopt(keyring(), actor=account.ref, version=args["version"], reason=args["reason"])
        out = {"log_index": adopted.recorded.seq, "version": adopted.adoption.version,
               "previous_version": adopted.adoption.previous_version, "task_id": adopted.task_id}
        commit()
        return out
