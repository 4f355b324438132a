"""Converting a row's cells and judging it by the rules of single registration; duplicates within a file."""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from registry.workers import idnumber, rules
from registry.workers.person import INVALID, Engagement, Person, check_engagement, check_person
from registry.workers.vocab import RECORD_KINDS

from .columns import (
    BY_KEY,
    COLUMNS,
    EXAMPLE_ID_NUMBER,
    GROUPS,
    PERSON_COLUMNS,
    Column,
    RowError,
    _error_order,
    _fold,
    _row_error,
)
from .reading import NumberCell, Table


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
