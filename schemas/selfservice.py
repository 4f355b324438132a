"""Worker self-service: activation, PIN sign-in, own record, access list, state, consent codes;
the resident's consent view."""
from marshmallow import Schema, fields, validate

from .workers import DECIMAL_TEXT, StatusSchema, WorkerDetailSchema

CARD_NO = {"description": "The worker's card number (JX + 11 characters; case, spaces and dashes are ignored)."}
CODE = {"description": "8 letters and digits, as sent or shown (case, spaces and dashes are ignored)."}


class ActivateArgs(Schema):
    card_no = fields.String(required=True, validate=validate.Length(max=40), metadata=CARD_NO)
    code = fields.String(required=True, validate=validate.Length(max=40),
                         metadata={"description": "The activation code sent to the worker's phone."})
    pin = fields.String(required=True, validate=validate.Length(max=40), metadata={
        "description": "The new PIN, as a string: 6–12 digits, not one digit repeated, not a straight run."})


class SignInArgs(Schema):
    card_no = fields.String(required=True, validate=validate.Length(max=40), metadata=CARD_NO)
    pin = fields.String(required=True, validate=validate.Length(max=40))


class ConsentArgs(Schema):
    consent_code = fields.String(required=True, validate=validate.Length(max=40), metadata=CODE)


class ActivationSentSchema(Schema):
    """The code went to the worker's phone on record; it is never in this answer."""

    sent = fields.Boolean(required=True)
    expires = fields.DateTime(required=True)


class SessionSchema(Schema):
    token = fields.String(required=True, metadata={
        "description": "Send as `Authorization: Bearer <token>` to /api/v1/self/*; shown once."})
    expires = fields.DateTime(required=True)
    card_no = fields.String(required=True)


class EndedSchema(Schema):
    ended = fields.Boolean(required=True)


class CardRowSchema(Schema):
    serial = fields.Integer()
    company_name = fields.String()
    issued_on = fields.Date()
    valid_until = fields.Date()
    current = fields.Boolean()


class AwaitingSchema(Schema):
    employment_id = fields.Integer()
    company_name = fields.String()
    company_uscc = fields.String()
    occupation = fields.String()
    start_date = fields.Date()
    pending_until = fields.Date()


class SelfSchema(WorkerDetailSchema):
    """The worker's own full record (personal data in full: it is theirs)."""

    awaiting_confirmation = fields.List(fields.Nested(AwaitingSchema), metadata={
        "description": "Companies that registered the worker and wait for their confirmation."})
    cards = fields.List(fields.Nested(CardRowSchema))
    photo_on_file = fields.Boolean()
    activated = fields.DateTime(allow_none=True)


class TextSchema(Schema):
    zh = fields.String()
    en = fields.String()


class AccessRowSchema(Schema):
    when = fields.DateTime()
    accessor_kind = fields.String(metadata={"description": "company, regulator or resident"})
    who = fields.Nested(TextSchema)
    organisation = fields.String(allow_none=True)
    purpose = fields.String()
    why = fields.Nested(TextSchema)
    note = fields.String(allow_none=True, metadata={"description": "A regulator's own words beside the purpose."})
    fields_ = fields.List(fields.String(), data_key="fields", attribute="fields")
    consent_code_created = fields.DateTime(allow_none=True, metadata={
        "description": "For a resident's view: when the consent code they used was made."})


class StateSchema(Schema):
    kind = fields.String()
    log_ref = fields.String(metadata={"description": "The `subject` of the worker's log entries."})
    actor_ref = fields.String(metadata={
        "description": "The seed of the worker's self-service actors, never itself an actor: the `actor` of an "
                       "entry the worker's own action writes on another record (a response to a complaint, an "
                       "objection or a repair application for their sanction) is the first 32 hex characters of "
                       "HMAC-SHA256 keyed by this value over the entry's `subject` (both ASCII), a different one "
                       "on each record; entries on the worker's own record (confirming or declining an employer) "
                       "name `worker`. Keep it to yourself: whoever holds it can find every record you acted on."})
    state = fields.Dict(metadata={"description": "The canonical state (RFC 8785 hashes to `digest`)."})
    salt = fields.String()
    digest = fields.String()
    entry_index = fields.Integer(allow_none=True, metadata={"description": "The worker's latest log entry."})
    origin = fields.String(metadata={"description": "The log's origin (checkpoint name)."})


class ConsentCodeSchema(Schema):
    code = fields.String(required=True, metadata={"description": "Shown once; give it to the resident at the door."})
    expires = fields.DateTime(required=True)
    card_no = fields.String(required=True)


class ResidentEmploymentSchema(Schema):
    company_name = fields.String()
    company_uscc = fields.String()
    occupation = fields.String()
    start_date = fields.Date()
    end_date = fields.Date(allow_none=True)


class TrainingSchema(Schema):
    course = fields.String()
    hours = fields.Decimal(as_string=True, allow_none=True, metadata=DECIMAL_TEXT)
    exam_passed = fields.Boolean(allow_none=True)
    trained_on = fields.Date()
    issuer = fields.String(allow_none=True)


class ValiditySchema(Schema):
    valid = fields.Boolean()
    valid_until = fields.Date(allow_none=True)


class BackgroundSchema(Schema):
    result = fields.String(allow_none=True, metadata={"description": "passed, failed or pending; null if none"})
    checked_on = fields.Date(allow_none=True)


class ResidentDetailSchema(Schema):
    """What a resident sees with the worker's consent: never the name, ID number or phone."""

    card_no = fields.String()
    name_masked = fields.String()
    status = fields.Nested(StatusSchema)
    employments = fields.List(fields.Nested(ResidentEmploymentSchema))
    training = fields.List(fields.Nested(TrainingSchema))
    health = fields.Nested(ValiditySchema)
    insurance = fields.Nested(ValiditySchema)
    background = fields.Nested(BackgroundSchema)
    photo = fields.String(allow_none=True, metadata={"description": "The worker's photo as a data: URI, or null."})
    as_of = fields.Date()
