"""The public card view (what a resident at the door sees)."""
from marshmallow import Schema, fields

from .common import MessageSchema
from .complaints import PublicComplaintsSchema
from .reviews import ReviewSummarySchema
from .sanctions import PublishedSanctionSchema
from .workers import StatusSchema


class EmployerSchema(Schema):
    uscc = fields.String()
    name = fields.String()
    occupation = fields.String()
    occupation_label = fields.Nested(MessageSchema)
    since = fields.Date()
    service_phone = fields.String(allow_none=True, metadata={"description": "The company's public service line."})


class TrainingLatestSchema(Schema):
    course = fields.String()
    on_date = fields.Date()
    issuer = fields.String()


class TrainingSummarySchema(Schema):
    courses = fields.Integer()
    hours = fields.String(metadata={"description": "Total hours, one decimal."})
    exams_passed = fields.Integer()
    latest = fields.Nested(TrainingLatestSchema, allow_none=True)


class CardIssueSchema(Schema):
    serial = fields.Integer(metadata={"description": "The newest card's serial; older serials are replaced."})
    issued_on = fields.Date()
    valid_until = fields.Date()
    company_uscc = fields.String()
    company_name = fields.String()
    void = fields.Boolean(metadata={"description": "True when the issuing company no longer employs the worker: "
                                                   "the card is void and its QR never reads genuine."})


class QrVerdictSchema(Schema):
    verdict = fields.String(metadata={"description": "genuine | expired | void (the issuing company no "
                                                   "longer employs the person) | replaced | altered | not_issued | "
                                                   "wrong_origin (the page was not opened at the official address)"})
    zh = fields.String()
    en = fields.String()
    serial = fields.Integer(allow_none=True)
    valid_until = fields.Date(allow_none=True)


class InstructionSchema(MessageSchema):
    emergency = fields.String(metadata={"description": "The emergency number to call in danger: 110."})


class CardViewSchema(Schema):
    card_no = fields.String()
    name_masked = fields.String(metadata={"description": "The surname, then one * per remaining character."})
    as_of = fields.Date(metadata={"description": "The day (Asia/Shanghai) the status was computed for."})
    status = fields.Nested(StatusSchema)
    employed = fields.Boolean(metadata={"description": "False when no registered company employs the worker now."})
    employers = fields.List(fields.Nested(EmployerSchema), metadata={"description": "Current employers, newest first."})
    identity_verified = fields.Boolean()
    health_valid_until = fields.Date(allow_none=True)
    insurance_valid_until = fields.Date(allow_none=True)
    training = fields.Nested(TrainingSummarySchema)
    background = fields.String(allow_none=True, metadata={"description": "passed | failed | pending, or null."})
    card = fields.Nested(CardIssueSchema, allow_none=True, metadata={"description": "The newest card issued."})
    qr = fields.Nested(QrVerdictSchema, metadata={"description": "Present when `q` (from a scanned QR) is given."})
    sanctions = fields.List(fields.Nested(PublishedSanctionSchema), metadata={
        "description": "The sanctions public today (published, today within the window), newest decision first."})
    complaints = fields.Nested(PublicComplaintsSchema, metadata={
        "description": "Substantiated complaints about the worker (no other complaint is ever public)."})
    score = fields.Integer(allow_none=True, metadata={
        "description": "The worker's credit score (信用积分), as last kept: computed whenever a record that feeds it "
                       "changes and when a component's validity ends (docs/rules.md, \"Credit scores\"). Null until "
                       "one is computed (an installation fills every score with `flask credit rebuild`)."})
    grade = fields.String(allow_none=True, metadata={
        "description": "Always null: a worker has a score and no grade (grades are for companies)."})
    score_rules_version = fields.String(allow_none=True, metadata={
        "description": "The version of the scoring rules the score was computed with (`v1`); null with the score."})
    reviews = fields.Nested(ReviewSummarySchema, metadata={
        "description": "The summary of customers' reviews of the worker's recorded services."})
    show_colour = fields.Boolean(metadata={
        "description": "False when a scanned QR is anything but genuine: show no status colour, lead with "
                       "`instruction`, and keep the record behind a disclosure."})
    advice = fields.Nested(MessageSchema, allow_none=True, metadata={
        "description": "What the colour tells the resident to do, in one line; null when `show_colour` is false."})
    instruction = fields.Nested(InstructionSchema, allow_none=True, metadata={
        "description": "When a scanned QR is anything but genuine (`qr.verdict`): do not let the person in, "
                       "report, in danger call 110. Null otherwise."})
    regulator_hotline = fields.String(allow_none=True, metadata={
        "description": "The regulator's public hotline (REGISTRY_REGULATOR_HOTLINE, 12345 by default)."})
