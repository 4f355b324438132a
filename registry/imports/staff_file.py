"""The staff file a company uploads: columns, reading, row conversion, reports, templates.

The file is a CSV (UTF-8 with or without BOM, or GB18030 as Chinese Excel saves
"CSV"; comma-, tab- or semicolon-separated) or an .xlsx workbook (first sheet).
The type is told by content, not by name: an .xlsx is a ZIP (PK\\x03\\x04).

The first non-blank row is the header. Each header cell is a column's Chinese
or English name (case, spaces, "_" and "-" ignored; a trailing "*" too); the
order is free. Seven person and employment columns are required:

    姓名 Name · 证件号码 ID number · 手机号码 Phone · 工种 Occupation ·
    用工形式 Employment kind · 入职日期 Start date · 缴纳社保 Social insurance

Five qualification groups are optional, each all-or-nothing: its columns are
either all in the header or all absent (absent means that kind is not
imported), and on a row either all its cells are filled or none:

    identity    身份核验结果, 身份核验日期
    health      体检结果, 体检日期, 体检有效期至
    insurance   保险公司, 保险起始日期, 保险有效期至
    background  背景审查结果, 背景审查日期, 审查机关
    training    培训课程, 培训学时, 培训考核通过, 培训日期, 培训机构

Cells: dates as YYYY-MM-DD, YYYY/M/D, YYYY.M.D, YYYYMMDD, YYYY年M月D日 or an
ISO date-time; yes/no as 是/否, Y/N, yes/no, true/false, 1/0, √/×; listed
values (occupation, employment kind, results) as the code or the Chinese or
English label; hours as a decimal number.

Row numbers are those a spreadsheet shows: the header is row 1 when it is the
first row, and blank rows count but are skipped. Problems come in two sizes:
`FileError` (the file as a whole cannot be imported: no row is looked at) and
`RowError` (one cell, named by row and column in both languages). No message
ever quotes a cell's value, so reports carry no personal data even when
columns were mixed up. The templates' example row (its ID number) is refused
as the example, so an unchanged template stores nobody.

Pure module: no Flask, no database. It judges rows by the rules of single
registration, which are pure and report every problem at once:
`registry.workers.person` (`check_person`, `check_engagement`) and
`registry.workers.rules.judge_record`.
"""
from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from registry.workers import idnumber, rules
from registry.workers.person import INVALID, Engagement, Person, check_engagement, check_person
from registry.workers.vocab import EMPLOYMENT_KINDS, OCCUPATIONS, RECORD_KINDS, RESULTS

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


# --- columns ------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Column:
    """One column of the staff file."""

    key: str
    zh: str
    en: str
    required: bool               # the header must be present (person and employment columns)
    kind: str                    # text | date | bool | vocab | decimal
    group: str | None = None     # the record kind of an optional qualification group
    record_field: str | None = None  # the field name rules.check_record takes, for group columns
    # For vocab columns: (code, zh label, en label) in display order, and every accepted spelling → code.
    labels: tuple[tuple[str, str, str], ...] = ()
    aliases: dict[str, str] = field(default_factory=dict, compare=False, hash=False)


