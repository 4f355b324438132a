"""Companies: registration input and one projection per audience."""
from marshmallow import Schema, fields, validate

from registry.companies.models import BREACH_BASIS_MAX

from .accounts import LOGIN, PERSON_NAME, AccountSchema
from .commendations import CommendationSchema
from .common import BoundedInteger, ChangeSchema, StrictBoolean
from .complaints import PublicComplaintsSchema
from .reviews import ReviewSummarySchema
from .sanctions import PublishedSanctionSchema


class EmployeeConditionsArgs(Schema):
    contracts = StrictBoolean(required=True, metadata={"description": "签订服务合同和劳动合同/服务协议"})
    social_insurance = StrictBoolean(required=True, metadata={"description": "缴纳社会保险"})
    minimum_wage = StrictBoolean(required=True, metadata={"description": "工资不低于当地最低工资"})
    ongoing_training = StrictBoolean(required=True, metadata={"description": "持续开展培训"})


class ContactArgs(Schema):
    name = PERSON_NAME
    phone = fields.String(required=True, validate=validate.Length(min=5, max=20))


class AdminArgs(Schema):
    login = LOGIN
    name = PERSON_NAME
    password = fields.String(required=True, validate=validate.Length(min=1, max=200))


class ProfileArgs(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    sectors = fields.List(fields.String(validate=validate.OneOf(["housekeeping", "property"])), required=True,
                          validate=validate.Length(min=1, max=2))
    business_model = fields.String(load_default=None, allow_none=True,
                                   validate=validate.OneOf(["employee", "intermediary"]))
    employee_conditions = fields.Nested(EmployeeConditionsArgs, load_default=None, allow_none=True)
    district = fields.String(required=True, validate=validate.Length(equal=6))
    contact = fields.Nested(ContactArgs, required=True)
    service_phone = fields.String(
        allow_none=True, validate=validate.Length(max=30),
        metadata={"description": "The company's public service line, shown on its workers' card pages: a mobile, a "
                                 "landline with its area code or a 400/800 number. Omitted: unchanged; null or "
                                 "blank: none."})


class CompanyRegisterArgs(ProfileArgs):
    uscc = fields.String(required=True, validate=validate.Length(min=1, max=40))
    admin = fields.Nested(AdminArgs, required=True)


class ReviewedAdminArgs(Schema):
    login = LOGIN
    name = PERSON_NAME


class ReviewedRegisterArgs(ProfileArgs):
    uscc = fields.String(required=True, validate=validate.Length(min=1, max=40))
    note = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    admin = fields.Nested(ReviewedAdminArgs, required=True)


class DecisionArgs(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(["verify", "reject"]))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class ChangeDecisionArgs(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(["approve", "reject"]))
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000),
                           metadata={"description": "Required to reject."})


class PledgeArgs(Schema):
    version = BoundedInteger(required=True, strict=True, minimum=1)


class PledgeBreachArgs(Schema):
    found_on = fields.Date(required=True, metadata={
        "description": "The day the pledge was found broken (Asia/Shanghai): not in the future, not before the pledge "
                       "was signed."})
    basis = fields.String(required=True, validate=validate.Length(min=1, max=BREACH_BASIS_MAX), metadata={
        "description": "The basis: the finding or decision and its number (文号). One line, public facts only."})


class CompanyUserArgs(Schema):
    login = LOGIN
    name = PERSON_NAME
    role = fields.String(load_default="company_user", validate=validate.OneOf(["company_user", "company_admin"]))


class QueueArgs(Schema):
    status = fields.String(load_default="pending", validate=validate.OneOf(["pending", "verified", "rejected"]))


class PledgeSchema(Schema):
    version = fields.Integer()
    accepted_dt = fields.DateTime()
    state = fields.String()


class PledgeBreachSchema(Schema):
    """A pledge of the company found broken: which version, when signed, the day found and the basis."""

    version = fields.Integer()
    accepted_dt = fields.DateTime(metadata={"description": "When the broken pledge was signed."})
    broken_on = fields.Date(metadata={"description": "The day it was found broken (Asia/Shanghai)."})
    basis = fields.String(metadata={"description": "The finding or decision and its number (文号)."})


class StaffCountSchema(Schema):
    occupation = fields.String()
    zh = fields.String()
    en = fields.String()
    count = fields.Integer()


class MarketAccessReasonSchema(Schema):
    code = fields.String(metadata={"description": "grade_c or serious_listing."})
    zh = fields.String()
    en = fields.String()


class MarketAccessSchema(Schema):
    """A firm graded C or bound today by a serious listing is restricted (docs/rules.md, "Market access marks")."""

    restricted = fields.Boolean()
    reasons = fields.List(fields.String(), metadata={
        "description": "Why, in this order: `grade_c` (the kept grade is C), `serious_listing` (a serious-dishonesty "
                       "listing binds the firm today, published or not). Empty when not restricted."})
    reason_labels = fields.List(fields.Nested(MarketAccessReasonSchema), metadata={
        "description": "The reasons in words, both languages."})
    text = fields.Dict(allow_none=True, metadata={
        "description": "The consequences, {zh, en} (REGISTRY_MARKET_ACCESS_TEXT_ZH / _EN: more inspections, no "
                       "awards or commendations, no public funding); null when not restricted."})


