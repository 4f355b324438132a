"""Complaints (投诉): filing (three ways), tracking, the regulators' queue and steps, the subject's responses,
and what the public sees."""
from marshmallow import Schema, fields, validate

from registry.complaints.rules import (
    CATEGORIES,
    CONTACT_NAME_MAX,
    REASON_MAX,
    RESPONSE_MAX,
    STATES,
    STEPS,
    SUBJECT_KINDS,
    TEXT_MAX,
)
from registry.sanctions.objection_rules import ANSWER_MAX
from registry.sanctions.objection_rules import STATES as OBJECTION_STATES
from registry.sanctions.objection_rules import STEPS as OBJECTION_STEPS

from .common import BoundedInteger, ChangeSchema, MessageSchema
from .objections import ObjectionDeadlineSchema, ObjectionDocumentSchema


class ComplainantContactArgs(Schema):
    name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=CONTACT_NAME_MAX),
                         metadata={"description": "Your name (optional; stored encrypted, read only by the "
                                                  "regulators who handle the complaint)."})
    phone = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=30),
                          metadata={"description": "A phone to reach you (optional; stored encrypted)."})


class _ComplaintArgs(Schema):
    category = fields.String(required=True, validate=validate.OneOf(list(CATEGORIES)),
                             metadata={"description": " | ".join(CATEGORIES)})
    text = fields.String(required=True, validate=validate.Length(min=1, max=TEXT_MAX),
                         metadata={"description": f"What happened (at most {TEXT_MAX} characters; stored "
                                                  "encrypted)."})
    contact = fields.Nested(ComplainantContactArgs, load_default=None, allow_none=True,
                            metadata={"description": "How the regulator may reach you (optional)."})


class CardComplaintArgs(_ComplaintArgs):
    """A complaint from the card page, about that card's worker."""


class PhoneComplaintArgs(_ComplaintArgs):
    phone = fields.String(required=True, validate=validate.Length(min=1, max=30),
                          metadata={"description": "The mobile number the service was recorded for: it must "
                                                   "match a service of this worker, and is never stored."})


class CodeComplaintArgs(_ComplaintArgs):
    reference = fields.String(required=True, validate=validate.Length(min=1, max=20),
                              metadata={"description": "The service reference in the customer's text message."})
    code = fields.String(required=True, validate=validate.Length(min=1, max=20),
                         metadata={"description": "The review code in the same message."})
    about = fields.String(required=True, validate=validate.OneOf(list(SUBJECT_KINDS)),
                          metadata={"description": "worker (who came) or company (who sent them)."})


class ComplaintFiledSchema(ChangeSchema):
    reference = fields.String(metadata={"description": "The complaint's reference, such as 1A2B-3C4D-5E6F."})
    tracking_code = fields.String(metadata={"description": "Shown once, never stored in clear: with the reference "
                                                           "it shows the complaint's progress."})


class TrackArgs(Schema):
    reference = fields.String(required=True, validate=validate.Length(min=1, max=20))
    tracking_code = fields.String(required=True, validate=validate.Length(min=1, max=20))


class ComplaintDeadlineSchema(Schema):
    kind = fields.String(metadata={"description": "accept (accept or reject by) | conclude (conclude by)."})
    day = fields.Date()
    provisional = fields.Boolean(metadata={"description": "Counted in a year without the official calendar."})
    overdue = fields.Boolean()


class ComplaintAgencySchema(Schema):
    code = fields.String()
    name_zh = fields.String()
    name_en = fields.String()


class ComplaintStepSchema(Schema):
    step = fields.String()
    step_label = fields.Nested(MessageSchema)
    state = fields.String(metadata={"description": "The state the step led to."})
    reason = fields.String()
    at = fields.DateTime()
    agency = fields.Nested(ComplaintAgencySchema)


class _BaseSchema(Schema):
    reference = fields.String()
    category = fields.String()
    category_label = fields.Nested(MessageSchema)
    method = fields.String(metadata={"description": "review_code | card_page | household_phone"})
    method_label = fields.Nested(MessageSchema)
    state = fields.String(metadata={"description": " | ".join(STATES)})
    state_label = fields.Nested(MessageSchema)
    filed_on = fields.Date()
    accepted_on = fields.Date(allow_none=True)
    concluded_on = fields.Date(allow_none=True)
    deadline = fields.Nested(ComplaintDeadlineSchema, allow_none=True,
                             metadata={"description": "The deadline running."})
    steps = fields.List(fields.Nested(ComplaintStepSchema))


class MaskedContactSchema(Schema):
    name = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)


class TrackingSchema(_BaseSchema):
    """What the complainant sees: never the subject's personal data."""

    subject_kind = fields.String()
    contact = fields.Nested(MaskedContactSchema, metadata={"description": "Your contact, masked."})


