"""Interoperability: Go's golang.org/x/mod/sumdb/note and sumdb/tlog verify the live log over HTTP
(and note.Open reads a signed bulletin manifest).

`make test` installs Debian's golang-go and golang-golang-x-mod-dev (scripts/bootstrap.sh); no module
proxy is reachable, so the verifier is built in GOPATH mode. A missing Go is a failure, not a skip.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import text

from registry.bulletins import manifest
from registry.tlog.note import verifier_key
from tests.support.logutil import append_synthetic, sign, small_world

pytestmark = pytest.mark.go

HERE = Path(__file__).resolve().parent
GOCODE = Path("/usr/share/gocode")
SUMDB = GOCODE / "src/golang.org/x/mod/sumdb"
ORIGIN = "jiaxin.example/log"


def _go() -> str:
    go = shutil.which("go") or ("/usr/lib/go/bin/go" if Path("/usr/lib/go/bin/go").exists() else None)
    assert go, "Go is missing: run `make test` (it installs Debian's golang-go), or apt-get install golang-go"
    assert (SUMDB / "note").is_dir() and (SUMDB / "tlog").is_dir(), (
        f"{SUMDB}/note and /tlog are missing: apt-get install golang-golang-x-mod-dev (`make test` does)")
    return go


@pytest.fixture(scope="session")
def verifier(tmp_path_factory) -> Path:
    go = _go()
    work = tmp_path_factory.mktemp("go")
    out = work / "verifier"
    env = {**os.environ, "GO111MODULE": "off", "GOPATH": f"{work / 'gopath'}:{GOCODE}", "GOCACHE": str(work / "cache"),
           "GOPROXY": "off", "GOFLAGS": "", "CGO_ENABLED": "0", "HOME": str(work)}
    build = subprocess.run([go, "build", "-o", str(out), "."], cwd=HERE / "verifier", env=env,
                           capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, f"go build failed:\n{build.stdout}\n{build.stderr}"
    return out


@pytest.fixture
def restore_log_keys(app, factory):
    path = factory.ring.dir / "log.json"
    saved = path.read_bytes()
    yield
    path.write_bytes(saved)
    factory.ring.keys("log", fresh=True)


def run_go(verifier: Path, base: str) -> subprocess.CompletedProcess:
    from registry.extensions import db

    db.session.rollback()  # hold no transaction while the server answers
    return subprocess.run([str(verifier), base], capture_output=True, text=True, timeout=300)


def test_go_verifies_the_live_log(app, factory, live_server, verifier, restore_log_keys):
    ring = factory.ring
    small_world(factory)  # real entries: companies, accounts, workers
    sign(ring)
    append_synthetic(ring, 1)
    sign(ring)
    append_synthetic(ring, 13, batch=5)
    sign(ring)
    ring.add("log")  # a rotation: earlier checkpoints stay verifiable with the earlier key
    append_synthetic(ring, 6)
    size = sign(ring).size
    result = run_go(verifier, live_server)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"ok {size}"


def test_go_refuses_a_tampered_log(app, factory, live_server, verifier):
    ring = factory.ring
    append_synthetic(ring, 9)
    sign(ring)
    assert run_go(verifier, live_server).returncode == 0
    from registry.extensions import db

    db.session.execute(text("UPDATE log_entries SET body = :b, leaf_hash = :h WHERE seq = 4"),
                       {"b": b'{"seq":4}', "h": __import__("hashlib").sha256(b'\x00{"seq":4}').digest()})
    db.session.commit()
    result = run_go(verifier, live_server)
    assert result.returncode == 1
    assert "entry 4: tlog.CheckRecord" in result.stderr


def test_go_opens_a_signed_bulletin_manifest(verifier, tmp_path):
    """A bulletin manifest is a plain signed note: Go's note.Open reads what registry.bulletins signs."""
    key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    body = manifest.manifest_text(ORIGIN, "2026-11", 2, [("b.pdf", b"%PDF"), ("a.csv", "名称\n".encode())])
    signed = manifest.sign(body, manifest.key_name(ORIGIN), key)
    vkey = verifier_key(manifest.key_name(ORIGIN), key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))
    path = tmp_path / "MANIFEST"
    path.write_text(signed, encoding="utf-8")
    result = subprocess.run([str(verifier), "-note", vkey, str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout == body
    path.write_text(signed.replace(" v2\n", " v3\n"), encoding="utf-8")
    result = subprocess.run([str(verifier), "-note", vkey, str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "note.Open" in result.stderr


# --- the log as tiles (c2sp.org/tlog-tiles): served under /log/ and exported for static mirrors ---------------


def serve_folder(folder: Path):
    """A plain static file server over `folder` in a thread, as a mirror's web server is; (URL, stop)."""
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop():
        server.shutdown()
        server.server_close()

    return f"http://127.0.0.1:{server.server_address[1]}", stop


def run_go_tiles(verifier: Path, prefix: str) -> subprocess.CompletedProcess:
    from registry.extensions import db

    db.session.rollback()
    return subprocess.run([str(verifier), "-tiles", prefix], capture_output=True, text=True, timeout=300)


def test_go_reads_the_served_and_the_exported_tiles_of_trees_of_many_sizes(app, factory, live_server, verifier,
                                                                         tmp_path):
    """tlog.TileHashReader checks every tile it reads against the signed tree; sizes with partial tiles at level 0,
    a full level-0 tile, and (65,536 + 300 leaves) a full level-1 tile with partial tiles at levels 1 and 2."""
    ring = factory.ring
    from registry.extensions import db
    from registry.log.models import LogHead

    folder = tmp_path / "mirror"
    mirror, stop = serve_folder(folder)
    try:
        for size in (1, 2, 255, 256, 257, 600, 65536 + 300):
            db.session.rollback()
            append_synthetic(ring, size - db.session.get(LogHead, 1).size, batch=10_000)
            sign(ring)
            bundles = (size + 255) // 256
            served = run_go_tiles(verifier, live_server + "/log")
            assert served.returncode == 0, served.stderr
            assert served.stdout.strip() == f"ok {size} {bundles}"
            result = app.test_cli_runner().invoke(args=["log", "export-tiles", str(folder)])
            assert result.exit_code == 0, result.output
            exported = run_go_tiles(verifier, mirror)
            assert exported.returncode == 0, exported.stderr
            assert exported.stdout.strip() == f"ok {size} {bundles}"
    finally:
        stop()


def test_go_refuses_a_mirror_whose_tile_or_entry_was_changed(app, factory, verifier, tmp_path):
    ring = factory.ring
    append_synthetic(ring, 300)
    sign(ring)
    folder = tmp_path / "mirror"
    assert app.test_cli_runner().invoke(args=["log", "export-tiles", str(folder)]).exit_code == 0
    mirror, stop = serve_folder(folder)
    try:
        assert run_go_tiles(verifier, mirror).returncode == 0
        bundle = folder / "tile/entries/001.p/44"
        good = bundle.read_bytes()
        bundle.write_bytes(good[:2] + bytes([good[2] ^ 1]) + good[3:])
        result = run_go_tiles(verifier, mirror)
        assert result.returncode == 1 and "entry 256: tlog.RecordHash is not its leaf" in result.stderr
        bundle.write_bytes(good)
        # A leaf hash changed in a tile the tree hash reads: TileHashReader refuses it.
        tile = folder / "tile/0/001.p/44"
        data = bytearray(tile.read_bytes())
        data[40] ^= 1
        tile.write_bytes(bytes(data))
        result = run_go_tiles(verifier, mirror)
        assert result.returncode == 1 and "tlog.TreeHash over the tiles" in result.stderr, result.stderr
        tile.write_bytes(bytes(data[:40]) + bytes([data[40] ^ 1]) + bytes(data[41:]))
        assert run_go_tiles(verifier, mirror).returncode == 0
        # An entry and its leaf hash changed together in a full tile below a tile the tree hash reads:
        # TileHashReader lets that tile through unauthenticated; the verifier's own stored hashes do not.
        import hashlib

        from registry.tlog import tiles as tlog_tiles

        entries_file, leaves_file = folder / "tile/entries/000", folder / "tile/0/000"
        entries = tlog_tiles.unbundle(entries_file.read_bytes())
        entries[7] = b'{"forged": true}'
        entries_file.write_bytes(tlog_tiles.bundle(entries))
        leaves = bytearray(leaves_file.read_bytes())
        leaves[7 * 32:8 * 32] = hashlib.sha256(b"\x00" + entries[7]).digest()
        leaves_file.write_bytes(bytes(leaves))
        result = run_go_tiles(verifier, mirror)
        assert result.returncode == 1 and "the entries do not give the checkpoint's root" in result.stderr, \
            result.stderr
    finally:
        stop()
