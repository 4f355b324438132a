"""/api/v1: commendations (表彰) — recorded by a company's regulators, revoked by the recording agency, read by
anyone while in force.

A regulator of a sector the company is in, or market supervision, records one (403 `not_company_regulator` for
another sector's); only the recording agency's regulators revoke one (403 `not_recording_agency`). Each change is
one service call and one log entry, and answers its `log_index`. The public list is the company view's
`commendations`, under the company look-up's rate limit.
"""
from __future__ import annotations

from flask.views import MethodView

from schemas.commendations import (
    CommendationRecordedSchema,
    CommendationRevokedSchema,
    CommendationSchema,
    RecordCommendationArgs,
    RevokeCommendationArgs,
)

from ..accounts.auth import bearer_account, require
from ..accounts.roles import REGULATOR_ROLES
from ..api_util import ERRORS, api_blueprint, commit
from ..clock import today
from ..companies import services as companies
from ..keys import keyring
from ..ratelimits import lookup_limit
from . import commendations as services

blp = api_blueprint("commendations", __name__,
                    "Commendations (表彰): recorded by a company's regulators, public while in force.")


@blp.route("/companies/<uscc:uscc>/commendations")
class CompanyCommendations(MethodView):
    @lookup_limit
    @blp.response(200, CommendationSchema(many=True))
    @blp.alt_response(404, schema=ERRORS)
    @blp.alt_response(422, schema=ERRORS)
    @blp.alt_response(429, schema=ERRORS)
    def get(self, uscc):
        """A verified company's commendations in force today, newest first (anyone; as its public view lists them).

        A pending or rejected company answers 404 like an unknown code.
        """
        company = companies.get_public_company(uscc)
        return services.public_list(company.id, today())

    @require(*REGULATOR_ROLES)
    @blp.arguments(RecordCommendationArgs)
    @blp.response(201, CommendationRecordedSchema)
    @blp.alt_response(403, schema=ERRORS)
    @blp.alt_response(404, schema=ERRORS)
    @blp.alt_response(409, schema=ERRORS)
    @blp.alt_response(422, schema=ERRORS)
    def post(self, args, uscc):
        """Record that the company was commended, by your agency (a regulator of its sectors, or market supervision).

        `valid_until` defaults to REGISTRY_COMMENDATION_VALID_MONTHS (12) after `commended_on`. A company not yet
        verified answers 409 `company_not_verified`.
        """
        company = companies.get_company(uscc)
        changed = services.record_commendation(keyring(), regulator=bearer_account(), company=company,
                                               today=today(), **args)
        out = {"log_index": changed.recorded.seq, "ref": changed.commendation.ref,
               "valid_until": changed.commendation.valid_until}
        commit()
        return out


@blp.route("/commendations/<ref:ref>/revoke")
class CommendationRevoke(MethodView):
    @require(*REGULATOR_ROLES)
    @blp.arguments(RevokeCommendationArgs)
    @blp.response(200, CommendationRevokedSchema)
    @blp.alt_response(403, schema=ERRORS)
    @blp.alt_response(404, schema=ERRORS)
    @blp.alt_response(409, schema=ERRORS)
    @blp.alt_response(422, schema=ERRORS)
    def post(self, args, ref):
        """Revoke a commendation recorded in error (the recording agency's regulators), with a `reason`.

        It is shown nowhere after that; a second revocation answers 409 `already_revoked`.
        """
        commendation = services.get_commendation(ref)
        changed = services.revoke_commendation(keyring(), regulator=bearer_account(), commendation=commendation,
                                               reason=args["reason"])
        out = {"log_index": changed.recorded.seq, "ref": commendation.ref, "revoked_dt": commendation.revoked_dt}
        commit()
        return out
