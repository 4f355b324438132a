"""One error shape everywhere: {"error": {"code", "message": {"zh", "en"}, "fields"}}."""
from __future__ import annotations

import logging
import math
import re
import time
import traceback

from flask import Flask, g, jsonify, render_template, request
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class Msg(str):
    """An English message that carries its Chinese text (used in validators)."""

    def __new__(cls, en: str, zh: str):
        obj = super().__new__(cls, en)
        obj.zh = zh
        return obj


class ApiError(Exception):
    """A refusal with a stable code and a bilingual message."""

    def __init__(self, status: int, code: str, zh: str, en: str, fields: dict | None = None,
                 headers: list[tuple[str, str]] | None = None):
        super().__init__(code)
        self.status = status
        self.code = code
        self.zh = zh
        self.en = en
        self.fields = fields or {}
        self.headers = headers or []  # a 503's Retry-After


def field_error(field: str, en: str, zh: str, code: str = "invalid_input", status: int = 422) -> ApiError:
    return ApiError(status, code, "输入有误。", "The input is not valid.", {field: {"en": en, "zh": zh}})


def problems_error(problems) -> ApiError:
    """422 naming every field at fault (each a `Problem`: field, code, en, zh): one problem answers with its own
    code, several with `invalid_input`."""
    first = problems[0]
    return ApiError(422, first.code if len(problems) == 1 else "invalid_input", "输入有误。",
                    "The input is not valid.", {p.field: {"en": p.en, "zh": p.zh} for p in problems})


def not_found(what_en: str = "resource", what_zh: str = "资源") -> ApiError:
    return ApiError(404, "not_found", f"找不到该{what_zh}。", f"No such {what_en}.")


def forbidden() -> ApiError:
    return ApiError(403, "forbidden", "无权执行此操作。", "You may not do this.")


# Chinese for marshmallow's and webargs' own messages.
_ZH = [
    (r"^Missing data for required field\.$", "缺少必填字段。"),
    (r"^Unknown field\.$", "未知字段。"),
    (r"^Field may not be null\.$", "该字段不能为空。"),
    (r"^Not a valid string\.$", "不是有效的字符串。"),
    (r"^Not a valid integer\.$", "不是有效的整数。"),
    (r"^Not a valid number\.$", "不是有效的数字。"),
    (r"^Not a valid boolean\.$", "不是有效的布尔值。"),
    (r"^Not a valid date\.$", "不是有效的日期。"),
    (r"^Not a valid datetime\.$", "不是有效的日期时间。"),
    (r"^Not a valid aware datetime\.$", "须为带时区的日期时间（如 2026-05-01T09:00:00+08:00）。"),
    (r"^Not a valid list\.$", "不是有效的列表。"),
    (r"^Not a valid email address\.$", "不是有效的电子邮件地址。"),
    (r"^Not a valid mapping type\.$", "不是有效的对象。"),
    (r"^Invalid input type\.$", "输入类型无效。"),
    (r"^Invalid value\.$", "取值无效。"),
    (r"^Must be one of: (.*)\.$", r"必须是以下之一：\1。"),
    (r"^Length must be between (\d+) and (\d+)\.$", r"长度必须在 \1 到 \2 之间。"),
    (r"^Shorter than minimum length (\d+)\.$", r"长度不能少于 \1。"),
    (r"^Longer than maximum length (\d+)\.$", r"长度不能超过 \1。"),
    (r"^Must be greater than or equal to (.+)\.$", r"必须大于或等于 \1。"),
    (r"^Must be less than or equal to (.+)\.$", r"必须小于或等于 \1。"),
    (r"^Shorter than minimum length", "太短。"),
]


def _zh_for(message: str) -> str:
    zh = getattr(message, "zh", None)
    if zh:
        return zh
    for pattern, repl in _ZH:
        if re.match(pattern, message):
            return re.sub(pattern, repl, message)
    return "取值无效。"


def flatten_messages(messages, prefix: str = "") -> dict:
    """Turn marshmallow's nested messages into {"a.b": {"en", "zh"}}."""
    out: dict = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            if key == "_schema":
                name = prefix or "_schema"
            else:
                name = f"{prefix}.{key}" if prefix else str(key)
            out.update(flatten_messages(value, name))
    elif isinstance(messages, (list, tuple)):
        if messages and all(isinstance(m, str) for m in messages):
            first = messages[0]
            out[prefix or "_schema"] = {"en": str(first), "zh": _zh_for(first)}
        else:
            for item in messages:
                out.update(flatten_messages(item, prefix))
    elif isinstance(messages, str):
        out[prefix or "_schema"] = {"en": str(messages), "zh": _zh_for(messages)}
    return out