class CompanyPublicSchema(Schema):
    """What anyone sees: no contacts, no users."""

    uscc = fields.String()
    name = fields.String()
    sectors = fields.List(fields.String())
    business_model = fields.String(allow_none=True)
    employee_conditions = fields.Dict(allow_none=True)
    district = fields.String()
    district_name = fields.Dict()
    service_phone = fields.String(allow_none=True, metadata={
        "description": "The company's public service line (normalised: 13812345678, 028-85123456, 400-123-4567)."})
    status = fields.String()
    checksum_flagged = fields.Boolean()
    pledge = fields.Nested(PledgeSchema, allow_none=True)
    staff_by_occupation = fields.List(fields.Nested(StaffCountSchema),
                                      metadata={"description": "Current staff (employments not ended) per occupation."})
    staff_total = fields.Integer(metadata={"description": "Current staff, all occupations."})
    sanctions = fields.List(fields.Nested(PublishedSanctionSchema), metadata={
        "description": "The sanctions public today (published, today within the window), newest decision first."})
    complaints = fields.Nested(PublicComplaintsSchema, metadata={
        "description": "Substantiated complaints about the company (no other complaint is ever public)."})
    commendations = fields.List(fields.Nested(CommendationSchema), metadata={
        "description": "The commendations (表彰) in force today (not revoked, commended on or before today and valid "
                       "through today), newest first."})
    score = fields.Integer(allow_none=True, metadata={
        "description": "The company's credit score (信用积分), as last kept: computed whenever a record that feeds it "
                       "changes and when a component's validity ends (docs/rules.md, \"Credit scores\"). Null until "
                       "one is computed (an installation fills every score with `flask credit rebuild`)."})
    grade = fields.String(allow_none=True, metadata={
        "description": "The credit grade of the score: AAA (85 and above), AA (80), A (70), B (60), else C — but B "
                       "below 60 while no bad record counts. Null with the score."})
    score_rules_version = fields.String(allow_none=True, metadata={
        "description": "The version of the scoring rules the score was computed with (`v1`); null with the score."})
    market_access = fields.Nested(MarketAccessSchema, metadata={
        "description": "Market access: restricted when graded C or bound today by a serious listing."})
    reviews = fields.Nested(ReviewSummarySchema, metadata={
        "description": "The summary of customers' reviews of the company's recorded services."})


class MaterialSchema(Schema):
    """What regulators verify: a verified company changes it only through a change request."""

    name = fields.String()
    sectors = fields.List(fields.String())
    business_model = fields.String(allow_none=True)
    employee_conditions = fields.Dict(allow_none=True)


class CompanyChangeSchema(Schema):
    """A verified company's change request: the verified values beside the proposed ones."""

    ref = fields.String()
    uscc = fields.String()
    status = fields.String(metadata={"description": "open, approved, rejected or withdrawn."})
    current = fields.Nested(MaterialSchema, metadata={"description": "The company's verified values now."})
    proposed = fields.Nested(MaterialSchema)
    changed = fields.List(fields.String(), metadata={"description": "The fields whose proposed value differs."})
    requested_dt = fields.DateTime()
    decided_dt = fields.DateTime(allow_none=True)
    reason = fields.String(allow_none=True, metadata={"description": "Why a regulator rejected it."})


class CompanyChangeRequestedSchema(CompanyChangeSchema, ChangeSchema):
    """Answer to a profile update that touched the verified values (202): the open request."""


class CompanyPrivateSchema(CompanyPublicSchema):
    """The company itself and its regulators: masked contact, users, decision, open change request."""

    contact = fields.Dict()
    decided_dt = fields.DateTime(allow_none=True)
    decision_note = fields.String(allow_none=True)
    review_note = fields.String(allow_none=True)
    users = fields.List(fields.Nested(AccountSchema))
    created_dt = fields.DateTime()
    pending_change = fields.Nested(CompanyChangeSchema, allow_none=True,
                                   metadata={"description": "The open change request, waiting for a regulator."})
    pledge_breaches = fields.List(fields.Nested(PledgeBreachSchema), metadata={
        "description": "The company's pledges a regulator found broken, the latest found first (each a bad record of "
                       "its credit score for a year from the day found; docs/rules.md, \"Credit pledges found "
                       "broken\")."})


class CompanyCreatedSchema(ChangeSchema):
    uscc = fields.String()
    status = fields.String()
    admin_login = fields.String()
    temporary_password = fields.String(allow_none=True)


class PledgeTextSchema(Schema):
    version = fields.Integer()
    zh = fields.String()
    en = fields.String()
    sha256 = fields.String()


class DistrictSchema(Schema):
    code = fields.String()
    name_zh = fields.String()
    name_en = fields.String()
