"""The red list (守信激励): its filters and one firm on it."""
from marshmallow import Schema, fields, validate

from registry.accounts.models import SECTORS
from registry.companies.districts import DISTRICTS
from registry.credit.red_list import REASONS

from .commendations import CommendationSchema
from .common import BoundedInteger, PageArgs


class RedListArgs(PageArgs):
    """The filters of the red list; both optional, combined (AND)."""

    page_size = BoundedInteger(minimum=1, maximum=100, load_default=20)
    sector = fields.String(load_default=None, validate=validate.OneOf(SECTORS), metadata={
        "description": "A sector the firm is in: housekeeping, property or market."})
    district = fields.String(load_default=None, validate=validate.OneOf([d.code for d in DISTRICTS]), metadata={
        "description": "The firm's district code."})


class RedListRowSchema(Schema):
    """A firm on the red list today: public facts only."""

    uscc = fields.String()
    name = fields.String()
    sectors = fields.List(fields.String())
    district = fields.String()
    district_name = fields.Dict()
    grade = fields.String(allow_none=True, metadata={"description": "The kept credit grade (null: none kept yet)."})
    score = fields.Integer(allow_none=True, metadata={"description": "The kept credit score (null: none kept yet)."})
    commendations = fields.List(fields.Nested(CommendationSchema), metadata={
        "description": "The firm's commendations in force today, newest first."})
    reasons = fields.List(fields.String(validate=validate.OneOf(REASONS)), metadata={
        "description": "Why it is listed: `aaa` (graded AAA), `commended` (a commendation in force), or both."})
