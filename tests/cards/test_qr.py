"""The card QR: signing, strict parsing, and the verdict a scan gets, in the issue's order.

Also runs scripts/check_card_qr.py as a resident or journalist would, offline."""
from __future__ import annotations

import base64
import hashlib
import importlib.util
import json
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.cards.qr import (
    VERDICTS,
    ParsedQ,
    b64url,
    b64url_decode,
    check,
    is_official,
    key_id_of,
    make_q,
    origin_of,
    parse_q,
    qr_url,
    signed_bytes,
)

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "check_card_qr.py"
# Fixed private keys: Ed25519 is deterministic, so every Q below is a constant.
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
OLD_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32, 64)))  # a retired key, still published
STRANGER = Ed25519PrivateKey.from_private_bytes(bytes(range(64, 96)))  # never published


def raw(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


KEYS = {key_id_of(raw(KEY)): raw(KEY), key_id_of(raw(OLD_KEY)): raw(OLD_KEY)}
KID, OLD_KID, STRANGER_KID = key_id_of(raw(KEY)), key_id_of(raw(OLD_KEY)), key_id_of(raw(STRANGER))
CARD = "JX3K7P2M9Q4BX"
OTHER_CARD = "JX3K7P2M9Q4BY"
UNTIL = date(2027, 3, 31)
TODAY = date(2026, 11, 26)
SERIAL = 3
Q = make_q(KEY, CARD, SERIAL, UNTIL)


def verdict(q: str = Q, card_no: str = CARD, *, latest: int | None = SERIAL, today: date = TODAY) -> str:
    return check(card_no, q, public_keys=KEYS, latest_serial=latest, latest_void=False, today=today).code


def with_part(q: str, index: int, value: str) -> str:
    parts = q.split(".")
    parts[index] = value
    return ".".join(parts)


def test_the_three_keys_differ():
    assert len({KID, OLD_KID, STRANGER_KID}) == 3


def test_genuine_card_is_accepted_with_its_words():
    v = check(CARD, Q, public_keys=KEYS, latest_serial=SERIAL, latest_void=False, today=TODAY)
    assert v.code == "genuine" and v.serial == SERIAL and v.valid_until == UNTIL
    assert v.zh == "真实有效：此服务证由家信签发，且为最新、未过期的证件。"
    assert v.en == "Genuine: issued by Jiaxin, the latest card, not expired."


def test_a_card_signed_by_a_retired_key_still_checks():
    assert verdict(make_q(OLD_KEY, CARD, SERIAL, UNTIL)) == "genuine"


def test_every_verdict_has_both_languages():
    for q, latest, today, code in [(Q, SERIAL, TODAY, "genuine"), (Q, SERIAL, UNTIL + timedelta(days=1), "expired"),
                                   (Q, SERIAL + 1, TODAY, "replaced"), (Q[:-1], SERIAL, TODAY, "altered"),
                                   (Q, None, TODAY, "not_issued")]:
        v = check(CARD, q, public_keys=KEYS, latest_serial=latest, latest_void=False, today=today)
        assert v.code == code and v.code in VERDICTS and v.zh and v.en and v.zh != v.en


def flip_sig_byte(q: str) -> str:
    sig = bytearray(b64url_decode(q.split(".")[3]))
    sig[10] ^= 0x01
    return with_part(q, 3, b64url(bytes(sig)))


# Each change leaves a q that would be genuine if nothing were signed: only the signature can refuse it.
ALTERED = {
    "card_no_in_path": dict(card_no=OTHER_CARD),
    "serial": dict(q=with_part(Q, 0, str(SERIAL + 1)), latest=SERIAL + 1),
    "serial_lower": dict(q=with_part(Q, 0, str(SERIAL - 1)), latest=SERIAL - 1),
    "valid_until_later": dict(q=with_part(Q, 1, "2099-12-31")),
    "valid_until_earlier": dict(q=with_part(Q, 1, "2026-12-31")),
    "key_id_of_another_known_key": dict(q=with_part(Q, 2, OLD_KID)),
    "sig_byte_flipped": dict(q=flip_sig_byte(Q)),
    "sig_of_another_card": dict(q=with_part(Q, 3, make_q(KEY, OTHER_CARD, SERIAL, UNTIL).split(".")[3])),
    "card_no_lower_case": dict(card_no=CARD.lower()),
    "card_no_non_ascii": dict(card_no="JX3K7P2M9Q4BＸ"),
}


@pytest.mark.parametrize("change", ALTERED.values(), ids=ALTERED.keys())
def test_any_altered_field_is_altered(change):
    assert verdict(**change) == "altered"


def test_a_replaced_serial_is_replaced():
    v = check(CARD, make_q(KEY, CARD, 2, UNTIL), public_keys=KEYS, latest_serial=3, latest_void=False, today=TODAY)
    assert v.code == "replaced" and v.serial == 2 and "newer card" in v.en and "已换发新证" in v.zh


def test_valid_through_the_valid_until_day_inclusive():
    assert verdict(today=UNTIL) == "genuine"
    assert verdict(today=UNTIL + timedelta(days=1)) == "expired"
    assert verdict(today=date(2030, 1, 1)) == "expired"


def test_replaced_outranks_expired_and_altered_outranks_all():
    assert verdict(latest=SERIAL + 1, today=UNTIL + timedelta(days=1)) == "replaced"
    assert verdict(card_no=OTHER_CARD, latest=SERIAL + 1, today=UNTIL + timedelta(days=1)) == "altered"


def test_a_void_card_is_void_never_genuine():
    v = check(CARD, Q, public_keys=KEYS, latest_serial=SERIAL, latest_void=True, today=TODAY)
    assert (v.code, v.serial) == ("void", SERIAL)
    assert (v.zh, v.en) == ("已作废：发证企业已不再雇用此人。",
                            "Void: the issuing company no longer employs this person.")
    # Void outranks expired (the more useful thing to say); replaced, altered and not issued outrank void.
    assert check(CARD, Q, public_keys=KEYS, latest_serial=SERIAL, latest_void=True,
                 today=UNTIL + timedelta(days=1)).code == "void"
    assert check(CARD, Q, public_keys=KEYS, latest_serial=SERIAL + 1, latest_void=True, today=TODAY).code == "replaced"
    assert check(CARD, Q[:-1], public_keys=KEYS, latest_serial=SERIAL, latest_void=True, today=TODAY).code == "altered"
    assert check(CARD, Q, public_keys=KEYS, latest_serial=SERIAL - 1, latest_void=True,
                 today=TODAY).code == "not_issued"
    assert "void" in VERDICTS


@pytest.mark.parametrize("latest", [None, 1, SERIAL - 1], ids=["no_card_issued", "serial_1", "serial_before"])
def test_a_good_signature_on_a_serial_never_issued_is_not_issued(latest):
    v = check(CARD, Q, public_keys=KEYS, latest_serial=latest, latest_void=False, today=TODAY)
    assert v.code == "not_issued" and v.serial == SERIAL


@pytest.mark.parametrize("cut", [1, 2, 4, 43, 85], ids=lambda n: f"minus_{n}_chars")
def test_a_truncated_signature_is_altered(cut):
    assert verdict(Q[:-cut]) == "altered"


def test_a_signature_dropped_entirely_is_altered():
    assert verdict(Q.rsplit(".", 1)[0]) == "altered"
    assert verdict(with_part(Q, 3, "")) == "altered"


def test_a_card_signed_by_an_unknown_key_is_not_issued():
    q = make_q(STRANGER, CARD, SERIAL, UNTIL)
    assert q.split(".")[2] == STRANGER_KID
    v = check(CARD, q, public_keys=KEYS, latest_serial=SERIAL, latest_void=False, today=TODAY)
    assert v.code == "not_issued" and v.serial is None and v.valid_until is None
    assert v.en.startswith("Not issued by Jiaxin") and "非家信签发" in v.zh


def test_an_unknown_key_id_wins_over_a_malformed_rest():
    # The key is checked first when its part is well formed.
    assert verdict(with_part(Q[:-5], 2, STRANGER_KID)) == "not_issued"
    assert verdict(with_part(with_part(Q, 2, STRANGER_KID), 1, "2027-02-30")) == "not_issued"
    assert verdict(with_part(with_part(Q, 2, STRANGER_KID), 0, "03")) == "not_issued"


def test_another_keys_signature_under_our_key_id_is_altered():
    forged = with_part(make_q(STRANGER, CARD, SERIAL, UNTIL), 2, KID)
    v = check(CARD, forged, public_keys=KEYS, latest_serial=SERIAL, latest_void=False, today=TODAY)
    assert v.code == "altered" and v.serial is None and v.valid_until is None


SIG = Q.split(".")[3]
MALFORMED = {
    "empty": "",
    "one_part": "3",
    "three_parts": f"3.2027-03-31.{KID}",
    "five_parts": f"{Q}.x",
    "trailing_dot": f"{Q}.",
    "serial_leading_zero": with_part(Q, 0, "03"),
    "serial_zero": with_part(Q, 0, "0"),
    "serial_negative": with_part(Q, 0, "-3"),
    "serial_plus": with_part(Q, 0, "+3"),
    "serial_fullwidth_digit": with_part(Q, 0, "３"),
    "serial_arabic_indic_digit": with_part(Q, 0, "٣"),
    "serial_space": with_part(Q, 0, " 3"),
    "serial_underscore": with_part(Q, 0, "1_0"),
    "serial_empty": with_part(Q, 0, ""),
    "serial_5000_digits": with_part(Q, 0, "9" * 5000),
    "date_impossible": with_part(Q, 1, "2027-02-30"),
    "date_month_13": with_part(Q, 1, "2027-13-01"),
    "date_year_zero": with_part(Q, 1, "0000-01-01"),
    "date_short_fields": with_part(Q, 1, "2027-3-31"),
    "date_compact": with_part(Q, 1, "20270331"),
    "date_with_time": with_part(Q, 1, "2027-03-31T00:00"),
    "key_id_upper_case": with_part(Q, 2, KID.upper()),
    "key_id_7_hex": with_part(Q, 2, KID[:7]),
    "key_id_9_hex": with_part(Q, 2, KID + "0"),
    "key_id_not_hex": with_part(Q, 2, "ghijklmn"),
    "sig_padded": with_part(Q, 3, SIG + "=="),
    "sig_standard_alphabet": with_part(Q, 3, base64.b64encode(b64url_decode(SIG)).decode().rstrip("=")),
    "sig_65_bytes": with_part(Q, 3, b64url(b64url_decode(SIG) + b"\0")),
    "sig_trailing_newline": with_part(Q, 3, SIG + "\n"),
    "sig_space": with_part(Q, 3, SIG[:40] + " " + SIG[41:]),
}


@pytest.mark.parametrize("q", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_q_that_cannot_be_parsed_is_altered(q):
    assert parse_q(q) is None
    assert verdict(q) == "altered"


def test_round_trip_make_q_parse_q():
    parsed = parse_q(Q)
    assert parsed == ParsedQ(SERIAL, UNTIL, KID, parsed.sig) and len(parsed.sig) == 64
    assert Q == f"{SERIAL}.2027-03-31.{KID}.{b64url(parsed.sig)}"
    Ed25519PublicKey.from_public_bytes(raw(KEY)).verify(parsed.sig, f"jx1:{CARD}:3:2027-03-31".encode())


def test_signed_bytes_are_the_issue_text():
    assert signed_bytes(CARD, 12, date(2027, 1, 5)) == b"jx1:JX3K7P2M9Q4BX:12:2027-01-05"


@pytest.mark.parametrize("serial,until,card_no", [(0, UNTIL, CARD), (-1, UNTIL, CARD), (True, UNTIL, CARD),
                                                  ("3", UNTIL, CARD), (3, datetime(2027, 3, 31), CARD),
                                                  (3, "2027-03-31", CARD), (3, UNTIL, "JX证")],
                         ids=["zero", "negative", "bool", "str_serial", "datetime", "str_date", "non_ascii_card"])
def test_signed_bytes_refuses_what_it_cannot_write_canonically(serial, until, card_no):
    with pytest.raises(ValueError):
        signed_bytes(card_no, serial, until)


def test_key_id_is_the_first_four_bytes_of_the_sha256_of_the_raw_key():
    assert KID == hashlib.sha256(raw(KEY)).hexdigest()[:8]
    assert key_id_of(bytes(32)) == hashlib.sha256(bytes(32)).digest()[:4].hex() == "66687aad"
    with pytest.raises(ValueError):
        key_id_of(bytes(33))


def test_qr_url_is_the_issue_form():
    for base in ("https://jiaxin.example", "https://jiaxin.example/"):
        assert qr_url(base, CARD, Q) == f"https://jiaxin.example/c/{CARD}?q={Q}"


@pytest.mark.parametrize("n", range(0, 70))
def test_b64url_round_trips_unpadded(n):
    data = hashlib.sha512(bytes([n])).digest()[:n] if n <= 64 else bytes(range(n))
    text = b64url(data)
    assert "=" not in text and b64url_decode(text) == data


@pytest.mark.parametrize("text", ["QQ==", "QQ=", "A", "AAAAA", "+/+/", "QQ Q", "QQ\n", "é", "QR", "AB", "AAB"],
                         ids=["padding", "half_padding", "one_char", "len_mod_4_is_1", "standard_alphabet", "space",
                              "newline", "non_ascii", "unused_bits_set_1", "unused_bits_set_2",
                              "unused_bits_set_3"])
def test_b64url_decode_is_strict(text):
    with pytest.raises(ValueError):
        b64url_decode(text)


# Any character a phone, a typo or a forger could put in a URL, and some it could not.
CHARS = st.characters(codec="utf-8") | st.sampled_from("0123456789abcdefABCDEF-_.=+/ ")


@settings(max_examples=400, deadline=None)
@given(index=st.integers(0, len(Q) - 1), char=CHARS)
def test_no_single_character_change_to_a_genuine_q_is_genuine(index, char):
    changed = Q[:index] + char + Q[index + 1:]
    if changed != Q:
        assert verdict(changed) != "genuine"
        assert verdict(changed, latest=parse_q(changed).serial if parse_q(changed) else SERIAL) != "genuine"


def test_no_substitution_from_the_url_alphabet_is_genuine_exhaustively():
    # Includes the last signature character, whose unused bits a lax decoder would ignore.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.="
    for index in range(len(Q)):
        for char in alphabet.replace(Q[index], ""):
            assert verdict(Q[:index] + char + Q[index + 1:]) != "genuine", (index, char)


@settings(max_examples=200, deadline=None)
@given(index=st.integers(0, len(Q)), char=CHARS, delete=st.booleans())
def test_no_single_insertion_or_deletion_is_genuine(index, char, delete):
    changed = Q[:index] + Q[index + 1:] if delete else Q[:index] + char + Q[index:]
    if changed != Q:
        assert verdict(changed) != "genuine"


# --- the official origin: a genuine q anywhere else proves nothing ---

OFFICIAL = "https://jiaxin.example"
# What a resident's browser would open, and whether it is the registry's address.
SAME_ORIGIN = {
    "plain": "https://jiaxin.example",
    "card_url": f"https://jiaxin.example/c/{CARD}?q=x",
    "upper_case": f"HTTPS://JIAXIN.Example/c/{CARD}",
    "default_port": f"https://jiaxin.example:443/c/{CARD}",
    "empty_port": f"https://jiaxin.example:/c/{CARD}",
    "port_leading_zero": "https://jiaxin.example:0443/",
    # More digits than Python's int() reads (4300): browsers still read 443.
    "port_thousands_of_leading_zeros": "https://jiaxin.example:" + "0" * 5000 + "443/",
}
OTHER_ORIGIN = {
    "http_not_https": f"http://jiaxin.example/c/{CARD}",
    "other_port": f"https://jiaxin.example:8443/c/{CARD}",
    "http_default_port_of_https": f"https://jiaxin.example:80/c/{CARD}",
    "lookalike_host": f"https://jiaxin-registry.evil.example/c/{CARD}",
    "userinfo_official_at_evil": f"https://jiaxin.example@evil.example/c/{CARD}",
    "userinfo_port_at_evil": f"https://jiaxin.example:443@evil.example/c/{CARD}",
    "userinfo_on_official": f"https://someone@jiaxin.example/c/{CARD}",
    "subdomain_trick": f"https://jiaxin.example.evil.example/c/{CARD}",
    "parent_domain": "https://example",
    "child_domain": "https://www.jiaxin.example",
    "official_in_path": f"https://evil.example/jiaxin.example/c/{CARD}",
    "trailing_dot": f"https://jiaxin.example./c/{CARD}",
    "cyrillic_i": f"https://jiax\u0456n.example/c/{CARD}",
    "punycode_of_cyrillic_i": f"https://xn--jiaxn-q2e.example/c/{CARD}",
    "fullwidth_j": f"https://\uff4aiaxin.example/c/{CARD}",
    "kelvin_sign_lowercases_to_k": "https://jiaxin.example\u212a",
    "backslash_before_at": f"https://evil.example\\@jiaxin.example/c/{CARD}",
    "backslash_after_host": f"https://jiaxin.example\\@evil.example/c/{CARD}",
    "encoded_dot": f"https://jiaxin%2eexample/c/{CARD}",
    "no_scheme": f"jiaxin.example/c/{CARD}",
    "scheme_relative": f"//jiaxin.example/c/{CARD}",
    "other_scheme": f"ftp://jiaxin.example/c/{CARD}",
    "javascript": "javascript://jiaxin.example/%0aalert(1)",
    "port_zero": "https://jiaxin.example:0/",
    "port_too_big": "https://jiaxin.example:65979/",
    "port_of_thousands_of_digits": "https://jiaxin.example:" + "9" * 5000 + "/",
    "port_of_thousands_of_zeros": "https://jiaxin.example:" + "0" * 5000 + "/",
    "empty_host": "https:///jiaxin.example",
    "tab_in_host": "https://jiaxin\t.example/",
    "empty": "",
}


def load_script():
    spec = importlib.util.spec_from_file_location("check_card_qr", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_SCRIPT_MODULE = []


def load_script_once():
    if not _SCRIPT_MODULE:
        _SCRIPT_MODULE.append(load_script())
    return _SCRIPT_MODULE[0]


@pytest.mark.parametrize("url", SAME_ORIGIN.values(), ids=SAME_ORIGIN.keys())
def test_the_official_origin_however_spelled_is_official(url):
    assert origin_of(url) == OFFICIAL and is_official(url, OFFICIAL)
    assert is_official(url, OFFICIAL + "/some/path")  # PUBLIC_URL may carry a path; the origin is what counts


@pytest.mark.parametrize("url", OTHER_ORIGIN.values(), ids=OTHER_ORIGIN.keys())
def test_anything_else_is_not_official(url):
    assert not is_official(url, OFFICIAL)


def test_origins_are_normalised_exactly():
    assert origin_of("HTTP://Registry.Test:80/x") == "http://registry.test"
    assert origin_of("http://registry.test:443") == "http://registry.test:443"
    assert origin_of("http://127.0.0.1:5000/c/x") == "http://127.0.0.1:5000"
    assert origin_of("http://[::1]:8080/") == "http://[::1]:8080"
    assert origin_of(f"https://jiaxin.example@evil.example/c/{CARD}") is None
    assert not is_official("https://garbage@", "https://garbage@")  # nothing matches a non-origin, not even itself


def test_the_script_reads_origins_exactly_as_the_registry_does():
    script = load_script()
    for url in [*SAME_ORIGIN.values(), *OTHER_ORIGIN.values(), "http://127.0.0.1:5000", "http://[::1]:80/"]:
        assert script.origin_of(url) == origin_of(url), url


@settings(max_examples=400, deadline=None)
@given(url=st.builds(lambda a, b, c: a + b + c, st.sampled_from(["https://", "http://", "HTTPS://", "h://", ""]),
                     st.text(st.sampled_from("jiaxn.eample:0438@\\/[]-_?#xJ\u0456\t "), max_size=30),
                     st.sampled_from(["", "/c/JX", "?q=1", "#f"])))
def test_the_script_and_the_registry_agree_on_any_url(url):
    assert load_script_once().origin_of(url) == origin_of(url)


def test_a_scan_opened_elsewhere_is_wrong_origin_before_anything_else():
    v = check(CARD, Q, public_keys=KEYS, latest_serial=SERIAL, latest_void=False, today=TODAY,
              opened_at="https://jiaxin-registry.evil.example/", official_url=OFFICIAL + "/")
    assert v.code == "wrong_origin" and v.code in VERDICTS and v.serial is None and v.valid_until is None
    assert "不是官方地址" in v.zh and OFFICIAL in v.zh and OFFICIAL in v.en and "Do not trust" in v.en
    # It outranks every other verdict: a forger's page could claim anything.
    assert check(CARD, Q[:-1], public_keys=KEYS, latest_serial=SERIAL, latest_void=False, today=TODAY,
                 opened_at="http://jiaxin.example", official_url=OFFICIAL).code == "wrong_origin"
    assert check(CARD, Q, public_keys=KEYS, latest_serial=SERIAL, latest_void=False, today=TODAY,
                 opened_at="HTTPS://Jiaxin.Example:443/", official_url=OFFICIAL).code == "genuine"


def test_check_wants_both_origins_or_neither():
    with pytest.raises(ValueError):
        check(CARD, Q, public_keys=KEYS, latest_serial=SERIAL, latest_void=False, today=TODAY, opened_at=OFFICIAL)
    with pytest.raises(ValueError):
        check(CARD, Q, public_keys=KEYS, latest_serial=SERIAL, latest_void=False, today=TODAY, official_url=OFFICIAL)


# --- scripts/check_card_qr.py, offline, as a separate program ---

def keys_json(tmp_path: Path) -> Path:
    body = {"keys": [
        {"key_id": KID, "algorithm": "Ed25519", "public_key": b64url(raw(KEY)), "state": "current",
         "created": "2026-11-01T00:00:00Z"},
        {"key_id": OLD_KID, "algorithm": "Ed25519", "public_key": b64url(raw(OLD_KEY)), "state": "retired",
         "created": "2025-01-01T00:00:00Z"},
    ], "official_origin": "https://jiaxin.example"}
    path = tmp_path / "keys.json"
    path.write_text(json.dumps(body), encoding="utf-8")
    return path


def run_script(url: str, keys: Path, today: date = TODAY) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), url, "--keys", str(keys), "--today", today.isoformat()],
                          capture_output=True, text=True, timeout=60)


