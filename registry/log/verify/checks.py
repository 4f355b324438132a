"""The remote verifier's checks, pure: each takes answers already fetched and returns a problem (or None).

Nothing here does I/O; remote.py fetches and calls these. A malformed answer raises RemoteError.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import json

import rfc8785

from ...tlog import merkle, note, tiles


class RemoteError(Exception):
    """An answer that stops the remote verification (named in the report)."""


def unb64(value, what: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise RemoteError(f"{what}: not base64") from None


def parse_keys(lines: list[str]) -> tuple[list[note.Verifier], list[str]]:
    """The verifier keys of the key lines, and a problem for each line that is not one."""
    keys, problems = [], []
    for number, line in enumerate(lines, 1):
        try:
            keys.append(note.parse_verifier_key(line))
        except note.NoteError as exc:
            problems.append(f"key line {number}: {exc}")
    return keys, problems


def seen_problem(last_size: int, last_root: bytes, latest: note.Checkpoint, proof: list[bytes] | None) -> str | None:
    """Why the latest checkpoint cannot follow the one seen before (rolled back, forked, rewritten), or None.

    `proof` is the consistency proof from `last_size` to the latest size, needed only when the log grew.
    """
    if latest.size < last_size:
        return (f"the server's checkpoint (size {latest.size}) is older than the one seen before "
                f"(size {last_size}): the log was rolled back")
    if latest.size == last_size:
        if latest.root != last_root:
            return (f"the server's checkpoint of size {latest.size} has a different root than the one seen "
                    f"before: the log forked")
        return None
    if not merkle.verify_consistency(last_size, latest.size, last_root, latest.root, proof):
        return (f"the server's checkpoint (size {latest.size}) is not consistent with the checkpoint "
                f"of size {last_size} seen before: the log forked or was rewritten")
    return None


def listed_problem(cp: note.Checkpoint, latest: note.Checkpoint, proof: list[bytes] | None) -> str | None:
    """Why a listed earlier checkpoint contradicts the latest one (an alarm), or None.

    `proof` is the consistency proof from its size to the latest, needed when 0 < cp.size < latest.size.
    """
    if cp.size == latest.size:
        return None if cp.root == latest.root else \
            f"listed checkpoint of size {cp.size} has another root than the latest"
    if not merkle.verify_consistency(cp.size, latest.size, cp.root, latest.root, proof):
        return f"listed checkpoint of size {cp.size} is not consistent with the latest (size {latest.size})"
    return None


def needs_consistency_proof(cp: note.Checkpoint, latest: note.Checkpoint) -> bool:
    """A listed checkpoint is proved consistent when it is non-empty and older than the latest."""
    return 0 < cp.size < latest.size


def body_leaf(index: int, entry: dict) -> bytes:
    """The leaf hash of an entry answer's body."""
    return merkle.leaf_hash(unb64(entry.get("body"), f"entry {index}: body"))


def entry_leaf(index: int, entry: dict) -> tuple[bytes, str | None]:
    """An entry answer's leaf hash recomputed from its body, and the problem with its body, if any."""
    body = unb64(entry.get("body"), f"entry {index}: body")
    if entry.get("index") != index:
        return b"", f"entry {index}: the answer is for entry {entry.get('index')}"
    leaf = merkle.leaf_hash(body)
    if unb64(entry.get("leaf_hash"), f"entry {index}: leaf hash") != leaf:
        return leaf, f"entry {index}: leaf hash does not match its body"
    try:
        fields = json.loads(body)
    except ValueError:
        return leaf, f"entry {index}: body is not JSON"
    if not isinstance(fields, dict) or fields.get("seq") != index:
        return leaf, f"entry {index}: body is numbered {fields.get('seq') if isinstance(fields, dict) else None!r}"
    return leaf, None


def inclusion_problem(index: int, leaf: bytes, answer: dict, cp: note.Checkpoint) -> str | None:
    """Whether an inclusion-proof answer proves `leaf` at `index` in the checkpoint."""
    proof = [unb64(h, f"entry {index}: proof") for h in answer.get("hashes", [])]
    if answer.get("index") != index or answer.get("size") != cp.size:
        return f"entry {index}: the inclusion proof is for another index or size"
    if not merkle.verify_inclusion(index, cp.size, leaf, proof, cp.root):
        return f"entry {index}: inclusion proof does not verify against the checkpoint of size {cp.size}"
    return None


def receipt_problem(index: int, receipt_cp: note.Checkpoint, latest: note.Checkpoint) -> str | None:
    if receipt_cp.size < latest.size:
        return (f"receipt {index}: its checkpoint (size {receipt_cp.size}) is older than the latest "
                f"({latest.size})")
    return None


