"""A bulletin's signed manifest: its text is `sha256sum` output under a header, it round-trips, and any
altered byte of a file, of the manifest or of its signature is caught — by the module and by
scripts/check_bulletin.py, run offline as a separate program, as a journalist holding a copy would."""
from __future__ import annotations

import hashlib
import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from registry.bulletins.manifest import (
    Manifest,
    ManifestError,
    check_digest,
    check_file,
    is_plain_name,
    key_name,
    manifest_text,
    open_manifest,
    parse_manifest,
    sign,
)
from registry.keys.ring import KeyRing
from registry.tlog.note import new_verifier, verifier_key

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "check_bulletin.py"
ORIGIN = "jiaxin.example/log"
NAME = key_name(ORIGIN)
# Fixed private keys: Ed25519 is deterministic, so every signed manifest below is a constant.
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
OLD_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32, 64)))  # retired, still published
STRANGER = Ed25519PrivateKey.from_private_bytes(bytes(range(64, 96)))  # never published
FILES = [
    ("sanctions-2026-11.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <</Type /Catalog>> endobj\n%%EOF\n"),
    ("sanctions-2026-11.csv", "uscc,名称,决定日期\n91330100MA2XXXXX0A,某家政服务有限公司,2026-11-03\n".encode()),
    ("README.txt", b"Jiaxin bulletin 2026-11\r\n"),
    ("empty.json", b""),
]
CONTENT = dict(FILES)


def raw(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


VERIFIERS = [new_verifier(NAME, raw(KEY)), new_verifier(NAME, raw(OLD_KEY))]
TEXT = manifest_text(ORIGIN, "2026-11", 2, FILES)
SIGNED = sign(TEXT, NAME, KEY)


def flipped(data: bytes, i: int) -> bytes:
    return data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1:]


# --- the text -----------------------------------------------------------------------------------


def test_the_text_is_a_header_then_sha256sum_lines_sorted_by_name():
    lines = TEXT.split("\n")
    assert lines[0] == "jiaxin.example/log/bulletins 2026-11 v2"
    assert lines[1:] == [f"{hashlib.sha256(CONTENT[n]).hexdigest()}  {n}" for n in sorted(CONTENT)] + [""]


