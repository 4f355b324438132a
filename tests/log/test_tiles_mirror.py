"""The log for mirrors (registry/log/mirror.py, tiles_views.py, `flask log export-tiles`, `log verify --remote` on a
tlog-tiles prefix): served and exported tiles are the stored hashes, bundles the stored entries, for trees of many
sizes, partial tiles included; what names no tile is refused; a mirror verifies, and one that was changed, rolled
back or forked does not."""
from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from sqlalchemy import select, text

from registry.extensions import db
from registry.log.models import LogCheckpoint, LogEntry, LogHash
from registry.log.verify import verify_remote
from registry.tlog import merkle, tiles
from tests.support.logutil import ORIGIN, append_synthetic, sign


def stored(indexes: list[int]) -> bytes:
    db.session.rollback()
    found = dict(db.session.execute(select(LogHash.id, LogHash.hash).where(LogHash.id.in_(indexes))).all())
    return b"".join(bytes(found[i]) for i in indexes)


def bodies(first: int, count: int) -> list[bytes]:
    return [bytes(b) for b in db.session.execute(select(LogEntry.body).where(
        LogEntry.seq >= first, LogEntry.seq < first + count).order_by(LogEntry.seq)).scalars()]


def grow_to(ring, size: int) -> str:
    """Append entries until the log holds `size`, and sign it; the signed note."""
    db.session.rollback()
    have = db.session.execute(text("SELECT size FROM log_head WHERE id = 1")).scalar_one()
    if size > have:
        append_synthetic(ring, size - have, batch=5000)
    return sign(ring).checkpoint.note


def prefix_fetch(client, prefix: str = "/log"):
    def fetch(path: str):
        resp = client.get(prefix + path)
        return resp.status_code, resp.data
    return fetch


def folder_fetch(folder: Path):
    def fetch(path: str):
        target = folder / path.lstrip("/")
        return (200, target.read_bytes()) if target.is_file() else (404, b"")
    return fetch


SIZES = [1, 2, 255, 256, 257, 511, 513, 700]


