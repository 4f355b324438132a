"""Reading an uploaded staff file (CSV in Excel's encodings, or .xlsx) into a header and rows of cells."""
from __future__ import annotations

import codecs
import csv
import io
import re
import warnings
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time

from registry.workers.vocab import RECORD_KINDS

from .columns import BY_KEY, GROUPS, PERSON_COLUMNS, Column, FileError, _letter, column_for_header

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 200_000
# An .xlsx is compressed XML; this bounds what a small file may unpack to (zip bombs).
MAX_UNPACKED_BYTES = 250 * 1024 * 1024
# Cells beyond this column are not read at all.
MAX_COLUMNS = 100
# How much of a file decides whether it is text at all.
SNIFF_BYTES = 64 * 1024

XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls (and WPS .et)


@dataclass(frozen=True)
class Layout:
    """What one kind of file looks like: its columns, how a header names them, its groups and words.

    The staff file is `STAFF`; another file the registry reads the same way
    (the service file, `registry/trace/service_file.py`) brings its own.
    """

    by_key: dict[str, Column]
    column_for_header: Callable[[str], Column | None]
    required: list[Column]
    # Optional all-or-nothing column groups, and each group's words (zh, en).
    groups: dict[str, list[Column]]
    group_words: dict[str, tuple[str, str]]
    # The refusal of a file with a header and no data rows.
    empty: FileError
    # Render an .xlsx date-time cell with its time (YYYY-MM-DD HH:MM[:SS]) rather than its date alone.
    datetimes: bool = False


STAFF = Layout(BY_KEY, column_for_header, PERSON_COLUMNS, GROUPS, RECORD_KINDS,
               FileError("empty_file", "The file has no staff rows.", "文件中没有人员数据。"))


class NumberCell(str):
    """The text of an .xlsx cell Excel stored as a number (an ID number there has lost digits)."""

    __slots__ = ()


@dataclass
class Table:
    """A read file: its header, its non-blank rows as {column key: text}, and file errors.

    A row's dict holds only its filled cells. When `errors` is not empty, the
    file is refused as a whole and `rows` is empty.
    """

    format: str                                  # csv | xlsx | "" (not read)
    encoding: str | None = None                  # for CSV: utf-8-sig | utf-8 | gb18030
    headers: list[str] = field(default_factory=list)
    columns: list[Column] = field(default_factory=list)  # the recognised columns, in file order
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)

    @property
    def groups(self) -> list[str]:
        """List the qualification groups the file carries."""
        return [g for g in GROUPS if any(c.group == g for c in self.columns)]


def _refuse(code: str, en: str, zh: str, fmt: str = "", encoding: str | None = None) -> Table:
    return Table(format=fmt, encoding=encoding, errors=[FileError(code, en, zh)])


SAVE_AS = ("Save it from Excel as “CSV UTF-8” or as an .xlsx workbook, or start from the template.",
           "请在 Excel 中另存为“CSV UTF-8”或 .xlsx 工作簿，或使用模板。")


def read_table(data: bytes, filename: str = "", layout: Layout = STAFF) -> Table:
    """Read an uploaded file (the staff file unless another `layout` is given); never raises on bad content."""
    if len(data) > MAX_BYTES:
        return _refuse("too_large", f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB; split it.",
                       f"文件超过 {MAX_BYTES // (1024 * 1024)} MB，请拆分后分批导入。")
    if not data.removeprefix(codecs.BOM_UTF8).strip():
        return _empty(layout)
    if data.startswith(XLSX_MAGIC):
        return _read_xlsx(data, layout)
    if data.startswith(OLE_MAGIC):
        return _refuse("not_a_table", "Old Excel files (.xls) cannot be read. " + SAVE_AS[0],
                       "无法读取旧版 Excel 文件（.xls）。" + SAVE_AS[1])
    if filename.lower().endswith((".xlsx", ".xlsm")):
        return _refuse("not_a_table", "The file is named .xlsx but is not an Excel workbook. " + SAVE_AS[0],
                       "文件名为 .xlsx，但内容不是 Excel 工作簿。" + SAVE_AS[1])
    if _is_utf16(data[:SNIFF_BYTES]):
        # Excel's "Unicode text" export.
        return _refuse("wrong_encoding", "The file is in UTF-16 (“Unicode text”). " + SAVE_AS[0],
                       "文件为 UTF-16 编码（“Unicode 文本”）。" + SAVE_AS[1])
    if _looks_binary(data[:SNIFF_BYTES]):
        # Decided on a sample, so megabytes of garbage are refused without decoding them.
        return _refuse("not_a_table", "The file is neither a CSV nor an .xlsx table. " + SAVE_AS[0],
                       "文件既不是 CSV 也不是 .xlsx 表格。" + SAVE_AS[1])
    decoded = _decode(data)
    if decoded is None:
        return _refuse("wrong_encoding", "The file is neither UTF-8 nor GB18030 text. " + SAVE_AS[0],
                       "文件编码既不是 UTF-8 也不是 GB18030。" + SAVE_AS[1])
    text, encoding = decoded
    if text.lstrip().startswith("<"):
        return _refuse("not_a_table", "The file is a web page or XML, not a table. " + SAVE_AS[0],
                       "文件是网页或 XML，不是表格。" + SAVE_AS[1], "csv", encoding)
    return _read_csv(text, encoding, layout)


