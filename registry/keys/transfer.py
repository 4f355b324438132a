"""The keys carried out of the key folder under a passphrase, and back in (`flask keys export FILE`, `keys import`).

A backup of the database never holds the keys (docs/operations.md, "Backups"): the sealed fields, blind indexes and
state HMACs in it are worth nothing without them, and the keys without the data are no use to a thief either. So
the keys travel apart, in one file of this shape:

    {"format": "jiaxin-keys/1", "created": "…Z", "purposes": ["field", …],
     "kdf": {"name": "scrypt", "n": 131072, "r": 8, "p": 1, "salt": "<base64>"},
     "cipher": "AES-256-GCM", "nonce": "<base64>", "ciphertext": "<base64>"}

The key is scrypt's (RFC 7914) of the passphrase and the salt; the plaintext is every purpose's key list as the key
folder holds it, as JSON; the associated data is the header (every field but the ciphertext, as canonical JSON), so
a header changed is refused as a ciphertext changed is. A wrong passphrase and a damaged file cannot be told apart,
and both are refused whole: nothing is written.

An import writes each purpose whose file is missing, and leaves alone one that holds exactly the exported keys. A
purpose whose file holds other keys is refused unless the operator says `replace`: keys made by `keys init` on a new
machine before the restore would otherwise stay current and seal new values no restored key can read. A replaced
file is kept beside, as `<purpose>.json.replaced-<time>`.
"""
from __future__ import annotations

import base64
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from .. import clock
from .ring import PURPOSES, Key, KeyError_, KeyRing

FORMAT = "jiaxin-keys/1"
# scrypt's cost: 2^17 × 8 × 128 bytes = 128 MiB and about half a second here, once per export or import.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2 ** 17, 8, 1
MIN_PASSPHRASE = 12


class TransferError(ValueError):
    """An export or import refused; `code` names why, the message says it in Chinese and English."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Imported:
    written: list[str]     # purposes whose file was written (new, or replaced)
    unchanged: list[str]   # purposes whose file already held exactly these keys
    replaced: list[Path]   # where each replaced file was kept


def _header_bytes(header: dict) -> bytes:
    return json.dumps(header, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def _derive(passphrase: str, kdf: dict) -> bytes:
    return Scrypt(salt=base64.b64decode(kdf["salt"]), length=32, n=kdf["n"], r=kdf["r"],
                  p=kdf["p"]).derive(passphrase.encode())


def _check_passphrase(passphrase: str) -> None:
    if len(passphrase) < MIN_PASSPHRASE:
        raise TransferError("passphrase_too_short", f"口令至少 {MIN_PASSPHRASE} 个字符 / The passphrase must be at "
                                                    f"least {MIN_PASSPHRASE} characters")


def _as_list(keys: list[Key]) -> list[dict]:
    return [{"id": k.id, "created": k.created, "state": k.state, "material": base64.b64encode(k.material).decode()}
            for k in keys]


def export_keys(ring: KeyRing, passphrase: str, *, n: int = SCRYPT_N) -> bytes:
    """Every purpose's keys, sealed under `passphrase`: the bytes of the export file."""
    _check_passphrase(passphrase)
    try:
        plain = {purpose: _as_list(ring.keys(purpose, fresh=True)) for purpose in PURPOSES}
    except KeyError_ as exc:
        raise TransferError("keys_missing", f"密钥目录缺少密钥，请先运行 keys init / {exc}") from None
    header = {"format": FORMAT, "created": clock.now().strftime("%Y-%m-%dT%H:%M:%SZ"), "purposes": list(PURPOSES),
              "kdf": {"name": "scrypt", "n": n, "r": SCRYPT_R, "p": SCRYPT_P,
                      "salt": base64.b64encode(secrets.token_bytes(16)).decode()},
              "cipher": "AES-256-GCM", "nonce": base64.b64encode(secrets.token_bytes(12)).decode()}
    key = _derive(passphrase, header["kdf"])
    sealed = AESGCM(key).encrypt(base64.b64decode(header["nonce"]),
                                 json.dumps(plain, sort_keys=True).encode(), _header_bytes(header))
    return (json.dumps({**header, "ciphertext": base64.b64encode(sealed).decode()}, indent=1) + "\n").encode()


def read_export(data: bytes, passphrase: str) -> dict[str, list[Key]]:
    """The keys of an export file, by purpose; refused whole if the file or the passphrase is wrong."""
    try:
        doc = json.loads(data)
        header = {k: v for k, v in doc.items() if k != "ciphertext"}
        if doc.get("format") != FORMAT or doc.get("cipher") != "AES-256-GCM" or doc["kdf"].get("name") != "scrypt":
            raise ValueError("format")
        key = _derive(passphrase, doc["kdf"])
        plain = AESGCM(key).decrypt(base64.b64decode(doc["nonce"]), base64.b64decode(doc["ciphertext"]),
                                    _header_bytes(header))
        lists = json.loads(plain)
        keys = {purpose: [Key(purpose, k["id"], base64.b64decode(k["material"]), k["created"], k["state"])
                          for k in lists[purpose]] for purpose in doc["purposes"]}
    except InvalidTag:
        raise TransferError("wrong_passphrase", "口令错误或文件已损坏，未导入任何密钥 / Wrong passphrase or a damaged "
                                                "file: no key was imported") from None
    except (ValueError, KeyError, TypeError, AttributeError):
        raise TransferError("not_a_key_export", "不是家信密钥导出文件，未导入任何密钥 / "
                                                "Not a Jiaxin key export: no key was imported") from None
    unknown = sorted(set(keys) - set(PURPOSES))
    if unknown or any(not k for k in keys.values()):
        raise TransferError("not_a_key_export", f"导出文件的密钥用途无效 / The export's purposes are not this "
                                                f"registry's: {', '.join(unknown) or 'an empty purpose'}")
    return keys


def import_keys(ring: KeyRing, data: bytes, passphrase: str, *, replace: bool = False) -> Imported:
    """Write the keys of an export file into `ring`'s folder (see the module's rules); nothing on refusal."""
    keys = read_export(data, passphrase)
    new, same, differ = [], [], []
    for purpose, exported in keys.items():
        try:
            held = ring.keys(purpose, fresh=True)
        except KeyError_:
            new.append(purpose)
            continue
        (same if _as_list(held) == _as_list(exported) else differ).append(purpose)
    if differ and not replace:
        raise TransferError("keys_differ", "密钥目录中已有不同的密钥，未导入任何密钥（确需替换请加 --replace）/ "
                                           f"The key folder holds other keys for {', '.join(differ)}: nothing imported "
                                           "(--replace replaces them, keeping the old files beside)")
    stamp = clock.now().strftime("%Y%m%dT%H%M%SZ")
    kept = []
    for purpose in differ:
        path = ring.dir / f"{purpose}.json"
        aside = path.with_name(f"{path.name}.replaced-{stamp}")
        os.replace(path, aside)
        kept.append(aside)
    for purpose in new + differ:
        ring.write(purpose, keys[purpose])
    return Imported(written=sorted(new + differ), unchanged=sorted(same), replaced=kept)
