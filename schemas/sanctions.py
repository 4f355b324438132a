"""Sanctions: what the public sees of a published one, a search result, the subject's notice, the regulator's view."""
from marshmallow import Schema, fields

from .common import MessageSchema


class SanctionAgencySchema(Schema):
    code = fields.String()
    name_zh = fields.String()
    name_en = fields.String()
    sector = fields.String(metadata={"description": "housekeeping, property or market."})


class PublishedSanctionSchema(Schema):
    """A published sanction as the card view, the company view and the search show it (双公示 fields)."""

    ref = fields.String(metadata={"description": "The sanction's public reference."})
    kind = fields.String(metadata={"description": "warning, criticism, fine, rectification, watch_list, serious_list."})
    kind_label = fields.Nested(MessageSchema)
    severity = fields.String(metadata={"description": "minor, general or serious."})
    severity_label = fields.Nested(MessageSchema)
    decision_no = fields.String(allow_none=True)
    decision_date = fields.Date(allow_none=True)
    legal_basis = fields.String()
    agency = fields.Nested(SanctionAgencySchema, metadata={"description": "The issuing agency."})
    window_end = fields.Date(allow_none=True, metadata={"description": "The last day it is published."})
