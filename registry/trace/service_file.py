"""The service file a company uploads: its columns, its rows judged, its template. Pure.

Read like the staff file (`registry.imports.staff_file.read_table` with this
module's `LAYOUT`): a CSV (UTF-8 with or without BOM, or GB18030) or an .xlsx
workbook (first sheet); the first non-blank row is the header, each header
cell a column's Chinese or English name (case, spaces, "_" and "-" ignored),
in any order. Six columns are required, one is optional:

    服务证号 Card number · 服务类型 Service type · 客户手机号 Customer mobile ·
    服务区县 District · 开始时间 Start · 结束时间 End · 例外原因 Override reason (optional)

Cells: the service type as its code or its Chinese or English words
(`trace/vocab.SERVICE_TYPES`); start and end as `YYYY-MM-DD HH:MM` (seconds
allowed, "/" or "." between the date's parts) in Asia/Shanghai time, or ISO
8601 with an offset (`2026-03-01T08:30:00+08:00`, `…Z`). Each row is judged by
`trace.rules.check_service`, the judge of single recording, so the file, the
page and the API refuse the same things with the same codes; the worker's
checks (card known, the company's current employee, card not red) need the
registry and are made by `trace/imports.py`.

No problem ever quotes a cell: a report names row, column and rule, never a
phone. No Flask, no database.
"""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from registry.imports.staff_file import Column, FileError, Layout, RowError
from registry.imports.staff_file.columns import _aliases, _fold, _vocab_labels
from registry.workers import cardno

from . import rules
from .vocab import SERVICE_TYPES

# Asia/Shanghai has kept +08:00 all year since 1992: a fixed offset is exact for every recordable service.
SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")

COLUMNS: list[Column] = [
    Column("card_no", "服务证号", "Card number", True, "text"),
    Column("service_type", "服务类型", "Service type", True, "vocab", labels=_vocab_labels(SERVICE_TYPES),
           aliases=_aliases(_vocab_labels(SERVICE_TYPES))),
    Column("phone", "客户手机号", "Customer mobile", True, "text"),
    Column("district", "服务区县", "District", True, "text"),
    Column("start", "开始时间", "Start", True, "datetime"),
    Column("end", "结束时间", "End", True, "datetime"),
    Column("override_reason", "例外原因", "Override reason", False, "text"),
]
BY_KEY: dict[str, Column] = {c.key: c for c in COLUMNS}
REQUIRED = [c for c in COLUMNS if c.required]
_ORDER = {c.key: i for i, c in enumerate(COLUMNS)}
# Other headers people write for the same columns (folded like the headers themselves).
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "card_no": ("卡号", "家政服务卡号", "服务卡号", "card_no", "card"),
    "service_type": ("服务项目", "type"),
    "phone": ("客户手机号码", "客户手机", "手机号码", "customer_phone", "phone", "mobile"),
    "district": ("区县", "服务区域", "district_served"),
    "start": ("服务开始时间", "start_time", "started"),
    "end": ("服务结束时间", "end_time", "ended"),
    "override_reason": ("原因", "override", "reason"),
}
_BY_HEADER: dict[str, Column] = {}
for _c in COLUMNS:
    for _h in (_c.zh, _c.en, _c.key, *HEADER_ALIASES.get(_c.key, ())):
        if _BY_HEADER.get(_fold(_h), _c) is not _c:
            raise RuntimeError(f"two columns share the header {_h}")
        _BY_HEADER[_fold(_h)] = _c


def column_for_header(text: str) -> Column | None:
    """Return the column a header cell names, or None."""
    return _BY_HEADER.get(_fold(text))


LAYOUT = Layout(BY_KEY, column_for_header, REQUIRED, {}, {},
                FileError("empty_file", "The file has no service rows.", "文件中没有服务记录。"), datetimes=True)


@dataclass(slots=True)
class ServiceRow:
    """One row whose own cells are valid: the worker's card number, and the service judged by the rules."""

    row: int
    card_no: str
    service: rules.CheckedService


class _Bad(Exception):
    def __init__(self, code: str, en: str, zh: str):
        super().__init__(code)
        self.code, self.en, self.zh = code, en, zh


def row_error(row: int, key: str, code: str, en: str, zh: str) -> RowError:
    col = BY_KEY[key]
    return RowError(row, col.zh, col.en, col.key, en, zh, code)


def error_order(e: RowError | FileError) -> tuple:
    """File problems first, then by row and by this file's column order."""
    if isinstance(e, FileError):
        return (0, 0, 0)
    return (1, e.row, _ORDER.get(e.key, len(_ORDER)))


# A local time (date, then hours and minutes, maybe seconds) or an ISO 8601 date-time with its offset.
_LOCAL = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?")
_ISO_OFFSET = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})")
BAD_TIME = ("bad_datetime", "Not a date and time: write it as YYYY-MM-DD HH:MM (Beijing time), e.g. 2026-03-01 08:30.",
            "不是有效的日期时间：请写成 YYYY-MM-DD HH:MM（北京时间），如 2026-03-01 08:30。")


