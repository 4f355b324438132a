"""GET /api/v1/bulletins/keys publishes the bulletin keys as signed-note verifier keys, current first and retired
ones kept; its answer, saved as keys.json, is what scripts/check_bulletin.py checks a bulletin with, offline."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from registry.bulletins.manifest import key_name, manifest_text, open_manifest, sign
from registry.keys import keyring
from registry.tlog.note import parse_verifier_key

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "check_bulletin.py"


def keys_body(client) -> dict:
    resp = client.get("/api/v1/bulletins/keys")
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def test_the_keys_are_verifier_keys_current_first_and_retired_kept(app, client):
    origin = app.config["LOG_ORIGIN"]
    with app.app_context():
        ring = keyring()
        first = ring.current("bulletin")
        body = keys_body(client)
        assert body["key_name"] == key_name(origin) == f"{origin}/bulletins"
        assert [k["status"] for k in body["keys"]] == ["current"]
        assert parse_verifier_key(body["keys"][0]["verifier_key"]).public_key == first.public_bytes
        second = ring.add("bulletin")
    body = keys_body(client)
    assert [k["status"] for k in body["keys"]] == ["current", "retired"]
    published = [parse_verifier_key(k["verifier_key"]) for k in body["keys"]]
    assert [v.public_key for v in published] == [second.public_bytes, first.public_bytes]
    assert all(v.name == body["key_name"] and v.key_id.hex() == k["key_id"]
               for v, k in zip(published, body["keys"]))


def test_a_manifest_signed_by_the_ring_checks_offline_with_the_published_keys(app, client, tmp_path):
    files = [("bulletin-2026-11.pdf", b"%PDF-1.7 ..."), ("bulletin-2026-11.csv", "\ufeffref,名称\n".encode())]
    with app.app_context():
        key = keyring().current("bulletin")
        signed = sign(manifest_text(app.config["LOG_ORIGIN"], "2026-11", 1, files),
                      key_name(app.config["LOG_ORIGIN"]), key.private_key)
    body = keys_body(client)
    opened = open_manifest(signed, [parse_verifier_key(k["verifier_key"]) for k in body["keys"]])
    assert set(opened.files) == {name for name, _ in files}

    (tmp_path / "keys.json").write_text(json.dumps(body))
    (tmp_path / "MANIFEST").write_text(signed)
    for name, data in files:
        (tmp_path / name).write_bytes(data)
    paths = [str(tmp_path / name) for name, _ in files]
    run = [sys.executable, str(SCRIPT), "--manifest", str(tmp_path / "MANIFEST"), "--keys", str(tmp_path / "keys.json")]
    assert subprocess.run([*run, *paths], capture_output=True, text=True).returncode == 0
    (tmp_path / files[0][0]).write_bytes(b"%PDF-1.7 ..!")
    assert subprocess.run([*run, *paths], capture_output=True, text=True).returncode == 1
