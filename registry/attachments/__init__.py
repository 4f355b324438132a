"""Sealed attachments: documents (PDF, JPEG or PNG) a person hands in with an objection or a repair application.

Generic: a row is owned by any dependent row of any aggregate, named by `owner_kind` and `owner_id`; the owner's
aggregate holds each attachment's state HMAC in its canonical state (`state_entries`) and `log verify` opens each
one (`problems`). See `models.Attachment` for how to reuse it.
"""
from . import models  # noqa: F401  (the table)