def parse_datetime(text: str) -> datetime:
    """The moment a cell names, in UTC, or raise _Bad (never quoting the cell)."""
    cell = unicodedata.normalize("NFKC", text).strip()
    m = _LOCAL.fullmatch(cell)
    try:
        if m:
            local = datetime(int(m[1]), int(m[2]), int(m[3]), int(m[4]), int(m[5]), int(m[6] or 0), tzinfo=SHANGHAI)
            return local.astimezone(UTC)
        if _ISO_OFFSET.fullmatch(cell):
            return datetime.fromisoformat(cell).astimezone(UTC)
    except (ValueError, OverflowError):
        # OverflowError: the first or last days of the calendar, once moved to UTC.
        raise _Bad("no_such_time", "There is no such day or time.", "该日期或时间不存在。") from None
    raise _Bad(*BAD_TIME)


def _service_type(text: str) -> str:
    code = BY_KEY["service_type"].aliases.get(_fold(text))
    if code is None:
        # The rule's own words and code, as single recording answers an unknown type.
        raise _Bad("service_type_unknown", "Not a known service type; use one of: "
                   + ", ".join(en for _zh, en in SERVICE_TYPES.values()) + ".",
                   "不是可选的服务类型，请填写：" + "、".join(v[0] for v in SERVICE_TYPES.values()) + "。")
    return code


def convert_row(row: int, raw: dict[str, str], *, now: datetime) -> tuple[ServiceRow | None, list[RowError]]:
    """Judge one row's own cells; return the row when they are all valid, and every problem found.

    The service's fields are judged by `rules.check_service` (one problem per
    field at most); a cell that could not be read is reported once, and not
    judged again.
    """
    errors: list[RowError] = []
    card = raw.get("card_no", "")
    number = None
    if not card.strip():
        errors.append(row_error(row, "card_no", "required", "Required: the cell is empty.", "必填项，不能为空。"))
    else:
        checked_card = cardno.validate(card)
        if checked_card.ok:
            number = checked_card.card_no
        else:
            errors.append(row_error(row, "card_no", "card_no_typo" if checked_card.failure == "checksum"
                                    else "card_no_invalid", checked_card.message_en, checked_card.message_zh))
    unread: set[str] = set()
    values: dict[str, object] = {}
    for key, parse in (("service_type", _service_type), ("start", parse_datetime), ("end", parse_datetime)):
        cell = raw.get(key)
        if cell is None or not cell.strip():
            continue
        try:
            values[key] = parse(cell)
        except _Bad as bad:
            errors.append(row_error(row, key, bad.code, bad.en, bad.zh))
            unread.add(key)
    fields = rules.ServiceFields(service_type=values.get("service_type"), phone=raw.get("phone"),
                                 district=raw.get("district"), start=values.get("start"), end=values.get("end"),
                                 override_reason=raw.get("override_reason"))
    service, problems = rules.check_service(fields, now)
    for p in problems:
        if p.field in unread:
            continue
        errors.append(row_error(row, p.field, p.code, p.en, p.zh))
    if errors or service is None or number is None:
        return None, sorted(errors, key=error_order)
    return ServiceRow(row, number, service), []


def convert_table(rows: list[tuple[int, dict[str, str]]], *, now: datetime) -> tuple[list[ServiceRow], list[RowError]]:
    """Judge every row of a read table; consumes `rows` as it goes (a large file's raw cells are its biggest part)."""
    good: list[ServiceRow] = []
    errors: list[RowError] = []
    rows.reverse()
    while rows:
        number, raw = rows.pop()
        data, row_errors = convert_row(number, raw, now=now)
        if data is not None:
            good.append(data)
        errors.extend(row_errors)
    return good, errors


REPORT_HEADERS = ("行 Row", "列 Column", "代码 Code", "原因", "Reason")


def report_csv(errors) -> bytes:
    """The problems as a CSV Excel opens (UTF-8 with BOM): file problems first, then by row and column, each with
    its stable code. No line quotes a cell."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(REPORT_HEADERS)
    for e in sorted(errors, key=error_order):
        if isinstance(e, FileError):
            writer.writerow(["", "", e.code, e.zh, e.en])
        else:
            writer.writerow([e.row, f"{e.column_zh} {e.column_en}", e.code, e.zh, e.en])
    return out.getvalue().encode("utf-8-sig")


def report_lines(report: bytes | None, limit: int) -> tuple[list[dict], int]:
    """The first `limit` lines of a report (header skipped) as dicts, and how many there are."""
    if not report:
        return [], 0
    reader = csv.reader(io.StringIO(report.decode("utf-8-sig")))
    next(reader, None)
    lines, total = [], 0
    for line in reader:
        total += 1
        if len(lines) < limit:
            row, column, code, zh, en = (line + [""] * 5)[:5]
            lines.append({"row": row, "column": column, "code": code, "zh": zh, "en": en})
    return lines, total


def template_csv() -> bytes:
    """The CSV template: the Chinese headers only (UTF-8 with BOM), so no example can ever be imported."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow([c.zh for c in COLUMNS])
    return out.getvalue().encode("utf-8-sig")
