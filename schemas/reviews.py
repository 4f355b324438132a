"""Reviews from real customers: leaving one with the review code, the company's reply and reading, the summaries."""
from marshmallow import Schema, ValidationError, fields, validate

from registry.errors import Msg
from registry.sanctions.objection_rules import ANSWER_MAX
from registry.sanctions.objection_rules import STATES as OBJECTION_STATES
from registry.sanctions.objection_rules import STEPS as OBJECTION_STEPS
from registry.trace import review_rules
from registry.trace.vocab import REVIEW_TAGS

from .common import BoundedInteger, ChangeSchema, MessageSchema
from .objections import ObjectionDeadlineSchema, ObjectionDocumentSchema


def _tags(value: list) -> None:
    """Each tag from the vocabulary, at most TAGS_MAX: the field at fault is `tags` itself, as on the page."""
    if any(t not in REVIEW_TAGS for t in value):
        raise ValidationError(Msg("Choose tags from the list: " + ", ".join(REVIEW_TAGS) + ".",
                                  "请从列表中选择标签。"))
    if len(set(value)) > review_rules.TAGS_MAX:
        raise ValidationError(Msg(f"Choose at most {review_rules.TAGS_MAX} tags.",
                                  f"最多选择 {review_rules.TAGS_MAX} 个标签。"))


class ReviewArgs(Schema):
    reference = fields.String(required=True, validate=validate.Length(min=1, max=40), metadata={
        "description": "The service reference from the text message, such as 1A2B-3C4D-5E6F."})
    code = fields.String(required=True, validate=validate.Length(min=1, max=40), metadata={
        "description": "The review code from the text message (8 characters; dashes and spaces are ignored)."})
    rating = BoundedInteger(required=True, minimum=review_rules.RATING_MIN, maximum=review_rules.RATING_MAX,
                            metadata={"description": "Stars, 1 to 5."})
    tags = fields.List(fields.String(validate=validate.Length(max=40)), load_default=list,
                       validate=_tags, metadata={
                           "description": f"At most {review_rules.TAGS_MAX} tag codes from the vocabulary: "
                                          + ", ".join(REVIEW_TAGS) + "."})
    text = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=review_rules.TEXT_MAX),
                         metadata={"description": f"What happened, at most {review_rules.TEXT_MAX} characters. "
                                                  "Phone and ID numbers in it are masked before it is stored."})


class ReplyArgs(Schema):
    text = fields.String(required=True, validate=validate.Length(min=1, max=review_rules.TEXT_MAX), metadata={
        "description": f"The company's one reply, at most {review_rules.TEXT_MAX} characters; phone and ID numbers "
                       "in it are masked before it is stored."})


class CompanyReviewsArgs(Schema):
    limit = BoundedInteger(load_default=50, minimum=1, maximum=200)
    offset = BoundedInteger(load_default=0)


class TagSchema(MessageSchema):
    code = fields.String()


class TagCountSchema(TagSchema):
    count = fields.Integer(metadata={"description": "Of the newest reviews, how many carry the tag."})


class ReviewSummarySchema(Schema):
    """Every review counts; tags come from the newest ones."""

    count = fields.Integer(metadata={"description": "How many reviews there are (0: no average, no tags)."})
    average = fields.String(allow_none=True, metadata={
        "description": "The mean rating with one decimal, rounded half up, as text (\"4.5\"); null with no "
                       "reviews."})
    recent_tags = fields.List(fields.Nested(TagCountSchema), metadata={
        "description": f"The {review_rules.SUMMARY_TAGS} most frequent tags of the newest "
                       f"{review_rules.RECENT_REVIEWS} reviews, most frequent first, with their words."})
    objection_pending = fields.Boolean(metadata={
        "description": "An objection (异议) to one of the reviews counted here is being handled. A review withdrawn "
                       "by an upheld objection counts nowhere."})


class CompanyReviewSchema(Schema):
    """A review of a service, as its company (or its worker, in self-service) reads it (no household, no code)."""

    service_reference = fields.String(metadata={"description": "The service's public reference (reply with it)."})
    card_no = fields.String()
    name_masked = fields.String()
    service_type = fields.String()
    service_type_label = fields.Nested(MessageSchema)
    district = fields.String()
    start = fields.DateTime()
    end = fields.DateTime()
    rating = fields.Integer()
    tags = fields.List(fields.Nested(TagSchema))
    text = fields.String(allow_none=True, metadata={"description": "Phone and ID numbers masked."})
    reviewed_dt = fields.DateTime()
    reply = fields.String(allow_none=True)
    replied_dt = fields.DateTime(allow_none=True)
    withdrawn_dt = fields.DateTime(allow_none=True, metadata={
        "description": "When an upheld objection (异议) withdrew the review: it then counts in no public summary."})
    objection_pending = fields.Boolean(metadata={"description": "An objection to this review is being handled."})


class WorkerReviewSchema(Schema):
    """A review as its worker reads it (self-service): not when or where the service was (that would tell the
    worker which household wrote it), only the day the review was left."""

    service_reference = fields.String(metadata={"description": "The service's number (object with it)."})
    card_no = fields.String()
    name_masked = fields.String()
    service_type = fields.String()
    service_type_label = fields.Nested(MessageSchema)
    rating = fields.Integer()
    tags = fields.List(fields.Nested(TagSchema))
    text = fields.String(allow_none=True, metadata={"description": "Phone and ID numbers masked."})
    reviewed_on = fields.Date(metadata={"description": "The day the review was left (Asia/Shanghai)."})
    reply = fields.String(allow_none=True, metadata={"description": "The company's reply."})
    withdrawn_dt = fields.DateTime(allow_none=True, metadata={
        "description": "When an upheld objection (异议) withdrew the review: it then counts in no public summary."})
    objection_pending = fields.Boolean(metadata={"description": "An objection to this review is being handled."})


class ReviewLeftSchema(ChangeSchema):
    """The review's log entry (`service:review`, by the anonymous actor)."""


class ReviewObjectionStepArgs(Schema):
    step = fields.String(required=True, validate=validate.OneOf(list(OBJECTION_STEPS)),
                         metadata={"description": " | ".join(OBJECTION_STEPS)})
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=ANSWER_MAX),
                           metadata={"description": "The answer's reasons (required for reject, uphold and dismiss; "
                                                    "stored encrypted)."})
    outcome = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(["withdraw"]),
                            metadata={"description": "For uphold: withdraw (the review leaves every public summary; "
                                                     "a regulator never rewrites a customer's review)."})


class ReviewObjectionChangedSchema(ChangeSchema):
    state = fields.String(metadata={"description": "The objection's new state."})
    review_withdrawn = fields.Boolean(metadata={"description": "Whether the review is now withdrawn."})


class ReviewObjectionSchema(Schema):
    ref = fields.String()
    state = fields.String(metadata={"description": " | ".join(OBJECTION_STATES)})
    state_label = fields.Nested(MessageSchema)
    filed_by_kind = fields.String(metadata={"description": "company or worker."})
    reasons = fields.String()
    documents = fields.List(fields.Nested(ObjectionDocumentSchema))
    filed_on = fields.Date()
    accepted_on = fields.Date(allow_none=True)
    answered_on = fields.Date(allow_none=True)
    answer = fields.String(allow_none=True)
    outcome = fields.String(allow_none=True)
    deadline = fields.Nested(ObjectionDeadlineSchema, allow_none=True)
