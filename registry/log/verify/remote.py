"""Verifying a registry remotely: an HTTP client of the public log endpoints, nothing else.

`verify_remote(base_url, state_path)` fetches the published keys and checkpoint and checks, with the pure
checks in .checks: the checkpoint's signature; its consistency with the checkpoints seen before (kept in a
local state file, written atomically); the listed earlier checkpoints; the inclusion of every (or a sample
of) entry and the latest receipt; and, with `records`, a company's downloaded canonical states.

A URL that serves `checkpoint` at its root is a tlog-tiles prefix (a static mirror `flask log export-tiles` wrote,
or a registry's own `/log`): there it fetches the checkpoint, every hash tile of its tree and every (or a sample of)
entry bundle, recomputes each level and the root from the leaf hashes, checks each entry against its leaf, and
checks the checkpoint seen before is the root of the leaves it had. A mirror serves no proofs: it needs none, since
it serves every hash. Its keys come from `--key`, else from its `key` file (trusted on first use: the state file
keeps them).
"""
from __future__ import annotations

import base64
import json
import os
import random
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from ...tlog import note, tiles
from . import checks
from .checks import RemoteError, unb64
from .report import Counted, Report

# fetch(path) -> (HTTP status, body bytes); path starts with /api/v1/log/…
Fetch = Callable[[str], tuple[int, bytes]]


