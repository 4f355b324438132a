"""The notifications a sanction's subject reads: each step of its objections, repairs and withdrawals."""
from marshmallow import Schema, fields

from .common import MessageSchema


class SubjectNotificationSchema(Schema):
    kind = fields.String(metadata={"description": "objection_filed | objection_accepted | objection_rejected | "
                                                  "objection_upheld_correct | objection_upheld_withdraw | "
                                                  "objection_dismissed | repair_applied | repair_approved | "
                                                  "repair_rejected | withdrawn"})
    day = fields.Date(metadata={"description": "The day of the step (Asia/Shanghai)."})
    sanction_ref = fields.String()
    agency = fields.Nested(MessageSchema, metadata={"description": "The issuing agency."})
    text = fields.Nested(MessageSchema, metadata={"description": "What happened (no names, no facts, no reasons)."})
    where = fields.Nested(MessageSchema, metadata={"description": "Where to read the rest."})
