"""Keys carried out under a passphrase and back (registry/keys/transfer.py, `flask keys export|import`): what comes
back is every key as it was, a wrong passphrase or a changed byte imports nothing, and other keys already in the
folder are never overwritten unless the operator says so."""
from __future__ import annotations

import base64
import json
import os
import stat

import pytest

from registry.keys import crypto
from registry.keys.ring import PURPOSES, KeyRing
from registry.keys.transfer import TransferError, export_keys, import_keys, read_export

PASS = "correct horse battery staple"
FAST = 2 ** 10  # scrypt's cost in these tests; the default's is exercised through the commands


@pytest.fixture
def source(tmp_path):
    ring = KeyRing(tmp_path / "source")
    ring.ensure_all()
    ring.add("field")  # a purpose with an older key still active: both must travel
    return ring


def files(ring: KeyRing) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(ring.dir.glob("*"))} if ring.dir.exists() else {}


def as_lists(ring: KeyRing) -> dict:
    return {p: [(k.id, k.material, k.created, k.state) for k in ring.keys(p, fresh=True)] for p in PURPOSES}


def test_every_key_comes_back_as_it_was_and_reads_what_it_sealed(source, tmp_path):
    sealed = crypto.seal(source, "110101199003071234", b"workers|id_number|w1")
    data = export_keys(source, PASS, n=FAST)
    target = KeyRing(tmp_path / "target")
    done = import_keys(target, data, PASS)
    assert done.written == sorted(PURPOSES) and done.unchanged == [] and done.replaced == []
    assert as_lists(target) == as_lists(source)
    assert [k.state for k in target.keys("field")] == ["current", "active"]
    assert crypto.unseal(target, sealed, b"workers|id_number|w1") == "110101199003071234"
    for path in target.dir.glob("*.json"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # Importing the same file again finds every purpose as it is and writes nothing.
    before = files(target)
    again = import_keys(target, data, PASS)
    assert again.written == [] and again.unchanged == sorted(PURPOSES) and files(target) == before


def test_the_file_shows_no_key_and_names_its_method(source):
    data = export_keys(source, PASS, n=FAST)
    for purpose in PURPOSES:
        for key in source.keys(purpose):
            assert base64.b64encode(key.material) not in data and key.material not in data
    doc = json.loads(data)
    assert (doc["format"], doc["cipher"], doc["kdf"]["name"], doc["kdf"]["n"]) == (
        "jiaxin-keys/1", "AES-256-GCM", "scrypt", FAST)
    assert doc["purposes"] == list(PURPOSES)
    # Two exports of the same keys share neither salt nor nonce.
    other = json.loads(export_keys(source, PASS, n=FAST))
    assert other["kdf"]["salt"] != doc["kdf"]["salt"] and other["nonce"] != doc["nonce"]


def test_a_wrong_passphrase_imports_nothing(source, tmp_path):
    data = export_keys(source, PASS, n=FAST)
    target = KeyRing(tmp_path / "target")
    with pytest.raises(TransferError) as refused:
        import_keys(target, data, PASS + "!")
    assert refused.value.code == "wrong_passphrase" and "口令错误" in str(refused.value)
    assert files(target) == {}


@pytest.mark.parametrize("change", ["ciphertext", "nonce", "purposes", "cost", "created"])
def test_a_changed_byte_anywhere_imports_nothing(source, tmp_path, change):
    doc = json.loads(export_keys(source, PASS, n=FAST))
    if change == "ciphertext":
        raw = bytearray(base64.b64decode(doc["ciphertext"]))
        raw[len(raw) // 2] ^= 1
        doc["ciphertext"] = base64.b64encode(bytes(raw)).decode()
    elif change == "nonce":
        doc["nonce"] = base64.b64encode(bytes(12)).decode()
    elif change == "purposes":
        doc["purposes"] = doc["purposes"][:-1]  # the header is the associated data: a purpose cannot be dropped
    elif change == "cost":
        doc["kdf"]["n"] = FAST * 2
    else:
        doc["created"] = "2020-01-01T00:00:00Z"
    target = KeyRing(tmp_path / "target")
    with pytest.raises(TransferError) as refused:
        import_keys(target, json.dumps(doc).encode(), PASS)
    assert refused.value.code == "wrong_passphrase"
    assert files(target) == {}


@pytest.mark.parametrize("data", [b"", b"not json", b"[]", b'{"format": "jiaxin-keys/1"}',
                                  json.dumps({"format": "other/1", "cipher": "AES-256-GCM"}).encode()])
def test_what_is_no_key_export_is_refused_as_such(tmp_path, data):
    with pytest.raises(TransferError) as refused:
        read_export(data, PASS)
    assert refused.value.code == "not_a_key_export"


def test_a_short_passphrase_is_refused(source):
    with pytest.raises(TransferError) as refused:
        export_keys(source, "short", n=FAST)
    assert refused.value.code == "passphrase_too_short" and "12" in str(refused.value)


def test_other_keys_in_the_folder_are_replaced_only_when_asked_and_kept_beside(source, tmp_path):
    data = export_keys(source, PASS, n=FAST)
    target = KeyRing(tmp_path / "target")
    target.ensure_all()  # `keys init` ran on the new machine before the restore: other keys, for every purpose
    before = files(target)
    with pytest.raises(TransferError) as refused:
        import_keys(target, data, PASS)
    assert refused.value.code == "keys_differ" and "--replace" in str(refused.value)
    assert files(target) == before
    done = import_keys(target, data, PASS, replace=True)
    assert done.written == sorted(PURPOSES) and len(done.replaced) == len(PURPOSES)
    assert as_lists(target) == as_lists(source)
    for path in done.replaced:
        assert path.read_bytes() == before[path.name.split(".replaced-")[0]]


def test_the_commands_export_and_import_with_a_passphrase_file(app, runner, factory, tmp_path):
    ring = factory.ring
    saved = as_lists(ring)
    secret = tmp_path / "pass"
    secret.write_text(PASS + "\n")
    out = tmp_path / "keys.export"
    result = runner.invoke(args=["keys", "export", str(out), "--passphrase-file", str(secret)])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert json.loads(out.read_bytes())["kdf"]["n"] == 2 ** 17  # the default cost
    # The key folder lost (a new machine): the import writes it back whole.
    for path in ring.dir.glob("*.json"):
        path.unlink()
    result = runner.invoke(args=["keys", "import", str(out), "--passphrase-file", str(secret)])
    assert result.exit_code == 0, result.output
    assert as_lists(ring) == saved
    # A wrong passphrase from the environment: refused, with its code, and exit 1.
    result = runner.invoke(args=["keys", "import", str(out)], env={"REGISTRY_KEYS_PASSPHRASE": "not the passphrase"})
    assert result.exit_code == 1 and "wrong_passphrase" in result.output
    # Asked for at the prompt (twice on export), never taken as an argument.
    again = tmp_path / "again.export"
    result = runner.invoke(args=["keys", "export", str(again)], input=f"{PASS}\n{PASS}\n", env={
        "REGISTRY_KEYS_PASSPHRASE": ""})
    assert result.exit_code == 0, result.output
    assert read_export(again.read_bytes(), PASS).keys() == set(PURPOSES)
    assert not [p for p in os.listdir(ring.dir) if ".replaced-" in p]
