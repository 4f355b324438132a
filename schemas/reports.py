"""Reports from the door: the resident's report, the regulators' queue, closing a report."""
from marshmallow import Schema, fields, validate

from registry.reports.models import REPORT_REASONS, REPORT_STATES

from .common import BoundedInteger, ChangeSchema, MessageSchema


class ReportArgs(Schema):
    reason = fields.String(required=True, validate=validate.OneOf(list(REPORT_REASONS)),
                           metadata={"description": "fake | not_holder | other (misconduct: refused with "
                                                    "`misconduct_is_a_complaint`; file a complaint instead)"})
    text = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500),
                         metadata={"description": "What happened (optional, at most 500 characters; "
                                                  "stored encrypted)."})
    q = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=300),
                      metadata={"description": "The `q` value of the card QR, if one was scanned: the report "
                                               "records the verdict on it."})


class ReportFiledSchema(ChangeSchema):
    reference = fields.String(metadata={"description": "A short reference to quote to the regulator, "
                                                       "such as 1A2B-3C4D-5E6F."})


class ReportQueueArgs(Schema):
    state = fields.String(load_default="open", validate=validate.OneOf(list(REPORT_STATES)))
    reference = fields.String(validate=validate.Length(min=1, max=20),
                              metadata={"description": "The reference a resident quotes."})
    limit = BoundedInteger(load_default=100, minimum=1, maximum=500)
    offset = BoundedInteger(load_default=0)


class ReportEmployerSchema(Schema):
    uscc = fields.String()
    name = fields.String()


class ReportSchema(Schema):
    """What the handling regulator sees: the report with its (decrypted) text."""

    ref = fields.String(metadata={"description": "The report's id in the regulators' API (close it with it)."})
    reference = fields.String(metadata={"description": "The short reference the resident was given."})
    card_no = fields.String()
    name_masked = fields.String()
    employers = fields.List(fields.Nested(ReportEmployerSchema), metadata={"description": "Current employers."})
    reason = fields.String()
    reason_label = fields.Nested(MessageSchema)
    text = fields.String(allow_none=True)
    serial = fields.Integer(allow_none=True, metadata={"description": "The scanned card's serial, if checked."})
    qr_verdict = fields.String(allow_none=True, metadata={"description": "The verdict on the scanned QR, if any."})
    state = fields.String()
    created_dt = fields.DateTime()
    closed_by = fields.String(allow_none=True)
    closed_dt = fields.DateTime(allow_none=True)
    closing_note = fields.String(allow_none=True)


class CloseReportArgs(Schema):
    note = fields.String(required=True, validate=validate.Length(min=1, max=500),
                         metadata={"description": "What was done about the report."})
