"""A bulletin's open data: the full list and the changes since the previous bulletin, as CSV and JSON Lines (pure).

From a `content.Content` (and, for the change files, the previous bulletin's full list) this makes:

- `…-full.jsonl`: every record of `full`, one `changes.line` per record (sorted keys, no spaces), sorted by `ref`,
  each line ending in "\\n";
- `…-added.jsonl`, `…-removed.jsonl`, `…-changed.jsonl`: the records added, the previous file's records whose ref
  is gone, and the current versions of records whose line differs (`changes.diff`), in the same form — so that
  the previous full file, less the removed, with the changed replaced and the added added (`changes.apply`,
  which orders by `ref`), is this full file byte for byte; sorted as bytes (`changes.sorted_lines`), both are
  too;
- the same four as CSV for spreadsheets: UTF-8 with a byte-order mark (without it Excel reads UTF-8 as the
  local code page and the Chinese is garbled), a header row, rows sorted by `ref`, lines ending CRLF (RFC 4180).

The change files are made against the previous bulletin's **published** full file (`parse_jsonl` of its bytes),
not a list gathered again now: gathering again would show corrections made since, and the changes would miss
them.

The columns (each file has all of them; the JSON Lines keys are the same names):

| column | content |
|---|---|
| `ref` | the sanction's public reference (as in /listings and the API) |
| `subject_kind` | `worker` or `company` |
| `subject_id` | a worker's home-service card number, a company's unified social credit code |
| `subject_name` | a worker's masked name (张*), a company's registered name |
| `district` | the company's district code, or a worker's current employer's; empty (JSON: null) when none |
| `kind`, `kind_zh` | the kind of sanction (`fine` / 罚款 …) |
| `severity`, `severity_zh` | `minor` / 轻微, `general` / 一般, `serious` / 严重 |
| `decision_no` | the decision's number (决定文书号) |
| `decision_date` | the decision's date, YYYY-MM-DD |
| `legal_basis` | the legal basis as the decision states it |
| `agency_code`, `agency_zh` | the issuing agency's code and Chinese name |
| `sector` | the issuing agency's sector: `housekeeping`, `property` or `market` |
| `window_end` | the last day of the publication window, YYYY-MM-DD |
| `persons` | the persons a company's decision names, masked (below); CSV: joined by "; ", JSON: a list |
| `objection_pending` | `true` when an objection (异议) to it was pending as the bulletin was made, else `false` |

A person is `role_zh:masked_name` (法定代表人:张**), or `role_zh:masked_name:card_no` for a registered worker.

In the CSV files a cell that would start with `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed with
`'`, so a spreadsheet shows it as text instead of running it as a formula (OWASP's advice on CSV injection);
the JSON Lines files carry every value as it is.

File names (`file_names`): `jiaxin-bulletin-<period>-v<version>` and `.pdf`, `-full.csv`, `-full.jsonl`,
`-added.csv`, … — plain names (`manifest.is_plain_name`), so they go into the signed manifest as they are.

Pure: no Flask, no database.
"""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable

from . import changes, manifest
from .content import Content, Person, Record

PREFIX = "jiaxin-bulletin"
COLUMNS = ("ref", "subject_kind", "subject_id", "subject_name", "district", "kind", "kind_zh", "severity",
           "severity_zh", "decision_no", "decision_date", "legal_basis", "agency_code", "agency_zh", "sector",
           "window_end", "persons", "objection_pending")
CHANGES = ("added", "removed", "changed")
FULL = "full"
KINDS = (FULL, *CHANGES)
PERSONS_SEPARATOR = "; "
BOM = "\ufeff".encode()
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def person_text(p: Person) -> str:
    """`role_zh:masked_name`, with `:card_no` for a registered worker."""
    parts = [p.role_zh, p.name_masked] + ([p.card_no] if p.card_no else [])
    return ":".join(parts)


