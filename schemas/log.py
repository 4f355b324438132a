"""The transparency log's public shapes, and a company's downloadable canonical states."""
from marshmallow import Schema, fields

from .common import BoundedInteger, PageArgs

B64 = "Standard padded base64."


class EntrySchema(Schema):
    index = fields.Integer(required=True, metadata={"description": "The entry's seq (leaf index)."})
    body = fields.String(required=True, metadata={"description": f"The exact leaf bytes (canonical JSON). {B64}"})
    leaf_hash = fields.String(required=True, metadata={"description": f"SHA-256(0x00 || body). {B64}"})


class InclusionArgs(Schema):
    index = BoundedInteger(required=True)
    size = BoundedInteger(required=True, minimum=1,
                          metadata={"description": "A tree size up to the latest checkpoint's."})


class InclusionProofSchema(Schema):
    index = fields.Integer(required=True)
    size = fields.Integer(required=True)
    hashes = fields.List(fields.String(), required=True,
                         metadata={"description": f"The RFC 9162 inclusion proof, leaf to root. {B64}"})


class ConsistencyArgs(Schema):
    from_ = BoundedInteger(required=True, data_key="from", minimum=1)
    to = BoundedInteger(required=True, minimum=1,
                        metadata={"description": "A tree size up to the latest checkpoint's."})


class ConsistencyProofSchema(Schema):
    from_ = fields.Integer(required=True, data_key="from")
    to = fields.Integer(required=True)
    hashes = fields.List(fields.String(), required=True,
                         metadata={"description": f"The RFC 9162 consistency proof. {B64}"})


class CheckpointSchema(Schema):
    size = fields.Integer(required=True)
    root = fields.String(required=True, metadata={"description": f"The tree's root hash. {B64}"})
    checkpoint = fields.String(required=True, metadata={"description": "The signed note, exactly as signed."})
    key_id = fields.String(required=True, metadata={"description": "The signing key's note key id (8 hex digits)."})
    created = fields.DateTime(required=True)


class StatesArgs(PageArgs):
    pass


class CheckpointsArgs(PageArgs):
    page_size = BoundedInteger(minimum=1, maximum=100, load_default=10)


class RecordStateSchema(Schema):
    kind = fields.String(required=True, metadata={"description": "company or worker"})
    log_ref = fields.String(required=True, metadata={"description": "The entries' `subject`."})
    state = fields.Dict(required=True, metadata={
        "description": "The canonical state (with its salt); SHA-256 of its RFC 8785 bytes is the digest."})
    digest = fields.String(required=True)
    entry_index = fields.Integer(allow_none=True, required=True,
                                 metadata={"description": "The record's latest log entry."})


class StatesSchema(Schema):
    origin = fields.String(required=True, metadata={"description": "The log's origin (its key name)."})
    company = fields.Nested(RecordStateSchema, required=True)
    workers = fields.List(fields.Nested(RecordStateSchema), required=True,
                          metadata={"description": "Workers currently employed by the company, by page."})
    page = fields.Integer(required=True)
    page_size = fields.Integer(required=True)
    total = fields.Integer(required=True, metadata={"description": "How many workers in all."})