URL = qr_url("https://jiaxin.example", CARD, Q)


def test_script_accepts_a_genuine_url_and_says_it_cannot_see_replacement(tmp_path):
    out = run_script(URL, keys_json(tmp_path))
    assert out.returncode == 0, out.stderr
    assert len(out.stdout.strip().splitlines()) == 1
    assert out.stdout.startswith("valid signature") and KID in out.stdout
    assert "to see whether a newer card replaced it, open the URL online" in out.stdout


@pytest.mark.parametrize("url,today,first_word", [
    (URL.replace(CARD, OTHER_CARD), TODAY, "altered"),
    (qr_url("https://jiaxin.example", CARD, flip_sig_byte(Q)), TODAY, "altered"),
    (qr_url("https://jiaxin.example", CARD, with_part(Q, 1, "2099-12-31")), TODAY, "altered"),
    (qr_url("https://jiaxin.example", CARD, Q[:-1]), TODAY, "altered"),
    (qr_url("https://jiaxin.example", CARD, make_q(STRANGER, CARD, SERIAL, UNTIL)), TODAY, "not issued"),
    (URL, UNTIL + timedelta(days=1), "expired"),
    ("https://jiaxin.example/x/JX3K7P2M9Q4BX", TODAY, "altered"),
], ids=["card_no", "sig_flipped", "valid_until", "truncated", "unknown_key", "expired", "not_a_card_url"])
def test_script_refuses_a_tampered_or_expired_url(tmp_path, url, today, first_word):
    out = run_script(url, keys_json(tmp_path), today)
    assert out.returncode == 1, out.stderr
    assert out.stdout.startswith(first_word) and len(out.stdout.strip().splitlines()) == 1


