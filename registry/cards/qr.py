"""The card's signed QR code: what it encodes, how it is signed, and what a scan means.

Pure: no Flask, no database. The QR is a URL a phone opens,
`{REGISTRY_PUBLIC_URL}/c/{card_no}?q={serial}.{valid_until}.{key_id}.{sig}`,
so a resident needs no app. The signature covers `jx1:{card_no}:{serial}:{valid_until}`
so that neither the card number in the path nor any field of `q` can be changed
without the verdict turning to "altered". `scripts/check_card_qr.py` repeats the
parsing and the origin rule (without importing this package) so anyone can check
a card offline against the published keys; keep the two in step.

The address is part of what a resident trusts: a genuine `q` pasted onto a
look-alike host proves nothing about the page around it. So a scan counts only
at the registry's official origin (`scheme://host[:port]` of PUBLIC_URL), compared
exactly: see `origin_of`.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import quote

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

VERDICTS = ("genuine", "expired", "void", "replaced", "altered", "not_issued", "wrong_origin")

# The words a resident reads on the phone after a scan: (zh, en).
WORDS: dict[str, tuple[str, str]] = {
    "genuine": ("真实有效：此服务证由家信签发，且为最新、未过期的证件。",
                "Genuine: issued by Jiaxin, the latest card, not expired."),
    "expired": ("已过期：此证由家信签发，但已超过有效期，请向服务人员索取新证。",
                "Expired: issued by Jiaxin, but past its valid-until date. Ask for the current card."),
    "void": ("已作废：发证企业已不再雇用此人。",
             "Void: the issuing company no longer employs this person."),
    "replaced": ("已换发新证：此证已被更新的服务证取代，请向服务人员查看最新的证件。",
                 "Replaced by a newer card: ask the worker to show the latest card."),
    "altered": ("已被篡改：二维码内容与家信签发的不一致，请勿信任此证。",
                "Altered: this QR code does not match what Jiaxin issued. Do not trust this card."),
    "not_issued": ("非家信签发：家信从未签发过此证，请勿信任。",
                   "Not issued by Jiaxin: Jiaxin never issued this card. Do not trust it."),
    # {official} is the registry's official origin.
    "wrong_origin": ("不是官方地址：此页面不在家信的官方地址 {official} 上，"
                     "请勿信任此页面和此证，请直接访问官方地址核验。",
                     "Not the official address: this page is not on Jiaxin's official address {official}. "
                     "Do not trust this page or this card; check the card at the official address."),
}

SIG_LEN = 64
_B64URL = re.compile(r"[A-Za-z0-9_-]*")
# Explicit ASCII classes: \d would accept other scripts' digits.
_SERIAL = re.compile(r"[1-9][0-9]*")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_KEY_ID = re.compile(r"[0-9a-f]{8}")


_SCHEME_AND_NETLOC = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://([^/?#\\]*)(?:[/?#\\].*)?", re.DOTALL)
# A DNS name of ASCII labels, no trailing dot; or an IPv6 literal. Lower case (compared after lowering).
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST = re.compile(rf"{_LABEL}(?:\.{_LABEL})*|\[[0-9a-f:.]+\]")
_HOST_PORT = re.compile(r"(\[[^\]]*\]|[^:]*)(?::([0-9]*))?")
DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> str | None:
    """The origin `scheme://host[:port]` of an http(s) URL, normalised, or None when it has none we can vouch for.

    Normalised: scheme and host lowercased, the scheme's default port dropped
    (`HTTPS://Registry.Example:443/x` → `https://registry.example`). None, so
    that no comparison can succeed, for anything a browser might read as a
    different host than a plain reading does, or that no genuine card carries:
    userinfo (`https://official@evil`), a backslash anywhere (browsers read it
    as `/`, Python's urlsplit does not),
    a non-ASCII host (look-alike letters; punycode stays as written and so
    differs), a trailing dot, an empty host, a port outside 1–65535, another
    scheme.
    """
    if not isinstance(url, str) or not url.isascii() or "\\" in url:
        return None
    m = _SCHEME_AND_NETLOC.fullmatch(url)
    if m is None:
        return None
    scheme, netloc = m.group(1).lower(), m.group(2).lower()
    if scheme not in DEFAULT_PORTS or "@" in netloc:
        return None
    hp = _HOST_PORT.fullmatch(netloc)
    if hp is None or not _HOST.fullmatch(hp.group(1)):
        return None
    host, port = hp.group(1), hp.group(2)
    if port:  # an empty port (`host:`) is the default, as browsers read it
        # Browsers read any number of leading zeros (`:000443` is 443); int() refuses more than 4300 digits.
        digits = port.lstrip("0") or "0"
        if len(digits) > 5:
            return None
        number = int(digits)
        if not 0 < number < 65536:
            return None
        if number != DEFAULT_PORTS[scheme]:
            host = f"{host}:{number}"
    return f"{scheme}://{host}"


def is_official(url: str, official_url: str) -> bool:
    """Whether `url` is at exactly the official origin (both given as URLs or origins)."""
    mine, official = origin_of(url), origin_of(official_url)
    return mine is not None and mine == official


def signed_bytes(card_no: str, serial: int, valid_until: date) -> bytes:
    """The exact bytes the card key signs; ValueError if a field cannot be written canonically."""
    if isinstance(serial, bool) or not isinstance(serial, int) or serial < 1:
        raise ValueError("serial must be an integer from 1")
    if isinstance(valid_until, datetime) or not isinstance(valid_until, date):
        raise ValueError("valid_until must be a date")
    # str.encode raises UnicodeEncodeError (a ValueError) for a non-ASCII card number.
    return f"jx1:{card_no}:{serial}:{valid_until.isoformat()}".encode("ascii")


def key_id_of(public_raw: bytes) -> str:
    """The 8-hex-character id of a card public key: the first 4 bytes of its SHA-256."""
    if len(public_raw) != 32:
        raise ValueError("an Ed25519 public key is 32 bytes")
    return hashlib.sha256(public_raw).digest()[:4].hex()


def b64url(data: bytes) -> str:
    """Unpadded base64url: the QR stays short and needs no URL escaping."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Strict inverse of b64url; ValueError for padding, other characters, bad lengths or unused bits set.

    Only the one canonical spelling of each byte string is accepted, so that no
    changed character of a genuine QR still decodes to the same signature.
    """
    if not isinstance(text, str) or not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise ValueError("not unpadded base64url")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error as exc:
        raise ValueError("not unpadded base64url") from exc
    if b64url(data) != text:
        raise ValueError("not canonical base64url")
    return data


def _public_raw(private_key: Ed25519PrivateKey) -> bytes:
    return private_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def make_q(private_key: Ed25519PrivateKey, card_no: str, serial: int, valid_until: date) -> str:
    """The `q` parameter of a card's QR, signed with the card key."""
    sig = private_key.sign(signed_bytes(card_no, serial, valid_until))
    return f"{serial}.{valid_until.isoformat()}.{key_id_of(_public_raw(private_key))}.{b64url(sig)}"


def qr_url(public_url: str, card_no: str, q: str) -> str:
    """The URL the QR encodes (card numbers and q are URL-safe; quoting only guards odd input)."""
    return f"{public_url.rstrip('/')}/c/{quote(card_no, safe='')}?q={q}"


@dataclass(frozen=True)
class ParsedQ:
    serial: int
    valid_until: date
    key_id: str
    sig: bytes


def parse_q(q: str) -> ParsedQ | None:
    """The fields of a well-formed q, or None (nothing here is trusted until the signature checks)."""
    if not isinstance(q, str):
        return None
    parts = q.split(".")
    if len(parts) != 4:
        return None
    serial, until, key_id, sig = parts
    if not _SERIAL.fullmatch(serial) or not _DATE.fullmatch(until) or not _KEY_ID.fullmatch(key_id):
        return None
    try:
        number = int(serial)  # ValueError past Python's limit on digits
        valid_until = date.fromisoformat(until)
        raw_sig = b64url_decode(sig)
    except ValueError:
        return None
    if len(raw_sig) != SIG_LEN:
        return None
    return ParsedQ(number, valid_until, key_id, raw_sig)


@dataclass(frozen=True)
class Verdict:
    """What a scan means. serial and valid_until are set only once the signature checked."""

    code: str
    zh: str
    en: str
    serial: int | None = None
    valid_until: date | None = None


def wrong_origin(official_url: str) -> Verdict:
    """The verdict on a scan opened anywhere but the official origin, naming the official one."""
    official = origin_of(official_url) or official_url
    zh, en = WORDS["wrong_origin"]
    return Verdict("wrong_origin", zh.format(official=official), en.format(official=official))


def _verdict(code: str, parsed: ParsedQ | None = None) -> Verdict:
    zh, en = WORDS[code]
    if parsed is None:
        return Verdict(code, zh, en)
    return Verdict(code, zh, en, parsed.serial, parsed.valid_until)


def check(card_no: str, q: str, *, public_keys: Mapping[str, bytes], latest_serial: int | None,
          latest_void: bool, today: date, opened_at: str | None = None,
          official_url: str | None = None) -> Verdict:
    """The verdict on a scanned card, in the issue's order.

    public_keys maps key id to raw public key, retired keys included (a card
    signed before a rotation stays checkable); latest_serial is the newest
    serial issued for card_no, None if none was; latest_void whether that card
    is void (its issuing company no longer employs the worker: never genuine);
    today is Asia/Shanghai's date.
    opened_at is the URL (or origin) the scan was opened at and official_url
    the registry's PUBLIC_URL: anywhere else the verdict is wrong_origin before
    anything else, since whoever serves the page decides what it says. Both
    None: the origin is not in question (a report about a card, a test).
    """
    if (opened_at is None) != (official_url is None):
        raise ValueError("give both opened_at and official_url, or neither")
    if official_url is not None and not is_official(opened_at, official_url):
        return wrong_origin(official_url)
    parts = q.split(".") if isinstance(q, str) else []
    # A well-formed key id we never published: someone else signed it, whatever the rest says.
    if len(parts) == 4 and _KEY_ID.fullmatch(parts[2]) and parts[2] not in public_keys:
        return _verdict("not_issued")
    parsed = parse_q(q)
    if parsed is None or parsed.key_id not in public_keys:
        return _verdict("altered")
    # A bad entry in public_keys is our bug, not the card's: let it raise.
    public_key = Ed25519PublicKey.from_public_bytes(public_keys[parsed.key_id])
    try:
        public_key.verify(parsed.sig, signed_bytes(card_no, parsed.serial, parsed.valid_until))
    except (InvalidSignature, ValueError):  # ValueError: a card number we never could have signed
        return _verdict("altered")
    if latest_serial is None or parsed.serial > latest_serial:
        return _verdict("not_issued", parsed)
    if parsed.serial < latest_serial:
        return _verdict("replaced", parsed)
    if latest_void:
        return _verdict("void", parsed)
    if parsed.valid_until < today:
        return _verdict("expired", parsed)
    return _verdict("genuine", parsed)
