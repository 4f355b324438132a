"""Personal data at rest: AES-GCM sealing, blind indexes and state HMACs.

A sealed value is the text `<key id>:<base64(nonce || ciphertext)>`; its
associated data binds it to one table, column and row, so a ciphertext copied
into another row or column does not open.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import unicodedata

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .ring import Key, KeyRing

# Per-key objects, built once: bulk imports seal and index hundreds of thousands of values.
_AEAD: dict[bytes, AESGCM] = {}
_MACS: dict[bytes, hmac.HMAC] = {}


def _aead(key: Key) -> AESGCM:
    aead = _AEAD.get(key.material)
    if aead is None:
        aead = _AEAD[key.material] = AESGCM(key.material)
    return aead


def aad(table: str, column: str, row_ref: str) -> bytes:
    return f"jiaxin:{table}:{column}:{row_ref}".encode()


def seal(ring: KeyRing, plaintext: str, associated: bytes) -> str:
    key = ring.current("field")
    nonce = os.urandom(12)
    ct = _aead(key).encrypt(nonce, plaintext.encode("utf-8"), associated)
    return f"{key.id}:{base64.b64encode(nonce + ct).decode()}"


def seal_bytes(ring: KeyRing, data: bytes, associated: bytes) -> bytes:
    """Seal a blob (an uploaded file): `<key id>:` then nonce || ciphertext."""
    key = ring.current("field")
    nonce = os.urandom(12)
    return key.id.encode() + b":" + nonce + _aead(key).encrypt(nonce, data, associated)


def unseal_bytes(ring: KeyRing, sealed: bytes, associated: bytes) -> bytes:
    key_id, _, raw = sealed.partition(b":")
    key = ring.get("field", key_id.decode())
    return _aead(key).decrypt(raw[:12], raw[12:], associated)


def unseal(ring: KeyRing, sealed: str, associated: bytes) -> str:
    key_id, blob = sealed.split(":", 1)
    raw = base64.b64decode(blob)
    key = ring.get("field", key_id)
    return _aead(key).decrypt(raw[:12], raw[12:], associated).decode("utf-8")


def _mac(secret: bytes, label: str, value: str) -> str:
    base = _MACS.get(secret)
    if base is None:
        base = _MACS[secret] = hmac.new(secret, digestmod=hashlib.sha256)
    h = base.copy()
    h.update(f"{label}\x00{value}".encode())
    return h.hexdigest()


def blind_index(ring: KeyRing, field: str, value: str) -> str:
    """The current index value `<key id>:<hex>` for an equality look-up."""
    key = ring.current(f"index-{field}")
    return f"{key.id}:{_mac(key.material, field, value)}"


def blind_index_candidates(ring: KeyRing, field: str, value: str) -> list[str]:
    """Index values under every key still in use (old and new during a rotation)."""
    return [f"{k.id}:{_mac(k.material, field, value)}" for k in ring.keys(f"index-{field}") if k.state != "retired"]


# The interpunct of names like 阿依古丽·买买提 and the look-alikes keyboards produce for it (as masking.py).
_INTERPUNCTS = str.maketrans(dict.fromkeys("•・‧･", "·"))
_SPACES = re.compile(r"\s+")


def name_key(name: str) -> str:
    """A person's name as its blind index takes it: NFKC (a compatibility ideograph is its unified form),
    spaces trimmed and collapsed as registration does, interpunct look-alikes made `·`, case folded. Two ways
    of typing the same full name give one key; a part of a name is another key."""
    folded = unicodedata.normalize("NFKC", name or "").translate(_INTERPUNCTS)
    return _SPACES.sub(" ", folded).strip().casefold()


def name_index(ring: KeyRing, name: str) -> str:
    """The current blind index of a person's full name (a worker's, a person a sanction names)."""
    return blind_index(ring, "name", name_key(name))


def name_index_candidates(ring: KeyRing, name: str) -> list[str]:
    """The full name's index under every key still in use, for look-ups during a rotation."""
    return blind_index_candidates(ring, "name", name_key(name))


def state_hmac(ring: KeyRing, field: str, value: str) -> str:
    """What a canonical state holds in place of a personal value."""
    return _mac(ring.current("state").material, field, value)
