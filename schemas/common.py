"""Shared shapes: the error body and the change answer."""
from marshmallow import Schema, fields


class MessageSchema(Schema):
    zh = fields.String(required=True)
    en = fields.String(required=True)


class ErrorDetailSchema(Schema):
    code = fields.String(required=True, metadata={"description": "A stable error code."})
    message = fields.Nested(MessageSchema, required=True)
    fields = fields.Dict(keys=fields.String(), values=fields.Nested(MessageSchema),
                         metadata={"description": "The fields at fault, each with its message."})


class ErrorSchema(Schema):
    error = fields.Nested(ErrorDetailSchema, required=True)


class ChangeSchema(Schema):
    """Every state-changing call answers with the seq of its log entry."""

    log_index = fields.Integer(required=True, metadata={"description": "The seq of this change's log entry."})
