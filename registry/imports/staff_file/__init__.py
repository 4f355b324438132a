"""The staff file a company uploads: columns (and templates), reading, rows, report.

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

from .columns import (  # noqa: F401
    BY_KEY,
    COLUMNS,
    EXAMPLE,
    EXAMPLE_ID_NUMBER,
    GROUPS,
    PERSON_COLUMNS,
    RESULT_LABELS,
    TEMPLATE_ROWS,
    Column,
    FileError,
    RowError,
    column_for_header,
    header_of,
    template_csv,
    template_xlsx,
)
from .reading import (  # noqa: F401
    MAX_BYTES,
    MAX_COLUMNS,
    MAX_ROWS,
    MAX_UNPACKED_BYTES,
    OLE_MAGIC,
    SAVE_AS,
    STAFF,
    XLSX_MAGIC,
    Layout,
    NumberCell,
    Table,
    read_table,
)
from .report import REPORT_HEADERS, report_csv  # noqa: F401
from .rows import (  # noqa: F401
    RowData,
    _Bad,
    convert_row,
    convert_table,
    find_duplicates,
    parse_bool,
    parse_date,
    parse_decimal,
    parse_vocab,
)
