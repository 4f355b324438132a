"""The log for mirrors: its tiles and entry bundles (C2SP tlog-tiles, `registry/tlog/tiles.py`) read from the stored
hashes and entries, served under `/log/` (tiles_views.py) and written as static files (`flask log export-tiles DIR`).

Everything is cut at the latest signed checkpoint's size: a mirror holds what a checkpoint commits to, and a tile
past it does not exist yet. A full tile and a full bundle never change; a partial one is the prefix of the full one
it will become, so any width up to what the checkpoint covers is served.

The export writes the tiles first and the checkpoint last (each file written whole, then renamed into place), so a
mirror copied from it at any moment never holds a checkpoint whose tiles are missing. Full tiles already there are
not written again; partial tiles of earlier exports stay (each is still a true prefix). The verifier keys go beside
as `key` (one a line, as `/api/v1/log/key`), for `log verify --remote` to start from when no key is pinned.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from ..extensions import db
from ..keys import KeyRing
from ..tlog import tiles
from . import checkpoints
from .models import LogEntry
from .services import read_hashes


def checkpoint_size() -> int:
    cp = checkpoints.latest_checkpoint()
    return cp.size if cp else 0


def tile_bytes(level: int, n: int, width: int, size: int) -> bytes | None:
    """Hash tile (level, n) of `width` in a tree of `size`, or None when the tree has no such tile (yet)."""
    if width > tiles.widest(level, n, size):
        return None
    return b"".join(read_hashes(tiles.stored_indexes(level, n, width)))


def bundle_bytes(n: int, width: int, size: int) -> bytes | None:
    """Entry bundle n of `width` in a tree of `size`, or None when there is no such bundle (yet)."""
    if width > tiles.widest(0, n, size):
        return None
    first = n * tiles.WIDTH
    bodies = db.session.execute(select(LogEntry.body).where(LogEntry.seq >= first, LogEntry.seq < first + width)
                                .order_by(LogEntry.seq)).scalars().all()
    if len(bodies) != width:
        raise RuntimeError(f"log entries {first}…{first + width - 1} are not all stored")
    return tiles.bundle([bytes(b) for b in bodies])


@dataclass(frozen=True)
class Exported:
    size: int
    written: int   # files written this time
    kept: int      # full tiles and bundles already there, left as they were


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(data)
    os.replace(partial, path)


def export(directory: Path, ring: KeyRing, origin: str) -> Exported:
    """Write the log as of its latest checkpoint into `directory` as tlog-tiles static files."""
    directory = Path(directory)
    cp = checkpoints.latest_checkpoint()
    if cp is None:
        raise LookupError("the log has no signed checkpoint yet")
    written = kept = 0
    for level, n, width in tiles.tiles_of(cp.size):
        jobs = [(tiles.tile_path(level, n, width), lambda level=level, n=n, width=width:
                 tile_bytes(level, n, width, cp.size))]
        if level == 0:
            jobs.append((tiles.entries_path(n, width), lambda n=n, width=width: bundle_bytes(n, width, cp.size)))
        for relative, read in jobs:
            path = directory / relative
            if width == tiles.WIDTH and path.exists():
                kept += 1
                continue
            _write(path, read())
            written += 1
    _write(directory / "key", "".join(k + "\n" for k in checkpoints.verifier_keys(ring, origin)).encode())
    _write(directory / "checkpoint", cp.note.encode())
    db.session.rollback()
    return Exported(size=cp.size, written=written + 2, kept=kept)