class ComplaintServiceSchema(Schema):
    reference = fields.String()
    service_type = fields.String()
    service_type_label = fields.Nested(MessageSchema)
    district = fields.String()
    start_dt = fields.DateTime()
    company = fields.String()


class ComplaintResponseSchema(Schema):
    text = fields.String()
    at = fields.DateTime()
    by_kind = fields.String()


class OwnComplaintSchema(_BaseSchema):
    """What the subject sees: no complainant's text or contact."""

    ref = fields.String(metadata={"description": "The complaint's id in the API (respond with it)."})
    service = fields.Nested(ComplaintServiceSchema, allow_none=True)
    responses = fields.List(fields.Nested(ComplaintResponseSchema))
    may_respond = fields.Boolean()


class ComplaintSubjectSchema(Schema):
    kind = fields.String()
    card_no = fields.String(allow_none=True)
    name_masked = fields.String(allow_none=True)
    uscc = fields.String(allow_none=True)
    name = fields.String(allow_none=True)


class ComplainantContactSchema(Schema):
    name = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)


class RegulatorComplaintSchema(OwnComplaintSchema):
    """What the handling regulator sees: the text and the complainant's contact in clear."""

    subject = fields.Nested(ComplaintSubjectSchema)
    text = fields.String()
    contact = fields.Nested(ComplainantContactSchema)
    filed_dt = fields.DateTime()
    steps_allowed = fields.List(fields.String())


class ComplaintQueueArgs(Schema):
    state = fields.String(load_default=None, validate=validate.OneOf(list(STATES)),
                          metadata={"description": "Only complaints in this state (default: all)."})
    reference = fields.String(validate=validate.Length(min=1, max=20))
    limit = BoundedInteger(load_default=100, minimum=1, maximum=500)
    offset = BoundedInteger(load_default=0)


class StepArgs(Schema):
    step = fields.String(required=True, validate=validate.OneOf(list(STEPS)),
                         metadata={"description": " | ".join(STEPS)})
    reason = fields.String(required=True, validate=validate.Length(min=1, max=REASON_MAX),
                           metadata={"description": "Why (shown to the complainant and the subject)."})


class ComplaintChangedSchema(ChangeSchema):
    state = fields.String()


class ResponseArgs(Schema):
    text = fields.String(required=True, validate=validate.Length(min=1, max=RESPONSE_MAX),
                         metadata={"description": f"Your response (at most {RESPONSE_MAX} characters)."})


class PublicComplaintSchema(Schema):
    category = fields.String()
    category_label = fields.Nested(MessageSchema)
    concluded_on = fields.String(metadata={"description": "The day it was concluded (ISO date, Asia/Shanghai)."})
    agency = fields.Nested(ComplaintAgencySchema)
    objection_pending = fields.Boolean(metadata={"description": "The subject's objection (异议) to it is being "
                                                                "handled."})


class PublicComplaintsSchema(Schema):
    """Substantiated complaints only: nothing else is ever public."""

    substantiated = fields.Integer()
    list = fields.List(fields.Nested(PublicComplaintSchema), metadata={"description": "Newest conclusion first."})


class ComplaintObjectionStepArgs(Schema):
    step = fields.String(required=True, validate=validate.OneOf(list(OBJECTION_STEPS)),
                         metadata={"description": " | ".join(OBJECTION_STEPS)})
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=ANSWER_MAX),
                           metadata={"description": "The answer's reasons (required for reject, uphold and dismiss; "
                                                    "the subject reads them; stored encrypted)."})
    outcome = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(["correct", "withdraw"]),
                            metadata={"description": "For uphold: withdraw the complaint (it counts nowhere) or "
                                                     "correct its category, in the same operation."})
    category = fields.String(load_default=None, allow_none=True,
                             metadata={"description": "For uphold with outcome correct: the right category."})


class ComplaintObjectionChangedSchema(ChangeSchema):
    state = fields.String(metadata={"description": "The objection's new state."})
    complaint_state = fields.String(metadata={"description": "The complaint's state after the step."})


class ComplaintObjectionSchema(Schema):
    ref = fields.String()
    complaint_ref = fields.String()
    state = fields.String(metadata={"description": " | ".join(OBJECTION_STATES)})
    state_label = fields.Nested(MessageSchema)
    filed_by_kind = fields.String(metadata={"description": "company or worker."})
    reasons = fields.String()
    documents = fields.List(fields.Nested(ObjectionDocumentSchema))
    filed_on = fields.Date()
    accepted_on = fields.Date(allow_none=True)
    answered_on = fields.Date(allow_none=True)
    answer = fields.String(allow_none=True)
    outcome = fields.String(allow_none=True, metadata={"description": "Upheld: correct or withdraw."})
    corrected_from = fields.String(allow_none=True, metadata={"description": "The category a correction replaced."})
    deadline = fields.Nested(ObjectionDeadlineSchema, allow_none=True)
