"""Check a Jiaxin bulletin's files offline against its signed manifest and the published bulletin keys.

    python scripts/check_bulletin.py --manifest MANIFEST --keys keys.json FILE...

MANIFEST is the bulletin's signed manifest (a C2SP signed note: a header line
`<origin>/bulletins <period> v<version>`, then `sha256sum` lines). keys.json is the body of
GET /api/v1/bulletins/keys: {"keys": [{"verifier_key": "<name>+<key id>+<base64>",
"status": "current"|"retired"}]}. A retired key still vouches for what it signed.

A FILE is genuine when its SHA-256 is listed in a manifest whose signature verifies with
a published key; a file renamed since (a browser's "(1)") is still genuine, and says under
which name it was published. Offline it cannot tell whether a later version of the bulletin
corrected this one: only the registry knows that.

Needs only Python and `cryptography`; it deliberately does not import the registry package.
The signed-note verification repeats registry/tlog/note.py (open_note, parse_verifier_key)
and the manifest parsing repeats registry/bulletins/manifest.py: keep the three in step.
Exit 0: every FILE is genuine; 1: any is not, or the manifest does not verify; 2: the
manifest or the keys file cannot be read.
"""
from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import os
import re
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

SIG_PREFIX = "\u2014 "  # EM DASH, space
MAX_SIGNATURES = 100
STATUSES = ("current", "retired")
ONLINE = "a later version of this bulletin may correct it: check the registry online"
# registry/bulletins/manifest.py
HEADER = re.compile(r"([!-*,-~]+)/bulletins ([A-Za-z0-9][A-Za-z0-9._-]{0,63}) v([1-9][0-9]{0,18})\Z", re.ASCII)
LINE = re.compile(r"([0-9a-f]{64})  ([A-Za-z0-9][A-Za-z0-9._-]{0,254})\Z", re.ASCII)


class Refused(ValueError):
    """The manifest is malformed or does not verify."""


def unb64(text: str) -> bytes:
    """Canonical padded standard base64 only, as registry/tlog/note.py reads it."""
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error):
        raise ValueError("not valid base64") from None
    if base64.b64encode(data).decode("ascii") != text:
        raise ValueError("not canonical base64")
    return data


def valid_key_name(name: str) -> bool:
    return name != "" and "+" not in name and not any(ch.isspace() or ch < " " for ch in name)


def key_id(name: str, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode("utf-8") + b"\n\x01" + public_key).digest()[:4]


def load_keys(path: str) -> dict[tuple[str, bytes], tuple[bytes, str]]:
    """(key name, key id) -> (raw Ed25519 public key, status); each id is recomputed, not taken on trust."""
    with open(path, encoding="utf-8") as f:
        body = json.load(f)
    keys: dict[tuple[str, bytes], tuple[bytes, str]] = {}
    for k in body["keys"]:
        vkey, status = k["verifier_key"], k["status"]
        if status not in STATUSES:
            raise ValueError(f"key status {status!r} is neither current nor retired")
        name, id_hex, key_b64 = vkey.split("+", 2)  # base64 may itself contain '+'
        raw = unb64(key_b64)
        if not valid_key_name(name) or not re.fullmatch(r"[0-9a-f]{8}", id_hex, re.ASCII):
            raise ValueError(f"{vkey!r} is not a verifier key (name+keyid+key)")
        if len(raw) != 33 or raw[0] != 0x01:
            raise ValueError(f"{vkey!r} is not an Ed25519 verifier key")
        if key_id(name, raw[1:]).hex() != id_hex:
            raise ValueError(f"key {name}+{id_hex} does not match its public key")
        keys[(name, bytes.fromhex(id_hex))] = (raw[1:], status)
    if not keys:
        raise ValueError("no key listed")
    return keys


