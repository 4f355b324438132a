"""The labels a request's metrics carry: the route it matched, never the path it asked for.

A path carries card numbers, USCCs and refs: as a label it would put them in every scrape and give Prometheus a
series per card. The route (`/api/v1/cards/{card_no}`) is one of a few hundred the code defines. Pure: no Flask.
"""
from __future__ import annotations

import re

# Anything else a client may send as a method becomes "other": a label's values must stay few.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# A request that matched no route (a 404, a 405): one value for all of them, whatever the path.
UNMATCHED = "unmatched"

_PARAMETER = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def route_label(rule: str | None) -> str:
    """The route's template as the OpenAPI document writes it: `/c/<card_no:card_no>` → `/c/{card_no}`."""
    if not rule:
        return UNMATCHED
    return _PARAMETER.sub(r"{\1}", rule)


def method_label(method: str) -> str:
    return method if method in METHODS else "other"


def status_label(status: int) -> str:
    """The status class: `2xx`, `4xx`, … (the endpoint says which; the class says whether it went well)."""
    return f"{status // 100}xx" if 100 <= status <= 599 else "other"


# An id a proxy in front made (nginx's $request_id: 32 hex digits) or a UUID: kept, so one id follows the request
# through both logs. Anything else a client sends is replaced, never logged: a header is as free as a path.
_REQUEST_ID = re.compile(r"[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def accepted_request_id(header: str | None) -> str | None:
    """The request id a proxy sent in `X-Request-ID`, when it has one of the shapes proxies make; else None."""
    if header and _REQUEST_ID.fullmatch(header.strip().lower()):
        return header.strip().lower()
    return None