def _fold(text: str) -> str:
    """Fold a header or listed value for matching: NFKC, case, spaces, "_", "-" and a trailing "*" ignored."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"[\s_\-]+", "", folded).rstrip("*")


def _aliases(labels: Iterable[tuple[str, str, str]], extra: dict[str, tuple[str, ...]] | None = None) -> dict[str, str]:
    out: dict[str, str] = {}
    for code, zh, en in labels:
        # "母婴护理员/月嫂" names one occupation twice: either half is accepted.
        for spelling in (code, en, zh, *zh.split("/")):
            out[_fold(spelling)] = code
    for code, spellings in (extra or {}).items():
        for spelling in spellings:
            out[_fold(spelling)] = code
    return out


def _vocab_labels(vocab: dict[str, tuple[str, str]]) -> tuple[tuple[str, str, str], ...]:
    return tuple((code, zh, en) for code, (zh, en) in vocab.items())


# The Chinese words for each record kind's results; the codes come from vocab.RESULTS.
RESULT_LABELS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "identity": (("verified", "已核验", "Verified"), ("failed", "核验未通过", "Failed")),
    "health": (("passed", "通过", "Passed"), ("failed", "未通过", "Failed")),
    "background": (("passed", "通过", "Passed"), ("failed", "未通过", "Failed"), ("pending", "审查中", "Pending")),
}
RESULT_SYNONYMS: dict[str, dict[str, tuple[str, ...]]] = {
    "identity": {"verified": ("核验通过", "通过", "passed", "pass"),
                 "failed": ("未通过", "不通过", "fail")},
    "health": {"passed": ("合格", "pass"), "failed": ("不通过", "不合格", "fail")},
    "background": {"passed": ("pass",), "failed": ("不通过", "fail"), "pending": ("待定", "进行中")},
}
# Adding a result code to vocab.RESULTS must come with its words here.
assert {k: {c for c, _, _ in v} for k, v in RESULT_LABELS.items()} == {k: set(v) for k, v in RESULTS.items()}


def _result_column(kind: str, zh: str, en: str) -> Column:
    labels = RESULT_LABELS[kind]
    return Column(f"{kind}_result", zh, en, False, "vocab", kind, "result", labels,
                  _aliases(labels, RESULT_SYNONYMS[kind]))


COLUMNS: list[Column] = [
    Column("name", "姓名", "Name", True, "text"),
    Column("id_number", "证件号码", "ID number", True, "text"),
    Column("phone", "手机号码", "Phone", True, "text"),
    Column("occupation", "工种", "Occupation", True, "vocab", labels=_vocab_labels(OCCUPATIONS),
           aliases=_aliases(_vocab_labels(OCCUPATIONS))),
    Column("employment_kind", "用工形式", "Employment kind", True, "vocab", labels=_vocab_labels(EMPLOYMENT_KINDS),
           aliases=_aliases(_vocab_labels(EMPLOYMENT_KINDS))),
    Column("start_date", "入职日期", "Start date", True, "date"),
    Column("social_insurance", "缴纳社保", "Social insurance", True, "bool"),
    _result_column("identity", "身份核验结果", "Identity check result"),
    Column("identity_checked_on", "身份核验日期", "Identity check date", False, "date", "identity", "checked_on"),
    _result_column("health", "体检结果", "Health check result"),
    Column("health_checked_on", "体检日期", "Health check date", False, "date", "health", "checked_on"),
    Column("health_valid_until", "体检有效期至", "Health check valid until", False, "date", "health", "valid_until"),
    Column("insurance_insurer", "保险公司", "Insurer", False, "text", "insurance", "insurer"),
    Column("insurance_valid_from", "保险起始日期", "Insurance valid from", False, "date", "insurance", "valid_from"),
    Column("insurance_valid_until", "保险有效期至", "Insurance valid until", False, "date", "insurance", "valid_until"),
    _result_column("background", "背景审查结果", "Background check result"),
    Column("background_checked_on", "背景审查日期", "Background check date", False, "date", "background", "checked_on"),
    Column("background_authority", "审查机关", "Background check authority", False, "text", "background",
           "authority"),
    Column("training_course", "培训课程", "Training course", False, "text", "training", "course"),
    Column("training_hours", "培训学时", "Training hours", False, "decimal", "training", "hours"),
    Column("training_exam_passed", "培训考核通过", "Training exam passed", False, "bool", "training", "exam_passed"),
    Column("training_trained_on", "培训日期", "Training date", False, "date", "training", "trained_on"),
    Column("training_issuer", "培训机构", "Training issuer", False, "text", "training", "issuer"),
]
BY_KEY: dict[str, Column] = {c.key: c for c in COLUMNS}
GROUPS: dict[str, list[Column]] = {}
for _c in COLUMNS:
    if _c.group:
        GROUPS.setdefault(_c.group, []).append(_c)
PERSON_COLUMNS = [c for c in COLUMNS if c.group is None]
_ORDER = {c.key: i for i, c in enumerate(COLUMNS)}
_BY_HEADER: dict[str, Column] = {}
for _c in COLUMNS:
    for _h in (_c.zh, _c.en):
        assert _fold(_h) not in _BY_HEADER, f"two columns share the header {_h}"
        _BY_HEADER[_fold(_h)] = _c
assert set(GROUPS) == set(RECORD_KINDS)


def column_for_header(text: str) -> Column | None:
    """Return the column a header cell names, or None."""
    return _BY_HEADER.get(_fold(text))


def header_of(key: str) -> tuple[str, str]:
    """Return a column's Chinese and English headers."""
    col = BY_KEY[key]
    return col.zh, col.en


# --- problems -----------------------------------------------------------------------------------------------------

