"""The public disclosure bulletins' API: the keys their manifests are signed with."""
from marshmallow import Schema, fields


class BulletinKeySchema(Schema):
    verifier_key = fields.String(metadata={
        "description": "The C2SP signed-note verifier key: `<name>+<key id hex>+<base64 of 0x01 ‖ Ed25519 public "
                       "key>`, as Go's golang.org/x/mod/sumdb/note reads it."})
    key_id = fields.String(metadata={"description": "The note key id, 8 hex characters."})
    status = fields.String(metadata={
        "description": "current (signs new manifests) or retired (signs none now, still vouches for the "
                       "manifests it signed)."})
    created = fields.String(metadata={"description": "When the key was made (RFC 3339, UTC)."})


class BulletinKeysSchema(Schema):
    key_name = fields.String(metadata={"description": "The name every manifest is signed under: "
                                                      "`{log origin}/bulletins`, the manifest's first word."})
    keys = fields.List(fields.Nested(BulletinKeySchema), metadata={"description": "Current key first; retired ones "
                                                                                  "kept."})
