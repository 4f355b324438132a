"""/api/v1/companies: registration, the public credit view, verification, pledge, users."""
from __future__ import annotations

from flask import current_app, jsonify
from flask.views import MethodView

from schemas.accounts import AccountSchema, NewAccountSchema
from schemas.common import ChangeSchema
from schemas.companies import (
    ChangeDecisionArgs,
    CompanyChangeRequestedSchema,
    CompanyChangeSchema,
    CompanyCreatedSchema,
    CompanyPrivateSchema,
    CompanyPublicSchema,
    CompanyRegisterArgs,
    CompanyUserArgs,
    DecisionArgs,
    DistrictSchema,
    PledgeArgs,
    PledgeBreachArgs,
    PledgeTextSchema,
    ProfileArgs,
    QueueArgs,
    ReviewedRegisterArgs,
)

from ..accounts.api import new_account_view
from ..accounts.auth import bearer_account, require
from ..accounts.roles import COMPANY_ROLES, REGULATOR_ROLES, Role
from ..api_util import ERRORS, api_blueprint, commit
from ..clock import today
from ..errors import not_found
from ..extensions import limiter
from ..keys import keyring
from ..ratelimits import lookup_limit
from . import districts, pledge, services, views_model

blp = api_blueprint("companies", __name__, "Companies: registration, public credit view, verification, pledge.")


def profile_from(args, current=None) -> services.CompanyProfile:
    """The profile in the arguments; an omitted `service_phone` keeps the `current` company's."""
    phone = args["service_phone"] if "service_phone" in args else (current.service_phone if current else None)
    return services.CompanyProfile(
        name=args["name"], sectors=args["sectors"], business_model=args.get("business_model"),
        employee_conditions=args.get("employee_conditions"), district=args["district"],
        contact_name=args["contact"]["name"], contact_phone=args["contact"]["phone"], service_phone=phone)


@blp.route("/companies")
class Companies(MethodView):
    @require(*REGULATOR_ROLES)
    @blp.arguments(QueueArgs, location="query")
    @blp.response(200, CompanyPrivateSchema(many=True))
    def get(self, args):
        """List the companies of your sector by status (regulators; the verification queue by default)."""
        regulator = bearer_account()
        rows = services.companies_for(regulator, args["status"])
        return [views_model.private_view(keyring(), c) for c in rows]

    @limiter.limit(lambda: current_app.config["SIGNUP_LIMIT"], methods=["POST"])
    @blp.arguments(CompanyRegisterArgs)
    @blp.response(201, CompanyCreatedSchema)
    @blp.alt_response(409, schema=ERRORS)
    def post(self, args):
        """Register a company by its USCC, with its first user (anyone); it stays pending until verified."""
        company, admin = services.register_company(
            keyring(), uscc=args["uscc"], profile=profile_from(args), admin_login=args["admin"]["login"],
            admin_name=args["admin"]["name"], admin_password=args["admin"]["password"])
        commit()
        return {"uscc": company.uscc, "status": company.status, "admin_login": admin.account.login,
                "temporary_password": None, "log_index": admin.recorded.seq}


@blp.route("/companies/reviewed")
class ReviewedCompanies(MethodView):
    @require(*REGULATOR_ROLES)
    @blp.arguments(ReviewedRegisterArgs)
    @blp.response(201, CompanyCreatedSchema)
    def post(self, args):
        """Register a genuine early code that fails its check, after manual review (regulators; flagged)."""
        company, admin = services.register_reviewed(
            keyring(), regulator=bearer_account(), uscc=args["uscc"], profile=profile_from(args), note=args["note"],
            admin_login=args["admin"]["login"], admin_name=args["admin"]["name"])
        commit()
        return {"uscc": company.uscc, "status": company.status, "admin_login": admin.account.login,
                "temporary_password": admin.password, "log_index": admin.recorded.seq}


@blp.route("/companies/<uscc:uscc>")
class CompanyPublic(MethodView):
    @lookup_limit
    @blp.response(200, CompanyPublicSchema)
    @blp.alt_response(404, schema=ERRORS)
    @blp.alt_response(422, schema=ERRORS)
    @blp.alt_response(429, schema=ERRORS)
    def get(self, uscc):
        """The public credit view of a verified company (a pending or rejected one answers 404 like an unknown code).

        A code that is not registered and fails its check answers 422 `uscc_typo`.
        """
        company = services.get_public_company(uscc)
        return views_model.public_view(company)


