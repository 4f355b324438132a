"""C2SP tlog-tiles (https://c2sp.org/tlog-tiles): the log's hashes and entries cut into tiles of 256, pure.

A mirror serves a log as static files under a prefix: `checkpoint`, hash tiles `tile/<L>/<N>[.p/<W>]` and entry
bundles `tile/entries/<N>[.p/<W>]`.

- A tile at level `L` holds up to 256 consecutive hashes of the tree at height 8·L: level 0 the leaf hashes,
  level 1 the roots of the level-0 tiles' subtrees (each of 256 leaves), and so on. Its index `N` counts tiles
  from the left within its level, written as 3-digit path elements, all but the last prefixed with `x`
  (1234067 → `x001/x234/067`). `L` is 0 to 5 with no leading zeros (256^6 leaves is more than any log).
- A full tile holds 256 hashes (8,192 bytes) and never changes. The rightmost tile of a level holds fewer, `W`
  (1–255), and is served at `.p/<W>`. A partial tile's hashes are the first W of the full tile it will become:
  each is the root of a complete subtree, which no later entry changes.
- An entry bundle holds the entries of a level-0 tile, each as a big-endian uint16 length and the entry's bytes.

Our stored hashes are Go's `tlog` layout (`merkle.stored_hash_index(level, n)`): the tile's k-th hash at level L is
stored hash (8·L, N·256 + k).
"""
from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from . import merkle

HEIGHT = 8
WIDTH = 1 << HEIGHT  # hashes in a full tile
MAX_LEVEL = 5
HASH_SIZE = 32
MAX_ENTRY = 0xFFFF  # an entry's length is a uint16

_ELEMENT = re.compile(r"x\d{3}")
_LAST = re.compile(r"\d{3}")


class TilePathError(ValueError):
    """A path that names no tile."""


def index_path(n: int) -> str:
    """A tile index as tlog-tiles writes it: 3-digit elements, all but the last prefixed with `x`."""
    if n < 0:
        raise ValueError(f"a tile index is not negative: {n}")
    digits = f"{n:d}"
    digits = "0" * (-len(digits) % 3) + digits
    groups = [digits[i:i + 3] for i in range(0, len(digits), 3)]
    return "/".join([f"x{g}" for g in groups[:-1]] + [groups[-1]])


def _width_suffix(width: int) -> str:
    if not 1 <= width <= WIDTH:
        raise ValueError(f"a tile's width is 1 to {WIDTH}: {width}")
    return "" if width == WIDTH else f".p/{width}"


def tile_path(level: int, n: int, width: int = WIDTH) -> str:
    """`tile/<L>/<N>[.p/<W>]`."""
    if not 0 <= level <= MAX_LEVEL:
        raise ValueError(f"a tile's level is 0 to {MAX_LEVEL}: {level}")
    return f"tile/{level}/{index_path(n)}{_width_suffix(width)}"


def entries_path(n: int, width: int = WIDTH) -> str:
    """`tile/entries/<N>[.p/<W>]`."""
    return f"tile/entries/{index_path(n)}{_width_suffix(width)}"


def parse_index(text: str) -> tuple[int, int]:
    """The index and width of `<N>[.p/<W>]` (width 256 for a full tile); TilePathError if it is not one.

    Strict, as a static file server is: one spelling per tile (no leading `x000/`, a width written without zeros
    in front, 1–255 after `.p/`)."""
    width = WIDTH
    if ".p/" in text:
        text, w = text.split(".p/", 1)
        if not w.isdigit() or w != str(int(w)) or not 1 <= int(w) < WIDTH:
            raise TilePathError(f"a partial tile's width is 1 to {WIDTH - 1}: {w!r}")
        width = int(w)
    parts = text.split("/")
    if not parts or not _LAST.fullmatch(parts[-1]) or not all(_ELEMENT.fullmatch(p) for p in parts[:-1]):
        raise TilePathError(f"not a tile index: {text!r}")
    if len(parts) > 1 and parts[0] == "x000":
        raise TilePathError(f"a tile index has no leading zero elements: {text!r}")
    n = int("".join(p.lstrip("x") for p in parts))
    return n, width


def parse_level(text: str) -> int:
    if not text.isdigit() or text != str(int(text)) or int(text) > MAX_LEVEL:
        raise TilePathError(f"a tile's level is 0 to {MAX_LEVEL}: {text!r}")
    return int(text)


def hashes_at(level: int, size: int) -> int:
    """How many hashes a tree of `size` leaves has at tile level `level` (complete subtrees of 256^level leaves)."""
    return size >> (HEIGHT * level)


def widest(level: int, n: int, size: int) -> int:
    """The width tile (level, n) has in a tree of `size` leaves: 256 when full, 0 when it has no hash yet."""
    return max(0, min(WIDTH, hashes_at(level, size) - n * WIDTH))


def tiles_of(size: int) -> Iterator[tuple[int, int, int]]:
    """Every tile of a tree of `size` leaves, as (level, index, width): each level's full tiles, then its partial
    one if any, level by level while a level has a hash."""
    level = 0
    while level <= MAX_LEVEL and hashes_at(level, size) > 0:
        count = hashes_at(level, size)
        for n in range((count + WIDTH - 1) // WIDTH):
            yield level, n, widest(level, n, size)
        level += 1


def stored_indexes(level: int, n: int, width: int) -> list[int]:
    """The stored-hash indexes of tile (level, n)'s first `width` hashes."""
    return [merkle.stored_hash_index(HEIGHT * level, n * WIDTH + k) for k in range(width)]


def bundle(entries: Sequence[bytes]) -> bytes:
    """An entry bundle: each entry as its big-endian uint16 length and its bytes."""
    out = bytearray()
    for entry in entries:
        if len(entry) > MAX_ENTRY:
            raise ValueError(f"an entry of {len(entry)} bytes does not fit a bundle (at most {MAX_ENTRY})")
        out += len(entry).to_bytes(2, "big") + entry
    return bytes(out)


def unbundle(data: bytes) -> list[bytes]:
    """The entries of a bundle; ValueError if it does not parse whole."""
    entries, at = [], 0
    while at < len(data):
        if at + 2 > len(data):
            raise ValueError("an entry bundle ends inside a length")
        length = int.from_bytes(data[at:at + 2], "big")
        if at + 2 + length > len(data):
            raise ValueError("an entry bundle ends inside an entry")
        entries.append(data[at + 2:at + 2 + length])
        at += 2 + length
    return entries


def split_hashes(data: bytes) -> list[bytes]:
    """The hashes of a tile's bytes; ValueError unless it is whole hashes."""
    if len(data) % HASH_SIZE:
        raise ValueError(f"a tile of {len(data)} bytes is not whole hashes")
    return [data[i:i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]


def tile_of_stored(index: int) -> tuple[int, int, int]:
    """Which tile holds stored hash `index`, as (tile level, tile index, position in it); ValueError if no tile
    does (a tile level holds only the tree's heights 0, 8, 16, …)."""
    height, n = merkle.split_stored_hash_index(index)
    if height % HEIGHT:
        raise ValueError(f"stored hash {index} is at height {height}, which no tile holds")
    return height // HEIGHT, n // WIDTH, n % WIDTH
