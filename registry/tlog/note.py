"""C2SP signed notes, tlog checkpoints and tlog-proof receipts, with Ed25519 keys.

Pure functions: no Flask, no database. The formats (c2sp.org/signed-note,
c2sp.org/tlog-checkpoint, c2sp.org/tlog-proof) and how Go's
golang.org/x/mod/sumdb/note reads them:

    checkpoint text   <origin>\\n<size>\\n<base64 root>\\n[extension lines\\n…]
    signed note       <text ending in \\n>\\n— <key name> <base64(key id[4] || signature)>\\n…
    verifier key      <key name>+<8 hex digits of key id>+<base64(0x01 || public key)>
    tlog-proof        c2sp.org/tlog-proof@v1\\n[extra <base64>\\n]index <i>\\n<base64 hash>\\n…\\n<signed checkpoint>

Parsing is strict: base64 must be canonical standard base64 with padding, and
decimal numbers have no sign, no leading zeros and at most 19 digits (they fit
a signed 64-bit column). A malformed or unverifiable input raises NoteError (a
ValueError); a bad argument to a builder raises ValueError or TypeError.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from . import merkle

ALG_ED25519 = 0x01
SIG_PREFIX = "\u2014 "  # EM DASH, space
TLOG_PROOF_HEADER = "c2sp.org/tlog-proof@v1"
# Go's sumdb/note refuses more than 100 signatures; C2SP asks verifiers to accept at least 16.
MAX_SIGNATURES = 100
# An inclusion proof in a tree of at most 2^63 - 1 leaves has at most 63 hashes.
MAX_PROOF_HASHES = 63
MAX_SIZE = 2**63 - 1

_DECIMAL = re.compile(r"(?:0|[1-9][0-9]{0,18})\Z", re.ASCII)
_KEY_ID_HEX = re.compile(r"[0-9a-fA-F]{8}\Z", re.ASCII)


class NoteError(ValueError):
    """A note, checkpoint, key or receipt is malformed or does not verify."""


class Checkpoint(NamedTuple):
    """A parsed tlog checkpoint: the three mandatory lines, then any extension lines."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()


class Verifier(NamedTuple):
    """A known Ed25519 note key: a signature counts only if both name and key id match."""

    name: str
    key_id: bytes
    public_key: bytes

    def verify(self, message: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True


class OpenedNote(NamedTuple):
    """The verified text of a note and the names of the known keys whose signatures verified."""

    text: str
    verified_by: list[str]


class TlogProof(NamedTuple):
    """A parsed c2sp.org/tlog-proof receipt (the checkpoint is verbatim and not yet verified)."""

    index: int
    hashes: list[bytes]
    signed_checkpoint: str
    extra: bytes | None = None


# --- small parsers ---------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str, what: str) -> bytes:
    """Decode canonical, padded standard base64 (RFC 4648 §4), or raise NoteError."""
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error, ValueError):
        raise NoteError(f"{what} is not valid base64") from None
    # Non-zero padding bits would let one value have several encodings.
    if _b64(data) != text:
        raise NoteError(f"{what} is not canonical base64")
    return data


def _decimal(text: str, what: str) -> int:
    if not _DECIMAL.match(text):
        raise NoteError(f"{what} must be a decimal number without sign or leading zeros")
    value = int(text)
    if value > MAX_SIZE:
        raise NoteError(f"{what} is too large")
    return value


