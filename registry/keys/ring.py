"""Keys, one set per purpose, kept in REGISTRY_KEYS_DIR (outside the database).

Each purpose is one JSON file listing its keys, current first. Symmetric
purposes hold 32 random bytes; signing purposes hold an Ed25519 private key.
Old keys stay in the file (state "active" or "retired") so that what they
encrypted, indexed or signed can still be read and verified.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from .. import clock

# Fields that get a blind index for equality look-ups (a person's name: as `crypto.name_key` folds it).
INDEX_FIELDS = ("id_number", "phone", "name")

SIGNING_PURPOSES = ("log", "card", "bulletin")
SYMMETRIC_PURPOSES = ("field", "state", "household", "log-hmac") + tuple(f"index-{f}" for f in INDEX_FIELDS)
PURPOSES = SYMMETRIC_PURPOSES + SIGNING_PURPOSES
# The state key keys the HMACs inside canonical states: rotating it would
# change every logged digest, so it is never rotated. The household key keys the customers' household references
# (service records): they cannot be recomputed without the customers' phones, which the registry never keeps, so
# a new key would split every household in two.
NOT_ROTATABLE = ("state", "household")


class KeyError_(LookupError):  # noqa: N801 — the builtin's name, marked as ours
    """A key that should exist does not."""


@dataclass(frozen=True)
class Key:
    purpose: str
    id: str
    material: bytes
    created: str
    state: str  # current | active | retired

    @property
    def private_key(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_private_bytes(self.material)

    @property
    def public_bytes(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )


def _key_id(purpose: str, material: bytes) -> str:
    if purpose in SIGNING_PURPOSES:
        pub = Ed25519PrivateKey.from_private_bytes(material).public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return hashlib.sha256(pub).digest()[:4].hex()
    # A symmetric key's id says nothing about the key itself.
    return secrets.token_hex(4)


def _new_material(purpose: str) -> bytes:
    if purpose in SIGNING_PURPOSES:
        return Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
    return secrets.token_bytes(32)


class KeyRing:
    """Loads and writes the per-purpose key files; caches what it read.

    Other processes (a rotation started from the CLI) may add keys: a cached
    purpose is re-read when its file changed, checked at most once a second,
    and at once when a key id is not found.
    """

    RECHECK_SECONDS = 1.0

    def __init__(self, directory: str | os.PathLike):
        self.dir = Path(directory)
        self._cache: dict[str, list[Key]] = {}
        self._stamp: dict[str, tuple[int, float]] = {}  # purpose -> (file mtime_ns, when checked)

    def _path(self, purpose: str) -> Path:
        if purpose not in PURPOSES:
            raise ValueError(f"unknown key purpose {purpose!r}")
        return self.dir / f"{purpose}.json"

    def ensure_dir(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.dir, 0o700)

    def keys(self, purpose: str, *, fresh: bool = False) -> list[Key]:
        """The purpose's keys, current first (re-read if the file changed)."""
        now = time.monotonic()
        stamp = self._stamp.get(purpose)
        if purpose in self._cache and not fresh and stamp and now - stamp[1] < self.RECHECK_SECONDS:
            return self._cache[purpose]
        path = self._path(purpose)
        try:
            mtime = path.stat().st_mtime_ns
        except FileNotFoundError:
            raise KeyError_(f"no {purpose} key in {self.dir}; run `flask --app wsgi keys init`") from None
        if purpose not in self._cache or stamp is None or stamp[0] != mtime:
            raw = json.loads(path.read_text())
            self._cache[purpose] = [
                Key(purpose, k["id"], base64.b64decode(k["material"]), k["created"], k["state"]) for k in raw["keys"]
            ]
        self._stamp[purpose] = (mtime, now)
        return self._cache[purpose]

    def current(self, purpose: str) -> Key:
        return self.keys(purpose)[0]

    def get(self, purpose: str, key_id: str) -> Key:
        for fresh in (False, True):
            for key in self.keys(purpose, fresh=fresh):
                if key.id == key_id:
                    return key
        raise KeyError_(f"unknown {purpose} key {key_id}")

    def retire(self, purpose: str, key_id: str) -> None:
        """Mark a (non-current) key retired: nothing uses it any more."""
        keys = self.keys(purpose, fresh=True)
        if keys[0].id == key_id:
            raise ValueError("the current key cannot be retired")
        self.write(purpose, [Key(k.purpose, k.id, k.material, k.created, "retired") if k.id == key_id else k
                              for k in keys])

    def write(self, purpose: str, keys: list[Key]) -> None:
        """Write a purpose's file whole (current key first), atomically, readable by this user alone."""
        self.ensure_dir()
        doc = {
            "purpose": purpose,
            "keys": [
                {"id": k.id, "created": k.created, "state": k.state, "material": base64.b64encode(k.material).decode()}
                for k in keys
            ],
        }
        fd, tmp = tempfile.mkstemp(dir=self.dir, prefix=f".{purpose}.")
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w") as fh:
                json.dump(doc, fh, indent=1)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self._path(purpose))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._cache[purpose] = keys
        self._stamp[purpose] = (self._path(purpose).stat().st_mtime_ns, time.monotonic())

    def add(self, purpose: str) -> Key:
        """Make a new current key for the purpose; earlier keys stay active."""
        try:
            existing = self.keys(purpose, fresh=True)
        except KeyError_:
            existing = []
        material = _new_material(purpose)
        key = Key(purpose, _key_id(purpose, material), material,
                  clock.now().strftime("%Y-%m-%dT%H:%M:%SZ"), "current")
        demoted = [Key(k.purpose, k.id, k.material, k.created, "active" if k.state == "current" else k.state)
                   for k in existing]
        self.write(purpose, [key] + demoted)
        return key

    def ensure_all(self) -> list[str]:
        """Create every missing purpose's first key; return the purposes created."""
        self.ensure_dir()
        made = []
        for purpose in PURPOSES:
            if not self._path(purpose).exists():
                self.add(purpose)
                made.append(purpose)
        return made
