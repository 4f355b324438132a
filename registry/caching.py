"""Conditional answers for what the public reads again and again (RFC 9110 validators), for API and pages alike."""
from __future__ import annotations

import hashlib

from flask import Response, request


def etagged(body: bytes, mimetype: str) -> Response:
    """An answer whose ETag hashes the body rendered for today; 304 only when that body is unchanged."""
    etag = hashlib.sha256(body).hexdigest()[:40]
    if request.if_none_match.contains_weak(etag):  # RFC 9110: If-None-Match compares weakly
        resp = Response(status=304)
    else:
        resp = Response(body, mimetype=mimetype)
    resp.set_etag(etag)
    resp.headers["Cache-Control"] = "no-cache"
    return resp