def _empty(layout: Layout) -> Table:
    return Table(format="", errors=[layout.empty])


def _is_utf16(sample: bytes) -> bool:
    if not sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    try:
        # Random bytes with that prefix fail on a lone surrogate long before 64 KB.
        codecs.getincrementaldecoder("utf-16")().decode(sample, final=False)
    except UnicodeDecodeError:
        return False
    return True


_CONTROL_BYTES = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])


def _looks_binary(sample: bytes) -> bool:
    """Tell binary from text: text in UTF-8 or GB18030 has no NUL and hardly any control bytes."""
    if b"\x00" in sample:
        return True
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    return controls > max(8, len(sample) // 100)


def _decode(data: bytes) -> tuple[str, str] | None:
    """Decode as Excel writes CSV: UTF-8 with BOM ("CSV UTF-8"), UTF-8, else GB18030 ("CSV" on Chinese Windows)."""
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data.decode("utf-8-sig"), "utf-8-sig"
        except UnicodeDecodeError:
            return None
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return None


def _read_csv(text: str, encoding: str, layout: Layout) -> Table:
    end = text.find("\n")
    first_line = text if end < 0 else text[:end]
    # Excel writes commas; some locales semicolons; pasted sheets tabs.
    delimiter = max((",", "\t", ";"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = enumerate(reader, start=1)
    try:
        return _build("csv", encoding, rows, layout, fallback=(encoding == "gb18030"))
    except csv.Error:
        return _refuse("not_a_table", f"The file cannot be read as CSV near row {reader.line_num}. " + SAVE_AS[0],
                       f"文件在第 {reader.line_num} 行附近无法按 CSV 读取。" + SAVE_AS[1], "csv", encoding)


def _read_xlsx(data: bytes, layout: Layout) -> Table:
    unreadable = ("not_a_table", "The file cannot be opened as an .xlsx workbook. " + SAVE_AS[0],
                  "无法作为 .xlsx 工作簿打开该文件。" + SAVE_AS[1], "xlsx")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return _refuse(*unreadable)
    if unpacked > MAX_UNPACKED_BYTES:
        return _refuse("too_large", "The workbook is too large once unpacked; split it.",
                       "工作簿解压后过大，请拆分后分批导入。", "xlsx")
    import openpyxl  # only here: CSV uploads should not pay for importing it

    workbook = None
    try:
        with warnings.catch_warnings():
            # openpyxl warns about styles and extensions it ignores; none matters for reading values.
            warnings.simplefilter("ignore")
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            if not workbook.worksheets:
                return _refuse(*unreadable)
            sheet = workbook.worksheets[0]
            # Some writers record a wrong sheet size; read what is really there.
            sheet.reset_dimensions()
            rows = ((n, [_cell_text(v, layout.datetimes) for v in values])
                    for n, values in enumerate(sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS), start=1))
            return _build("xlsx", None, rows, layout, fallback=False)
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds of error on a malformed workbook
        return _refuse(*unreadable)
    finally:
        if workbook is not None:
            workbook.close()


def _cell_text(value, datetimes: bool = False) -> str:
    """Render an .xlsx cell value as a CSV export would show it (a date-time as its date, unless `datetimes`)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        if datetimes:
            return value.strftime("%Y-%m-%d %H:%M:%S" if value.second else "%Y-%m-%d %H:%M")
        return value.date().isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, int):
        return NumberCell(str(value))
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return NumberCell(str(int(value)))
        return NumberCell(repr(value))
    return str(value).strip()


def _build(fmt: str, encoding: str | None, rows: Iterator[tuple[int, list[str]]], layout: Layout, *,
           fallback: bool) -> Table:
    """Find the header, map it to columns and collect the filled cells of every non-blank row."""
    table = Table(format=fmt, encoding=encoding)
    positions: dict[int, str] | None = None
    unnamed: dict[int, int] = {}  # column index without a header → first row with data there
    count = 0
    for number, cells in rows:
        if not any(cell.strip() for cell in cells):
            continue
        if positions is None:
            table.headers = [cell.strip() for cell in cells]
            positions, table.errors = _map_header(table.headers, layout, fallback=fallback)
            if table.errors:
                return table
            table.columns = [layout.by_key[positions[i]] for i in sorted(positions)]
            continue
        count += 1
        if count > MAX_ROWS:
            table.rows = []
            table.errors = [FileError("too_many_rows", f"The file has more than {MAX_ROWS:,} rows; split it.",
                                      f"文件超过 {MAX_ROWS} 行，请拆分后分批导入。")]
            return table
        raw = {}
        for i, cell in enumerate(cells):
            if not cell.strip():
                continue
            key = positions.get(i)
            if key is None:
                unnamed.setdefault(i, number)
                continue
            raw[key] = cell if isinstance(cell, NumberCell) else cell.strip()
        table.rows.append((number, raw))
    if positions is None or not table.rows:
        return _empty(layout)
    if unnamed:
        table.rows = []
        table.errors = [FileError("extra_column", f"Column {_letter(i)} has data (from row {n}) but no header.",
                                  f"第 {_letter(i)} 列没有表头却有数据（从第 {n} 行起）。")
                        for i, n in sorted(unnamed.items())]
    return table


def _quote_header(text: str) -> str:
    """Quote a header cell for a message: shortened, and not at all if it holds a number that might be personal."""
    if re.search(r"\d{6,}", text):
        return ""
    return f"“{text[:30]}”"


def _map_header(headers: list[str], layout: Layout, *, fallback: bool) -> tuple[dict[int, str], list[FileError]]:
    """Map header cells to column keys by position, or say why the header is not acceptable."""
    positions: dict[int, str] = {}
    seen: dict[str, int] = {}
    errors: list[FileError] = []
    unknown: list[int] = []
    for i, text in enumerate(headers):
        if not text:
            continue
        col = layout.column_for_header(text)
        if col is None:
            unknown.append(i)
        elif col.key in seen:
            first = _letter(seen[col.key])
            errors.append(FileError(
                "duplicate_column",
                f"The column “{col.en}” ({col.zh}) appears twice: columns {first} and {_letter(i)}.",
                f"“{col.zh}”列出现了两次：第 {first} 列和第 {_letter(i)} 列。"))
        else:
            seen[col.key] = i
            positions[i] = col.key
    if not positions:
        if fallback:
            # Read as GB18030 and nothing matches: most likely another encoding (Big5, say) turned to nonsense.
            return {}, [FileError("wrong_encoding",
                                  "None of the column names can be read: the file is probably in an encoding other "
                                  "than UTF-8 or GB18030, or has no header row. " + SAVE_AS[0],
                                  "无法识别任何列名：文件可能不是 UTF-8 或 GB18030 编码，或缺少表头行。" + SAVE_AS[1])]
        return {}, [FileError("no_header", "The first row must be the header with the column names (see the template).",
                              "第一行应为列名表头（参见模板）。")]
    for i in unknown:
        quoted = _quote_header(headers[i])
        errors.append(FileError(
            "extra_column",
            f"Column {_letter(i)} has an unknown header{' ' + quoted if quoted else ''}; "
            "use the template's column names.",
            f"第 {_letter(i)} 列的表头{quoted}不是已知的列名，请使用模板中的列名。"))
    present = set(seen)
    for col in layout.required:
        if col.key not in present:
            errors.append(FileError("missing_column", f"The required column “{col.en}” ({col.zh}) is missing.",
                                    f"缺少必需的列“{col.zh}”。"))
    for group, cols in layout.groups.items():
        have = [c for c in cols if c.key in present]
        if have and len(have) < len(cols):
            zh_kind, en_kind = layout.group_words[group]
            for col in cols:
                if col.key not in present:
                    errors.append(FileError(
                        "missing_column",
                        f"The {en_kind.lower()} columns are incomplete: add “{col.en}” ({col.zh}) or remove the "
                        f"group's other columns.",
                        f"{zh_kind}的列不完整：请补充“{col.zh}”列，或删除该组的其他列。"))
    return positions, errors