def open_note(signed: str, keys: dict[tuple[str, bytes], tuple[bytes, str]]) -> tuple[str, list[str]]:
    """The verified note text and who signed it ("name+id (status)"), as registry/tlog/note.py open_note."""
    if any(ch < " " and ch != "\n" for ch in signed):
        raise Refused("the manifest contains a control character")
    split = signed.rfind("\n\n")
    if split < 0:
        raise Refused("the manifest has no blank line before its signatures")
    text, block = signed[: split + 1], signed[split + 2 :]
    if not block.endswith("\n"):
        raise Refused("the manifest has no signature lines")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise Refused(f"the manifest has more than {MAX_SIGNATURES} signatures")
    signers = []
    for number, line in enumerate(lines, 1):
        name, space, sig_b64 = line[len(SIG_PREFIX) :].partition(" ")
        try:
            raw = unb64(sig_b64)
        except ValueError:
            raw = b""
        if not line.startswith(SIG_PREFIX) or not space or not valid_key_name(name) or len(raw) < 5:
            raise Refused(f"signature line {number} is not '— <key name> <base64 signature>'")
        known = keys.get((name, raw[:4]))
        if known is None:
            continue  # someone else's signature: it neither helps nor hurts
        label = f"{name}+{raw[:4].hex()}"
        try:
            Ed25519PublicKey.from_public_bytes(known[0]).verify(raw[4:], text.encode("utf-8"))
        except InvalidSignature:
            raise Refused(f"the signature by key {label} does not match: the manifest was altered") from None
        signers.append(f"{label} ({known[1]})")
    if not signers:
        raise Refused("the manifest is not signed by any published bulletin key")
    return text, signers


def parse_manifest(text: str) -> tuple[str, dict[str, str]]:
    """(header line, file name -> sha256 hex), as registry/bulletins/manifest.py parse_manifest."""
    header, *lines = text[:-1].split("\n")
    m = HEADER.match(header)
    if m is None or int(m.group(3)) > 2**63 - 1:
        raise Refused(f"the manifest header is not '<origin>/bulletins <period> v<version>': {header!r}")
    if not lines:
        raise Refused("the manifest lists no file")
    files: dict[str, str] = {}
    previous = ""
    for number, line in enumerate(lines, 2):
        entry = LINE.match(line)
        if entry is None or entry.group(2) <= previous:
            raise Refused(f"manifest line {number} is not '<sha256>  <name>' in name order")
        files[entry.group(2)] = entry.group(1)
        previous = entry.group(2)
    return header, files


def verdict(path: str, files: dict[str, str]) -> tuple[bool, str]:
    """(genuine, one line saying why) for one file."""
    try:
        with open(path, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
    except OSError as exc:
        return False, f"cannot read {path}: {exc.strerror or exc}"
    name = os.path.basename(path)
    if files.get(name) == digest:
        return True, f"genuine: {path}"
    same = sorted(n for n, d in files.items() if d == digest)
    if same:
        return True, f"genuine: {path} is the published {same[0]} under another name"
    if name in files:
        return False, f"altered: {path} is not the published {name} (its SHA-256 differs)"
    return False, f"not in this bulletin: no file of the manifest has the content of {path}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Check a Jiaxin bulletin's files offline.")
    ap.add_argument("--manifest", required=True, help="the bulletin's signed manifest")
    ap.add_argument("--keys", required=True, help="body of GET /api/v1/bulletins/keys, saved as JSON")
    ap.add_argument("files", nargs="+", metavar="FILE")
    args = ap.parse_args(argv)
    try:
        keys = load_keys(args.keys)
    except (OSError, ValueError, LookupError, TypeError, AttributeError) as exc:
        print(f"cannot read the keys file: {exc}", file=sys.stderr)
        return 2
    try:
        with open(args.manifest, "rb") as f:
            signed = f.read()
    except OSError as exc:
        print(f"cannot read the manifest: {exc}", file=sys.stderr)
        return 2
    try:
        text, signers = open_note(signed.decode("utf-8"), keys)
        header, files = parse_manifest(text)
    except UnicodeDecodeError:
        print("manifest does not verify: it is not UTF-8 text; no file can be vouched for")
        return 1
    except Refused as exc:
        print(f"manifest does not verify: {exc}; no file can be vouched for")
        return 1
    print(f"manifest: {header}, signed by {', '.join(signers)}")
    results = [verdict(path, files) for path in args.files]
    for _, line in results:
        print(line)
    print(ONLINE)
    return 0 if all(ok for ok, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