def _check_size(value: int, what: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{what} must be an int, not {type(value).__name__}")
    if not 0 <= value <= MAX_SIZE:
        raise ValueError(f"{what} must be between 0 and 2^63 - 1")


def _check_hash(value, what: str) -> bytes:
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise TypeError(f"{what} must be bytes, not {type(value).__name__}")
    value = bytes(value)
    if len(value) != merkle.HASH_SIZE:
        raise ValueError(f"{what} must be {merkle.HASH_SIZE} bytes, not {len(value)}")
    return value


def _as_text(value: str | bytes, what: str) -> str:
    """Return `value` as str, insisting on valid UTF-8 with no control character but newline."""
    if isinstance(value, (bytes, bytearray)):
        try:
            value = bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            raise NoteError(f"{what} is not valid UTF-8") from None
    elif isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise NoteError(f"{what} is not valid UTF-8 (lone surrogate)") from None
    else:
        raise TypeError(f"{what} must be str or bytes, not {type(value).__name__}")
    for ch in value:
        if ch < " " and ch != "\n":
            raise NoteError(f"{what} contains control character U+{ord(ch):04X}")
    return value


def _is_valid_key_name(name: str) -> bool:
    """Key names are non-empty, without Unicode spaces, plus signs or control characters."""
    return (
        isinstance(name, str)
        and name != ""
        and "+" not in name
        and not any(ch.isspace() or ch < " " for ch in name)
        and _encodable(name)
    )


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check_key_name(name: str) -> None:
    if not isinstance(name, str):
        raise TypeError(f"key name must be str, not {type(name).__name__}")
    if not _is_valid_key_name(name):
        raise NoteError(f"invalid key name {name!r}: it must be non-empty, without spaces or '+'")


# --- checkpoints -----------------------------------------------------------------------------


def checkpoint_text(origin: str, size: int, root: bytes, extensions: Iterable[str] = ()) -> str:
    """Return the tlog-checkpoint note text `<origin>\\n<size>\\n<base64 root>\\n` (plus extension lines)."""
    if not isinstance(origin, str):
        raise TypeError(f"origin must be str, not {type(origin).__name__}")
    _check_size(size, "size")
    root = _check_hash(root, "root")
    lines = [origin, str(size), _b64(root), *extensions]
    for i, line in enumerate(lines):
        if not isinstance(line, str):
            raise TypeError(f"checkpoint line {i + 1} must be str")
        if line == "" or "\n" in line:
            raise NoteError(f"checkpoint line {i + 1} must be one non-empty line")
    text = "\n".join(lines) + "\n"
    _as_text(text, "checkpoint")
    return text


def parse_checkpoint(text: str | bytes) -> Checkpoint:
    """Parse tlog-checkpoint note text strictly; extension lines are kept, in order."""
    text = _as_text(text, "checkpoint")
    if not text.endswith("\n"):
        raise NoteError("checkpoint must end with a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise NoteError("checkpoint must have an origin, a size and a root hash line")
    if any(line == "" for line in lines):
        raise NoteError("checkpoint lines must not be empty")
    origin, size_line, root_line, *extensions = lines
    size = _decimal(size_line, "checkpoint size")
    root = _unb64(root_line, "checkpoint root hash")
    if len(root) != merkle.HASH_SIZE:
        raise NoteError(f"checkpoint root hash must be {merkle.HASH_SIZE} bytes, not {len(root)}")
    return Checkpoint(origin, size, root, tuple(extensions))


# --- keys ------------------------------------------------------------------------------------


def _public_bytes(public_key) -> bytes:
    if isinstance(public_key, Ed25519PublicKey):
        return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    if not isinstance(public_key, (bytes, bytearray, memoryview)):
        raise TypeError(f"public key must be 32 bytes, not {type(public_key).__name__}")
    public_key = bytes(public_key)
    if len(public_key) != 32:
        raise ValueError(f"an Ed25519 public key is 32 bytes, not {len(public_key)}")
    return public_key


def key_id(name: str, public_key: bytes) -> bytes:
    """Return the 4-byte key id SHA-256(name || 0x0A || 0x01 || public key)[:4]."""
    _check_key_name(name)
    pub = _public_bytes(public_key)
    return hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([ALG_ED25519]) + pub).digest()[:4]


def new_verifier(name: str, public_key: bytes) -> Verifier:
    """Return the Verifier for an Ed25519 public key (raw 32 bytes) under `name`."""
    pub = _public_bytes(public_key)
    return Verifier(name, key_id(name, pub), pub)


def verifier_key(name: str, public_key: bytes) -> str:
    """Return the verifier key string `name+<hex key id>+<base64(0x01 || public key)>`."""
    pub = _public_bytes(public_key)
    return f"{name}+{key_id(name, pub).hex()}+{_b64(bytes([ALG_ED25519]) + pub)}"


def parse_verifier_key(text: str) -> Verifier:
    """Parse a verifier key string, checking its key id against its name and key."""
    if not isinstance(text, str):
        raise TypeError(f"verifier key must be str, not {type(text).__name__}")
    parts = text.split("+", 2)  # base64 may itself contain '+'
    if len(parts) != 3:
        raise NoteError("verifier key must be name+keyid+key")
    name, id_hex, key_b64 = parts
    if not _is_valid_key_name(name):
        raise NoteError("verifier key has an invalid key name")
    if not _KEY_ID_HEX.match(id_hex):
        raise NoteError("verifier key id must be 8 hexadecimal digits")
    key = _unb64(key_b64, "verifier public key")
    if not key or key[0] != ALG_ED25519:
        raise NoteError("verifier key is not an Ed25519 key (algorithm 0x01)")
    if len(key) != 33:
        raise NoteError(f"Ed25519 public key must be 32 bytes, not {len(key) - 1}")
    pub = key[1:]
    kid = key_id(name, pub)
    if kid != bytes.fromhex(id_hex):
        raise NoteError(f"verifier key id {id_hex} does not match its name and key ({kid.hex()})")
    return Verifier(name, kid, pub)


# --- signed notes ----------------------------------------------------------------------------


class _SignatureLine(NamedTuple):
    name: str
    key_id: bytes
    signature: bytes


def _split_note(note: str | bytes) -> tuple[str, list[_SignatureLine]]:
    """Split a signed note into its text and parsed signature lines (nothing verified)."""
    note = _as_text(note, "note")
    split = note.rfind("\n\n")
    if split < 0:
        raise NoteError("note has no blank line before its signatures")
    text, block = note[: split + 1], note[split + 2 :]
    if not block or not block.endswith("\n"):
        raise NoteError("note has no signature lines, or they do not end with a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"note has more than {MAX_SIGNATURES} signatures")
    sigs = []
    for number, line in enumerate(lines, 1):
        if not line.startswith(SIG_PREFIX):
            raise NoteError(f"signature line {number} does not start with an em dash and a space")
        name, space, sig_b64 = line[len(SIG_PREFIX) :].partition(" ")
        if not space or not _is_valid_key_name(name) or not sig_b64:
            raise NoteError(f"signature line {number} is not '— <key name> <base64 signature>'")
        raw = _unb64(sig_b64, f"signature line {number}")
        if len(raw) < 5:
            raise NoteError(f"signature line {number} is too short")
        sigs.append(_SignatureLine(name, raw[:4], raw[4:]))
    return text, sigs


def sign_note(text: str, name: str, private_key: Ed25519PrivateKey) -> str:
    """Return `text` signed by `private_key` under key name `name`, as a C2SP signed note."""
    if not isinstance(private_key, Ed25519PrivateKey):
        raise TypeError("private_key must be an Ed25519PrivateKey")
    if not isinstance(text, str):
        raise TypeError(f"note text must be str, not {type(text).__name__}")
    _check_key_name(name)
    _as_text(text, "note text")
    if not text.endswith("\n"):
        raise NoteError("note text must end with a newline")
    pub = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    signature = private_key.sign(text.encode("utf-8"))
    return f"{text}\n{SIG_PREFIX}{name} {_b64(key_id(name, pub) + signature)}\n"


def open_note(note: str | bytes, verifiers: Sequence[Verifier]) -> OpenedNote:
    """Verify a signed note against known keys; return its text and who signed it.

    Signatures from unknown keys (name and key id not both matching a verifier)
    are ignored. Raise NoteError if the note is malformed, if a known key's
    signature fails, or if no known key signed it.
    """
    known: dict[tuple[str, bytes], list[Verifier]] = {}
    for v in verifiers:
        if not isinstance(v, Verifier):
            raise TypeError("verifiers must be Verifier values (see parse_verifier_key)")
        same = known.setdefault((v.name, bytes(v.key_id)), [])
        if v not in same:
            same.append(v)
    text, sigs = _split_note(note)
    message = text.encode("utf-8")
    verified: list[str] = []
    for sig in sigs:
        candidates = known.get((sig.name, sig.key_id))
        if candidates is None:
            continue
        label = f"{sig.name}+{sig.key_id.hex()}"
        if len(candidates) > 1:
            raise NoteError(f"ambiguous verifier key {label}: several keys share its name and id")
        # Unlike Go, a repeated signature by a known key is verified again, not skipped.
        if not candidates[0].verify(message, sig.signature):
            raise NoteError(f"invalid signature for key {label}")
        if sig.name not in verified:
            verified.append(sig.name)
    if not verified:
        raise NoteError("note has no signature from a known key")
    return OpenedNote(text, verified)


def open_checkpoint(signed: str | bytes, verifiers: Sequence[Verifier], origin: str | None = None) -> Checkpoint:
    """Verify a signed checkpoint and parse it; if `origin` is given, it must match."""
    text, _ = open_note(signed, verifiers)
    checkpoint = parse_checkpoint(text)
    if origin is not None and checkpoint.origin != origin:
        raise NoteError(f"checkpoint origin {checkpoint.origin!r} is not {origin!r}")
    return checkpoint


# --- tlog-proof receipts ---------------------------------------------------------------------


def _checkpoint_of(signed_checkpoint: str | bytes) -> tuple[str, Checkpoint]:
    """Check a signed checkpoint's structure (not its signatures); return it as str and parsed."""
    signed_checkpoint = _as_text(signed_checkpoint, "signed checkpoint")
    text, _ = _split_note(signed_checkpoint)
    return signed_checkpoint, parse_checkpoint(text)


def tlog_proof(index: int, proof_hashes: Sequence[bytes], signed_checkpoint: str,
               extra: bytes | None = None) -> str:
    """Return a c2sp.org/tlog-proof receipt for entry `index` under `signed_checkpoint`."""
    _check_size(index, "index")
    hashes = [_check_hash(h, f"proof hash {i}") for i, h in enumerate(proof_hashes)]
    if len(hashes) > MAX_PROOF_HASHES:
        raise ValueError(f"an inclusion proof has at most {MAX_PROOF_HASHES} hashes")
    signed_checkpoint, checkpoint = _checkpoint_of(signed_checkpoint)
    if index >= checkpoint.size:
        raise ValueError(f"index {index} is not below the checkpoint's size {checkpoint.size}")
    lines = [TLOG_PROOF_HEADER]
    if extra is not None:
        if not isinstance(extra, (bytes, bytearray)):
            raise TypeError("extra must be bytes")
        if not extra:
            raise ValueError("extra data must be non-empty (omit it instead)")
        lines.append(f"extra {_b64(bytes(extra))}")
    lines.append(f"index {index}")
    lines.extend(_b64(h) for h in hashes)
    return "\n".join(lines) + "\n\n" + signed_checkpoint


def parse_tlog_proof(text: str | bytes) -> TlogProof:
    """Parse a c2sp.org/tlog-proof receipt strictly; the checkpoint's signatures are not checked."""
    text = _as_text(text, "tlog-proof")
    head, sep, signed_checkpoint = text.partition("\n\n")
    if not sep:
        raise NoteError("tlog-proof has no blank line before its checkpoint")
    lines = head.split("\n")
    if lines[0] != TLOG_PROOF_HEADER:
        raise NoteError(f"tlog-proof must start with {TLOG_PROOF_HEADER!r}")
    pos = 1
    extra = None
    if pos < len(lines) and lines[pos].startswith("extra "):
        extra = _unb64(lines[pos][len("extra ") :], "tlog-proof extra data")
        if not extra:
            raise NoteError("tlog-proof extra line is empty")
        pos += 1
    if pos >= len(lines) or not lines[pos].startswith("index "):
        raise NoteError("tlog-proof has no 'index <n>' line")
    index = _decimal(lines[pos][len("index ") :], "tlog-proof index")
    hash_lines = lines[pos + 1 :]
    if len(hash_lines) > MAX_PROOF_HASHES:
        raise NoteError(f"tlog-proof has more than {MAX_PROOF_HASHES} proof hashes")
    hashes = []
    for number, line in enumerate(hash_lines, 1):
        h = _unb64(line, f"tlog-proof hash {number}")
        if len(h) != merkle.HASH_SIZE:
            raise NoteError(f"tlog-proof hash {number} is not {merkle.HASH_SIZE} bytes")
        hashes.append(h)
    signed_checkpoint, checkpoint = _checkpoint_of(signed_checkpoint)
    if index >= checkpoint.size:
        raise NoteError(f"tlog-proof index {index} is not below the checkpoint's size {checkpoint.size}")
    return TlogProof(index, hashes, signed_checkpoint, extra)


def verify_tlog_proof(text: str | bytes, leaf_hash: bytes, verifiers: Sequence[Verifier],
                      origin: str | None = None) -> Checkpoint:
    """Check a receipt end to end: a known key signed its checkpoint, and the leaf is in that tree.

    Return the checkpoint; raise NoteError otherwise.
    """
    proof = parse_tlog_proof(text)
    checkpoint = open_checkpoint(proof.signed_checkpoint, verifiers, origin)
    if not merkle.verify_inclusion(proof.index, checkpoint.size, leaf_hash, proof.hashes, checkpoint.root):
        raise NoteError(f"inclusion proof for entry {proof.index} does not match the checkpoint")
    return checkpoint
