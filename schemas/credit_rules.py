"""Credit rules (信用积分规则): adopting a version, and what anyone sees of the versions and their adoptions."""
from marshmallow import Schema, fields, validate

from registry.credit.models import ADOPTION_REASON_MAX

from .common import ChangeSchema


class AdoptRulesArgs(Schema):
    version = fields.String(required=True, validate=validate.Length(min=1, max=16), metadata={
        "description": "The version to adopt (v2, …): its file `vN.toml` must be in the rules folder and load whole."})
    reason = fields.String(required=True, validate=validate.Length(min=1, max=ADOPTION_REASON_MAX), metadata={
        "description": "Why it is adopted: the decision it follows (issuer and number). Public, in the log."})


class RulesAdoptedSchema(ChangeSchema):
    version = fields.String()
    previous_version = fields.String()
    task_id = fields.Integer(metadata={"description": "The recompute task: poll /api/v1/tasks/{task_id}."})


class InForceSchema(Schema):
    version = fields.String()
    adopted_dt = fields.DateTime(allow_none=True, metadata={"description": "Null while no adoption is recorded."})
    by_adoption = fields.Boolean(metadata={
        "description": "False while no adoption is recorded: the version in force is then the one in code."})


class RulesVersionSchema(Schema):
    version = fields.String()
    in_force = fields.Boolean()
    valid = fields.Boolean(metadata={"description": "Whether its file loads whole (only a valid one is adopted)."})
    problem = fields.String(allow_none=True, metadata={"description": "The key at fault and why, when not valid."})


class AdoptionSchema(Schema):
    version = fields.String()
    previous_version = fields.String()
    reason = fields.String()
    sha256 = fields.String(metadata={"description": "The SHA-256 of the version's file as adopted."})
    adopted_dt = fields.DateTime()


class RecomputeProgressSchema(Schema):
    done = fields.Integer()
    total = fields.Integer(allow_none=True)
    percent = fields.Integer(allow_none=True)


class RecomputeSchema(Schema):
    task_id = fields.Integer()
    version = fields.String(allow_none=True)
    state = fields.String(metadata={"description": "queued, running, done or failed"})
    progress = fields.Nested(RecomputeProgressSchema, metadata={
        "description": "Companies and workers done, of all."})
    result = fields.Raw(allow_none=True, metadata={
        "description": "`companies`, `companies_total`, `workers`, `workers_total` and `version` once a batch ran."})
    created_dt = fields.DateTime()
    finished_dt = fields.DateTime(allow_none=True)


class RulesStatusSchema(Schema):
    in_force = fields.Nested(InForceSchema)
    code_version = fields.String(metadata={"description": "The version in code, in force while none is adopted."})
    versions = fields.List(fields.Nested(RulesVersionSchema), metadata={"description": "Oldest first."})
    adoptions = fields.List(fields.Nested(AdoptionSchema), metadata={"description": "Newest first."})
    recompute = fields.Nested(RecomputeSchema, allow_none=True, metadata={
        "description": "The latest adoption's recompute of every score; null before any adoption."})