def test_the_body_is_what_sha256sum_writes_and_sha256sum_c_accepts_it(tmp_path):
    for name, data in FILES:
        (tmp_path / name).write_bytes(data)
    body = TEXT.split("\n", 1)[1]
    sha256sum = shutil.which("sha256sum")
    assert sha256sum, "coreutils' sha256sum is missing"
    written = subprocess.run([sha256sum, *sorted(CONTENT)], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert written.stdout == body
    (tmp_path / "SHA256SUMS").write_text(body, encoding="ascii")
    check = [sha256sum, "-c", "--strict", "SHA256SUMS"]
    checked = subprocess.run(check, cwd=tmp_path, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert sorted(checked.stdout.splitlines()) == sorted(f"{n}: OK" for n in CONTENT)
    # and coreutils notices an altered copy, as check_file does
    (tmp_path / "README.txt").write_bytes(flipped(CONTENT["README.txt"], 0))
    checked = subprocess.run(check, cwd=tmp_path, capture_output=True, text=True)
    assert checked.returncode == 1 and "README.txt: FAILED" in checked.stdout


def test_the_order_files_are_given_in_does_not_matter():
    assert manifest_text(ORIGIN, "2026-11", 2, list(reversed(FILES))) == TEXT


@pytest.mark.parametrize("name", ["a/b.pdf", "../x", "/etc/passwd", "", ".", "..", ".hidden", "-", "-c", "a b",
                                  "a\nb", "a\\b", "名单.pdf", "x" * 256, "a*", "a\tb", 7, None],
                         ids=repr)
def test_a_name_that_is_not_plain_is_refused(name):
    assert not is_plain_name(name)
    with pytest.raises((ValueError, TypeError)):
        manifest_text(ORIGIN, "2026-11", 1, [(name, b"x")])


@pytest.mark.parametrize("name", ["a", "0", "A-Z_0.9", "x" * 255, "sanctions-2026-11.pdf", "a..b", "a-"])
def test_plain_names_are_accepted(name):
    assert is_plain_name(name)
    assert manifest_text(ORIGIN, "p", 1, [(name, b"")]).endswith(f"  {name}\n")


@pytest.mark.parametrize("origin,period,version,files,error", [
    (ORIGIN, "2026-11", 1, [], ValueError),
    (ORIGIN, "2026-11", 1, [("a", b"1"), ("a", b"2")], ValueError),
    (ORIGIN, "2026-11", 0, FILES, ValueError),
    (ORIGIN, "2026-11", -1, FILES, ValueError),
    (ORIGIN, "2026-11", 2**63, FILES, ValueError),
    (ORIGIN, "2026-11", True, FILES, TypeError),
    (ORIGIN, "2026-11", "2", FILES, TypeError),
    (ORIGIN, "2026 11", 1, FILES, ValueError),
    (ORIGIN, "", 1, FILES, ValueError),
    (ORIGIN, "-11", 1, FILES, ValueError),
    ("", "2026-11", 1, FILES, ValueError),
    ("jiaxin example", "2026-11", 1, FILES, ValueError),
    ("jiaxin+example", "2026-11", 1, FILES, ValueError),
    ("jiaxin.example\n91", "2026-11", 1, FILES, ValueError),
    (ORIGIN, "2026-11", 1, [("a", "text, not bytes")], TypeError),
], ids=["no_files", "duplicate", "v0", "negative", "too_big", "bool", "str_version", "period_space", "no_period",
        "period_dash", "no_origin", "origin_space", "origin_plus", "origin_newline", "str_content"])
def test_bad_arguments_are_refused(origin, period, version, files, error):
    with pytest.raises(error):
        manifest_text(origin, period, version, files)


# --- signing and opening ------------------------------------------------------------------------


def test_round_trip():
    m = open_manifest(SIGNED, VERIFIERS, origin=ORIGIN)
    assert m == Manifest(ORIGIN, "2026-11", 2, {n: hashlib.sha256(d).hexdigest() for n, d in FILES}, (NAME,))
    assert list(m.files) == sorted(CONTENT)
    assert SIGNED.startswith(TEXT + "\n\u2014 " + NAME + " ")
    assert open_manifest(SIGNED.encode("utf-8"), VERIFIERS) == m


def test_a_retired_key_still_opens_what_it_signed():
    assert open_manifest(sign(TEXT, NAME, OLD_KEY), VERIFIERS).files == open_manifest(SIGNED, VERIFIERS).files


def test_any_flipped_byte_of_the_manifest_or_its_signature_is_refused():
    signed = SIGNED.encode("utf-8")
    accepted = []
    for i in range(len(signed)):
        try:
            open_manifest(flipped(signed, i), VERIFIERS)
        except ManifestError:
            continue
        accepted.append(i)
    assert accepted == [], f"accepted with these bytes flipped: {accepted}"


def test_a_manifest_by_an_unknown_key_is_refused():
    with pytest.raises(ManifestError, match="no signature from a known key"):
        open_manifest(sign(TEXT, NAME, STRANGER), VERIFIERS)
    with pytest.raises(ManifestError, match="no signature from a known key"):
        open_manifest(sign(TEXT, "jiaxin.example/log", KEY), VERIFIERS)  # the right key under the log's name
    with pytest.raises(ManifestError, match="no signature from a known key"):
        open_manifest(SIGNED, [])


def test_a_stranger_cannot_append_files_to_a_signed_manifest():
    text, sig = SIGNED.split("\n\n")
    forged = f"{text}{'0' * 64}  extra.pdf\n\n{sig}"
    with pytest.raises(ManifestError, match="invalid signature"):
        open_manifest(forged, VERIFIERS)


def test_another_registrys_manifest_is_refused_when_the_origin_is_given():
    other = "other.example/log"
    signed = sign(manifest_text(other, "2026-11", 2, FILES), NAME, KEY)
    assert open_manifest(signed, VERIFIERS).origin == other
    with pytest.raises(ManifestError, match="origin"):
        open_manifest(signed, VERIFIERS, origin=ORIGIN)


HEX = hashlib.sha256(b"x").hexdigest()
MALFORMED = {
    "no_newline": f"{NAME} p v1\n{HEX}  a",
    "no_files": f"{NAME} p v1\n",
    "log_checkpoint": f"{ORIGIN}\n3\n{'A' * 43}=\n",
    "not_bulletins": f"{ORIGIN}/notices p v1\n{HEX}  a\n",
    "v0": f"{NAME} p v0\n{HEX}  a\n",
    "v01": f"{NAME} p v01\n{HEX}  a\n",
    "v_too_big": f"{NAME} p v9223372036854775808\n{HEX}  a\n",
    "no_v": f"{NAME} p 1\n{HEX}  a\n",
    "extra_word": f"{NAME} p v1 x\n{HEX}  a\n",
    "bad_period": f"{NAME} -p v1\n{HEX}  a\n",
    "upper_hex": f"{NAME} p v1\n{HEX.upper()}  a\n",
    "short_hex": f"{NAME} p v1\n{HEX[:-1]}  a\n",
    "one_space": f"{NAME} p v1\n{HEX} a\n",
    "binary_mode_star": f"{NAME} p v1\n{HEX} *a\n",
    "slash": f"{NAME} p v1\n{HEX}  d/a\n",
    "dash": f"{NAME} p v1\n{HEX}  -\n",
    "unsorted": f"{NAME} p v1\n{HEX}  b\n{HEX}  a\n",
    "duplicate": f"{NAME} p v1\n{HEX}  a\n{HEX}  a\n",
    "blank_line": f"{NAME} p v1\n{HEX}  a\n\n{HEX}  b\n",
    "trailing_space": f"{NAME} p v1\n{HEX}  a \n",
}


@pytest.mark.parametrize("text", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_text_is_refused_even_when_signed(text):
    with pytest.raises(ManifestError):
        parse_manifest(text)
    if text.endswith("\n") and "\n\n" not in text:
        with pytest.raises(ManifestError):
            open_manifest(sign(text, NAME, KEY), VERIFIERS)


# --- checking files and digests -----------------------------------------------------------------


def test_every_published_file_checks():
    m = open_manifest(SIGNED, VERIFIERS)
    for name, data in FILES:
        assert check_file(m, name, data)


def test_any_flipped_byte_in_any_file_fails():
    m = open_manifest(SIGNED, VERIFIERS)
    passed = [(name, i) for name, data in FILES for i in range(len(data)) if check_file(m, name, flipped(data, i))]
    assert passed == []


def test_a_file_cut_short_grown_or_listed_under_another_name_fails():
    m = open_manifest(SIGNED, VERIFIERS)
    for name, data in FILES:
        assert not check_file(m, name, data + b"\n")
        if data:
            assert not check_file(m, name, data[:-1])
    assert not check_file(m, "sanctions-2026-11.csv", CONTENT["sanctions-2026-11.pdf"])
    assert not check_file(m, "other.pdf", CONTENT["sanctions-2026-11.pdf"])


def test_a_pasted_digest_names_its_file():
    m = open_manifest(SIGNED, VERIFIERS)
    for name, data in FILES:
        digest = hashlib.sha256(data).hexdigest()
        assert check_digest(m, digest) == name
        assert check_digest(m, f"  {digest.upper()}\n") == name  # as pasted from another tool
    assert check_digest(m, hashlib.sha256(b"something else").hexdigest()) is None
    assert check_digest(m, flipped(hashlib.sha256(CONTENT["README.txt"]).hexdigest().encode(), 5).decode()) is None
    for junk in ["", "zz" * 32, hashlib.sha256(b"").hexdigest()[:-1], None]:
        assert check_digest(m, junk) is None


def test_a_digest_shared_by_two_files_names_the_first():
    m = open_manifest(sign(manifest_text(ORIGIN, "p", 1, [("b.csv", b"same"), ("a.csv", b"same")]), NAME, KEY),
                      VERIFIERS)
    assert check_digest(m, hashlib.sha256(b"same").hexdigest()) == "a.csv"


# --- scripts/check_bulletin.py, offline, as a separate program ----------------------------------


def keys_json(tmp_path: Path, keys=((KEY, "current"), (OLD_KEY, "retired")), name: str = NAME) -> Path:
    body = {"keys": [{"verifier_key": verifier_key(name, raw(k)), "status": s} for k, s in keys]}
    path = tmp_path / "keys.json"
    path.write_text(json.dumps(body), encoding="utf-8")
    return path


def bulletin(tmp_path: Path, signed: str = SIGNED) -> tuple[Path, list[Path]]:
    """The manifest and the files, as downloaded into a folder."""
    folder = tmp_path / "download"
    folder.mkdir()
    (folder / "MANIFEST").write_text(signed, encoding="utf-8")
    paths = []
    for name, data in FILES:
        (folder / name).write_bytes(data)
        paths.append(folder / name)
    return folder / "MANIFEST", paths


def run_script(manifest: Path, keys: Path, *files: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), "--manifest", str(manifest), "--keys", str(keys),
                           *map(str, files)], capture_output=True, text=True, timeout=60)


def test_script_says_genuine_files_are_genuine(tmp_path):
    manifest, files = bulletin(tmp_path)
    out = run_script(manifest, keys_json(tmp_path), *files)
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == f"manifest: {NAME} 2026-11 v2, signed by {NAME}+{VERIFIERS[0].key_id.hex()} (current)"
    assert lines[1:-1] == [f"genuine: {f}" for f in files]
    assert "later version" in lines[-1]


def test_script_accepts_a_retired_key_and_a_renamed_copy(tmp_path):
    manifest, files = bulletin(tmp_path, sign(TEXT, NAME, OLD_KEY))
    renamed = files[0].with_name("sanctions-2026-11 (1).pdf")
    shutil.copy(files[0], renamed)
    out = run_script(manifest, keys_json(tmp_path), renamed)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "(retired)" in out.stdout
    assert f"genuine: {renamed} is the published sanctions-2026-11.pdf under another name" in out.stdout


@pytest.mark.parametrize("name", sorted(CONTENT))
def test_script_refuses_an_altered_file(tmp_path, name):
    manifest, files = bulletin(tmp_path)
    altered = manifest.parent / name
    altered.write_bytes(CONTENT[name] + b" ")
    out = run_script(manifest, keys_json(tmp_path), *files)
    assert out.returncode == 1, out.stdout + out.stderr
    assert f"altered: {altered} is not the published {name}" in out.stdout
    assert sum(line.startswith("genuine: ") for line in out.stdout.splitlines()) == len(FILES) - 1


def test_script_refuses_a_file_the_bulletin_does_not_list(tmp_path):
    manifest, files = bulletin(tmp_path)
    stray = tmp_path / "notice.pdf"
    stray.write_bytes(b"%PDF-1.7 forged")
    out = run_script(manifest, keys_json(tmp_path), files[0], stray)
    assert out.returncode == 1
    assert out.stdout.splitlines()[1:3] == [f"genuine: {files[0]}",
                                            f"not in this bulletin: no file of the manifest has the content of {stray}"]


def test_script_counts_a_missing_file_as_not_genuine(tmp_path):
    manifest, files = bulletin(tmp_path)
    out = run_script(manifest, keys_json(tmp_path), files[0], tmp_path / "absent.pdf")
    assert out.returncode == 1 and f"cannot read {tmp_path / 'absent.pdf'}" in out.stdout


@pytest.mark.parametrize("how", ["digest", "header", "signature", "appended_file", "unknown_key", "not_a_note",
                                 "not_utf8"])
def test_script_refuses_an_altered_manifest(tmp_path, how):
    text, sig = SIGNED.split("\n\n")
    at = len("\u2014 " + NAME + " ") + 10  # a character of the signature's base64
    digest = hashlib.sha256(CONTENT["README.txt"]).hexdigest()
    signed = {
        "digest": SIGNED.replace(digest, hashlib.sha256(b"forged").hexdigest()),
        "header": SIGNED.replace(" v2\n", " v3\n"),
        "signature": f"{text}\n\n{sig[:at]}{'B' if sig[at] == 'A' else 'A'}{sig[at + 1:]}",
        "appended_file": f"{text}{hashlib.sha256(b'x').hexdigest()}  x.pdf\n\n{sig}",
        "unknown_key": sign(TEXT, NAME, STRANGER),
        "not_a_note": TEXT,
        "not_utf8": None,
    }[how]
    manifest, files = bulletin(tmp_path, signed or SIGNED)
    if signed is None:
        manifest.write_bytes(SIGNED.encode("utf-8").replace(b"\xe2\x80\x94", b"\x97"))  # cp1252's em dash
    out = run_script(manifest, keys_json(tmp_path), *files)
    assert out.returncode == 1, out.stdout + out.stderr
    assert out.stdout.startswith("manifest does not verify: ") and "genuine" not in out.stdout
    assert len(out.stdout.splitlines()) == 1 and "Traceback" not in out.stderr


@pytest.mark.parametrize("keys", ["missing", "not_json", "no_keys_field", "empty", "id_mismatch", "not_a_vkey",
                                  "bad_status", "not_ed25519"])
def test_script_exits_2_when_the_keys_cannot_be_read(tmp_path, keys):
    manifest, files = bulletin(tmp_path)
    path = keys_json(tmp_path)
    good = verifier_key(NAME, raw(KEY))
    other_id = verifier_key(NAME, raw(OLD_KEY)).split("+")[1]
    body = {
        "missing": None,
        "not_json": "{keys",
        "no_keys_field": {"verifier_key": good},
        "empty": {"keys": []},
        "id_mismatch": {"keys": [{"verifier_key": good.replace(good.split("+")[1], other_id), "status": "current"}]},
        "not_a_vkey": {"keys": [{"verifier_key": "jiaxin", "status": "current"}]},
        "bad_status": {"keys": [{"verifier_key": good, "status": "revoked"}]},
        "not_ed25519": {"keys": [{"verifier_key": f"{NAME}+00000000+AgAA", "status": "current"}]},
    }[keys]
    if body is None:
        path.unlink()
    else:
        path.write_text(body if isinstance(body, str) else json.dumps(body), encoding="utf-8")
    out = run_script(manifest, path, *files)
    assert out.returncode == 2, out.stdout + out.stderr
    assert out.stderr.startswith("cannot read the keys file") and out.stdout == ""


def test_script_exits_2_when_the_manifest_cannot_be_read(tmp_path):
    _, files = bulletin(tmp_path)
    out = run_script(tmp_path / "no-such-manifest", keys_json(tmp_path), *files)
    assert out.returncode == 2 and out.stderr.startswith("cannot read the manifest")


def test_script_verifies_what_the_registry_signs_with_its_bulletin_key(tmp_path):
    """End to end with the project's own code: a bulletin key from the key ring, the manifest from
    registry.bulletins, the published key from registry.tlog.note."""
    ring = KeyRing(tmp_path / "keys")
    ring.ensure_dir()
    key = ring.add("bulletin")
    signed = sign(manifest_text(ORIGIN, "2026-Q4", 7, FILES), key_name(ORIGIN), key.private_key)
    manifest, files = bulletin(tmp_path, signed)
    keys = tmp_path / "published.json"
    keys.write_text(json.dumps({"keys": [{"verifier_key": verifier_key(key_name(ORIGIN), key.public_bytes),
                                          "status": "current"}]}), encoding="utf-8")
    out = run_script(manifest, keys, *files)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.startswith(f"manifest: {NAME} 2026-Q4 v7, signed by {NAME}+")
    # and the stranger's key, published under the same name, does not vouch for it
    keys_json(tmp_path, keys=((STRANGER, "current"),))
    assert run_script(manifest, tmp_path / "keys.json", *files).returncode == 1


def test_script_does_not_import_the_registry():
    source = SCRIPT.read_text(encoding="utf-8")
    assert "import registry" not in source and "from registry" not in source


def load_script():
    spec = importlib.util.spec_from_file_location("check_bulletin", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SCRIPT_MODULE = load_script()
SCRIPT_KEYS = {(NAME, v.key_id): (v.public_key, "current") for v in VERIFIERS}


def test_script_refuses_any_flipped_byte_of_the_manifest():
    """In step with open_manifest: every byte matters to the script too (in-process, not one run per byte)."""
    signed = SIGNED.encode("utf-8")
    accepted = []
    for i in range(len(signed)):
        try:
            text, _ = SCRIPT_MODULE.open_note(flipped(signed, i).decode("utf-8"), SCRIPT_KEYS)
            SCRIPT_MODULE.parse_manifest(text)
        except (SCRIPT_MODULE.Refused, UnicodeDecodeError):
            continue
        accepted.append(i)
    assert accepted == [], f"accepted with these bytes flipped: {accepted}"


# The script parses only what open_note returned, which always ends in a newline.
@pytest.mark.parametrize("text", [t for t in MALFORMED.values() if t.endswith("\n")],
                         ids=[k for k, t in MALFORMED.items() if t.endswith("\n")])
def test_script_refuses_the_malformed_texts_the_module_refuses(text):
    with pytest.raises(SCRIPT_MODULE.Refused):
        SCRIPT_MODULE.parse_manifest(text)


def test_script_reads_a_manifest_as_the_module_does():
    text, _ = SCRIPT_MODULE.open_note(SIGNED, SCRIPT_KEYS)
    header, files = SCRIPT_MODULE.parse_manifest(text)
    assert header == TEXT.split("\n")[0] and files == open_manifest(SIGNED, VERIFIERS).files