def record_dict(r: Record) -> dict:
    """A record's open-data columns, as the JSON Lines files carry them (dates ISO, persons a list)."""
    return {
        "ref": r.ref,
        "subject_kind": r.subject_kind,
        "subject_id": r.subject_id,
        "subject_name": r.subject_name,
        "district": r.district,
        "kind": r.kind,
        "kind_zh": r.kind_zh,
        "severity": r.severity,
        "severity_zh": r.severity_zh,
        "decision_no": r.decision_no,
        "decision_date": r.decision_date.isoformat(),
        "legal_basis": r.legal_basis,
        "agency_code": r.agency_code,
        "agency_zh": r.agency_zh,
        "sector": r.sector,
        "window_end": r.window_end.isoformat() if r.window_end is not None else None,
        "persons": [person_text(p) for p in r.persons],
        "objection_pending": r.objection_pending,
    }


def _dicts(records: Iterable[Record | dict]) -> list[dict]:
    return [r if isinstance(r, dict) else record_dict(r) for r in records]


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        value = PERSONS_SEPARATOR.join(value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def csv_bytes(records: Iterable[Record | dict]) -> bytes:
    """CSV of records (Records or `record_dict`s): BOM, header, rows sorted by ref, CRLF line ends."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for d in sorted(_dicts(records), key=lambda d: d["ref"]):
        writer.writerow([_cell(d.get(c)) for c in COLUMNS])
    return BOM + out.getvalue().encode("utf-8")


def jsonl_bytes(records: Iterable[Record | dict]) -> bytes:
    """JSON Lines of records: one `changes.line` each, sorted by ref, each ending "\\n" (none: empty)."""
    return "".join(changes.line(d) + "\n" for d in sorted(_dicts(records), key=lambda d: d["ref"])).encode()


def full_csv(records: Iterable[Record]) -> bytes:
    return csv_bytes(records)


def full_jsonl(records: Iterable[Record]) -> bytes:
    return jsonl_bytes(records)


def parse_jsonl(data: bytes) -> list[dict]:
    """The records of a JSON Lines file this module made (a previous bulletin's full file)."""
    return [json.loads(text) for text in data.decode("utf-8").split("\n") if text]


def change_files(previous_records: Iterable[Record | dict],
                 current_records: Iterable[Record | dict]) -> dict[str, bytes]:
    """The added, removed and changed records, as JSON Lines and CSV: {"added.jsonl": …, "added.csv": …, …}.

    `previous_records`: the previous bulletin's full list as published (`parse_jsonl` of its full file), or
    nothing for the first bulletin (every record is then added).
    """
    found = changes.diff(_dicts(previous_records), _dicts(current_records))
    out: dict[str, bytes] = {}
    for kind in CHANGES:
        listed = getattr(found, kind)
        out[f"{kind}.jsonl"] = jsonl_bytes(listed)
        out[f"{kind}.csv"] = csv_bytes(listed)
    return out


def stem(period_key: str, version: int) -> str:
    return f"{PREFIX}-{period_key}-v{version}"


def file_names(period_key: str, version: int) -> dict[str, str]:
    """Each file's name by its part: {"pdf": "jiaxin-bulletin-2026-11-v1.pdf", "full.csv": "…-full.csv", …}."""
    base = stem(period_key, version)
    names = {"pdf": f"{base}.pdf"}
    for kind in KINDS:
        for ext in ("csv", "jsonl"):
            names[f"{kind}.{ext}"] = f"{base}-{kind}.{ext}"
    for name in names.values():
        if not manifest.is_plain_name(name):
            raise ValueError(f"{name!r} is not a plain file name (period {period_key!r}?)")
    return names


def files(content: Content, previous_records: Iterable[Record | dict] | None) -> dict[str, bytes]:
    """Every open-data file of a bulletin, by file name: the full list and the changes, CSV and JSON Lines."""
    names = file_names(content.period.key, content.version)
    made = {"full.csv": full_csv(content.full), "full.jsonl": full_jsonl(content.full),
            **change_files(previous_records or (), content.full)}
    return {names[part]: data for part, data in made.items()}
