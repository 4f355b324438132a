"""Shared shapes: the error body and the change answer; the input field types every `…Args` schema uses."""
from marshmallow import Schema, fields, validate

INT_MAX = 2**31 - 1
"""The largest integer any input may carry: every INTEGER column of both engines holds it, and an OFFSET of
INT_MAX pages of the largest page still fits the engines' 64-bit OFFSET. Past it is a 422, never an overflow."""


class BoundedInteger(fields.Integer):
    """An integer input that always has a range, so the OpenAPI document declares its `maximum`.

    Python integers have no limit; the databases' do, and an unbounded page number or id once reached them
    (a 500). Every integer in an input schema is one of these.
    """

    def __init__(self, *, minimum: int = 0, maximum: int = INT_MAX, **kwargs):
        if not -INT_MAX <= minimum <= maximum <= INT_MAX:
            raise ValueError(f"the range must lie within -{INT_MAX}..{INT_MAX}")
        extra = kwargs.pop("validate", None) or []
        extra = [extra] if callable(extra) else list(extra)
        super().__init__(validate=[validate.Range(min=minimum, max=maximum), *extra], **kwargs)


class StrictBoolean(fields.Boolean):
    """A JSON boolean: `true` or `false`, never 0, 1, "true" or "yes".

    `fields.Boolean(truthy={True}, falsy={False})` is not enough: 1 == True and 0 == False in Python, so set
    membership would still let the integers through.
    """

    def _deserialize(self, value, attr, data, **kwargs):
        if value is True or value is False:
            return value
        raise self.make_error("invalid", input=value)


class FormBoolean(fields.Boolean):
    """A boolean in a form (multipart or urlencoded), where every value is text: exactly "true" or "false"."""

    def __init__(self, **kwargs):
        super().__init__(truthy={"true"}, falsy={"false"}, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise self.make_error("invalid", input=value)
        return super()._deserialize(value, attr, data, **kwargs)


class PageArgs(Schema):
    """One page of a list: `page` from 1, `page_size` up to 100 (100 unless a subclass says otherwise)."""

    page = BoundedInteger(minimum=1, load_default=1)
    page_size = BoundedInteger(minimum=1, maximum=100, load_default=100)


def pagination_header(page: int, page_size: int, total: int) -> str:
    """The X-Pagination header (JSON text): total, total_pages, first/last/previous/next page and page."""
    import json

    meta: dict = {"total": total, "total_pages": -(-total // page_size)}
    if total:
        meta.update(first_page=1, last_page=meta["total_pages"])
        if page <= meta["total_pages"]:
            meta["page"] = page
            if page > 1:
                meta["previous_page"] = page - 1
            if page < meta["total_pages"]:
                meta["next_page"] = page + 1
    return json.dumps(meta)


PAGINATION_HEADER_DOC = {
    "description": "Pagination, as JSON text: total, total_pages, first_page, last_page, page, previous_page, "
                   "next_page (the page fields are absent when there is nothing to page through).",
    "schema": {"type": "string"},
}


class MessageSchema(Schema):
    zh = fields.String(required=True)
    en = fields.String(required=True)


class ErrorDetailSchema(Schema):
    code = fields.String(required=True, metadata={"description": "A stable error code."})
    message = fields.Nested(MessageSchema, required=True)
    fields = fields.Dict(keys=fields.String(), values=fields.Nested(MessageSchema),
                         metadata={"description": "The fields at fault, each with its message."})


class ErrorSchema(Schema):
    error = fields.Nested(ErrorDetailSchema, required=True)


class ChangeSchema(Schema):
    """Every state-changing call answers with the seq of its log entry."""

    log_index = fields.Integer(required=True, metadata={"description": "The seq of this change's log entry."})

