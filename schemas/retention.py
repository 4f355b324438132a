"""A lawful request to erase a worker's personal data (PIPL art. 47)."""
from marshmallow import Schema, fields

from .common import ChangeSchema


class ErasureArgs(Schema):
    """Checked by the service, so each refusal carries its own code (`basis_missing`, `basis_unknown`,
    `reference_missing`, `reference_too_long`)."""

    basis = fields.String(load_default=None, metadata={
        "description": "subject_request, purpose_achieved, consent_withdrawn, unlawful_processing or authority_order"})
    reference = fields.String(load_default=None, metadata={
        "description": "The request's case or document reference (at most 100 characters; no personal data: phone "
                       "and ID numbers are masked)"})


class ErasedSchema(ChangeSchema):
    card_no = fields.String(required=True)
    erased_at = fields.DateTime(required=True)
    basis = fields.String(required=True)
