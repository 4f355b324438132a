"""C2SP tlog-tiles, pure (registry/tlog/tiles.py): the spec's path spelling, which tiles a tree has and how wide,
which stored hashes a tile holds, and entry bundles."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.tlog import merkle, tiles


@pytest.mark.parametrize(("n", "path"), [(0, "000"), (7, "007"), (999, "999"), (1000, "x001/000"),
                                         (1234067, "x001/x234/067"), (10**9, "x001/x000/x000/000")])
def test_an_index_is_written_in_three_digit_elements_all_but_the_last_with_x(n, path):
    assert tiles.index_path(n) == path
    assert tiles.parse_index(path) == (n, tiles.WIDTH)


def test_paths_of_full_and_partial_tiles_and_bundles():
    assert tiles.tile_path(0, 1234067) == "tile/0/x001/x234/067"
    assert tiles.tile_path(2, 5, 17) == "tile/2/005.p/17"
    assert tiles.entries_path(1234067, 255) == "tile/entries/x001/x234/067.p/255"
    assert tiles.parse_index("067.p/5") == (67, 5)
    for bad in ((6, 0, 256), (-1, 0, 256), (0, 0, 0), (0, 0, 257)):
        with pytest.raises(ValueError):
            tiles.tile_path(*bad)
    with pytest.raises(ValueError):
        tiles.index_path(-1)


@pytest.mark.parametrize("text", ["", "1", "01", "0001", "x001", "x001/1", "001/001", "x000/001", "abc",
                                  "001.p/0", "001.p/256", "001.p/05", "001.p/", "001.p/x", "001.p/5/6",
                                  "x01/001", "-01", "001/", "/001"])
def test_a_path_that_names_no_tile_is_refused(text):
    with pytest.raises(tiles.TilePathError):
        tiles.parse_index(text)


@pytest.mark.parametrize("text", ["6", "01", "-1", "x", "", "entries"])
def test_a_level_is_0_to_5_without_leading_zeros(text):
    with pytest.raises(tiles.TilePathError):
        tiles.parse_level(text)
    assert [tiles.parse_level(str(k)) for k in range(6)] == list(range(6))


@given(st.integers(min_value=0, max_value=10**15), st.integers(min_value=1, max_value=256))
def test_every_index_and_width_round_trips(n, width):
    path = tiles.index_path(n) + ("" if width == 256 else f".p/{width}")
    assert tiles.parse_index(path) == (n, width)


@pytest.mark.parametrize("size", [0, 1, 2, 255, 256, 257, 511, 512, 65535, 65536, 65537, 70000, 256**3 + 1])
def test_a_tree_has_each_levels_full_tiles_and_one_partial_and_nothing_more(size):
    found = list(tiles.tiles_of(size))
    levels = sorted({level for level, _n, _w in found})
    assert levels == list(range(len(levels)))
    for level in levels:
        mine = [(n, w) for lv, n, w in found if lv == level]
        assert [n for n, _w in mine] == list(range(len(mine)))
        assert all(w == 256 for _n, w in mine[:-1]) and 1 <= mine[-1][1] <= 256
        # The widths add up to the level's hashes: the complete subtrees of 256**level leaves.
        assert sum(w for _n, w in mine) == size // 256**level
    assert size // 256 ** (len(levels)) == 0  # no level above the last has a hash
    for level, n, width in found:
        assert tiles.widest(level, n, size) == width
    assert tiles.widest(0, size // 256 + 1, size) == 0  # the tile after the last has no hash yet


def test_a_tiles_hashes_are_the_stored_hashes_at_its_height():
    # Level 0: the leaves; level 1 tile 2's third hash: the root of leaves (2·256+2)·256 … +255 at height 8.
    assert tiles.stored_indexes(0, 0, 3) == [merkle.stored_hash_index(0, k) for k in range(3)]
    assert tiles.stored_indexes(1, 2, 3)[2] == merkle.stored_hash_index(8, 2 * 256 + 2)
    for level, n, width in [(0, 0, 256), (0, 5, 17), (1, 3, 200), (2, 0, 1)]:
        for k, index in enumerate(tiles.stored_indexes(level, n, width)):
            assert tiles.tile_of_stored(index) == (level, n, k)
    with pytest.raises(ValueError):
        tiles.tile_of_stored(merkle.stored_hash_index(3, 0))


def test_the_hashes_of_a_tile_are_the_roots_of_the_complete_subtrees_they_stand_for():
    leaves = [merkle.leaf_hash(f"entry {i}".encode()) for i in range(256 * 3 + 5)]
    stored: list[bytes] = []

    def read(indexes: list[int]) -> list[bytes]:
        return [stored[x] for x in indexes]

    for i, leaf in enumerate(leaves):
        stored += [h for _index, h in merkle.hashes_to_store(i, leaf, read)]
    for k in range(3):
        index = tiles.stored_indexes(1, 0, 3)[k]
        assert stored[index] == merkle.root_from_leaves(leaves[k * 256:(k + 1) * 256])


@given(st.lists(st.binary(max_size=300), max_size=20))
def test_a_bundle_holds_each_entry_after_its_length(entries):
    data = tiles.bundle(entries)
    assert tiles.unbundle(data) == entries
    assert len(data) == sum(2 + len(e) for e in entries)


def test_a_bundle_is_big_endian_and_refuses_what_does_not_fit():
    assert tiles.bundle([b"ab", b""]) == b"\x00\x02ab\x00\x00"
    assert tiles.bundle([b"x" * 300])[:2] == b"\x01\x2c"
    with pytest.raises(ValueError):
        tiles.bundle([b"x" * 65536])
    for bad in (b"\x00", b"\x00\x05abc", b"\x00\x02ab\x00"):
        with pytest.raises(ValueError):
            tiles.unbundle(bad)


def test_a_tiles_bytes_are_whole_hashes():
    assert tiles.split_hashes(bytes(64)) == [bytes(32), bytes(32)]
    with pytest.raises(ValueError):
        tiles.split_hashes(bytes(33))
