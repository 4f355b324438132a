"""Workers: registration and records input; staff rows and the detailed view."""
from marshmallow import Schema, fields, validate

from registry.workers.vocab import EMPLOYMENT_KINDS, OCCUPATIONS, RECORD_KINDS, REGULATOR_PURPOSES

from .common import BoundedInteger, ChangeSchema, MessageSchema, StrictBoolean
from .sanctions import PublishedSanctionSchema

# Decimals are answered as text ("2.5"), exactly, and documented so.
DECIMAL_TEXT = {"type": "string", "description": "A decimal number written as text, such as \"2.5\"."}


class WorkerRegisterArgs(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=50),
                         metadata={"description": "Real name as on the ID document (stored encrypted)."})
    id_number = fields.String(required=True, validate=validate.Length(min=1, max=30),
                              metadata={"description": "GB 11643 ID, HK/Macau/Taiwan permit or foreigner ID."})
    phone = fields.String(required=True, validate=validate.Length(min=1, max=20))
    occupation = fields.String(required=True, validate=validate.OneOf(list(OCCUPATIONS)))
    employment_kind = fields.String(required=True, validate=validate.OneOf(list(EMPLOYMENT_KINDS)))
    start_date = fields.Date(required=True)
    social_insurance = StrictBoolean(required=True)


class ListingWarningSchema(PublishedSanctionSchema):
    """A listing in effect of the worker being registered, shown to the registering company."""

    code = fields.String(metadata={"description": "listing_in_effect."})
    message = fields.Nested(MessageSchema)


class WorkerCreatedSchema(ChangeSchema):
    card_no = fields.String()
    created = fields.Boolean(metadata={"description": "False when an existing worker got a new employment."})
    employment_id = fields.Integer()
    pending = fields.Boolean(metadata={"description": "True when an existing worker was attached: the employment "
                                       "opens nothing until the worker confirms it with the code sent to their phone."})
    pending_until = fields.Date(allow_none=True, metadata={"description": "The last day the worker may confirm."})
    warnings = fields.List(fields.Nested(ListingWarningSchema), metadata={
        "description": "The worker's listings in effect that do not bar the work (a watch list; a serious listing "
                       "whose measures allow it): the registration went through, and the employment records them."})


class StaffArgs(Schema):
    occupation = fields.String(validate=validate.OneOf(list(OCCUPATIONS)))
    status = fields.String(validate=validate.OneOf(["green", "yellow", "red"]))
    expiring = fields.String(validate=validate.OneOf(["health", "insurance", "any"]),
                             metadata={"description": "Valid-until within the next 30 days."})
    employment = fields.String(load_default="active", validate=validate.OneOf(["active", "ended", "all"]))


class StaffSearchArgs(StaffArgs):
    """In a body, not a query string: a name or phone in a URL ends up in server and proxy logs."""

    card_no = fields.String(validate=validate.Length(max=30), metadata={"description": "The card number, exactly."})
    name = fields.String(validate=validate.Length(max=50), metadata={
        "description": "The real name, exactly as registered (matched through a keyed hash, never stored in clear)."})
    phone = fields.String(validate=validate.Length(max=20), metadata={
        "description": "The mobile number (matched through its blind index)."})
    page = BoundedInteger(minimum=1, load_default=1)
    page_size = BoundedInteger(minimum=1, maximum=100, load_default=50)


class ReasonSchema(Schema):
    code = fields.String()
    zh = fields.String()
    en = fields.String()


class StatusSchema(Schema):
    colour = fields.String()
    reasons = fields.List(fields.Nested(ReasonSchema))


class StaffRowSchema(Schema):
    card_no = fields.String()
    name_masked = fields.String()
    occupation = fields.String()
    employment_kind = fields.String()
    start_date = fields.Date()
    end_date = fields.Date(allow_none=True)
    status = fields.Nested(StatusSchema)
    health_valid_until = fields.Date(allow_none=True)
    insurance_valid_until = fields.Date(allow_none=True)
    employment_id = fields.Integer()
    awaiting_confirmation = fields.Boolean(metadata={"description": "Attached, waiting for the worker's confirmation."})
    pending_until = fields.Date(allow_none=True)


