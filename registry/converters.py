"""URL converters of the API's path parameters, each documented in the OpenAPI document as what it accepts."""
from __future__ import annotations

import re

from werkzeug.routing import BaseConverter, IntegerConverter

from .companies import uscc
from .workers import cardno

_CHAR = "[" + re.escape(uscc.ALPHABET) + "]"  # cards use the USCC's alphabet too


class BoundedInt(IntegerConverter):
    """`<int:…>` ids stop at the largest 32-bit integer: beyond it is a 404, not a database overflow (500)."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


class CardNoConverter(BaseConverter):
    """`<card_no:…>`: a card number as people type it (case, spaces and dashes are forgiven by the services,
    which answer a malformed number with 422 `card_no_invalid` and a probable typo with `card_no_typo`).

    The document declares the canonical form, so a client generated from it sends only that.
    """

    regex = "[^/]{1,64}"
    PATTERN = f"^{cardno.PREFIX}{_CHAR}{{{cardno.LENGTH - len(cardno.PREFIX)}}}$"


class UsccConverter(BaseConverter):
    """`<uscc:…>`: a unified social credit code, at least 18 characters as typed.

    Normalising only drops spaces and folds full-width characters, so nothing shorter can be a USCC; the
    length also keeps the static routes beside it (`/companies/reviewed`) from being taken for a code, which
    made OPTIONS on them advertise the company's methods.
    """

    regex = f"[^/]{{{uscc.LENGTH},64}}"
    PATTERN = f"^{_CHAR}{{{uscc.LENGTH}}}$"


class RefConverter(BaseConverter):
    """`<ref:…>`: a record's public reference, 32 lowercase hex characters (models.new_ref); anything else names
    nothing (404). Declared, so a client or fuzzer knows the shape and a static route beside it (`/bulletins/keys`)
    is never taken for one."""

    regex = "[0-9a-f]{32}"
    PATTERN = "^[0-9a-f]{32}$"


class ServiceReferenceConverter(BaseConverter):
    """`<service_reference:…>`: a service's public reference as the customer reads it (1A2B-3C4D-5E6F) or without
    its dashes, either case (trace/services.py normalise_reference); anything else names nothing (404)."""

    regex = "[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}"
    PATTERN = "^[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}$"


def register(app, api) -> None:
    app.url_map.converters.update(int=BoundedInt, card_no=CardNoConverter, uscc=UsccConverter, ref=RefConverter,
                                  service_reference=ServiceReferenceConverter)
    api.register_converter(BoundedInt, lambda _c: {"type": "integer", "minimum": 0, "maximum": 2**31 - 1})
    api.register_converter(CardNoConverter, lambda _c: {
        "type": "string", "pattern": CardNoConverter.PATTERN,
        "description": "A card number: JX, ten characters and a check character (written so; the registry also "
                       "forgives lower case, spaces and dashes)."})
    api.register_converter(UsccConverter, lambda _c: {
        "type": "string", "pattern": UsccConverter.PATTERN,
        "description": "A unified social credit code: 18 characters (written so; the registry also forgives lower "
                       "case and spaces)."})
    api.register_converter(RefConverter, lambda _c: {
        "type": "string", "pattern": RefConverter.PATTERN, "description": "A public reference: 32 lowercase hex."})
    api.register_converter(ServiceReferenceConverter, lambda _c: {
        "type": "string", "pattern": ServiceReferenceConverter.PATTERN,
        "description": "A service's public reference, as its customer's text message gives it (the registry also "
                       "forgives lower case and missing dashes)."})