def _company_for(uscc: str, *, manage: bool = False):
    """The company if the caller is its member (or, unless `manage`, its regulator); 404 otherwise."""
    account = bearer_account()
    company = services.get_company(uscc)
    member = services.is_member(account, company)
    if manage and not (member and account.role == Role.COMPANY_ADMIN):
        raise not_found("company", "企业")
    if not (member or services.regulates(account, company)):
        raise not_found("company", "企业")
    return account, company


@blp.route("/companies/<uscc:uscc>/profile")
class CompanyProfile(MethodView):
    @require()
    @blp.response(200, CompanyPrivateSchema)
    @blp.alt_response(404, schema=ERRORS)
    def get(self, uscc):
        """The company's full record (its own users and its regulators)."""
        _account, company = _company_for(uscc)
        return views_model.private_view(keyring(), company)

    @require(Role.COMPANY_ADMIN)
    @blp.arguments(ProfileArgs)
    @blp.response(200, ChangeSchema)
    @blp.alt_response(202, schema=CompanyChangeRequestedSchema, success=True,
                      description="A verified company's new name, sectors or business model: a change request.")
    @blp.alt_response(404, schema=ERRORS)
    def put(self, args, uscc):
        """Update the company's profile (its admin).

        A pending company's profile applies at once (200). A verified company's
        district, contact and service phone apply at once (an omitted `service_phone` stays as it was,
        null or blank removes it); a new name, sectors or business
        model do not: they become a change request for the regulators of the
        old and the new sectors (202, the request), replacing any open one, and
        the verified values stay until one of them approves.
        """
        account, company = _company_for(uscc, manage=True)
        update = services.update_profile(keyring(), account=account, company=company,
                                         profile=profile_from(args, company))
        commit()
        if update.change is None:
            return {"log_index": update.recorded.seq}
        body = {**views_model.change_view(update.change), "log_index": update.recorded.seq}
        return jsonify(CompanyChangeRequestedSchema().dump(body)), 202


@blp.route("/companies/<uscc:uscc>/decision")
class CompanyDecision(MethodView):
    @require(*REGULATOR_ROLES)
    @blp.arguments(DecisionArgs)
    @blp.response(200, ChangeSchema)
    @blp.alt_response(404, schema=ERRORS)
    @blp.alt_response(409, schema=ERRORS)
    def post(self, args, uscc):
        """Verify or reject a pending company (regulators of its sector)."""
        regulator = bearer_account()
        company = services.get_company(uscc)
        if not services.regulates(regulator, company):
            raise not_found("company", "企业")
        recorded = services.decide(keyring(), regulator=regulator, company=company,
                                   verify=args["decision"] == "verify", note=args.get("note"))
        commit()
        return {"log_index": recorded.seq}


@blp.route("/company-changes")
class CompanyChanges(MethodView):
    @require(*REGULATOR_ROLES)
    @blp.response(200, CompanyChangeSchema(many=True))
    def get(self):
        """The open change requests of verified companies whose current or proposed sectors are yours (regulators)."""
        return [views_model.change_view(c) for c in services.changes_for(bearer_account())]


def _overseen_change(ref: str):
    """The change request if the caller is a regulator of one of its sectors, old or new; 404 otherwise."""
    regulator = bearer_account()
    change = services.get_change(ref)
    if not services.oversees_change(regulator, change):
        raise not_found("change request", "变更申请")
    return regulator, change


@blp.route("/company-changes/<ref>/decision")
class CompanyChangeDecision(MethodView):
    @require(*REGULATOR_ROLES)
    @blp.arguments(ChangeDecisionArgs)
    @blp.response(200, ChangeSchema)
    @blp.alt_response(404, schema=ERRORS)
    @blp.alt_response(409, schema=ERRORS)
    def post(self, args, ref):
        """Approve (the new values apply) or reject (with a reason) a change request (regulators of an old or a new
        sector)."""
        regulator, change = _overseen_change(ref)
        recorded = services.decide_change(keyring(), regulator=regulator, change=change,
                                          approve=args["decision"] == "approve", reason=args.get("reason"))
        commit()
        return {"log_index": recorded.seq}


