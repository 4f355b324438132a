"""/api/v1: the caller's account, tokens, agencies and account administration."""
from __future__ import annotations

from flask.views import MethodView

from schemas.accounts import (
    AccountSchema,
    AgencyArgs,
    AgencyCreatedSchema,
    AgencySchema,
    AgencyUserArgs,
    DisableArgs,
    MeSchema,
    NewAccountSchema,
    PasswordChangeArgs,
    ResetSchema,
    TokenArgs,
    TokenCreatedSchema,
    TokenSchema,
)
from schemas.common import ChangeSchema

from ..api_util import ERRORS, api_blueprint, commit
from ..keys import keyring
from . import services
from .auth import bearer_account, require
from .roles import ADMIN_ROLES, AGENCY_ADMIN_ROLES, Role

blp = api_blueprint("accounts", __name__, "Your account, API tokens, agencies and account administration.")


def me_view(account) -> dict:
    return {
        "ref": account.ref, "login": account.login, "role": account.role,
        "must_change_password": account.must_change_password,
        "company_uscc": account.company.uscc if account.company_id else None,
        "agency": account.agency.code if account.agency_id else None,
        "sector": account.agency.sector if account.agency_id else None,
    }


@blp.route("/me")
class Me(MethodView):
    @require()
    @blp.response(200, MeSchema)
    @blp.alt_response(401, schema=ERRORS)
    def get(self):
        """Show the calling account."""
        return me_view(bearer_account())


@blp.route("/me/password")
class MyPassword(MethodView):
    @require()
    @blp.arguments(PasswordChangeArgs)
    @blp.response(200, ChangeSchema)
    @blp.alt_response(403, schema=ERRORS)
    def post(self, args):
        """Change your own password."""
        recorded = services.change_password(keyring(), account=bearer_account(), current=args["current_password"],
                                            new=args["new_password"])
        commit()
        return {"log_index": recorded.seq}


@blp.route("/tokens")
class Tokens(MethodView):
    @require()
    @blp.response(200, TokenSchema(many=True))
    def get(self):
        """List your API tokens (never the tokens themselves)."""
        return bearer_account().tokens

    @require()
    @blp.arguments(TokenArgs)
    @blp.response(201, TokenCreatedSchema)
    def post(self, args):
        """Issue a named token; it is shown only in this answer."""
        token, raw, recorded = services.issue_token(keyring(), account=bearer_account(), name=args["name"])
        commit()
        return {"id": token.id, "name": token.name, "prefix": token.prefix, "created_dt": token.created_dt,
                "token": raw, "log_index": recorded.seq}


@blp.route("/tokens/<int:token_id>")
class TokenItem(MethodView):
    @require()
    @blp.response(200, ChangeSchema)
    @blp.alt_response(404, schema=ERRORS)
    def delete(self, token_id):
        """Revoke one of your tokens."""
        recorded = services.revoke_token(keyring(), account=bearer_account(), token_id=token_id)
        commit()
        return {"log_index": recorded.seq}


@blp.route("/agencies")
class Agencies(MethodView):
    @blp.response(200, AgencySchema(many=True))
    def get(self):
        """List the regulators and the operator."""
        return services.agencies()

    @require(Role.OPERATOR_ADMIN)
    @blp.arguments(AgencyArgs)
    @blp.response(201, AgencyCreatedSchema)
    def post(self, args):
        """Create an agency (operator admins)."""
        account = bearer_account()
        agency, recorded = services.create_agency(keyring(), actor=account.ref, **args)
        commit()
        return {**AgencySchema().dump(agency), "log_index": recorded.seq}


@blp.route("/agencies/<code>/users")
class AgencyUsers(MethodView):
    @require(*AGENCY_ADMIN_ROLES)
    @blp.response(200, AccountSchema(many=True))
    @blp.alt_response(404, schema=ERRORS)
    def get(self, code):
        """List an agency's users (its regulator admins, or operators)."""
        return services.managed_agency(bearer_account(), code).accounts

    @require(*AGENCY_ADMIN_ROLES)
    @blp.arguments(AgencyUserArgs)
    @blp.response(201, NewAccountSchema)
    @blp.alt_response(404, schema=ERRORS)
    def post(self, args, code):
        """Add a user to an agency; the temporary password and TOTP secret are shown once."""
        actor = bearer_account()
        agency = services.managed_agency(actor, code)
        new = services.add_agency_user(keyring(), actor=actor, agency=agency, **args)
        commit()
        return new_account_view(new)


def new_account_view(new) -> dict:
    return {"ref": new.account.ref, "login": new.account.login, "role": new.account.role,
            "temporary_password": new.password, "totp_secret": new.totp_secret, "log_index": new.recorded.seq}


@blp.route("/accounts/<ref>/password-reset")
class PasswordReset(MethodView):
    @require(*ADMIN_ROLES)
    @blp.response(200, ResetSchema)
    @blp.alt_response(404, schema=ERRORS)
    def post(self, ref):
        """Reset a user's password to a temporary one (their admin)."""
        actor = bearer_account()
        target = services.visible_account(actor, ref)
        password, recorded = services.reset_password(keyring(), actor=actor, target=target)
        commit()
        return {"temporary_password": password, "log_index": recorded.seq}


@blp.route("/accounts/<ref>/totp-reset")
class TotpReset(MethodView):
    @require(*AGENCY_ADMIN_ROLES)
    @blp.response(200, ResetSchema)
    @blp.alt_response(404, schema=ERRORS)
    def post(self, ref):
        """Give a regulator or admin a new TOTP secret (their admin)."""
        actor = bearer_account()
        target = services.visible_account(actor, ref)
        secret, recorded = services.reset_totp(keyring(), actor=actor, target=target)
        commit()
        return {"totp_secret": secret, "log_index": recorded.seq}


@blp.route("/accounts/<ref>/disabled")
class Disabled(MethodView):
    @require(*ADMIN_ROLES)
    @blp.arguments(DisableArgs)
    @blp.response(200, ChangeSchema)
    @blp.alt_response(404, schema=ERRORS)
    def put(self, args, ref):
        """Disable or re-enable a user (their admin); disabling revokes their tokens."""
        actor = bearer_account()
        target = services.visible_account(actor, ref)
        recorded = services.set_disabled(keyring(), actor=actor, target=target, disabled=args["disabled"])
        commit()
        return {"log_index": recorded.seq}