def test_served_tiles_and_bundles_are_the_stored_hashes_and_entries_for_trees_of_many_sizes(app, client, factory):
    ring = factory.ring
    for size in SIZES:
        signed = grow_to(ring, size)
        resp = client.get("/log/checkpoint")
        assert resp.status_code == 200 and resp.get_data(as_text=True) == signed
        assert resp.headers["Cache-Control"] == "no-cache"
        for level, n, width in tiles.tiles_of(size):
            resp = client.get("/log/" + tiles.tile_path(level, n, width))
            assert resp.status_code == 200, (size, level, n, width)
            assert resp.content_type == "application/octet-stream"
            assert resp.data == stored(tiles.stored_indexes(level, n, width))
            assert resp.headers["Cache-Control"] == ("public, max-age=31536000, immutable" if width == 256
                                                     else "no-cache")
            # A narrower partial tile is the same hashes' prefix; a wider one is not there yet.
            if width > 1:
                narrower = client.get("/log/" + tiles.tile_path(level, n, width - 1))
                assert narrower.data == resp.data[:-32]
            if width < 256:
                wider = client.get("/log/" + tiles.tile_path(level, n, width + 1))
                assert wider.status_code == 404 and wider.get_json()["error"]["code"] == "tile_not_found"
            if level == 0:
                bundle = client.get("/log/" + tiles.entries_path(n, width))
                assert bundle.status_code == 200
                assert tiles.unbundle(bundle.data) == bodies(n * 256, width)
        # The tile after the last is not there yet.
        after = client.get("/log/" + tiles.tile_path(0, size // 256 + 1))
        assert after.status_code == 404


def test_tiles_stop_at_the_latest_checkpoint(app, client, factory):
    grow_to(factory.ring, 300)
    append_synthetic(factory.ring, 10)  # logged, not yet in a checkpoint
    assert client.get("/log/tile/0/001.p/44").status_code == 200
    assert client.get("/log/tile/0/001.p/45").status_code == 404
    assert client.get("/log/tile/entries/001.p/45").status_code == 404


@pytest.mark.parametrize("path", ["/log/tile/6/000", "/log/tile/01/000", "/log/tile/0/0", "/log/tile/0/x000/001",
                                  "/log/tile/0/000.p/0", "/log/tile/0/000.p/256", "/log/tile/entries/000.p/007",
                                  "/log/tile/entries/abc"])
def test_a_path_that_names_no_tile_is_a_400_naming_the_path(app, client, factory, path):
    grow_to(factory.ring, 3)
    resp = client.get(path)
    assert resp.status_code == 400
    error = resp.get_json()["error"]
    assert error["code"] == "invalid_tile_path" and "瓦片" in error["message"]["zh"]
    assert set(error["fields"]) == {"path"}


def test_no_checkpoint_yet_is_a_404(app, client):
    resp = client.get("/log/checkpoint")
    assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "no_checkpoint"
    assert client.get("/log/tile/0/000.p/1").status_code == 404


def test_the_export_writes_what_is_served_and_adds_only_what_is_new(app, client, factory, tmp_path):
    ring = factory.ring
    runner = app.test_cli_runner()
    folder = tmp_path / "mirror"
    for size in (257, 600):
        grow_to(ring, size)
        result = runner.invoke(args=["log", "export-tiles", str(folder)])
        assert result.exit_code == 0, result.output
        assert (folder / "checkpoint").read_bytes() == client.get("/log/checkpoint").data
        assert (folder / "key").read_bytes() == client.get("/api/v1/log/key").data == client.get("/log/key").data
        for level, n, width in tiles.tiles_of(size):
            path = tiles.tile_path(level, n, width)
            assert (folder / path).read_bytes() == client.get("/log/" + path).data, path
            if level == 0:
                path = tiles.entries_path(n, width)
                assert (folder / path).read_bytes() == client.get("/log/" + path).data, path
    # The second export kept the full tile and bundle 0 the first had written.
    assert "2 full ones already there" in result.output
    # Partial tiles of the first export stay: each is still a true prefix of its full tile.
    assert (folder / "tile/0/001.p/1").read_bytes() == (folder / "tile/0/001").read_bytes()[:32]
    assert not list(folder.rglob(".*.partial"))


def test_the_export_refuses_a_log_with_no_checkpoint(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["log", "export-tiles", str(tmp_path / "m")])
    assert result.exit_code == 1 and "no signed checkpoint" in result.output


def test_a_mirror_and_the_registrys_own_tiles_verify_and_remember_their_checkpoint(app, client, factory, tmp_path):
    ring = factory.ring
    grow_to(ring, 520)
    folder = tmp_path / "mirror"
    assert app.test_cli_runner().invoke(args=["log", "export-tiles", str(folder)]).exit_code == 0
    state = tmp_path / "state.json"
    for fetch in (folder_fetch(folder), prefix_fetch(client)):
        report = verify_remote("unused", state, fetch=fetch, all_entries=True)
        assert report.ok, report.failures
        assert any("4 hash tiles fetched" in c for c in report.checked)  # 2 full and 1 partial at level 0, 1 at level 1
        assert any("entry bundles: 3 of 3" in c for c in report.checked)
    assert json.loads(state.read_text())["checkpoints"][-1]["size"] == 520
    # The log grows: the new tiles hold the old checkpoint's tree.
    grow_to(ring, 800)
    report = verify_remote("unused", state, fetch=prefix_fetch(client))
    assert report.ok, report.failures
    assert any("consistent with the checkpoint of size 520" in c for c in report.checked)
    # The same through the command, on the folder as a file:// URL, with the key pinned.
    key = client.get("/log/key").get_data(as_text=True).split("\n")[0]
    result = app.test_cli_runner().invoke(args=["log", "verify", "--remote", folder.as_uri(), "--state",
                                                str(tmp_path / "other.json"), "--key", key])
    assert result.exit_code == 0, result.output


def test_a_changed_mirror_does_not_verify(app, factory, tmp_path):
    ring = factory.ring
    grow_to(ring, 300)
    folder = tmp_path / "mirror"
    assert app.test_cli_runner().invoke(args=["log", "export-tiles", str(folder)]).exit_code == 0
    # An entry changed in its bundle (its leaf hash left): the entry no longer hashes to its leaf.
    path = folder / tiles.entries_path(1, 44)
    entries = tiles.unbundle(path.read_bytes())
    entries[3] = entries[3].replace(b'"', b"'", 1)
    path.write_bytes(tiles.bundle(entries))
    report = verify_remote("unused", tmp_path / "s1.json", fetch=folder_fetch(folder), all_entries=True)
    assert not report.ok and any("entry 259 does not hash to its leaf" in f for f in report.failures)
    # A leaf hash changed in its tile: the root no longer matches the signed checkpoint.
    tile = folder / tiles.tile_path(0, 0)
    data = bytearray(tile.read_bytes())
    data[5] ^= 1
    tile.write_bytes(bytes(data))
    report = verify_remote("unused", tmp_path / "s2.json", fetch=folder_fetch(folder))
    assert not report.ok and any("do not give the root" in f for f in report.failures)
    # A tile cut short.
    tile.write_bytes(bytes(data[:-32]))
    report = verify_remote("unused", tmp_path / "s3.json", fetch=folder_fetch(folder))
    assert not report.ok and any("not 256 hashes" in f for f in report.failures)


def test_a_mirror_rolled_back_or_forked_raises_the_alarm(app, factory, tmp_path):
    ring = factory.ring
    grow_to(ring, 40)
    old = tmp_path / "old"
    assert app.test_cli_runner().invoke(args=["log", "export-tiles", str(old)]).exit_code == 0
    grow_to(ring, 60)
    new = tmp_path / "new"
    assert app.test_cli_runner().invoke(args=["log", "export-tiles", str(new)]).exit_code == 0
    state = tmp_path / "state.json"
    assert verify_remote("unused", state, fetch=folder_fetch(new)).ok
    rolled = verify_remote("unused", state, fetch=folder_fetch(old))
    assert rolled.alarm and any("rolled back" in f for f in rolled.failures)
    # Forked: the state remembers a checkpoint of size 60 whose root the mirror's leaves do not give.
    saved = json.loads(state.read_text())
    saved["checkpoints"][-1]["root"] = base64.b64encode(merkle.leaf_hash(b"another history")).decode()
    saved["checkpoints"][-1]["size"] = 50
    state.write_text(json.dumps(saved))
    forked = verify_remote("unused", state, fetch=folder_fetch(new))
    assert forked.alarm and any("forked or was rewritten" in f for f in forked.failures)


def test_a_mirror_without_a_key_file_needs_a_pinned_key(app, client, factory, tmp_path):
    grow_to(factory.ring, 5)
    folder = tmp_path / "mirror"
    assert app.test_cli_runner().invoke(args=["log", "export-tiles", str(folder)]).exit_code == 0
    (folder / "key").unlink()
    report = verify_remote("unused", tmp_path / "s.json", fetch=folder_fetch(folder))
    assert not report.ok and "pass the log's verifier key with --key" in report.failures[0]
    key = client.get("/log/key").get_data(as_text=True).split("\n")[0]
    assert verify_remote("unused", tmp_path / "s.json", fetch=folder_fetch(folder), pinned_keys=[key]).ok
    assert db.session.execute(select(LogCheckpoint.size)).scalars().all() == [5]
    assert ORIGIN in key