class FileError(NamedTuple):
    """A problem with the file as a whole: nothing of it can be imported."""

    code: str  # too_large | empty_file | not_a_table | wrong_encoding | no_header | missing_column |
    #            extra_column | duplicate_column | too_many_rows
    en: str
    zh: str


class RowError(NamedTuple):
    """A problem with one cell (or one row, for duplicates), named by row and column."""

    row: int
    column_zh: str
    column_en: str
    key: str
    en: str
    zh: str
    code: str = "invalid"


def _row_error(row: int, col: Column, code: str, en: str, zh: str) -> RowError:
    return RowError(row, col.zh, col.en, col.key, en, zh, code)


# --- reading ------------------------------------------------------------------------------------------------------

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


def read_table(data: bytes, filename: str = "") -> Table:
    """Read an uploaded staff file; never raises on bad content."""
    if len(data) > MAX_BYTES:
        return _refuse("too_large", f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB; split it.",
                       f"文件超过 {MAX_BYTES // (1024 * 1024)} MB，请拆分后分批导入。")
    if not data.removeprefix(codecs.BOM_UTF8).strip():
        return _empty()
    if data.startswith(XLSX_MAGIC):
        return _read_xlsx(data)
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
    return _read_csv(text, encoding)


def _empty() -> Table:
    return _refuse("empty_file", "The file has no staff rows.", "文件中没有人员数据。")


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


def _read_csv(text: str, encoding: str) -> Table:
    end = text.find("\n")
    first_line = text if end < 0 else text[:end]
    # Excel writes commas; some locales semicolons; pasted sheets tabs.
    delimiter = max((",", "\t", ";"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = enumerate(reader, start=1)
    try:
        return _build("csv", encoding, rows, fallback=(encoding == "gb18030"))
    except csv.Error:
        return _refuse("not_a_table", f"The file cannot be read as CSV near row {reader.line_num}. " + SAVE_AS[0],
                       f"文件在第 {reader.line_num} 行附近无法按 CSV 读取。" + SAVE_AS[1], "csv", encoding)


def _read_xlsx(data: bytes) -> Table:
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
            rows = ((n, [_cell_text(v) for v in values])
                    for n, values in enumerate(sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS), start=1))
            return _build("xlsx", None, rows, fallback=False)
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds of error on a malformed workbook
        return _refuse(*unreadable)
    finally:
        if workbook is not None:
            workbook.close()


def _cell_text(value) -> str:
    """Render an .xlsx cell value as a CSV export would show it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
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


def _letter(index: int) -> str:
    """Return the spreadsheet letter of a 0-based column index (0 → A, 26 → AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _build(fmt: str, encoding: str | None, rows: Iterator[tuple[int, list[str]]], *, fallback: bool) -> Table:
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
            positions, table.errors = _map_header(table.headers, fallback=fallback)
            if table.errors:
                return table
            table.columns = [BY_KEY[positions[i]] for i in sorted(positions)]
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
        return _empty()
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


def _map_header(headers: list[str], *, fallback: bool) -> tuple[dict[int, str], list[FileError]]:
    """Map header cells to column keys by position, or say why the header is not acceptable."""
    positions: dict[int, str] = {}
    seen: dict[str, int] = {}
    errors: list[FileError] = []
    unknown: list[int] = []
    for i, text in enumerate(headers):
        if not text:
            continue
        col = column_for_header(text)
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
    for col in PERSON_COLUMNS:
        if col.key not in present:
            errors.append(FileError("missing_column", f"The required column “{col.en}” ({col.zh}) is missing.",
                                    f"缺少必需的列“{col.zh}”。"))
    for group, cols in GROUPS.items():
        have = [c for c in cols if c.key in present]
        if have and len(have) < len(cols):
            zh_kind, en_kind = RECORD_KINDS[group]
            for col in cols:
                if col.key not in present:
                    errors.append(FileError(
                        "missing_column",
                        f"The {en_kind.lower()} columns are incomplete: add “{col.en}” ({col.zh}) or remove the "
                        f"group's other columns.",
                        f"{zh_kind}的列不完整：请补充“{col.zh}”列，或删除该组的其他列。"))
    return positions, errors


# --- converting rows ----------------------------------------------------------------------------------------------

@dataclass(slots=True)
class RowData:
    """One valid row: the person (normalised as registration stores it), the employment, the records."""

    row: int
    name: str
    id_number: str
    phone: str                  # E.164
    occupation: str
    employment_kind: str
    start_date: date
    social_insurance: bool
    records: list[tuple[str, dict]] = field(default_factory=list)  # (kind, fields for rules.check_record)

    def person(self) -> Person:
        return Person(self.name, self.id_number, self.phone)

    def engagement(self) -> Engagement:
        return Engagement(self.occupation, self.employment_kind, self.start_date, self.social_insurance)


class _Bad(Exception):
    """A cell that cannot be converted: a code and the reason in both languages."""

    def __init__(self, code: str, en: str, zh: str):
        super().__init__(code)
        self.code, self.en, self.zh = code, en, zh


_DATE_PATTERNS = (
    # A date-time (as Excel or other tools export it) counts for its date.
    re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})"
               r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"),
    re.compile(r"(\d{4})(\d{2})(\d{2})"),
    re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日"),
)
_YES = {_fold(s) for s in ("是", "y", "yes", "true", "1", "√", "✓", "✔")}
_NO = {_fold(s) for s in ("否", "n", "no", "false", "0", "×", "✗", "✘")}