@blp.route("/company-changes/<ref>/withdraw")
class CompanyChangeWithdraw(MethodView):
    @require(Role.COMPANY_ADMIN)
    @blp.response(200, ChangeSchema)
    @blp.alt_response(404, schema=ERRORS)
    @blp.alt_response(409, schema=ERRORS)
    def post(self, ref):
        """Withdraw the company's open change request (its admin); the verified values stay."""
        account = bearer_account()
        change = services.get_change(ref)
        if not services.is_member(account, change.company):
            raise not_found("change request", "变更申请")
        recorded = services.withdraw_change(keyring(), account=account, change=change)
        commit()
        return {"log_index": recorded.seq}


@blp.route("/companies/<uscc:uscc>/pledge")
class CompanyPledge(MethodView):
    @require(Role.COMPANY_ADMIN)
    @blp.arguments(PledgeArgs)
    @blp.response(200, ChangeSchema)
    @blp.alt_response(404, schema=ERRORS)
    @blp.alt_response(409, schema=ERRORS)
    def post(self, args, uscc):
        """Sign the current credit pledge (信用承诺) for the company (its admin).

        Refused (409 `pledge_signed`) while a kept pledge of that version stands; after a pledge was found broken the
        company signs it again.
        """
        account, company = _company_for(uscc, manage=True)
        recorded = services.sign_pledge(keyring(), account=account, company=company, version=args["version"])
        commit()
        return {"log_index": recorded.seq}


@blp.route("/companies/<uscc:uscc>/pledge/breach")
class CompanyPledgeBreach(MethodView):
    @require(*REGULATOR_ROLES)
    @blp.arguments(PledgeBreachArgs)
    @blp.response(200, ChangeSchema)
    @blp.alt_response(403, schema=ERRORS)
    @blp.alt_response(404, schema=ERRORS)
    @blp.alt_response(409, schema=ERRORS)
    @blp.alt_response(422, schema=ERRORS)
    def post(self, args, uscc):
        """Record that the company's current credit pledge was found broken (a regulator of its sectors, or market
        supervision).

        `found_on` is not in the future nor before the pledge was signed; `basis` is the finding or decision number.
        The broken pledge is a bad record of the company's score for a year from `found_on`, kept in this commit.
        Refused: 403 `not_subject_regulator` (another sector's regulator), 409 `no_pledge` (none signed), 409
        `pledge_broken` (already recorded; the company may sign the pledge again), 422 with the fields at fault.
        """
        company = services.get_company(uscc)
        recorded = services.record_pledge_breach(keyring(), regulator=bearer_account(), company=company,
                                                 found_on=args["found_on"], basis=args["basis"], today=today())
        commit()
        return {"log_index": recorded.seq}


@blp.route("/companies/<uscc:uscc>/users")
class CompanyUsers(MethodView):
    @require(*COMPANY_ROLES)
    @blp.response(200, AccountSchema(many=True))
    @blp.alt_response(404, schema=ERRORS)
    def get(self, uscc):
        """List the company's users (its members)."""
        account = bearer_account()
        company = services.get_company(uscc)
        if not services.is_member(account, company):
            raise not_found("company", "企业")
        return company.accounts

    @require(Role.COMPANY_ADMIN)
    @blp.arguments(CompanyUserArgs)
    @blp.response(201, NewAccountSchema)
    @blp.alt_response(404, schema=ERRORS)
    def post(self, args, uscc):
        """Add a user to the company; the temporary password is shown once (its admin)."""
        account, company = _company_for(uscc, manage=True)
        new = services.add_user(keyring(), actor=account, company=company, **args)
        commit()
        return new_account_view(new)


@blp.route("/pledge")
class PledgeText(MethodView):
    @blp.response(200, PledgeTextSchema)
    def get(self):
        """The current text of the credit pledge."""
        v = pledge.CURRENT_VERSION
        return {"version": v, **pledge.PLEDGES[v], "sha256": pledge.text_digest(v)}


@blp.route("/districts")
class Districts(MethodView):
    @blp.response(200, DistrictSchema(many=True))
    def get(self):
        """The districts and counties of Chengdu."""
        return [{"code": d.code, "name_zh": d.name_zh, "name_en": d.name_en} for d in districts.DISTRICTS]
