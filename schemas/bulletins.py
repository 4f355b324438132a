"""The public disclosure bulletins' API: the bulletins published (every version) and the keys their manifests are
signed with."""
from marshmallow import Schema, fields

from .common import BoundedInteger, PageArgs


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


class BulletinsArgs(PageArgs):
    page_size = BoundedInteger(minimum=1, maximum=100, load_default=20)


class BulletinPeriodSchema(Schema):
    kind = fields.String(required=True, metadata={"description": "month or week."})
    key = fields.String(required=True, metadata={"description": "A month `2026-11` or an ISO week `2026-W48` "
                                                                "(Asia/Shanghai dates)."})


class BulletinWithdrawalSchema(Schema):
    reason = fields.String(required=True, metadata={"description": "Why the version was withdrawn."})
    at = fields.DateTime(required=True, metadata={"description": "When (RFC 3339, UTC)."})
    log_index = fields.Integer(required=True, allow_none=True,
                               metadata={"description": "The seq of its `bulletin:withdraw` log entry."})


class BulletinCheckpointSchema(Schema):
    size = fields.Integer(required=True, metadata={"description": "The tree size of the log state the bulletin "
                                                                 "cites."})
    root = fields.String(required=True, metadata={"description": "That tree's root hash, 64 lowercase hex (check it "
                                                                 "against GET /api/v1/log/checkpoints or a "
                                                                 "consistency proof)."})


class BulletinRecordSchema(Schema):
    log_ref = fields.String(required=True, metadata={"description": "The log entries' `subject`."})
    state = fields.Dict(required=True, metadata={
        "description": "The bulletin's canonical state as it stands, with its salt (`state.salt`): SHA-256 of its "
                       "RFC 8785 bytes is `digest`, the digest of log entry `entry_index`."})
    digest = fields.String(required=True, metadata={"description": "SHA-256 of the state's RFC 8785 bytes, hex."})
    entry_index = fields.Integer(required=True, allow_none=True,
                                 metadata={"description": "The bulletin's latest log entry (its withdrawal once "
                                                          "withdrawn, else its publication)."})


class BulletinFileSchema(Schema):
    name = fields.String(required=True, metadata={"description": "The file name, as the manifest lists it."})
    media_type = fields.String(required=True, metadata={"description": "e.g. application/pdf, text/csv."})
    size = fields.Integer(required=True, metadata={"description": "Bytes."})
    sha256 = fields.String(required=True, metadata={"description": "SHA-256 of the file, 64 lowercase hex (also its "
                                                                   "download's ETag)."})
    url = fields.String(required=True, metadata={"description": "Where to download it (public, immutable, Range "
                                                                "requests honoured)."})


class BulletinSchema(Schema):
    ref = fields.String(required=True, metadata={"description": "The version's public reference."})
    period = fields.Nested(BulletinPeriodSchema, required=True)
    version = fields.Integer(required=True, metadata={"description": "1, then 2, … for each correction."})
    state = fields.String(required=True, metadata={"description": "current or withdrawn."})
    made_at = fields.DateTime(required=True, metadata={"description": "When the bulletin was made (RFC 3339, UTC)."})
    withdrawn = fields.Nested(BulletinWithdrawalSchema, required=True, allow_none=True,
                              metadata={"description": "null while current."})
    replaced_by = fields.String(required=True, allow_none=True, metadata={
        "description": "The ref of the version published after this one for the same period, if any."})
    checkpoint = fields.Nested(BulletinCheckpointSchema, required=True)
    key_id = fields.String(required=True, metadata={
        "description": "The note key id (8 hex) of the bulletin key that signed the manifest "
                       "(GET /api/v1/bulletins/keys)."})
    log_index = fields.Integer(required=True, allow_none=True,
                               metadata={"description": "The seq of its `bulletin:publish` log entry."})
    record = fields.Nested(BulletinRecordSchema, required=True)
    manifest_url = fields.String(required=True, metadata={"description": "The signed manifest (text/plain): a C2SP "
                                                                         "signed note listing every file's SHA-256."})
    files = fields.List(fields.Nested(BulletinFileSchema), required=True)
