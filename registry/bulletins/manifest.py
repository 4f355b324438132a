"""The signed manifest of a bulletin: which files, with which SHA-256, the registry published.

A bulletin (公示公告) is a handful of files (a PDF, the open data as CSV and JSON…) that
get copied, mirrored and forwarded. Its manifest is a C2SP signed note, signed with the
key ring's `bulletin` key, so that anyone holding a copy can tell, offline, that it is
byte for byte what the registry published:

    jiaxin.example/log/bulletins 2026-11 v2
    <64 lowercase hex>  sanctions-2026-11.csv
    <64 lowercase hex>  sanctions-2026-11.pdf

    — jiaxin.example/log/bulletins <base64(key id || signature)>

The header names what the note is (origin, period, version), so a signature on one
bulletin cannot be passed off as another's. The other lines are exactly `sha256sum`'s
output, sorted by name: with the header line removed, `sha256sum -c` checks the files with
nothing but coreutils. File names are plain (`[A-Za-z0-9._-]`, starting with a letter or
digit): no directories, no escaping, nothing `sha256sum` reads specially (`-` is stdin to it).

The signing key's name is `key_name(origin)`, the header's first word, as the log's key
name is its origin. scripts/check_bulletin.py repeats the parsing below without importing
the registry: keep the two in step.

Pure: no Flask, no database.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import NamedTuple

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from registry.tlog import note

SUFFIX = "/bulletins"
MAX_VERSION = 2**63 - 1  # fits a signed 64-bit column
MAX_NAME = 255  # bytes in a file name on common file systems

# A log origin is one word of printable ASCII without '+' (it is part of a note key name).
_ORIGIN = re.compile(r"[!-*,-~]+\Z", re.ASCII)
_PERIOD = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}\Z", re.ASCII)
_NAME = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._-]{{0,{MAX_NAME - 1}}}\Z", re.ASCII)
_HEADER = re.compile(r"(\S+)/bulletins (\S+) v(0|[1-9][0-9]{0,18})\Z", re.ASCII)
_LINE = re.compile(r"([0-9a-f]{64})  (\S+)\Z", re.ASCII)
_HEX = re.compile(r"[0-9a-f]{64}\Z", re.ASCII)


class ManifestError(ValueError):
    """A signed manifest is malformed, not signed by a known key, or its signature fails."""


class Manifest(NamedTuple):
    """A verified manifest: what it is, and file name -> SHA-256 (64 lowercase hex)."""

    origin: str
    period: str
    version: int
    files: dict[str, str]
    signed_by: tuple[str, ...] = ()


def key_name(origin: str) -> str:
    """The note key name bulletins are signed under: `{origin}/bulletins`, the header's first word."""
    return f"{origin}{SUFFIX}"


def _check_header(origin: str, period: str, version: int) -> None:
    if not isinstance(origin, str) or not _ORIGIN.match(origin):
        raise ValueError(f"origin must be one word of printable ASCII without '+', not {origin!r}")
    if not isinstance(period, str) or not _PERIOD.match(period):
        raise ValueError(f"period must be a plain word ([A-Za-z0-9._-], up to 64), not {period!r}")
    if not isinstance(version, int) or isinstance(version, bool):
        raise TypeError(f"version must be an int, not {type(version).__name__}")
    if not 1 <= version <= MAX_VERSION:
        raise ValueError("version must be between 1 and 2^63 - 1")


def is_plain_name(name: str) -> bool:
    """A file name a manifest may list: [A-Za-z0-9._-], starting with a letter or digit, at most 255."""
    return isinstance(name, str) and bool(_NAME.match(name))


def manifest_text(origin: str, period: str, version: int, files: Sequence[tuple[str, bytes]]) -> str:
    """The note text: the header, then `<sha256 hex>  <name>` per file, sorted by name, ending in a newline.

    Raise ValueError for a name that is not plain, a name listed twice, or no file at all.
    """
    _check_header(origin, period, version)
    digests: dict[str, str] = {}
    for name, data in files:
        if not is_plain_name(name):
            raise ValueError(f"file name {name!r} is not plain: [A-Za-z0-9._-], starting with a letter or digit")
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"the content of {name} must be bytes, not {type(data).__name__}")
        if name in digests:
            raise ValueError(f"file name {name!r} is listed twice")
        digests[name] = hashlib.sha256(data).hexdigest()
    if not digests:
        raise ValueError("a bulletin manifest lists at least one file")
    lines = [f"{key_name(origin)} {period} v{version}"]
    lines.extend(f"{digests[name]}  {name}" for name in sorted(digests))
    return "\n".join(lines) + "\n"


def sign(text: str, key_name: str, private_key: Ed25519PrivateKey) -> str:
    """The manifest text signed as a C2SP signed note (see registry.tlog.note.sign_note)."""
    return note.sign_note(text, key_name, private_key)


def parse_manifest(text: str) -> Manifest:
    """Parse manifest note text strictly (nothing verified): exactly what manifest_text writes."""
    if not isinstance(text, str):
        raise TypeError(f"manifest text must be str, not {type(text).__name__}")
    if not text.endswith("\n"):
        raise ManifestError("manifest text must end with a newline")
    header, *lines = text[:-1].split("\n")
    m = _HEADER.match(header)
    if m is None:
        raise ManifestError(f"manifest header is not '<origin>/bulletins <period> v<version>': {header!r}")
    try:
        _check_header(m.group(1), m.group(2), int(m.group(3)))
    except ValueError as exc:
        raise ManifestError(f"manifest header: {exc}") from None
    if not lines:
        raise ManifestError("manifest lists no file")
    files: dict[str, str] = {}
    previous = ""
    for number, line in enumerate(lines, 2):
        entry = _LINE.match(line)
        if entry is None or not is_plain_name(entry.group(2)):
            raise ManifestError(f"manifest line {number} is not '<64 lowercase hex>  <plain file name>'")
        digest, name = entry.groups()
        if name <= previous:
            raise ManifestError(f"manifest line {number}: names must be sorted and listed once ({name!r})")
        files[name] = digest
        previous = name
    return Manifest(m.group(1), m.group(2), int(m.group(3)), files)


def open_manifest(signed: str | bytes, verifiers: Sequence[note.Verifier], origin: str | None = None) -> Manifest:
    """Verify a signed manifest against known bulletin keys and parse it.

    Raise ManifestError if a known key's signature fails, if no known key signed it, if it
    is malformed, or if `origin` is given and the manifest is another registry's.
    """
    try:
        opened = note.open_note(signed, verifiers)
    except note.NoteError as exc:
        raise ManifestError(f"manifest does not verify: {exc}") from None
    manifest = parse_manifest(opened.text)._replace(signed_by=tuple(opened.verified_by))
    if origin is not None and manifest.origin != origin:
        raise ManifestError(f"manifest origin {manifest.origin!r} is not {origin!r}")
    return manifest


def check_file(manifest: Manifest, name: str, data: bytes) -> bool:
    """True if the manifest lists `name` with exactly this content."""
    listed = manifest.files.get(name)
    return listed is not None and hashlib.sha256(data).hexdigest() == listed


def check_digest(manifest: Manifest, sha256_hex: str) -> str | None:
    """The name of the file a pasted SHA-256 belongs to, or None.

    Surrounding spaces and upper case are forgiven (people paste from other tools); if
    several files have the same content, the first name in sorted order is returned.
    """
    if not isinstance(sha256_hex, str):
        return None
    digest = sha256_hex.strip().lower()
    if not _HEX.match(digest):
        return None
    return next((name for name, listed in sorted(manifest.files.items()) if listed == digest), None)
