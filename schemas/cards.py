"""Cards: issuing, the published card keys, bulk print runs, the worker's photo upload."""
from flask_smorest.fields import Upload
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from registry.errors import Msg

from .common import ChangeSchema, StrictBoolean


class CardKeySchema(Schema):
    key_id = fields.String(metadata={"description": "8 hex characters: the first 4 bytes of SHA-256(public key)."})
    algorithm = fields.String(metadata={"description": "Always Ed25519."})
    public_key = fields.String(metadata={"description": "The raw 32-byte public key, unpadded base64url."})
    state = fields.String(metadata={"description": "current (signs new cards), active or retired (still checks "
                                                   "the cards it signed)."})
    created = fields.String(metadata={"description": "When the key was made (RFC 3339, UTC)."})


class CardKeysSchema(Schema):
    keys = fields.List(fields.Nested(CardKeySchema), metadata={"description": "Current key first."})
    official_origin = fields.String(metadata={
        "description": "The registry's official origin, scheme://host[:port] (lower case, default port left out): "
                       "a card QR URL anywhere else is not the registry's, whatever its signature."})


class CardIssuedSchema(ChangeSchema):
    card_no = fields.String()
    serial = fields.Integer(metadata={"description": "1 for the first card; a reissue counts on."})
    issued_on = fields.Date()
    valid_until = fields.Date()
    qr_url = fields.String(metadata={"description": "What the card's QR code encodes: "
                                                    "{PUBLIC_URL}/c/{card_no}?q={serial}.{valid_until}.{key_id}.{sig}"})


class CardFormatArgs(Schema):
    format = fields.String(load_default="pdf", validate=validate.OneOf(["pdf", "html"]),
                           metadata={"description": "pdf (85.6 × 54 mm, for printing) or html (a standalone page)."})


class CardPrintArgs(Schema):
    card_nos = fields.List(fields.String(validate=validate.Length(max=40)),
                           metadata={"description": "The staff to print cards for (current staff only)."})
    all_active = StrictBoolean(metadata={"description": "true: every current member of staff."})

    @validates_schema
    def _one_of(self, data, **_kwargs):
        has_list, everyone = "card_nos" in data, data.get("all_active") is True
        if has_list and everyone:
            raise ValidationError(Msg("Give card_nos or all_active, not both.",
                                      "请只给出卡号列表或“全部在职人员”之一。"),
                                  "all_active")
        if not has_list and not everyone:
            raise ValidationError(Msg("Give card_nos, or all_active: true.", "请给出卡号列表，或选择全部在职人员。"),
                                  "card_nos")


class CardPrintQueuedSchema(Schema):
    task_id = fields.Integer(required=True, metadata={"description": "Poll /api/v1/tasks/{task_id}."})


class PhotoArgs(Schema):
    """multipart/form-data: the file part `photo` and the field `consent_on`."""

    # Not required here: a missing photo answers the service's own `photo_missing`.
    photo = Upload(metadata={"description": "Required: the photo, JPEG or PNG, at most 2 MiB (judged by its "
                                            "content; metadata such as EXIF is stripped)."})
    consent_on = fields.Date(required=True, metadata={
        "description": "The date the worker consented to the photo (not in the future)."})