def test_script_accepts_on_the_valid_until_day_and_a_retired_key(tmp_path):
    assert run_script(URL, keys_json(tmp_path), UNTIL).returncode == 0
    old = qr_url("https://jiaxin.example", CARD, make_q(OLD_KEY, CARD, SERIAL, UNTIL))
    out = run_script(old, keys_json(tmp_path))
    assert out.returncode == 0 and "retired" in out.stdout


def test_script_refuses_a_keys_file_whose_id_does_not_match_its_key(tmp_path):
    path = keys_json(tmp_path)
    body = json.loads(path.read_text())
    body["keys"][0]["key_id"] = OLD_KID
    path.write_text(json.dumps(body))
    out = run_script(URL, path)
    assert out.returncode == 2 and "keys file" in out.stderr


def test_script_does_not_import_the_registry():
    source = SCRIPT.read_text(encoding="utf-8")
    assert "import registry" not in source and "from registry" not in source


@pytest.mark.parametrize("host", ["https://jiaxin-registry.evil.example", "https://jiaxin.example@evil.example",
                                  "https://jiaxin.example.evil.example", "http://jiaxin.example",
                                  "https://jiaxin.example:8443"],
                         ids=["lookalike", "userinfo", "subdomain", "http", "port"])
def test_script_refuses_a_genuine_q_on_another_address(tmp_path, host):
    out = run_script(qr_url(host, CARD, Q), keys_json(tmp_path))
    assert out.returncode == 1, out.stderr
    assert out.stdout.startswith("not the registry's official address: do not trust")
    assert "https://jiaxin.example" in out.stdout and len(out.stdout.strip().splitlines()) == 1