def parse_date(text: str) -> date:
    """Return the date a cell names, or raise _Bad."""
    cell = unicodedata.normalize("NFKC", text).strip()
    for pattern in _DATE_PATTERNS:
        m = pattern.fullmatch(cell)
        if m:
            try:
                return date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                raise _Bad("no_such_day", "There is no such day.", "该日期不存在。") from None
    raise _Bad("bad_date", "Not a date: write it as YYYY-MM-DD, e.g. 2026-03-01.",
               "不是有效日期：请写成 YYYY-MM-DD，如 2026-03-01。")


def parse_bool(text: str) -> bool:
    """Return the yes or no a cell says, or raise _Bad."""
    folded = _fold(text)
    if folded in _YES:
        return True
    if folded in _NO:
        return False
    raise _Bad("bad_yes_no", "Write 是 or 否 (yes or no).", "请填写“是”或“否”。")


def parse_decimal(text: str) -> Decimal:
    """Return the number a cell holds, or raise _Bad."""
    try:
        value = Decimal(unicodedata.normalize("NFKC", text).strip())
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise _Bad("bad_number", "Not a number: write it like 40 or 7.5.", "不是数字：请写成 40 或 7.5 这样的数字。")
    return value


def parse_vocab(col: Column, text: str) -> str:
    """Return the code a listed-value cell names, or raise _Bad listing the accepted values."""
    code = col.aliases.get(_fold(text))
    if code is None:
        raise _Bad("unknown_value",
                   f"Not a known {col.en.lower()}; use one of: {', '.join(en for _, _, en in col.labels)}.",
                   f"不是可选的{col.zh}，请填写：{'、'.join(zh for _, zh, _ in col.labels)}。")
    return code


def _convert_cell(col: Column, cell: str):
    if isinstance(cell, NumberCell) and col.key == "id_number":
        raise _Bad("id_number_as_number",
                   "Excel stored the ID number as a number, which loses digits: format the column as Text and type "
                   "the numbers again.",
                   "证件号码被 Excel 存成了数字，后几位已丢失：请把该列设置为“文本”格式后重新录入。")
    if col.kind == "date":
        return parse_date(cell)
    if col.kind == "bool":
        return parse_bool(cell)
    if col.kind == "vocab":
        return parse_vocab(col, cell)
    if col.kind == "decimal":
        return parse_decimal(cell)
    return str(cell).strip()


# The templates' example person: the textbook sample ID of GB 11643. It passes every identity rule, so a row that
# carries it is refused as the example (see convert_row).
EXAMPLE_ID_NUMBER = "11010519491231002X"


