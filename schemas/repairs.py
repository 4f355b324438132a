"""Credit repair (信用修复) and withdrawal of sanctions: the subject's application, the regulators' steps."""
from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from registry.sanctions.repair_rules import (
    AUTHORITIES,
    REPAIR_REASON_MAX,
    STATEMENT_MAX,
    WITHDRAW_REASON_MAX,
)

from .common import ChangeSchema, FormBoolean, MessageSchema
from .sanctions import PublishedSanctionSchema, SanctionRepairSchema, SanctionWithdrawalSchema


class RepairApplyArgs(Schema):
    """multipart/form-data: the fields `statement` and `pledge`, and up to 5 file parts `documents`."""

    statement = fields.String(required=True, validate=validate.Length(min=1, max=STATEMENT_MAX), metadata={
        "description": "The obligations met: what was corrected, paid or done, and when (stored encrypted)."})
    pledge = FormBoolean(required=True, metadata={"description": "`true`: you sign the credit pledge "
                                                                "(`pledge_text` of your sanctions' list)."})
    documents = Upload(metadata={"description": "Optional, up to 5 parts named `documents` proving the obligations "
                                                "met: PDF, JPEG or PNG (judged by the content), at most 5 MiB each; "
                                                "stored encrypted, opened only by the issuing agency."})


class RepairAppliedSchema(ChangeSchema):
    ref = fields.String(metadata={"description": "The application's reference."})
    state = fields.String(metadata={"description": "pending."})


class RepairDecideArgs(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(["approve", "reject"]))
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=REPAIR_REASON_MAX),
                           metadata={"description": "Required to reject: why."})


class RevocationArgs(Schema):
    authority = fields.String(required=True, validate=validate.OneOf(list(AUTHORITIES)),
                              metadata={"description": "Who revoked or changed the decision: review, court, agency."})
    revoked_on = fields.Date(required=True, metadata={"description": "The day of the revoking decision."})
    reason = fields.String(required=True, validate=validate.Length(min=1, max=WITHDRAW_REASON_MAX),
                           metadata={"description": "Why (published with the withdrawal; name no one)."})


class WithdrawArgs(Schema):
    """With a revocation recorded, nothing is required; otherwise all three."""

    authority = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(list(AUTHORITIES)))
    revoked_on = fields.Date(load_default=None, allow_none=True)
    reason = fields.String(load_default=None, allow_none=True,
                           validate=validate.Length(min=1, max=WITHDRAW_REASON_MAX))


class OwnSanctionSchema(PublishedSanctionSchema):
    """The subject's own decided sanction: its state, from when a repair may be applied for, its applications."""

    state = fields.String(metadata={"description": "decided, approved, published, expired, repaired or withdrawn."})
    state_label = fields.Nested(MessageSchema)
    repairable = fields.Boolean(metadata={"description": "A repair may be applied for in this state."})
    repair_from = fields.Date(metadata={"description": "The first day a repair may be applied for."})
    repairs = fields.List(fields.Nested(SanctionRepairSchema))
    withdrawal = fields.Nested(SanctionWithdrawalSchema, allow_none=True)