class EmploymentSchema(Schema):
    company_uscc = fields.String()
    company_name = fields.String()
    occupation = fields.String()
    kind = fields.String()
    start_date = fields.Date()
    end_date = fields.Date(allow_none=True)
    social_insurance = fields.Boolean()


class RecordSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    result = fields.String(allow_none=True)
    on_date = fields.Date()
    valid_until = fields.Date(allow_none=True)
    course = fields.String(allow_none=True)
    hours = fields.Decimal(as_string=True, allow_none=True, metadata=DECIMAL_TEXT)
    exam_passed = fields.Boolean(allow_none=True)
    issuer = fields.String(allow_none=True)
    supersedes = fields.Integer(allow_none=True)
    superseded = fields.Boolean()
    company_uscc = fields.String()


class ErasureSchema(Schema):
    """When and why a worker's personal data was erased (PIPL art. 47)."""

    at = fields.DateTime()
    basis = fields.String(metadata={"description": "retention_period, or a lawful request's basis"})
    reference = fields.String(allow_none=True)


class WorkerDetailSchema(Schema):
    """For the employing company and regulators: personal data opened (and the read recorded); null once erased."""

    card_no = fields.String()
    name = fields.String(allow_none=True)
    name_masked = fields.String()
    id_number = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    erased = fields.Nested(ErasureSchema, allow_none=True)
    id_kind = fields.String()
    status = fields.Nested(StatusSchema)
    employments = fields.List(fields.Nested(EmploymentSchema))
    records = fields.List(fields.Nested(RecordSchema))


class WorkerSearchArgs(Schema):
    """A regulator's search: exactly one of the two numbers, and why the record is opened."""

    card_no = fields.String(validate=validate.Length(min=1, max=30), metadata={"description": "The card number."})
    id_number = fields.String(validate=validate.Length(min=1, max=30), metadata={
        "description": "The ID number, looked up through its blind index; never stored or logged."})
    purpose = fields.String(required=True, validate=validate.OneOf(list(REGULATOR_PURPOSES)), metadata={
        "description": "Why the record is opened; the worker sees it in their access record."})
    note = fields.String(validate=validate.Length(max=200), metadata={
        "description": "Optional words beside the purpose (a case number, say); the worker sees them too."})


class EndEmploymentArgs(Schema):
    end_date = fields.Date(required=True)


class EmploymentEndedSchema(ChangeSchema):
    voided_serials = fields.List(fields.Integer(), required=True, metadata={
        "description": "The serials of the cards your company issued that ending the employment voided: their QR "
                       "now reads void and they never print again."})


class RecordArgs(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(list(RECORD_KINDS)))
    result = fields.String(validate=validate.OneOf(["verified", "failed", "passed", "pending"]))
    checked_on = fields.Date()
    trained_on = fields.Date()
    valid_from = fields.Date()
    valid_until = fields.Date()
    course = fields.String(validate=validate.Length(max=100))
    # A Decimal's range would be documented as strings ("2000"), which OpenAPI refuses: say it as numbers.
    hours = fields.Decimal(validate=validate.Range(min=0, max=2000), metadata={"minimum": 0, "maximum": 2000})
    exam_passed = StrictBoolean()
    issuer = fields.String(validate=validate.Length(max=100))
    insurer = fields.String(validate=validate.Length(max=100))
    authority = fields.String(validate=validate.Length(max=100))
    supersedes = BoundedInteger(minimum=1, metadata={"description": "The id of the record this one corrects."})


class ConfirmArgs(Schema):
    code = fields.String(required=True, validate=validate.Length(max=40),
                         metadata={"description": "The confirmation code the worker received and gave you."})


class ConfirmationSentSchema(Schema):
    """The code went to the worker's phone on record; it is never in this answer."""

    sent = fields.Boolean()
    pending_until = fields.Date()


class RecordCreatedSchema(ChangeSchema):
    id = fields.Integer()


class VocabSchema(Schema):
    code = fields.String()
    zh = fields.String()
    en = fields.String()