def http_fetch(base_url: str, timeout: float = 30) -> Fetch:
    base = base_url.rstrip("/")

    def fetch(path: str) -> tuple[int, bytes]:
        req = urllib.request.Request(base + path, headers={"User-Agent": "jiaxin-log-verify/1",  # noqa: S310
                                                           "Accept": "application/json, text/plain"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 — the operator's URL
                return resp.status or 200, resp.read()  # a file:// URL (a mirror's folder) has no status
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    return fetch


def _get(fetch: Fetch, path: str) -> bytes:
    try:
        status, body = fetch(path)
    except (OSError, urllib.error.URLError) as exc:
        raise RemoteError(f"GET {path}: {exc}") from None
    if status != 200:
        raise RemoteError(f"GET {path}: HTTP {status}")
    return body


def _get_json(fetch: Fetch, path: str):
    try:
        return json.loads(_get(fetch, path))
    except ValueError:
        raise RemoteError(f"GET {path}: not JSON") from None


def _consistency(fetch: Fetch, first: int, second: int) -> list[bytes]:
    answer = _get_json(fetch, f"/api/v1/log/proofs/consistency?from={first}&to={second}")
    if answer.get("from") != first or answer.get("to") != second:
        raise RemoteError(f"consistency proof {first} → {second}: the answer is for other sizes")
    return [unb64(h, f"consistency proof {first} → {second}") for h in answer.get("hashes", [])]


# --- the state file: the checkpoints and keys seen before ----------------------------------------


def load_state(path: Path) -> dict:
    if not path.exists():
        return {"version": 1, "origin": None, "keys": [], "checkpoints": [], "alarms": []}
    try:
        state = json.loads(path.read_text())
    except ValueError:
        raise RemoteError(f"state file {path}: not JSON (keep a copy and investigate before replacing it)") from None
    state.setdefault("keys", [])
    state.setdefault("checkpoints", [])
    state.setdefault("alarms", [])
    return state


def save_state(path: Path, state: dict) -> None:
    """Write the state file atomically: a crash leaves the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(state, fh, indent=1)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    try:
        dir_fd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


# --- the verification, step by step --------------------------------------------------------------


def verify_remote(base_url: str, state_path: str | os.PathLike, *, all_entries: bool = False, sample: int = 16,
                  records: list[dict] | None = None, fetch: Fetch | None = None,
                  pinned_keys: list[str] | None = None) -> Report:
    """Verify a registry over its public endpoints; remember its checkpoint in `state_path`."""
    report = Report()
    fetch = fetch or http_fetch(base_url)
    state_path = Path(state_path)
    try:
        state = load_state(state_path)
        if _is_tiles_prefix(fetch):
            if records:
                raise RemoteError("--record needs a registry's URL: a mirror serves no states")
            _verify_mirror(fetch, state, state_path, report, all_entries=all_entries, sample=sample,
                           pinned_keys=pinned_keys)
        else:
            _verify_remote(fetch, state, state_path, report, all_entries=all_entries, sample=sample,
                           records=records, pinned_keys=pinned_keys)
    except RemoteError as exc:
        report.fail(str(exc))
    return report


def _verify_remote(fetch: Fetch, state: dict, state_path: Path, report: Report, *, all_entries: bool, sample: int,
                   records: list[dict] | None, pinned_keys: list[str] | None) -> None:
    served = [line for line in _get(fetch, "/api/v1/log/key").decode("utf-8", "replace").split("\n") if line]
    if not served:
        raise RemoteError("GET /api/v1/log/key: no key")
    known, origin = _check_keys(served, state, state_path, report, pinned_keys)
    signed = _get(fetch, "/api/v1/log/checkpoint").decode("utf-8", "replace")
    latest = _open_latest(signed, known, origin, report)

    if not _check_against_seen(fetch, state, state_path, latest, signed, report):
        return
    _check_history(fetch, known, origin, latest, report, everything=all_entries)
    if latest.size:
        _check_entries(fetch, latest, report, all_entries=all_entries, sample=sample)
        _check_receipt(fetch, latest.size - 1, known, origin, latest, report)
    if records:
        _check_records(fetch, records, latest, report)
    _remember(state, state_path, origin, served, latest, signed)


def _open_latest(signed: str, known: list[note.Verifier], origin: str, report: Report) -> note.Checkpoint:
    try:
        latest = note.open_checkpoint(signed, known, origin)
    except note.NoteError as exc:
        raise RemoteError(f"checkpoint: signature does not verify ({exc})") from None
    report.note(f"checkpoint: size {latest.size}, signature verified")
    return latest


def _raise_alarm(state: dict, state_path: Path, report: Report, problem: str, last: dict, signed: str) -> None:
    """A checkpoint that cannot follow the one seen before: named in the report and kept in the state file, with
    both notes, as evidence."""
    report.alarm = True
    report.fail(f"ALARM: {problem}")
    state["alarms"] = (state["alarms"] + [{"problem": problem, "seen": last["note"], "served": signed}])[-50:]
    save_state(state_path, state)


def _check_keys(served: list[str], state: dict, state_path: Path, report: Report,
                pinned_keys: list[str] | None) -> tuple[list[note.Verifier], str]:
    """The keys that verify (served or pinned, plus those seen before), and the origin."""
    keys, problems = checks.parse_keys(pinned_keys if pinned_keys else served)
    for p in problems:
        report.fail(p)
    if not keys:
        raise RemoteError("no usable verifier key")
    origin = keys[0].name
    if any(k.name != origin for k in keys):
        report.fail("keys: not all keys have the same name (the log's origin)")
    if state.get("origin") not in (None, origin):
        raise RemoteError(f"state file {state_path} is for log {state['origin']!r}, the server's is {origin!r}")
    # Keys seen before still verify the checkpoints seen before (rotation adds keys).
    known = keys + [v for v in checks.parse_keys(state["keys"])[0] if v not in keys and v.name == origin]
    new_keys = [line for line in served if line not in state["keys"]]
    if state["keys"] and new_keys and not pinned_keys:
        report.note(f"keys: {len(new_keys)} new since last time (a rotation?): {', '.join(new_keys)}")
    return known, origin


def _check_against_seen(fetch: Fetch, state: dict, state_path: Path, latest: note.Checkpoint, signed: str,
                        report: Report) -> bool:
    """Is the latest checkpoint consistent with what we saw before? On an alarm, record it and return False."""
    seen = state["checkpoints"]
    if not seen:
        return True
    last = max(seen, key=lambda c: c["size"])
    proof = _consistency(fetch, last["size"], latest.size) if latest.size > last["size"] else None
    problem = checks.seen_problem(last["size"], base64.b64decode(last["root"]), latest, proof)
    if problem:
        _raise_alarm(state, state_path, report, problem, last, signed)
        return False
    report.note(f"consistent with the checkpoint of size {last['size']} seen before")
    return True


def _check_history(fetch: Fetch, known, origin: str, latest: note.Checkpoint, report: Report, *,
                   everything: bool) -> None:
    """The published earlier checkpoints: signed, and consistent with the latest."""
    page, count = 1, 0
    while True:
        items = _get_json(fetch, f"/api/v1/log/checkpoints?page={page}&page_size=100")
        if not isinstance(items, list):
            raise RemoteError("GET /api/v1/log/checkpoints: not a list")
        for item in items:
            count += 1
            try:
                cp = note.open_checkpoint(item.get("checkpoint", ""), known, origin)
            except note.NoteError as exc:
                report.fail(f"listed checkpoint of size {item.get('size')}: signature does not verify ({exc})")
                continue
            if cp.size > latest.size or (cp.size == 0 and latest.size):
                continue  # signed after we fetched the latest, or the empty tree
            proof = _consistency(fetch, cp.size, latest.size) if checks.needs_consistency_proof(cp, latest) else None
            problem = checks.listed_problem(cp, latest, proof)
            if problem:
                report.alarm = True
                report.fail(f"ALARM: {problem}")
        if len(items) < 100 or not everything:
            break
        page += 1
    report.note(f"earlier checkpoints: {count} listed ones verified and proved consistent")


def _check_entries(fetch: Fetch, latest: note.Checkpoint, report: Report, *, all_entries: bool,
                   sample: int) -> None:
    """Every entry (or the first, the last and a random sample) and its inclusion proof."""
    if all_entries:
        indexes = list(range(latest.size))
    else:
        rng = random.SystemRandom()
        indexes = sorted({0, latest.size - 1, *rng.sample(range(latest.size), min(sample, latest.size))})
    bad = Counted(report)
    for i in indexes:
        problem = _check_entry(fetch, i, latest)
        if problem:
            bad.fail(problem)
    bad.close("entries")
    report.note(f"entries: {len(indexes)} of {latest.size} fetched, inclusion verified")


def _check_entry(fetch: Fetch, index: int, cp: note.Checkpoint) -> str | None:
    """Fetch entry `index` and its inclusion proof; return a problem or None."""
    try:
        leaf, problem = checks.entry_leaf(index, _get_json(fetch, f"/api/v1/log/entries/{index}"))
        if problem:
            return problem
        answer = _get_json(fetch, f"/api/v1/log/proofs/inclusion?index={index}&size={cp.size}")
        return checks.inclusion_problem(index, leaf, answer, cp)
    except RemoteError as exc:
        return str(exc)


def _check_receipt(fetch: Fetch, index: int, known, origin: str, latest: note.Checkpoint, report: Report) -> None:
    """The receipt (a tlog proof) of entry `index` verifies, against a checkpoint no older than the latest."""
    try:
        entry = _get_json(fetch, f"/api/v1/log/entries/{index}")
        leaf = checks.body_leaf(index, entry)
        receipt = _get(fetch, f"/api/v1/log/receipts/{index}")
        cp = note.verify_tlog_proof(receipt, leaf, known, origin)
    except (RemoteError, note.NoteError) as exc:
        report.fail(f"receipt {index}: {exc}")
        return
    problem = checks.receipt_problem(index, cp, latest)
    if problem:
        report.fail(problem)
        return
    report.note(f"receipt {index}: verified")


def _check_records(fetch: Fetch, records: list[dict], cp: note.Checkpoint, report: Report) -> None:
    """A holder's downloaded canonical states, each against its entry in the log."""
    ok = 0
    for rec in records:
        digest, problems = checks.record_digest(rec)
        for p in problems:
            report.fail(p)
        if digest is None:
            continue
        problem = checks.record_index_problem(rec, cp)
        if problem:
            report.fail(problem)
            continue
        index = rec["entry_index"]
        problem = _check_entry(fetch, index, cp)
        if problem:
            report.fail(f"{checks.record_label(rec)}: {problem}")
            continue
        fields = json.loads(unb64(_get_json(fetch, f"/api/v1/log/entries/{index}")["body"], "body"))
        problem = checks.record_entry_problem(rec, digest, fields)
        if problem:
            report.fail(problem)
        else:
            ok += 1
    report.note(f"records: {ok} of {len(records)} match their entries in the log")


def _remember(state: dict, state_path: Path, origin: str, served: list[str], latest: note.Checkpoint,
              signed: str) -> None:
    """Keep the keys and the checkpoint seen, for the next run's consistency check."""
    seen = state["checkpoints"]
    state["origin"] = origin
    state["keys"] = list(dict.fromkeys(state["keys"] + served))
    if not seen or latest.size != max(c["size"] for c in seen):
        seen.append({"size": latest.size, "root": base64.b64encode(latest.root).decode(), "note": signed})
    state["checkpoints"] = sorted(seen, key=lambda c: c["size"])[-1000:]
    save_state(state_path, state)


# --- a tlog-tiles prefix: a static mirror, or a registry's /log ----------------------------------


def _is_tiles_prefix(fetch: Fetch) -> bool:
    """A tlog-tiles prefix serves `checkpoint` at its root; a registry's base URL serves it under /api/v1/log/."""
    try:
        status, _body = fetch("/checkpoint")
    except (OSError, urllib.error.URLError):
        return False
    return status == 200


def _verify_mirror(fetch: Fetch, state: dict, state_path: Path, report: Report, *, all_entries: bool,
                   sample: int, pinned_keys: list[str] | None) -> None:
    try:
        status, body = fetch("/key")
    except (OSError, urllib.error.URLError):
        status, body = 0, b""
    served = [line for line in body.decode("utf-8", "replace").split("\n") if line] if status == 200 else []
    if not served and not pinned_keys:
        raise RemoteError("the mirror serves no `key` file: pass the log's verifier key with --key")
    known, origin = _check_keys(served or list(pinned_keys), state, state_path, report, pinned_keys)
    signed = _get(fetch, "/checkpoint").decode("utf-8", "replace")
    latest = _open_latest(signed, known, origin, report)
    levels: list[list[bytes]] = []
    fetched = 0
    for level, n, width in tiles.tiles_of(latest.size):
        if level == len(levels):
            levels.append([])
        data = _get(fetch, "/" + tiles.tile_path(level, n, width))
        levels[level] += checks.tile_hashes(level, n, width, data)
        fetched += 1
    problem = checks.tiles_problem(levels, latest)
    if problem:
        report.fail(problem)
        return
    report.note(f"tiles: {fetched} hash tiles fetched; every level and the root recomputed from the leaf hashes")
    leaves = levels[0] if levels else []
    seen = state["checkpoints"]
    if seen:
        last = max(seen, key=lambda c: c["size"])
        problem = checks.seen_problem_in_tiles(last["size"], base64.b64decode(last["root"]), latest, leaves)
        if problem:
            _raise_alarm(state, state_path, report, problem, last, signed)
            return
        report.note(f"consistent with the checkpoint of size {last['size']} seen before")
    if latest.size:
        _check_bundles(fetch, leaves, latest, report, all_entries=all_entries, sample=sample)
    _remember(state, state_path, origin, served, latest, signed)


def _check_bundles(fetch: Fetch, leaves: list[bytes], latest: note.Checkpoint, report: Report, *,
                   all_entries: bool, sample: int) -> None:
    """Every entry bundle (or the first, the last and a random sample): each entry hashes to its leaf."""
    count = (latest.size + tiles.WIDTH - 1) // tiles.WIDTH
    if all_entries:
        chosen = list(range(count))
    else:
        rng = random.SystemRandom()
        chosen = sorted({0, count - 1, *rng.sample(range(count), min(sample, count))})
    bad = Counted(report)
    for n in chosen:
        width = tiles.widest(0, n, latest.size)
        try:
            problem = checks.bundle_problem(n, width, _get(fetch, "/" + tiles.entries_path(n, width)), leaves)
        except RemoteError as exc:
            problem = str(exc)
        if problem:
            bad.fail(problem)
    bad.close("entry bundles")
    report.note(f"entry bundles: {len(chosen)} of {count} fetched, every entry hashes to its leaf")
