"""Commendations (表彰): what a regulator records or revokes, and what anyone sees of one in force."""
from marshmallow import Schema, fields, validate

from registry.credit.models import BASIS_MAX, REVOKE_REASON_MAX, TITLE_MAX

from .common import ChangeSchema


class RecordCommendationArgs(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=TITLE_MAX),
                          metadata={"description": "What the company was commended as, e.g. 年度诚信示范企业."})
    basis = fields.String(required=True, validate=validate.Length(min=1, max=BASIS_MAX),
                          metadata={"description": "The document that commends: its issuer and number (文号)."})
    commended_on = fields.Date(required=True, metadata={"description": "The day it was given: not in the future."})
    valid_until = fields.Date(load_default=None, allow_none=True, metadata={
        "description": "The last day it counts, after `commended_on`. Omitted or null: "
                       "REGISTRY_COMMENDATION_VALID_MONTHS (12 by default) after `commended_on`."})


class RevokeCommendationArgs(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=REVOKE_REASON_MAX),
                           metadata={"description": "Why it is revoked (recorded in error)."})


class CommendationAgencySchema(Schema):
    code = fields.String()
    name_zh = fields.String()
    name_en = fields.String()


class CommendationSchema(Schema):
    """A commendation in force as anyone sees it: nothing about a person."""

    ref = fields.String(metadata={"description": "The commendation's public reference."})
    title = fields.String()
    basis = fields.String(metadata={"description": "The document that commends (文号)."})
    agency = fields.Nested(CommendationAgencySchema, metadata={"description": "The recording agency."})
    commended_on = fields.Date()
    valid_until = fields.Date(metadata={"description": "The last day it counts (inclusive)."})


class CommendationRecordedSchema(ChangeSchema):
    ref = fields.String()
    valid_until = fields.Date(metadata={"description": "The last day it counts, as given or by default."})


class CommendationRevokedSchema(ChangeSchema):
    ref = fields.String()
    revoked_dt = fields.DateTime()
