"""Credit scores explained, and human review of a score (PIPL art. 24): what the subject and the regulators read,
what the subject files and what a regulator answers. Never for the public: the public sees points and grade only."""
from marshmallow import Schema, fields, validate

from registry.credit.models import REVIEW_DISPUTED_MAX, REVIEW_NOTE_MAX, REVIEW_REASON_MAX, REVIEW_STATES
from registry.credit.rules import POINTS_MAX

from .common import BoundedInteger, ChangeSchema, MessageSchema


class ScoreComponentSchema(Schema):
    kind = fields.String(metadata={"description": "The kind of fact (verified, review, complaint, correction, …), "
                                                  "or `cap` for a cap's own line."})
    ref = fields.String(metadata={"description": "The record it comes from (a public reference; a cap: what it "
                                                 "limits; a grouped review: its day)."})
    group = fields.String(metadata={"description": "base | positive | negative | correction"})
    points = fields.Integer()
    zh = fields.String()
    en = fields.String()
    counts_until = fields.String(allow_none=True, metadata={
        "description": "The last day it counts (ISO date); null while it holds."})
    count = fields.Integer(metadata={"description": "How many records it stands for (1 unless grouped)."})


class ScoreSchema(Schema):
    """A kept score explained: every component, in words, adding up to `points`."""

    points = fields.Integer()
    grade = fields.String(allow_none=True, metadata={"description": "AAA … C for a company; null for a worker."})
    rules_version = fields.String()
    computed_dt = fields.DateTime()
    stands_until = fields.Date(allow_none=True, metadata={
        "description": "The last day these facts give this score; null when no window will move it."})
    components = fields.List(fields.Nested(ScoreComponentSchema))


class DisputedArgs(Schema):
    kind = fields.String(required=True, validate=validate.Length(min=1, max=32))
    ref = fields.String(required=True, validate=validate.Length(min=1, max=64))


class FileScoreReviewArgs(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=REVIEW_REASON_MAX), metadata={
        "description": "Why the score should be reviewed (never public; phone and ID numbers are masked)."})
    disputed = fields.List(fields.Nested(DisputedArgs), load_default=None, allow_none=True,
                           validate=validate.Length(max=REVIEW_DISPUTED_MAX), metadata={
                               "description": "The components disputed, each `kind` and `ref` of the current score; "
                                              "omitted or null: the score as a whole."})


class ScoreReviewFiledSchema(ChangeSchema):
    ref = fields.String()
    state = fields.String()


class AnswerScoreReviewArgs(Schema):
    note = fields.String(required=True, validate=validate.Length(min=1, max=REVIEW_NOTE_MAX), metadata={
        "description": "The answer (shown to the subject; never public)."})
    correction_points = BoundedInteger(minimum=-POINTS_MAX, maximum=POINTS_MAX, strict=True, load_default=None,
                                       allow_none=True, metadata={
                                           "description": "A correction's whole points, not 0, within the rules' "
                                                          "bound (v1: -100 to 100); null: no correction."})
    correction_until = fields.Date(load_default=None, allow_none=True, metadata={
        "description": "The correction's last day (today or later); null: the rules' default_months (12) later."})


class ScoreReviewAnsweredSchema(ChangeSchema):
    ref = fields.String()
    state = fields.String()
    score = fields.Integer(allow_none=True, metadata={"description": "The subject's score after the answer."})


class ScoreReviewListArgs(Schema):
    state = fields.String(load_default=None, validate=validate.OneOf(list(REVIEW_STATES)),
                          metadata={"description": "open (default) or answered."})


class ScoreReviewDeadlineSchema(Schema):
    day = fields.Date()
    provisional = fields.Boolean()
    overdue = fields.Boolean()


class ScoreReviewAgencySchema(Schema):
    code = fields.String()
    name_zh = fields.String()
    name_en = fields.String()


class ScoreCorrectionSchema(Schema):
    points = fields.Integer()
    from_ = fields.Date(data_key="from", attribute="from")
    until = fields.Date()


class ScoreAskedSchema(Schema):
    points = fields.Integer()
    rules_version = fields.String()


class DisputedComponentSchema(Schema):
    kind = fields.String()
    ref = fields.String()


class ScoreReviewSchema(Schema):
    """A review as its subject reads it."""

    ref = fields.String()
    subject_kind = fields.String()
    state = fields.String(metadata={"description": " | ".join(REVIEW_STATES)})
    state_label = fields.Nested(MessageSchema)
    filed_on = fields.Date()
    reason = fields.String()
    disputed = fields.List(fields.Nested(DisputedComponentSchema))
    score = fields.Nested(ScoreAskedSchema, metadata={"description": "The score asked about, when filed."})
    deadline = fields.Nested(ScoreReviewDeadlineSchema, allow_none=True,
                             metadata={"description": "While open: answer by."})
    answered_on = fields.Date(allow_none=True)
    agency = fields.Nested(ScoreReviewAgencySchema, allow_none=True,
                           metadata={"description": "The answering agency."})
    note = fields.String(allow_none=True)
    correction = fields.Nested(ScoreCorrectionSchema, allow_none=True)


class ScoreReviewSubjectSchema(Schema):
    kind = fields.String()
    uscc = fields.String()
    name = fields.String()
    card_no = fields.String()
    name_masked = fields.String()


class RegulatorScoreReviewSchema(ScoreReviewSchema):
    """A review as the regulators who may answer it read it: who asked, too."""

    subject = fields.Nested(ScoreReviewSubjectSchema)
