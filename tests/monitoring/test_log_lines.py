"""REGISTRY_LOG_FORMAT=json: one JSON object a line, with the request's id and route (never its path), and an
exception as its type and frames without its message (which can quote personal data)."""
from __future__ import annotations

import json
import logging
import sys

import pytest
from flask import g

from registry.monitoring.logs import JsonLines, RequestFields, formatter

SECRET = "张三 110101199003078888"


def record(msg: str = "hello", exc_info=None) -> logging.LogRecord:
    rec = logging.LogRecord("registry.test", logging.WARNING, __file__, 1, msg, (), exc_info)
    RequestFields().filter(rec)
    return rec


def test_a_line_in_a_request_names_its_id_and_route_not_its_path(app):
    with app.test_request_context("/api/v1/cards/JX8CF3D5T9K2P?lang=en", method="GET"):
        g.request_id = "0" * 32
        line = JsonLines().format(record("card looked up"))
    assert "\n" not in line
    data = json.loads(line)
    assert data["level"] == "WARNING" and data["logger"] == "registry.test" and data["message"] == "card looked up"
    assert data["request_id"] == "0" * 32
    assert data["endpoint"] == "/api/v1/cards/{card_no}" and data["method"] == "GET"
    assert data["time"].startswith("20") and isinstance(data["pid"], int)
    assert "JX8CF3D5T9K2P" not in line


def test_outside_a_request_there_are_no_request_fields():
    data = json.loads(JsonLines().format(record()))
    assert "request_id" not in data and "endpoint" not in data


def test_an_exception_is_its_type_and_frames_without_its_message():
    try:
        raise RuntimeError(f"could not store {SECRET}")
    except RuntimeError:
        rec = record("failed", sys.exc_info())
    line = JsonLines().format(rec)
    data = json.loads(line)
    assert "RuntimeError" in data["exc_info"] and "test_log_lines.py" in data["exc_info"]
    for part in SECRET.split():
        assert part not in line


def test_a_response_carries_its_request_id_and_a_proxys_is_kept(client):
    mine = client.get("/healthz").headers["X-Request-ID"]
    assert len(mine) == 32 and client.get("/healthz").headers["X-Request-ID"] != mine
    assert client.get("/healthz", headers={"X-Request-ID": "a" * 32}).headers["X-Request-ID"] == "a" * 32
    assert client.get("/healthz", headers={"X-Request-ID": "13957246813"}).headers["X-Request-ID"] != "13957246813"


def test_an_unknown_format_refuses_to_start():
    assert isinstance(formatter("text"), logging.Formatter)
    with pytest.raises(ValueError, match="REGISTRY_LOG_FORMAT"):
        formatter("xml")
