"""Open-data change files that reconcile exactly (pure: no Flask, no database).

Each bulletin period publishes a full file — one record per line, each a JSON object with a stable string key
(`ref` unless told otherwise: the red list's files are keyed by `uscc`) — and a change file against the previous
period's: the records added, removed and changed. A reader holding the previous full file applies the changes and
must get the current full file byte for byte; anything less and a re-user's copy silently drifts from the
registry's. So:

- one canonical form per record (`line`: sorted keys, UTF-8 as is, no spaces), and "changed" means the canonical
  lines differ — not Python equality, which takes 1, 1.0 and True for the same value while their JSON differs;
- `sorted_lines` is the file's bytes: every record's line, sorted as bytes, each ending in "\\n";
- `apply` refuses changes that do not fit the file it is given (a ref removed or changed that is not there, one
  added that already is, a removed record that is not the one held, one ref twice) instead of guessing.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

REF = "ref"


@dataclass(frozen=True)
class Changes:
    """What turns one full file into the next: each list sorted by the key (`ref`)."""

    added: list[dict] = field(default_factory=list)  # records only in the current file
    removed: list[dict] = field(default_factory=list)  # the previous file's records whose ref is gone
    changed: list[dict] = field(default_factory=list)  # the current versions of records whose line differs


def line(record: dict) -> str:
    """A record's one canonical JSON line (no newline): sorted keys, non-ASCII as is, separators without spaces.

    Values JSON cannot carry exactly are a ValueError: NaN and infinities, and text that is not valid Unicode
    (a lone surrogate) — the latter would only fail later, when the file is written as UTF-8.
    """
    text = json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    text.encode("utf-8")  # UnicodeEncodeError (a ValueError) now rather than when the file is written
    return text


def sorted_lines(records: Iterable[dict]) -> bytes:
    """The file's bytes: every record's line in UTF-8, sorted, each followed by "\\n" (no records: empty)."""
    return b"".join(x + b"\n" for x in sorted(line(r).encode("utf-8") for r in records))


def _ref(record: dict, what: str, key: str) -> str:
    if not isinstance(record, dict):
        raise ValueError(f"{what}: a record must be a JSON object, not {type(record).__name__}")
    ref = record.get(key)
    if not isinstance(ref, str):
        raise ValueError(f"{what}: every record needs a string {key!r}, not {ref!r}")
    return ref


def _by_ref(records: Iterable[dict], what: str, key: str) -> dict[str, dict]:
    found: dict[str, dict] = {}
    for record in records:
        ref = _ref(record, what, key)
        if ref in found:
            raise ValueError(f"{what}: {key} {ref!r} appears more than once")
        found[ref] = record
    return found


def _sorted(records: Iterable[dict], key: str) -> list[dict]:
    return sorted(records, key=lambda r: r[key])


def diff(previous: list[dict], current: list[dict], key: str = REF) -> Changes:
    """The changes from the previous full file to the current one, its records told apart by `key`."""
    before = _by_ref(previous, "previous", key)
    after = _by_ref(current, "current", key)
    return Changes(
        added=_sorted((r for ref, r in after.items() if ref not in before), key),
        removed=_sorted((r for ref, r in before.items() if ref not in after), key),
        changed=_sorted((r for ref, r in after.items() if ref in before and line(r) != line(before[ref])), key),
    )


def apply(previous: list[dict], changes: Changes, key: str = REF) -> list[dict]:
    """The current full file from the previous one and the changes, sorted by `key`; a ValueError if they do not
    fit."""
    held = _by_ref(previous, "previous", key)
    removed = _by_ref(changes.removed, "removed", key)
    changed = _by_ref(changes.changed, "changed", key)
    added = _by_ref(changes.added, "added", key)
    twice = (removed.keys() & changed.keys()) | (removed.keys() & added.keys()) | (changed.keys() & added.keys())
    if twice:
        raise ValueError(f"{key}s in more than one list of the changes: {sorted(twice)}")
    for ref, record in removed.items():
        if ref not in held:
            raise ValueError(f"removed: {key} {ref!r} is not in the previous file")
        if line(record) != line(held[ref]):
            raise ValueError(f"removed: {key} {ref!r} differs from the previous file's record"
                             " (changes made for another file?)")
    for ref in changed:
        if ref not in held:
            raise ValueError(f"changed: {key} {ref!r} is not in the previous file")
    for ref in added:
        if ref in held:
            raise ValueError(f"added: {key} {ref!r} is already in the previous file")
    result = {ref: r for ref, r in held.items() if ref not in removed}
    result.update(changed)
    result.update(added)
    return _sorted(result.values(), key)