def convert_row(row_number: int, raw: dict[str, str], *, today: date) -> tuple[RowData | None, list[RowError]]:
    """Convert one row's cells; return its data when every cell is valid, and every problem found."""
    errors: list[RowError] = []
    values: dict[str, object] = {}
    filled: set[str] = set()
    for col in COLUMNS:
        cell = raw.get(col.key)
        if cell is None or not cell.strip():
            continue
        filled.add(col.key)
        try:
            values[col.key] = _convert_cell(col, cell)
        except _Bad as bad:
            errors.append(_row_error(row_number, col, bad.code, bad.en, bad.zh))

    # The example row is a valid person on paper: an upload of the unchanged template (or a sheet that kept the
    # example on top) would register 张三 as real staff. It is refused by its ID number, whatever else was edited,
    # with that one reason: any other problem in it is beside the point.
    example = values.get("id_number")
    if isinstance(example, str) and idnumber.normalise(example) == EXAMPLE_ID_NUMBER:
        return None, [_row_error(row_number, BY_KEY["id_number"], "example_row",
                                 "This is the template's example row, not a real person: delete it and list your "
                                 "own staff.",
                                 "这是模板中的示例行，并非真实人员：请删除此行，填写本单位的从业人员。")]

    for col in PERSON_COLUMNS:
        if col.key not in filled:
            errors.append(_row_error(row_number, col, "required", "Required: the cell is empty.", "必填项，不能为空。"))

    # Person and employment: the rules of single registration judge every field the row has; an empty cell or one
    # that could not be converted is already reported above and not judged again.
    checked = check_person(Person(values.get("name"), values.get("id_number"), values.get("phone")), today)
    errors.extend(_problem_errors(row_number, checked.problems, values))
    birth = checked.id.birth_date  # None unless the ID number is good: only the start date's own rule applies
    if checked.ok:
        values.update(name=checked.name, phone=checked.phone, id_number=checked.id.number)
    if "start_date" in values:
        engagement = Engagement(values.get("occupation"), values.get("employment_kind"), values["start_date"],
                                bool(values.get("social_insurance")))
        errors.extend(_problem_errors(row_number, check_engagement(engagement, birth, today), values))

    records: list[tuple[str, dict]] = []
    for group, cols in GROUPS.items():
        have = [c for c in cols if c.key in filled]
        if not have:
            continue
        zh_kind, en_kind = RECORD_KINDS[group]
        missing = [c for c in cols if c.key not in filled]
        for col in missing:
            errors.append(_row_error(row_number, col, "incomplete_group",
                                     f"Required when the other {en_kind.lower()} cells are filled.",
                                     f"已填写{zh_kind}信息，此项也必须填写。"))
        if missing or any(c.key not in values for c in cols):
            continue
        data = {c.record_field: values[c.key] for c in cols}
        _fields, problems = rules.judge_record(group, data, today)
        for p in problems:
            errors.append(_row_error(row_number, BY_KEY.get(f"{group}_{p.field}", cols[0]), "invalid", p.en, p.zh))
        records.append((group, data))

    if errors:
        return None, sorted(errors, key=_error_order)
    return RowData(row=row_number, name=values["name"], id_number=values["id_number"], phone=values["phone"],
                   occupation=values["occupation"], employment_kind=values["employment_kind"],
                   start_date=values["start_date"], social_insurance=values["social_insurance"],
                   records=records), []


def _problem_errors(row_number: int, problems, values: dict) -> list[RowError]:
    """The row's errors for the person and employment rules' problems with the cells it has."""
    return [_row_error(row_number, BY_KEY[p.field], "invalid" if p.code == INVALID else p.code, p.en, p.zh)
            for p in problems if p.field in values]


def _error_order(e: RowError | FileError) -> tuple:
    if isinstance(e, FileError):
        return (0, 0, 0)
    return (1, e.row, _ORDER.get(e.key, len(_ORDER)))


def find_duplicates(rows: Iterable[tuple[int, dict[str, str]] | RowData]) -> list[RowError]:
    """Flag every row whose ID number (normalised) an earlier row of the file already has.

    Pass the table's raw rows to catch a repeat of a row that has other errors
    too; converted rows (RowData) are accepted as well.
    """
    col = BY_KEY["id_number"]
    first_row: dict[str, int] = {}
    errors = []
    for item in rows:
        if isinstance(item, RowData):
            number, cell = item.row, item.id_number
        else:
            number, cell = item[0], item[1].get("id_number")
        if not cell or isinstance(cell, NumberCell):
            continue
        key = idnumber.normalise(cell)
        if not key:
            continue
        if key in first_row:
            errors.append(_row_error(number, col, "duplicate_row",
                                     f"The same person is already on row {first_row[key]} of this file.",
                                     f"同一人员已在本文件第 {first_row[key]} 行出现。"))
        else:
            first_row[key] = number
    return errors