def _lone_surrogate(text: str) -> bool:
    # JSON may escape half of a UTF-16 pair (\ud800); such a string cannot be encoded as UTF-8, so no
    # database, HMAC or log line can take it.
    return any("\ud800" <= ch <= "\udfff" for ch in text)


def surrogate_fields(body) -> list[str]:
    """The dotted paths of a JSON body's keys or strings holding a lone surrogate (as `nul_fields`)."""
    return nul_fields(body, bad=_lone_surrogate)


def nul_fields(body, bad=lambda text: "\x00" in text) -> list[str]:
    """The dotted paths (as in `flatten_messages`) of a JSON body's keys or strings holding a NUL character
    (or what `bad` says).

    Iterative: the parser already accepted the nesting, and no recursion limit is spent here.
    """
    out: list[str] = []
    stack = [("", body)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if bad(value):
                out.append(path or "_schema")
        elif isinstance(value, dict):
            for key, item in value.items():
                name = f"{path}.{key}" if path else str(key)
                if bad(str(key)):
                    out.append(name)
                else:
                    stack.append((name, item))
        elif isinstance(value, list):
            stack.extend((f"{path}.{i}" if path else str(i), item) for i, item in enumerate(value))
    return sorted(out)


# A JSON escape of half a UTF-16 pair, which the parser turns into a lone surrogate unless its other half follows.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")

_HTTP = {
    400: ("bad_request", "请求无效。", "The request is not valid."),
    401: ("unauthorized", "需要登录或有效的令牌。", "Authentication is required."),
    403: ("forbidden", "无权执行此操作。", "You may not do this."),
    404: ("not_found", "找不到该页面或资源。", "Not found."),
    405: ("method_not_allowed", "不支持该请求方法。", "This method is not allowed here."),
    409: ("conflict", "与现有记录冲突。", "This conflicts with an existing record."),
    413: ("payload_too_large", "上传内容过大。", "The request body is too large."),
    415: ("unsupported_media_type", "不支持该内容类型。", "Unsupported content type."),
    422: ("invalid_input", "输入有误。", "The input is not valid."),
    429: ("rate_limited", "请求过于频繁，请稍后再试。", "Too many requests; try again later."),
    500: ("internal_error", "服务器内部错误，未保存任何内容。", "Internal error; nothing was stored."),
}


def error_body(code: str, zh: str, en: str, fields: dict | None = None) -> dict:
    return {"error": {"code": code, "message": {"zh": zh, "en": en}, "fields": fields or {}}}


# Machine endpoints outside /api/: their errors are JSON whatever the client accepts.
_JSON_PATHS = ("/healthz", "/readyz", "/metrics", "/log/checkpoint", "/log/key")


def wants_json() -> bool:
    if request.path.startswith(("/api/", "/log/tile/")) or request.path in _JSON_PATHS:
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def retry_after_seconds(headers=None) -> int | None:
    """How long a refused client must wait: the Retry-After being sent, or the limit it ran into."""
    for key, value in headers or ():
        if key.lower() == "retry-after" and str(value).isdigit():
            return int(value)
    from .extensions import limiter

    try:
        current = limiter.current_limit
    except RuntimeError:  # outside a request the limiter knows no limit
        return None
    if current is None or not current.breached:
        return None
    # The limiter's windows run on the real clock (its storage's), not on the registry's movable one.
    return max(1, int(current.reset_at - time.time()))


def respond(status: int, body: dict, headers=None):
    if wants_json():
        resp = jsonify(body)
    else:
        # People are told in minutes when they may try again (the header says it in seconds, for programs).
        wait = retry_after_seconds(headers) if status == 429 else None
        minutes = max(1, math.ceil(wait / 60)) if wait else None
        from flask import make_response

        resp = make_response(render_template("web/error.html", error=body["error"], status=status,
                                             retry_minutes=minutes), status)
    resp.status_code = status
    if headers:
        for k, v in headers:
            resp.headers[k] = v
    return resp


def register(app: Flask) -> None:
    """Install the handlers; call after the API extension so ours win."""

    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError):
        for name, value in exc.headers:
            if name.lower() == "retry-after":
                g.retry_after = value  # over a rate limit's own window (`ratelimits`)
        return respond(exc.status, error_body(exc.code, exc.zh, exc.en, exc.fields), exc.headers)

    @app.errorhandler(ValidationError)
    def _validation(exc: ValidationError):
        code, zh, en = _HTTP[422]
        return respond(422, error_body(code, zh, en, flatten_messages(exc.messages)))

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        status = exc.code or 500
        code, zh, en = _HTTP.get(status, (f"http_{status}", "请求失败。", exc.name or "Request failed."))
        fields = {}
        data = getattr(exc, "data", None) or {}
        messages = data.get("messages") if isinstance(data, dict) else None
        if messages:
            # webargs keys messages by location (json, query, form, …).
            flat = {}
            for _location, msgs in messages.items():
                flat.update(flatten_messages(msgs))
            fields = flat
        if status == 400 and getattr(exc, "description", "") and "CSRF" in str(exc.description):
            code, zh, en = ("csrf_failed", "表单已过期或缺少安全令牌，请刷新后重试。",
                            "The form expired or lacks its CSRF token; reload and try again.")
        headers = [(k, v) for k, v in exc.get_headers() if k.lower() in {"allow", "retry-after", "www-authenticate"}]
        return respond(status, error_body(code, zh, en, fields), headers)

    @app.errorhandler(RecursionError)
    def _too_deep(_exc: RecursionError):
        # JSON nested thousands deep blows the parser's stack: bad input, not our failure.
        from .extensions import db

        db.session.rollback()
        return respond(400, error_body("invalid_json", "请求正文不是有效的 JSON（嵌套过深）。",
                                       "The request body is not valid JSON (nested too deep)."))

    @app.before_request
    def _no_nul_in_the_address():
        # PostgreSQL text cannot hold NUL: such a path or query string can name nothing.
        if "\x00" in request.path:
            raise ApiError(404, "not_found", "未找到。", "Not found.")
        query = request.query_string.decode("latin-1")
        if "\x00" in query or "%00" in query:
            raise ApiError(400, "invalid_input", "查询参数含有空字符。", "A query parameter holds a NUL character.")

    @app.before_request
    def _no_nul_in_the_body():
        # Nor can it store a NUL sent in a JSON string or a form field: without this, such a value passes every
        # check (SQLite even stores it) and PostgreSQL fails the transaction with a 500. Files are bytes, not text.
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return
        if request.is_json:
            raw = request.get_data(cache=True)
            if _SURROGATE_ESCAPE.search(raw):
                halves = surrogate_fields(request.get_json(silent=True))
                if halves:
                    # A 500 otherwise, wherever the string is first encoded (the regulator's note did).
                    raise ApiError(422, "invalid_input", "输入有误。", "The input is not valid.",
                                   {f: {"en": "Must be text: holds half of a UTF-16 pair (\\ud800-\\udfff).",
                                        "zh": "含有无效的字符编码。"} for f in halves})
            if b"\\u0000" not in raw:
                return
            at_fault = nul_fields(request.get_json(silent=True))
        else:
            # A part without a name comes as the key None (werkzeug): it names no field, its values are still read.
            at_fault = [key or "" for key, values in request.form.lists()
                        if "\x00" in (key or "") or any("\x00" in v for v in values)]
        if at_fault:
            raise ApiError(422, "invalid_input", "输入有误。", "The input is not valid.",
                           {f: {"en": "Must not contain a NUL character.", "zh": "不能包含空字符。"}
                            for f in at_fault})

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        from .database import unavailable

        if unavailable(exc):
            return database_unavailable(exc)
        # Nothing about the request's data reaches the log: only the type and where.
        # Frames only: exception messages (a database error, say) can quote the
        # submitted values, and personal data never reaches the log.
        frames = "".join(traceback.format_tb(exc.__traceback__))
        log.error("unhandled %s at %s %s\n%s", type(exc).__name__, request.method, request.url_rule, frames)
        from .extensions import db

        db.session.rollback()
        code, zh, en = _HTTP[500]
        return respond(500, error_body(code, zh, en))


# How long a client is asked to wait when the database is out: PostgreSQL restarts in about a second.
DATABASE_RETRY_SECONDS = 5


def database_unavailable(exc: Exception):
    """503 `database_unavailable` with Retry-After, for an outage of the database (`database.unavailable`): clients
    and monitors can tell it from a bug (500), and retry. Nothing was stored: the transaction is gone with its
    connection, or rolled back here. Also /healthz's answer when its SELECT 1 fails, so a load balancer and a
    client read one outage the same way."""
    from .extensions import db

    log.warning("database unavailable (%s) at %s %s", type(getattr(exc, "orig", exc)).__name__, request.method,
                request.url_rule)
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 — the connection may be gone too; the session is reset with the request
        db.session.remove()
    g.retry_after = DATABASE_RETRY_SECONDS  # over a rate limit's own Retry-After (`ratelimits`)
    return respond(503, error_body("database_unavailable", "数据库暂时无法访问，未保存任何内容，请稍后重试。",
                                   "The database cannot be reached just now; nothing was stored. Try again shortly."),
                   [("Retry-After", str(DATABASE_RETRY_SECONDS))])
