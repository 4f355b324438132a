"""The notifications the subject of a record reads: each step of the objections to its sanctions, complaints and
reviews, of its repairs and of withdrawals."""
from marshmallow import Schema, fields

from .common import MessageSchema


class SubjectNotificationSchema(Schema):
    kind = fields.String(metadata={"description": "objection_filed | objection_accepted | objection_rejected | "
                                                  "objection_upheld_correct | objection_upheld_withdraw | "
                                                  "objection_dismissed | repair_applied | repair_approved | "
                                                  "repair_rejected | withdrawn"})
    day = fields.Date(metadata={"description": "The day of the step (Asia/Shanghai)."})
    record_kind = fields.String(metadata={"description": "What the step is about: sanction | complaint | review."})
    record_ref = fields.String(metadata={
        "description": "The record: a sanction's ref, a complaint's public reference, a review's service number."})
    sanction_ref = fields.String(allow_none=True, metadata={"description": "record_ref for a sanction; else null."})
    agency = fields.Nested(MessageSchema, metadata={
        "description": "The agency that acted: the issuing agency of a sanction, the concluding agency of a "
                       "complaint, the regulator's agency that answered an objection to a review (before that: "
                       "the regulators)."})
    text = fields.Nested(MessageSchema, metadata={"description": "What happened (no names, no facts, no reasons)."})
    where = fields.Nested(MessageSchema, metadata={"description": "Where to read the rest."})
