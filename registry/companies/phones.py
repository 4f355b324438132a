"""A company's public service phone: which numbers count, and the one way each is written.

Pure: no Flask, no database. The number is the company's public line, not a
person's: it is stored and shown in clear (docs/privacy.md). Accepted: a
mainland mobile (11 digits, an optional +86 or 86 before it), a landline with
its area code (01x and 02x codes have 3 digits, every other code 4; the number
7 or 8 digits), and the nationwide 400/800 service numbers companies publish.
Spaces, dashes, dots and brackets between digits are ignored.
"""
from __future__ import annotations

import re

MAX_LENGTH = 30

_NOISE = re.compile(r"[\s\-.()（）]")
# Explicit ASCII classes: \d would accept other scripts' digits.
_MOBILE = re.compile(r"(?:\+?86)?(1[3-9][0-9]{9})")
_LANDLINE = re.compile(r"(0[12][0-9]|0[3-9][0-9]{2})([1-9][0-9]{6,7})")
_SERVICE = re.compile(r"([48]00)([0-9]{3})([0-9]{4})")


def normalise(raw: str | None) -> str | None:
    """The number as shown and stored (`13812345678`, `028-85123456`, `400-123-4567`), or None if none of those."""
    if raw is None or len(raw) > MAX_LENGTH:
        return None
    text = _NOISE.sub("", raw)
    if m := _MOBILE.fullmatch(text):
        return m.group(1)
    if m := _LANDLINE.fullmatch(text):
        return f"{m.group(1)}-{m.group(2)}"
    if m := _SERVICE.fullmatch(text):
        return "-".join(m.groups())
    return None
