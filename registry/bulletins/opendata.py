"""A bulletin's open data: the full lists and the changes since the previous bulletin, as CSV and JSON Lines (pure).

Two lists, each with its full file and its change files: the sanctions (`content.Content.full`, keyed by `ref`) and
the red list (`Content.red_list`, keyed by the firm's USCC, `uscc`; its files are named `…-red-list-full.csv` and
so on, below). From a `content.Content` (and, for the change files, the previous bulletin's full files) this makes,
for the sanctions (the red list's files are made the same way, with `uscc` wherever `ref` is said):

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
them. With no previous bulletin (the first of its kind) they are made against an empty list: every record is
added, and the removed and changed files are empty (JSON Lines: no bytes; CSV: the BOM and the header alone). A
previous bulletin made before the red list had files (no `…-red-list-full.jsonl` in its manifest) counts as an
empty red list the same way: the first bulletin with red-list files lists every firm as added.

The sanctions' columns (each file has all of them; the JSON Lines keys are the same names):

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

The red list's columns (`RED_COLUMNS`), the firms on it as the bulletin was made (credit/red_list.py, on the
Shanghai day of `made_at`) — public facts about firms, nothing personal:

| column | content |
|---|---|
| `uscc` | the firm's unified social credit code: the key of the red list's files, as `ref` is the sanctions' |
| `name` | the firm's registered name |
| `district` | the firm's district code; empty (JSON: null) when none |
| `sectors` | the firm's sectors (`housekeeping`, `property`, …); CSV: joined by "; ", JSON: a list |
| `grade` | its kept credit grade (AAA, AA, A, B, C); empty (JSON: null) when it has none |
| `score` | its kept credit score, an integer; empty (JSON: null) when it has none |
| `commendations` | its commendations (表彰) in force, newest first (below); CSV: joined by "; ", JSON: a list |

A commendation is `title (basis, commended_on–valid_until)` in CSV (诚信示范企业 (成商务〔2026〕12号,
2026-06-20–2027-06-19)), and `{"basis", "commended_on", "title", "valid_until"}` in JSON, dates YYYY-MM-DD.
A firm is on the red list for its AAA grade, for a commendation in force, or both (docs/rules.md, "The red list
(红名单)"): `grade` and `commendations` say which. A title or basis may itself hold "; ": the JSON Lines files are
the exact form.

In the CSV files a cell that would start with `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed with
`'`, so a spreadsheet shows it as text instead of running it as a formula (OWASP's advice on CSV injection);
the JSON Lines files carry every value as it is.

File names (`file_names`): `jiaxin-bulletin-<period>-v<version>` and `.pdf`, `-full.csv`, `-full.jsonl`,
`-added.csv`, … for the sanctions, and `-red-list-full.csv`, `-red-list-full.jsonl`, `-red-list-added.csv`, …
for the red list — plain names (`manifest.is_plain_name`), so they go into the signed manifest as they are.

Pure: no Flask, no database.
"""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable

from . import changes, manifest
from .content import Commended, Content, Person, Record, RedFirm

PREFIX = "jiaxin-bulletin"
COLUMNS = ("ref", "subject_kind", "subject_id", "subject_name", "district", "kind", "kind_zh", "severity",
           "severity_zh", "decision_no", "decision_date", "legal_basis", "agency_code", "agency_zh", "sector",
           "window_end", "persons", "objection_pending")
CHANGES = ("added", "removed", "changed")
FULL = "full"
KINDS = (FULL, *CHANGES)
PERSONS_SEPARATOR = "; "  # and the separator of every list in a CSV cell
RED_LIST = "red-list"  # the red list's file names and parts: "…-red-list-full.csv", "red-list-full.csv"
RED_KEY = "uscc"
RED_COLUMNS = ("uscc", "name", "district", "sectors", "grade", "score", "commendations")
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


def _csv(dicts: list[dict], columns: tuple[str, ...], key: str) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for d in sorted(dicts, key=lambda d: d[key]):
        writer.writerow([_cell(d.get(c)) for c in columns])
    return BOM + out.getvalue().encode("utf-8")


def _jsonl(dicts: list[dict], key: str) -> bytes:
    return "".join(changes.line(d) + "\n" for d in sorted(dicts, key=lambda d: d[key])).encode()


def csv_bytes(records: Iterable[Record | dict]) -> bytes:
    """CSV of records (Records or `record_dict`s): BOM, header, rows sorted by ref, CRLF line ends."""
    return _csv(_dicts(records), COLUMNS, changes.REF)


def jsonl_bytes(records: Iterable[Record | dict]) -> bytes:
    """JSON Lines of records: one `changes.line` each, sorted by ref, each ending "\\n" (none: empty)."""
    return _jsonl(_dicts(records), changes.REF)


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


