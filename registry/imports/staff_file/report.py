"""The per-row report of an import: a CSV Excel opens, carrying no personal data."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from .columns import FileError, RowError, _error_order

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