def test_script_accepts_the_official_address_however_spelled(tmp_path):
    out = run_script(qr_url("HTTPS://Jiaxin.Example:443", CARD, Q), keys_json(tmp_path))
    assert out.returncode == 0 and out.stdout.startswith("valid signature")


@pytest.mark.parametrize("origin", [None, "", "https://jiaxin.example/", "https://x@jiaxin.example", 7],
                         ids=["missing", "empty", "with_path", "userinfo", "not_text"])
def test_script_refuses_a_keys_file_without_a_plain_official_origin(tmp_path, origin):
    path = keys_json(tmp_path)
    body = json.loads(path.read_text())
    if origin is None:
        del body["official_origin"]
    else:
        body["official_origin"] = origin
    path.write_text(json.dumps(body))
    out = run_script(URL, path)
    assert out.returncode == 2 and "official_origin" in out.stderr


def test_script_refuses_a_port_of_thousands_of_digits_without_a_traceback(tmp_path):
    """A port longer than int() reads (4300 digits) is a look-alike like any other, not a crash."""
    url = URL.replace("https://jiaxin.example/", "https://jiaxin.example:" + "9" * 5000 + "/")
    done = run_script(url, keys_json(tmp_path))
    assert done.returncode == 1 and "not the registry's official address" in done.stdout
    assert "Traceback" not in done.stderr
    padded = URL.replace("https://jiaxin.example/", "https://jiaxin.example:" + "0" * 5000 + "443/")
    assert run_script(padded, keys_json(tmp_path)).returncode == 0
