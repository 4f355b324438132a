"""The public search of published listings and the batch check of USCCs and card numbers."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from registry.accounts.models import SECTORS
from registry.companies.districts import DISTRICTS
from registry.sanctions.rules import KINDS, SEVERITIES
from registry.sanctions.search_terms import Q_MAX

from .common import BoundedInteger, MessageSchema, PageArgs
from .sanctions import PublishedSanctionSchema, SanctionPersonSchema, SanctionSubjectSchema

CHECK_MAX = 1000
ITEM_MAX = 40


class ListingSearchArgs(PageArgs):
    """The filters of the public search; every one optional, all of them combined (AND)."""

    page_size = BoundedInteger(minimum=1, maximum=100, load_default=10)
    q = fields.String(load_default=None, validate=validate.Length(max=Q_MAX), metadata={"description": (
        "A card number (a worker, or a company's sanction naming that worker); a USCC (that company); otherwise a "
        "fragment of a company's name OR a person's exact full name (never a fragment of a person's name).")})
    sector = fields.String(load_default=None, validate=validate.OneOf(SECTORS), metadata={
        "description": "The issuing agency's sector: housekeeping, property or market."})
    district = fields.String(load_default=None, validate=validate.OneOf([d.code for d in DISTRICTS]), metadata={
        "description": "A district code: the company subject's district, or a worker subject's current employer's."})
    kind = fields.String(load_default=None, validate=validate.OneOf(list(KINDS)))
    severity = fields.String(load_default=None, validate=validate.OneOf(list(SEVERITIES)))
    decided_from = fields.Date(load_default=None, metadata={"description": "Decided on or after this day."})
    decided_to = fields.Date(load_default=None, metadata={"description": "Decided on or before this day."})

    @validates_schema
    def _range(self, data, **kwargs):
        lo, hi = data.get("decided_from"), data.get("decided_to")
        if lo is not None and hi is not None and lo > hi:
            raise ValidationError("Must not be before decided_from.", "decided_to")


class ListingSchema(PublishedSanctionSchema):
    """A search result: the published sanction with its subject and named persons, masked."""

    subject = fields.Nested(SanctionSubjectSchema)
    persons = fields.List(fields.Nested(SanctionPersonSchema))


class ListingCheckArgs(Schema):
    items = fields.List(fields.String(validate=validate.Length(max=ITEM_MAX)), required=True,
                        validate=validate.Length(min=1, max=CHECK_MAX), metadata={
                            "description": f"1 to {CHECK_MAX} USCCs or card numbers, in any mix."})


class CheckErrorSchema(Schema):
    code = fields.String(metadata={"description": "card_no_typo or not_uscc_or_card_no."})
    message = fields.Nested(MessageSchema)


class CheckResultSchema(Schema):
    """One item's standing, in the order asked."""

    item = fields.String(metadata={"description": "The item as sent."})
    kind = fields.String(allow_none=True, metadata={"description": "company, worker, or null (not understood)."})
    key = fields.String(allow_none=True, metadata={"description": "The normalised USCC or card number."})
    found = fields.Boolean(metadata={"description": "Registered here."})
    name = fields.String(allow_none=True, metadata={
        "description": "A company's name, or a worker's masked name (never a real name)."})
    listed = fields.Boolean(metadata={
        "description": "A serious-dishonesty listing binds it today (whether or not published yet, as registration "
                       "and attachment are refused)."})
    card_status = fields.String(allow_none=True, metadata={"description": "A worker's card colour today."})
    sanctions = fields.List(fields.Nested(ListingSchema), metadata={
        "description": "Its sanctions published today (as subject, or as a named person), newest first."})
    error = fields.Nested(CheckErrorSchema, allow_none=True, metadata={
        "description": "Why this item was not understood (the other items are still answered)."})


class ListingCheckSchema(Schema):
    as_of = fields.Date()
    results = fields.List(fields.Nested(CheckResultSchema))
