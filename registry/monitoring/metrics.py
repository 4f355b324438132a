"""Request latency by route, and the exposition of every metric in Prometheus's text format (prometheus_client).

gunicorn serves with several worker processes, each counting its own requests. With `PROMETHEUS_MULTIPROC_DIR`
set (prometheus_client's own variable, read when it is first imported), each worker writes its counts to files
there and a scrape of any worker adds up all of them: the honest totals. Without it, each process answers its own
counts (one process: `flask run`, the tests). The gauges read from the database at scrape time (`gauges.py`) are
the same whichever worker answers, so they are not written there.
"""
from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

from flask import Flask, g, request
from prometheus_client import REGISTRY, CollectorRegistry, Histogram, generate_latest, multiprocess

from .labels import accepted_request_id, method_label, route_label, status_label

MULTIPROC_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"

REQUEST_SECONDS = Histogram(
    "jiaxin_http_request_duration_seconds",
    "Time to answer a request, by the route it matched (never its path), method and status class.",
    ["endpoint", "method", "status"],
    # From a cached card look-up (a few ms) to a bulletin rendered in the request (seconds).
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)

_STARTED = "jiaxin.started"


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_VARIABLE) or None


def instrument(app: Flask) -> None:
    """Time every request and give it an id. Call before any other hook is installed: a hook that refuses the
    request (a NUL in the path) must find the clock already running."""
    folder = multiprocess_dir()
    if folder:
        # prometheus_client writes its files there from the first request on; it does not make the folder.
        Path(folder).mkdir(mode=0o700, parents=True, exist_ok=True)

    @app.before_request
    def _start_timer():
        request.environ[_STARTED] = time.perf_counter()
        g.request_id = accepted_request_id(request.headers.get("X-Request-ID")) or uuid.uuid4().hex

    @app.after_request
    def _observe(response):
        started = request.environ.pop(_STARTED, None)
        if started is not None:
            rule = request.url_rule.rule if request.url_rule is not None else None
            REQUEST_SECONDS.labels(route_label(rule), method_label(request.method),
                                   status_label(response.status_code)).observe(time.perf_counter() - started)
        request_id = g.get("request_id")
        if request_id:
            response.headers["X-Request-ID"] = request_id
        return response


class _Forward:
    """This process's own metrics (the request histogram, the process's memory and CPU), for a scrape registry."""

    def collect(self):
        yield from REGISTRY.collect()


def exposition(families) -> bytes:
    """Every metric in the text format: the requests (every worker's, in multiprocess mode), then `families`."""
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess_dir():
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_Forward())
    registry.register(_Fixed(families))
    return generate_latest(registry)


class _Fixed:
    def __init__(self, families):
        self._families = list(families)

    def collect(self):
        return iter(self._families)
