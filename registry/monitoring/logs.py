"""The registry's log lines: text by default, one JSON object a line with `REGISTRY_LOG_FORMAT=json`
(python-json-logger), for the web processes and the jobs process alike.

Each JSON line holds `time` (UTC, ISO 8601), `level`, `logger`, `message`, `pid`, and in a request its
`request_id`, `endpoint` (the route, never the path: a path carries card numbers) and `method`. An exception is
written as its type and frames only, as the registry's own error lines already are: an exception's message can
quote the values that caused it, and personal data never reaches a log (docs/privacy.md).

Under gunicorn, `--logger-class registry.monitoring.logs.GunicornLogger` gives gunicorn's own lines (its error
log and the access log, which names the path only: see the README) the same shape.
"""
from __future__ import annotations

import logging
import os
import sys
import traceback

from pythonjsonlogger.json import JsonFormatter

from .labels import route_label

FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Marks the one handler the registry installs on the root logger, so a second create_app in a process (the
# tests) changes its format rather than adding another.
_OURS = "_jiaxin_handler"


class RequestFields(logging.Filter):
    """Adds the request's id, route and method to a record logged while a request is handled."""

    def filter(self, record: logging.LogRecord) -> bool:
        from flask import g, has_request_context, request

        if has_request_context():
            record.request_id = g.get("request_id")
            rule = request.url_rule.rule if request.url_rule is not None else None
            record.endpoint = route_label(rule)
            record.method = request.method
        return True


class JsonLines(JsonFormatter):
    """One JSON object a line; exceptions as their type and frames, without their message."""

    def __init__(self):
        super().__init__(["levelname", "name", "message", "process"], timestamp="time", json_ensure_ascii=False,
                         rename_fields={"levelname": "level", "name": "logger", "process": "pid"})

    def formatException(self, ei) -> str:  # noqa: N802 — logging's name
        kind, _value, tb = ei
        return "".join(traceback.format_tb(tb)) + (kind.__name__ if kind else "")


def formatter(fmt: str) -> logging.Formatter:
    if fmt not in FORMATS:
        raise ValueError(f"REGISTRY_LOG_FORMAT must be one of {', '.join(FORMATS)}, not {fmt!r}")
    return JsonLines() if fmt == "json" else logging.Formatter(TEXT_FORMAT)


def configure(fmt: str) -> None:
    """Log INFO and above to stderr in `fmt`. A root logger someone else configured (pytest, a logging config
    file) keeps its handlers; the registry's own handler is installed once and reformatted after."""
    root = logging.getLogger()
    ours = [h for h in root.handlers if getattr(h, _OURS, False)]
    if ours:
        handler = ours[0]
    elif root.handlers:
        return
    else:
        handler = logging.StreamHandler(sys.stderr)
        setattr(handler, _OURS, True)
        handler.addFilter(RequestFields())
        root.addHandler(handler)
        root.setLevel(logging.INFO)
    handler.setFormatter(formatter(fmt))


try:
    from gunicorn.glogging import Logger as _GunicornLogger
except ImportError:  # pragma: no cover — gunicorn is pinned; a machine without it simply has no such class
    _GunicornLogger = object


class GunicornLogger(_GunicornLogger):
    """gunicorn's logger, writing its error and access lines in `REGISTRY_LOG_FORMAT` too."""

    def setup(self, cfg):
        super().setup(cfg)
        fmt = os.environ.get("REGISTRY_LOG_FORMAT", "text")
        if fmt == "json":
            for log in (self.error_log, self.access_log):
                for handler in log.handlers:
                    handler.setFormatter(formatter(fmt))