def convert_table(table: Table, *, today: date) -> tuple[list[RowData], list[RowError]]:
    """Convert every row of a readable table: the valid rows, and every row error (duplicates included).

    Consumes `table.rows` as it goes, so the raw cells of a large file and
    their converted rows never all sit in memory together.
    """
    if table.errors:
        raise ValueError("the table has file errors; report those instead")
    good: list[RowData] = []
    errors: list[RowError] = []
    id_cells: list[tuple[int, dict[str, str]]] = []
    rows = table.rows
    rows.reverse()
    while rows:
        number, raw = rows.pop()
        data, row_errors = convert_row(number, raw, today=today)
        errors.extend(row_errors)
        if data is not None:
            good.append(data)
        # Only the ID cell is kept, for the duplicate check (which also sees rows with other errors).
        id_cells.append((number, {"id_number": raw["id_number"]} if "id_number" in raw else {}))
    duplicates = find_duplicates(id_cells)
    repeated = {e.row for e in duplicates}
    errors.extend(duplicates)
    return [d for d in good if d.row not in repeated], sorted(errors, key=_error_order)


# --- reports and templates ----------------------------------------------------------------------------------------

REPORT_HEADERS = ("行 Row", "列 Column", "原因", "Reason")


def report_csv(errors: Iterable[RowError | FileError]) -> bytes:
    """Write the problems as a CSV Excel opens (UTF-8 with BOM): file problems first, then by row and column."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(REPORT_HEADERS)
    for e in sorted(errors, key=_error_order):
        if isinstance(e, FileError):
            writer.writerow(["", "", e.zh, e.en])
        else:
            writer.writerow([e.row, f"{e.column_zh} {e.column_en}", e.zh, e.en])
    return out.getvalue().encode("utf-8-sig")


# A clearly fake person (张三, the textbook sample ID) with dates valid from 2026-03-01 on.
EXAMPLE: dict[str, str] = {
    "name": "张三", "id_number": EXAMPLE_ID_NUMBER, "phone": "13800138000",
    "occupation": "保洁", "employment_kind": "劳动合同", "start_date": "2026-03-01", "social_insurance": "是",
    "identity_result": "已核验", "identity_checked_on": "2026-03-01",
    "health_result": "通过", "health_checked_on": "2026-02-20", "health_valid_until": "2027-02-19",
    "insurance_insurer": "示例保险公司", "insurance_valid_from": "2026-03-01", "insurance_valid_until": "2027-02-28",
    "background_result": "通过", "background_checked_on": "2026-02-25", "background_authority": "示例公安分局",
    "training_course": "家政服务员岗前培训", "training_hours": "40", "training_exam_passed": "是",
    "training_trained_on": "2026-02-10", "training_issuer": "示例职业培训学校",
}
assert set(EXAMPLE) == set(BY_KEY)


def template_csv() -> bytes:
    """Return the CSV template: Chinese headers and one example row, UTF-8 with BOM."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.zh for c in COLUMNS])
    writer.writerow([EXAMPLE[c.key] for c in COLUMNS])
    return out.getvalue().encode("utf-8-sig")


TEMPLATE_ROWS = 2000  # rows prepared with text format and drop-down lists


def template_xlsx() -> bytes:
    """Return the .xlsx template: bold Chinese headers, one example row, ID and phone columns formatted as text."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "从业人员"
    sheet.append([c.zh for c in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for index, col in enumerate(COLUMNS, start=1):
        letter = _letter(index - 1)
        cell = sheet.cell(row=2, column=index)
        example = EXAMPLE[col.key]
        if col.kind == "date":
            cell.value = parse_date(example)
            cell.number_format = "yyyy-mm-dd"
        elif col.kind == "decimal":
            cell.value = int(example)
        else:
            cell.value = example
        sheet.column_dimensions[letter].width = max(12, 2 * len(col.zh) + 4)
        if col.key in ("id_number", "phone"):
            # Typed as numbers, 18-digit IDs lose their last digits: the column is text before anyone types.
            sheet.column_dimensions[letter].number_format = "@"
            cell.number_format = "@"
            for row in range(3, TEMPLATE_ROWS + 1):
                sheet.cell(row=row, column=index).number_format = "@"
        if col.kind in ("vocab", "bool"):
            choices = [zh for _, zh, _ in col.labels] if col.kind == "vocab" else ["是", "否"]
            # A suggestion only: the other accepted spellings must still be typeable.
            validation = DataValidation(type="list", formula1='"' + ",".join(choices) + '"', allow_blank=True,
                                        showErrorMessage=False)
            validation.add(f"{letter}2:{letter}{TEMPLATE_ROWS}")
            sheet.add_data_validation(validation)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
