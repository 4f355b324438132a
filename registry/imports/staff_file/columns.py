"""The staff file's columns: their names in both languages, groups and listed values; its problems; the templates."""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from registry.workers.vocab import EMPLOYMENT_KINDS, OCCUPATIONS, RECORD_KINDS, RESULTS


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
if {k: {c for c, _, _ in v} for k, v in RESULT_LABELS.items()} != {k: set(v) for k, v in RESULTS.items()}:
    raise RuntimeError("vocab.RESULTS and the staff file's result words differ")


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
        if _fold(_h) in _BY_HEADER:
            raise RuntimeError(f"two columns share the header {_h}")
        _BY_HEADER[_fold(_h)] = _c
if set(GROUPS) != set(RECORD_KINDS):
    raise RuntimeError("the staff file's column groups and the record kinds differ")


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


def _error_order(e: RowError | FileError) -> tuple:
    if isinstance(e, FileError):
        return (0, 0, 0)
    return (1, e.row, _ORDER.get(e.key, len(_ORDER)))


def _letter(index: int) -> str:
    """Return the spreadsheet letter of a 0-based column index (0 → A, 26 → AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


# The templates' example person: the textbook sample ID of GB 11643. It passes every identity rule, so a row that
# carries it is refused as the example (see convert_row).
EXAMPLE_ID_NUMBER = "11010519491231002X"


# --- the templates -------------------------------------------------------------------------------------------------

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
if set(EXAMPLE) != set(BY_KEY):
    raise RuntimeError("the template's example row and the columns differ")


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
            cell.value = date.fromisoformat(example)
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