def records_from(document) -> list[dict]:
    """The records of a downloaded states document (GET /companies/{uscc}/states), or a list of records."""
    if isinstance(document, dict) and "company" in document:
        return [document["company"], *document.get("workers", [])]
    if isinstance(document, dict):
        return [document]
    if isinstance(document, list):
        return document
    raise ValueError("not a states document")


def record_label(rec: dict) -> str:
    return f"{rec.get('kind', 'record')} {rec.get('log_ref')}"


def record_digest(rec: dict) -> tuple[str | None, list[str]]:
    """A downloaded record's canonical-state digest, and problems with the record itself."""
    label = record_label(rec)
    try:
        digest = hashlib.sha256(rfc8785.dumps(rec["state"])).hexdigest()
    except (KeyError, TypeError, rfc8785.CanonicalizationError):
        return None, [f"{label}: the file has no canonical state"]
    problems = []
    if rec.get("digest") not in (None, digest):
        problems.append(f"{label}: the file's digest does not match its state")
    return digest, problems


def record_index_problem(rec: dict, cp: note.Checkpoint) -> str | None:
    """Whether the record names a log entry inside the checkpoint."""
    index = rec.get("entry_index")
    if not isinstance(index, int):
        return f"{record_label(rec)}: no log entry"
    if index >= cp.size:
        return f"{record_label(rec)}: entry {index} is not in the latest checkpoint (size {cp.size}) yet"
    return None


def record_entry_problem(rec: dict, digest: str, fields: dict) -> str | None:
    """Whether the record's entry (its body's fields) is about this record and carries its digest."""
    index = rec["entry_index"]
    if fields.get("subject") != rec.get("log_ref"):
        return f"{record_label(rec)}: entry {index} is about another record"
    if fields.get("digest") != digest:
        return f"{record_label(rec)}: canonical state digest differs from entry {index}"
    return None


# --- a static mirror's tiles (c2sp.org/tlog-tiles) ---------------------------------------------


def tile_hashes(level: int, n: int, width: int, data: bytes) -> list[bytes]:
    """The hashes of a fetched tile; RemoteError unless it holds exactly `width` of them."""
    if len(data) != width * tiles.HASH_SIZE:
        raise RemoteError(f"{tiles.tile_path(level, n, width)}: {len(data)} bytes, not {width} hashes")
    return tiles.split_hashes(data)


def tiles_problem(levels: list[list[bytes]], cp: note.Checkpoint) -> str | None:
    """Why a tree's tiles, level by level, are not the tree of checkpoint `cp` (or None): the leaf hashes must give
    its root, and each higher level's hashes must be the roots of the groups of 256 below them."""
    leaves = levels[0] if levels else []
    if len(leaves) != cp.size:
        return f"tiles: {len(leaves)} leaf hashes for a checkpoint of size {cp.size}"
    if merkle.root_from_leaves(leaves) != cp.root:
        return f"tiles: the leaf hashes do not give the root of the checkpoint of size {cp.size}"
    for level in range(1, len(levels)):
        below = levels[level - 1]
        expected = [merkle.root_from_leaves(below[i:i + tiles.WIDTH])
                    for i in range(0, len(below) - tiles.WIDTH + 1, tiles.WIDTH)]
        for k, (got, want) in enumerate(zip(levels[level], expected, strict=False)):
            if got != want:
                return (f"{tiles.tile_path(level, k // tiles.WIDTH, tiles.widest(level, k // tiles.WIDTH, cp.size))}"
                        f": hash {k % tiles.WIDTH} is not the root of the 256 hashes below it")
        if len(levels[level]) != len(expected):
            return f"tiles: level {level} has {len(levels[level])} hashes, the tree {len(expected)}"
    return None


def seen_problem_in_tiles(last_size: int, last_root: bytes, latest: note.Checkpoint,
                          leaves: list[bytes]) -> str | None:
    """`seen_problem` for a mirror, which serves no proofs: the checkpoint seen before must be the root of the
    first `last_size` leaf hashes of the latest tree's tiles."""
    if latest.size < last_size:
        return seen_problem(last_size, last_root, latest, None)
    if merkle.root_from_leaves(leaves[:last_size]) != last_root:
        return (f"the mirror's tiles (size {latest.size}) do not contain the checkpoint of size {last_size} seen "
                f"before: the log forked or was rewritten")
    return None


def bundle_problem(n: int, width: int, data: bytes, leaves: list[bytes]) -> str | None:
    """Why entry bundle n does not hold the entries of leaf hashes n·256… (or None)."""
    path = tiles.entries_path(n, width)
    try:
        entries = tiles.unbundle(data)
    except ValueError as exc:
        return f"{path}: {exc}"
    if len(entries) != width:
        return f"{path}: {len(entries)} entries, not {width}"
    for k, entry in enumerate(entries):
        if merkle.leaf_hash(entry) != leaves[n * tiles.WIDTH + k]:
            return f"{path}: entry {n * tiles.WIDTH + k} does not hash to its leaf in the tiles"
    return None