# --- the red list ---------------------------------------------------------------------------------------------


def commended_dict(c: Commended) -> dict:
    """A commendation in force as the red list's JSON Lines files carry it (dates ISO)."""
    return {"title": c.title, "basis": c.basis, "commended_on": c.commended_on.isoformat(),
            "valid_until": c.valid_until.isoformat()}


def commended_text(c: dict) -> str:
    """A commendation as a red-list CSV cell lists it: `title (basis, commended_on–valid_until)`."""
    return f"{c['title']} ({c['basis']}, {c['commended_on']}–{c['valid_until']})"


def red_dict(f: RedFirm) -> dict:
    """A firm's red-list columns, as the JSON Lines files carry them (sectors and commendations lists)."""
    return {"uscc": f.uscc, "name": f.name, "district": f.district, "sectors": list(f.sectors), "grade": f.grade,
            "score": f.score, "commendations": [commended_dict(c) for c in f.commendations]}


def _red_dicts(firms: Iterable[RedFirm | dict]) -> list[dict]:
    return [f if isinstance(f, dict) else red_dict(f) for f in firms]


def red_csv_bytes(firms: Iterable[RedFirm | dict]) -> bytes:
    """CSV of red-list firms (RedFirms or `red_dict`s): as `csv_bytes`, rows sorted by USCC."""
    rows = [{**d, "commendations": [commended_text(c) for c in d["commendations"]]} for d in _red_dicts(firms)]
    return _csv(rows, RED_COLUMNS, RED_KEY)


def red_jsonl_bytes(firms: Iterable[RedFirm | dict]) -> bytes:
    """JSON Lines of red-list firms: as `jsonl_bytes`, sorted by USCC."""
    return _jsonl(_red_dicts(firms), RED_KEY)


def red_change_files(previous_firms: Iterable[RedFirm | dict],
                     current_firms: Iterable[RedFirm | dict]) -> dict[str, bytes]:
    """The firms added to the red list, removed from it, and changed, by USCC, as JSON Lines and CSV:
    {"added.jsonl": …, "added.csv": …, …}, as `change_files`.

    `previous_firms`: the previous bulletin's red list as published (`parse_jsonl` of its red-list full file), or
    nothing: the first bulletin, or a previous one made before the red list had files (every firm is then added).
    """
    found = changes.diff(_red_dicts(previous_firms), _red_dicts(current_firms), key=RED_KEY)
    out: dict[str, bytes] = {}
    for kind in CHANGES:
        listed = getattr(found, kind)
        out[f"{kind}.jsonl"] = red_jsonl_bytes(listed)
        out[f"{kind}.csv"] = red_csv_bytes(listed)
    return out


# --- a bulletin's files ---------------------------------------------------------------------------------------


def stem(period_key: str, version: int) -> str:
    return f"{PREFIX}-{period_key}-v{version}"


def file_names(period_key: str, version: int) -> dict[str, str]:
    """Each file's name by its part: {"pdf": "jiaxin-bulletin-2026-11-v1.pdf", "full.csv": "…-full.csv", …,
    "red-list-full.csv": "…-red-list-full.csv", …}."""
    base = stem(period_key, version)
    names = {"pdf": f"{base}.pdf"}
    for prefix in ("", f"{RED_LIST}-"):
        for kind in KINDS:
            for ext in ("csv", "jsonl"):
                names[f"{prefix}{kind}.{ext}"] = f"{base}-{prefix}{kind}.{ext}"
    for name in names.values():
        if not manifest.is_plain_name(name):
            raise ValueError(f"{name!r} is not a plain file name (period {period_key!r}?)")
    return names


def red_list_names(period_key: str, version: int) -> frozenset[str]:
    """The names of a bulletin's red-list files (they carry firms, no sanction)."""
    return frozenset(name for part, name in file_names(period_key, version).items()
                     if part.startswith(f"{RED_LIST}-"))


def files(content: Content, previous_records: Iterable[Record | dict] | None,
          previous_red_list: Iterable[RedFirm | dict] | None = None) -> dict[str, bytes]:
    """Every open-data file of a bulletin, by file name: the sanctions' full list and changes, and the red list's
    (changes since `previous_red_list`, none: an empty list), CSV and JSON Lines."""
    names = file_names(content.period.key, content.version)
    red = {"full.csv": red_csv_bytes(content.red_list), "full.jsonl": red_jsonl_bytes(content.red_list),
           **red_change_files(previous_red_list or (), content.red_list)}
    made = {"full.csv": full_csv(content.full), "full.jsonl": full_jsonl(content.full),
            **change_files(previous_records or (), content.full),
            **{f"{RED_LIST}-{part}": data for part, data in red.items()}}
    return {names[part]: data for part, data in made.items()}
