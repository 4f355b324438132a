"""Objections (异议) to a sanction: filing (multipart, with documents), the issuing agency's steps, the views."""
from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from registry.sanctions.objection_rules import ANSWER_MAX, OUTCOMES, REASONS_MAX, STATES, STEPS

from .common import ChangeSchema, MessageSchema
from .sanctions import CorrectSanctionArgs


class FileObjectionArgs(Schema):
    """multipart/form-data: the field `reasons` and up to 5 file parts `documents`."""

    # Not required here: a missing reason answers the service's own `required` with the field named.
    reasons = fields.String(metadata={"description": f"Required: why you object (at most {REASONS_MAX} "
                                                     "characters; stored encrypted)."})
    documents = Upload(metadata={"description": "Up to 5 parts named `documents`: PDF, JPEG or PNG (judged by the "
                                                "content), at most 5 MiB each; stored encrypted."})


class ObjectionFiledSchema(ChangeSchema):
    ref = fields.String(metadata={"description": "The objection's reference."})
    state = fields.String()


class ObjectionCorrectionArgs(CorrectSanctionArgs):
    """The fields an upheld objection corrects (the answer's reason is the correction's reason)."""

    class Meta:
        exclude = ("reason",)


class ObjectionStepArgs(Schema):
    step = fields.String(required=True, validate=validate.OneOf(list(STEPS)),
                         metadata={"description": " | ".join(STEPS)})
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=ANSWER_MAX),
                           metadata={"description": "The answer's reasons (required for reject, uphold and dismiss; "
                                                    "the subject reads them; stored encrypted)."})
    outcome = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(list(OUTCOMES)),
                            metadata={"description": "For uphold: correct or withdraw the sanction, in the same "
                                                     "operation."})
    changes = fields.Nested(ObjectionCorrectionArgs, load_default=None, allow_none=True,
                            metadata={"description": "For uphold with outcome correct: the fields to correct."})


class ObjectionChangedSchema(ChangeSchema):
    state = fields.String(metadata={"description": "The objection's new state."})
    sanction_state = fields.String(metadata={"description": "The sanction's state after the step."})


class ObjectionDocumentSchema(Schema):
    ref = fields.String()
    position = fields.Integer(metadata={"description": "0 to 4, in the order handed in; the download's number."})
    content_type = fields.String()
    size = fields.Integer()
    created_dt = fields.DateTime()


class ObjectionDeadlineSchema(Schema):
    kind = fields.String(metadata={"description": "accept (accept or reject) or answer."})
    day = fields.Date()
    provisional = fields.Boolean()
    overdue = fields.Boolean()


class ObjectionSchema(Schema):
    ref = fields.String()
    sanction_ref = fields.String()
    state = fields.String(metadata={"description": " | ".join(STATES)})
    state_label = fields.Nested(MessageSchema)
    filed_by_kind = fields.String(metadata={"description": "company or worker."})
    reasons = fields.String()
    documents = fields.List(fields.Nested(ObjectionDocumentSchema))
    in_window = fields.Boolean(metadata={"description": "Filed inside a listing notice's objection window: the "
                                                        "decision waits for the answer."})
    filed_on = fields.Date()
    accepted_on = fields.Date(allow_none=True)
    answered_on = fields.Date(allow_none=True)
    answer = fields.String(allow_none=True)
    outcome = fields.String(allow_none=True)
    deadline = fields.Nested(ObjectionDeadlineSchema, allow_none=True)
