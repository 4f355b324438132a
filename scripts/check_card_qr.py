"""Check a Jiaxin card's QR URL offline against the published card keys.

    python scripts/check_card_qr.py URL --keys keys.json [--today YYYY-MM-DD]

keys.json is the body of GET /api/v1/cards/keys: the keys and the registry's
official origin. Needs only Python and `cryptography`; it deliberately does not
import the registry package (the parsing and the origin rule repeat
registry/cards/qr.py: keep the two in step). Offline it can tell a URL on
another address, a valid signature, an unknown key, an altered code and an
expired date, but not whether a newer card replaced this one: only the registry
knows that.
Exit 0: at the official origin, signature valid by a published key and not
expired; 1: anything else; 2: the keys file cannot be read.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import json
import re
import sys
from datetime import date, datetime, timedelta, timezone
from urllib.parse import parse_qs, unquote, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

ONLINE = "to see whether a newer card replaced it, open the URL online"
SHANGHAI = timezone(timedelta(hours=8))  # no DST in China; avoids needing tzdata
# The origin rule of registry/cards/qr.py (origin_of): exact, ASCII, no userinfo, default ports dropped.
SCHEME_AND_NETLOC = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://([^/?#\\]*)(?:[/?#\\].*)?", re.DOTALL)
LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
HOST = re.compile(rf"{LABEL}(?:\.{LABEL})*|\[[0-9a-f:.]+\]")
HOST_PORT = re.compile(r"(\[[^\]]*\]|[^:]*)(?::([0-9]*))?")
DEFAULT_PORTS = {"http": 80, "https": 443}
PART = re.compile(r"([1-9][0-9]*)\.([0-9]{4}-[0-9]{2}-[0-9]{2})\.([0-9a-f]{8})\.([A-Za-z0-9_-]{86})")


def b64url_decode(text: str) -> bytes:
    """Strict unpadded base64url: only the canonical spelling decodes."""
    if not re.fullmatch(r"[A-Za-z0-9_-]*", text) or len(text) % 4 == 1:
        raise ValueError("not unpadded base64url")
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if base64.urlsafe_b64encode(data).rstrip(b"=").decode() != text:
        raise ValueError("not canonical base64url")
    return data


def origin_of(url: str) -> str | None:
    """scheme://host[:port], lowercased, default port dropped; None for anything not plainly one origin."""
    if not isinstance(url, str) or not url.isascii() or "\\" in url:
        return None
    m = SCHEME_AND_NETLOC.fullmatch(url)
    if m is None:
        return None
    scheme, netloc = m.group(1).lower(), m.group(2).lower()
    if scheme not in DEFAULT_PORTS or "@" in netloc:
        return None
    hp = HOST_PORT.fullmatch(netloc)
    if hp is None or not HOST.fullmatch(hp.group(1)):
        return None
    host, port = hp.group(1), hp.group(2)
    if port:
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


def load_keys(path: str) -> tuple[dict[str, tuple[bytes, str]], str]:
    """(key id -> (raw public key, state), official origin); each id is recomputed from its key, not taken on trust."""
    keys = {}
    with open(path, encoding="utf-8") as f:
        body = json.load(f)
    listed = body["keys"]
    official = body.get("official_origin")
    # A keys file without the registry's address cannot tell a look-alike host: refuse it, do not guess.
    if not isinstance(official, str) or origin_of(official) != official:
        raise ValueError("official_origin is missing or not an origin (scheme://host[:port]); download the keys again")
    for k in listed:
        if k.get("algorithm") == "Ed25519":
            raw = b64url_decode(k["public_key"])
            key_id = hashlib.sha256(raw).digest()[:4].hex()
            if len(raw) != 32 or key_id != k.get("key_id"):
                raise ValueError(f"key {k.get('key_id')!r} does not match its public key")
            keys[key_id] = (raw, k.get("state", "?"))
    return keys, official


def verdict(url: str, keys: dict[str, tuple[bytes, str]], today: date, official: str) -> tuple[bool, str]:
    """(passes, one line saying why). official is the registry's origin, from the keys file."""
    # First: whoever controls the host controls what the page says, whatever the signature.
    if origin_of(url) != official:
        return False, f"not the registry's official address: do not trust (the official address is {official})"
    parts = urlsplit(url)
    path = parts.path.rstrip("/").split("/")
    qs = parse_qs(parts.query, keep_blank_values=True).get("q", [])
    if len(path) < 2 or path[-2] != "c" or len(qs) != 1:
        return False, "altered: not a card URL (…/c/CARD_NO?q=…)"
    card_no, q = unquote(path[-1]), qs[0]
    fields = q.split(".")
    if len(fields) == 4 and re.fullmatch(r"[0-9a-f]{8}", fields[2]) and fields[2] not in keys:
        return False, f"not issued: key {fields[2]} is not among the published card keys"
    m = PART.fullmatch(q)
    try:
        serial, until, key_id, sig = m.group(1), date.fromisoformat(m.group(2)), m.group(3), b64url_decode(m.group(4))
        message = f"jx1:{card_no}:{serial}:{until.isoformat()}".encode("ascii")
        Ed25519PublicKey.from_public_bytes(keys[key_id][0]).verify(sig, message)
    except (AttributeError, ValueError, InvalidSignature):
        return False, f"altered: the QR of card {card_no} does not match a signature by a published key"
    signed = f"card {card_no} serial {serial}, signed by key {key_id} ({keys[key_id][1]})"
    if until < today:
        return False, f"expired: {signed}, was valid until {until}; {ONLINE}"
    return True, f"valid signature: {signed}, valid until {until}; {ONLINE}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Check a Jiaxin card QR URL offline.")
    ap.add_argument("url")
    ap.add_argument("--keys", required=True, help="body of GET /api/v1/cards/keys, saved as JSON")
    ap.add_argument("--today", type=date.fromisoformat, default=datetime.now(SHANGHAI).date(),
                    help="date to judge expiry by (default: today in Asia/Shanghai)")
    args = ap.parse_args(argv)
    try:
        keys, official = load_keys(args.keys)
    except (OSError, ValueError, LookupError, TypeError, AttributeError) as exc:
        print(f"cannot read the keys file: {exc}", file=sys.stderr)
        return 2
    ok, line = verdict(args.url, keys, args.today, official)
    print(line)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
