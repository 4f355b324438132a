"""A request's labels are its route, method and status class: values the code defines, whatever the client sends."""
import pytest

from registry.monitoring.labels import UNMATCHED, accepted_request_id, method_label, route_label, status_label


@pytest.mark.parametrize(("rule", "label"), [
    ("/c/<card_no:card_no>", "/c/{card_no}"),
    ("/api/v1/companies/<uscc:uscc>/workers/<card_no:card_no>", "/api/v1/companies/{uscc}/workers/{card_no}"),
    ("/api/v1/tasks/<int:task_id>", "/api/v1/tasks/{task_id}"),
    ("/static/<path:filename>", "/static/{filename}"),
    ("/log/<ref>", "/log/{ref}"),
    ("/healthz", "/healthz"),
    (None, UNMATCHED),
    ("", UNMATCHED),
])
def test_the_route_label_is_the_template(rule, label):
    assert route_label(rule) == label


@pytest.mark.parametrize(("method", "label"), [
    ("GET", "GET"), ("POST", "POST"), ("DELETE", "DELETE"), ("PROPFIND", "other"), ("JX1234567890", "other"),
])
def test_an_unknown_method_is_other(method, label):
    assert method_label(method) == label


@pytest.mark.parametrize(("status", "label"), [(200, "2xx"), (204, "2xx"), (302, "3xx"), (404, "4xx"),
                                               (422, "4xx"), (503, "5xx"), (999, "other"), (42, "other")])
def test_the_status_class(status, label):
    assert status_label(status) == label


@pytest.mark.parametrize(("header", "kept"), [
    ("0123456789abcdef0123456789abcdef", "0123456789abcdef0123456789abcdef"),  # nginx's $request_id
    ("0123456789ABCDEF0123456789ABCDEF", "0123456789abcdef0123456789abcdef"),
    ("123e4567-e89b-12d3-a456-426614174000", "123e4567-e89b-12d3-a456-426614174000"),
    # What a client could smuggle into the log: a phone, an ID number, a name, anything else.
    ("13957246813", None), ("110101199003078888", None), ("张三", None), ("x" * 32, None),
    ("0123456789abcdef0123456789abcdef0", None), ("", None), (None, None),
])
def test_only_a_proxys_request_id_is_kept(header, kept):
    assert accepted_request_id(header) == kept
