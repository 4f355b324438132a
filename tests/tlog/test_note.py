"""C2SP signed notes, checkpoints and tlog-proof receipts: Go's sumdb/note vectors, round trips
with fixed keys, and the ways a note, key, checkpoint or receipt can be malformed."""
from __future__ import annotations

import ast
import base64
import hashlib
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from registry.tlog import note
from registry.tlog.merkle import inclusion_path, leaf_hash, root_from_leaves
from registry.tlog.note import (
    Checkpoint,
    NoteError,
    Verifier,
    checkpoint_text,
    key_id,
    new_verifier,
    open_checkpoint,
    open_note,
    parse_checkpoint,
    parse_tlog_proof,
    parse_verifier_key,
    sign_note,
    tlog_proof,
    verifier_key,
    verify_tlog_proof,
)

EM = "\u2014"


def fixed_key(label: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(f"jiaxin test key {label}".encode()).digest())


def pub(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


LOG = "registry.test/log"
LOG_KEY = fixed_key("log")
OTHER_KEY = fixed_key("other")
LOG_VERIFIER = new_verifier(LOG, pub(LOG_KEY))

# --- Go's golang.org/x/mod/sumdb/note examples (note.go documentation and note_test.go) ---------

PETER_SKEY_B64 = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"  # PRIVATE+KEY+PeterNeumann+c74f20a3+…
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
PETER_SIG = (f"{EM} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE"
             "6RyyBwJnAM=\n")
ENOCH_SIG = (f"{EM} EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1R"
             "vMc+QQ=\n")


def split_signed(signed: str) -> tuple[str, str]:
    """Split a one-signature note into its text (without final newline) and signature line (without newline)."""
    text, block = signed.split("\n\n")
    assert block.endswith("\n") and block.count("\n") == 1
    return text, block[:-1]


def peter_key() -> Ed25519PrivateKey:
    raw = base64.b64decode(PETER_SKEY_B64)
    assert raw[0] == 0x01
    return Ed25519PrivateKey.from_private_bytes(raw[1:])


def test_go_key_id_and_verifier_key():
    key = peter_key()
    assert key_id("PeterNeumann", pub(key)) == bytes.fromhex("c74f20a3")
    assert verifier_key("PeterNeumann", pub(key)) == PETER_VKEY
    v = parse_verifier_key(PETER_VKEY)
    assert v == Verifier("PeterNeumann", bytes.fromhex("c74f20a3"), pub(key))
    assert v == new_verifier("PeterNeumann", pub(key))
    assert parse_verifier_key(ENOCH_VKEY).key_id == bytes.fromhex("af0cfe78")
    # Go parses the hex id case-insensitively; so do we.
    assert parse_verifier_key(PETER_VKEY.replace("c74f20a3", "C74F20A3")) == v


def test_go_sign_is_byte_identical():
    assert sign_note(GO_TEXT, "PeterNeumann", peter_key()) == GO_TEXT + "\n" + PETER_SIG


def test_go_open_one_known_one_unknown():
    peter = parse_verifier_key(PETER_VKEY)
    enoch = parse_verifier_key(ENOCH_VKEY)
    msg = GO_TEXT + "\n" + PETER_SIG + ENOCH_SIG
    assert open_note(msg, [peter]) == (GO_TEXT, ["PeterNeumann"])
    assert open_note(msg, [enoch]) == (GO_TEXT, ["EnochRoot"])
    assert open_note(msg, [peter, enoch]) == (GO_TEXT, ["PeterNeumann", "EnochRoot"])
    assert open_note(msg.encode("utf-8"), [peter]).verified_by == ["PeterNeumann"]
    with pytest.raises(NoteError, match="no signature from a known key"):
        open_note(msg, [])


def test_go_invalid_signature_and_bad_messages():
    peter = parse_verifier_key(PETER_VKEY)
    with pytest.raises(NoteError, match="invalid signature for key PeterNeumann\\+c74f20a3"):
        open_note(GO_TEXT + "\n" + PETER_SIG[:60] + "ABCD" + PETER_SIG[60:], [peter])
    bad_messages = [
        GO_TEXT,
        GO_TEXT + "\n",
        GO_TEXT + "\n" + PETER_SIG[:-1],
        "\x01" + GO_TEXT + "\n" + PETER_SIG,
        b"\xff" + (GO_TEXT + "\n" + PETER_SIG).encode(),
        GO_TEXT + "\n" + f"{EM} Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotp"
                         "RZb6KE6RyyBwJnAM=",
        GO_TEXT + "\n" + PETER_SIG + "Unexpected line.\n",
    ]
    for msg in bad_messages:
        with pytest.raises(NoteError):
            open_note(msg, [peter])


def test_go_too_many_signatures():
    peter = parse_verifier_key(PETER_VKEY)
    assert open_note(GO_TEXT + "\n" + PETER_SIG * 100, [peter]).verified_by == ["PeterNeumann"]
    for known in ([peter], []):
        with pytest.raises(NoteError, match="more than 100 signatures"):
            open_note(GO_TEXT + "\n" + PETER_SIG * 101, known)


def test_go_verifier_key_manglings_are_rejected():
    assert parse_verifier_key(PETER_VKEY)
    n = len(PETER_VKEY)
    for i in range(n + 1):
        for j in range(i + 1, n + 1):
            if (i, j) != (0, n):
                with pytest.raises(NoteError):
                    parse_verifier_key(PETER_VKEY[i:j])
    for i in range(n):
        mangled = PETER_VKEY[:i] + chr(ord(PETER_VKEY[i]) + 1) + PETER_VKEY[i + 1:]
        with pytest.raises(NoteError):
            parse_verifier_key(mangled)
    # Wrong key length and unknown algorithm, each with a key id recomputed to match.
    with pytest.raises(NoteError):
        parse_verifier_key("PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==")
    with pytest.raises(NoteError):
        parse_verifier_key("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")


def test_ambiguous_verifiers():
    peter = parse_verifier_key(PETER_VKEY)
    impostor = Verifier(peter.name, peter.key_id, pub(OTHER_KEY))  # same name and id, other key
    msg = GO_TEXT + "\n" + PETER_SIG
    with pytest.raises(NoteError, match="ambiguous"):
        open_note(msg, [peter, impostor])
    # The same verifier twice is not ambiguous, and an ambiguity on a key that did not sign is harmless.
    assert open_note(msg, [peter, peter]).verified_by == ["PeterNeumann"]
    enoch = parse_verifier_key(ENOCH_VKEY)
    assert open_note(msg, [peter, enoch, Verifier(enoch.name, enoch.key_id, pub(OTHER_KEY))]).verified_by == [
        "PeterNeumann"]


# --- our own keys: sign and open ------------------------------------------------------------


def test_key_id_is_sha256_of_name_newline_alg_key():
    expected = hashlib.sha256(LOG.encode() + b"\n\x01" + pub(LOG_KEY)).digest()[:4]
    assert key_id(LOG, pub(LOG_KEY)) == expected
    vkey = verifier_key(LOG, pub(LOG_KEY))
    key_b64 = base64.b64encode(bytes([1]) + pub(LOG_KEY)).decode()
    assert vkey == f"{LOG}+{expected.hex()}+{key_b64}"
    assert parse_verifier_key(vkey) == LOG_VERIFIER
    # The id depends on the name: one key under two names gives two unrelated ids.
    assert key_id("registry.test/other", pub(LOG_KEY)) != expected
    assert verifier_key(LOG, LOG_KEY.public_key()) == vkey  # a key object works too
    for bad_name in ("", "has space", "a+b", "tab\there", "nbsp\u00a0", "line\nbreak"):
        with pytest.raises(NoteError):
            key_id(bad_name, pub(LOG_KEY))
    with pytest.raises(ValueError):
        key_id(LOG, pub(LOG_KEY)[:31])


def test_sign_and_open_round_trip():
    text = "家信 registry\nline two\n"
    signed = sign_note(text, LOG, LOG_KEY)
    body, sig_line = split_signed(signed)
    assert body + "\n" == text
    assert sig_line.startswith(f"{EM} {LOG} ") and sig_line.endswith("=") and "\n" not in sig_line
    raw = base64.b64decode(sig_line.split(" ")[2])
    assert raw[:4] == key_id(LOG, pub(LOG_KEY)) and len(raw) == 4 + 64
    LOG_KEY.public_key().verify(raw[4:], text.encode())  # signs the text with its final newline
    assert open_note(signed, [LOG_VERIFIER]) == (text, [LOG])
    assert open_note(signed.encode(), [LOG_VERIFIER]) == (text, [LOG])
    # Notes may contain blank lines; the last one separates the signatures.
    text2 = "para one\n\npara two\n"
    assert open_note(sign_note(text2, LOG, LOG_KEY), [LOG_VERIFIER]).text == text2


def test_unknown_keys_are_ignored():
    signed = sign_note("hello\n", LOG, LOG_KEY)
    stranger = sign_note("hello\n", "someone.else", OTHER_KEY).split("\n\n")[1]
    # Same name, other key (so other id): unknown, ignored.
    same_name = sign_note("hello\n", LOG, OTHER_KEY).split("\n\n")[1]
    assert open_note(signed + stranger + same_name, [LOG_VERIFIER]).verified_by == [LOG]
    # A line whose key id is ours but whose name is not is unknown too.
    kid = key_id(LOG, pub(LOG_KEY))
    sig = LOG_KEY.sign(b"hello\n")
    wrong_name = f"{EM} {LOG}x {base64.b64encode(kid + sig).decode()}\n"
    assert open_note(signed + wrong_name, [LOG_VERIFIER]).verified_by == [LOG]
    # With only unknown signatures, the note is rejected.
    for only_unknown in (stranger, same_name, wrong_name):
        with pytest.raises(NoteError, match="no signature from a known key"):
            open_note("hello\n\n" + only_unknown, [LOG_VERIFIER])


def test_wrong_key_id_is_ignored_not_trusted():
    """A correct signature by our key, but labelled with another key id, does not count."""
    sig = LOG_KEY.sign(b"hello\n")
    labelled = base64.b64encode(bytes(4) + sig).decode()
    wrong_id = f"{EM} {LOG} {labelled}\n"
    with pytest.raises(NoteError, match="no signature from a known key"):
        open_note("hello\n\n" + wrong_id, [LOG_VERIFIER])


def test_bad_signature_from_known_key_rejects_the_note():
    signed = sign_note("hello\n", LOG, LOG_KEY)
    text, line = split_signed(signed)
    prefix, b64sig = line.rsplit(" ", 1)
    raw = bytearray(base64.b64decode(b64sig))
    raw[10] ^= 1
    bad = f"{prefix} {base64.b64encode(bytes(raw)).decode()}\n"
    with pytest.raises(NoteError, match="invalid signature"):
        open_note(text + "\n\n" + bad, [LOG_VERIFIER])
    # Even beside a good signature from the same key (Go would skip the repeat; we check it).
    with pytest.raises(NoteError, match="invalid signature"):
        open_note(signed + bad, [LOG_VERIFIER])
    # And a truncated signature from a known key.
    short = f"{prefix} {base64.b64encode(bytes(raw[:40])).decode()}\n"
    with pytest.raises(NoteError, match="invalid signature"):
        open_note(text + "\n\n" + short, [LOG_VERIFIER])


def test_tampered_text_is_rejected():
    signed = sign_note("example.com/log\n5\n" + "A" * 43 + "=\n", LOG, LOG_KEY)
    for tampered in (signed.replace("\n5\n", "\n6\n"), signed.replace("example", "exampla"),
                     "x" + signed, signed.replace("\n\n", "\nextra\n\n")):
        with pytest.raises(NoteError, match="invalid signature"):
            open_note(tampered, [LOG_VERIFIER])


def test_every_changed_byte_of_the_text_is_rejected():
    """Change any one byte of a signed checkpoint's text (the final newline too): the note no longer opens."""
    text = checkpoint_text(LOG, 1234, bytes(range(32)))
    signed = sign_note(text, LOG, LOG_KEY).encode()
    assert open_note(signed, [LOG_VERIFIER]).text == text
    for i in range(len(text.encode())):
        for new in {signed[i] ^ 0x01, signed[i] ^ 0x20, ord("x") if signed[i] != ord("x") else ord("y")}:
            tampered = signed[:i] + bytes([new]) + signed[i + 1:]
            with pytest.raises(NoteError):
                open_note(tampered, [LOG_VERIFIER])
            with pytest.raises(NoteError):
                open_checkpoint(tampered.decode("utf-8", "replace"), [LOG_VERIFIER], LOG)


def test_malformed_notes_are_rejected():
    signed = sign_note("hello\n", LOG, LOG_KEY)
    text, line = split_signed(signed)
    b64sig = line.rsplit(" ", 1)[1]
    cases = {
        "no blank line": signed.replace("\n\n", "\n"),
        "no signatures": "hello\n\n",
        "missing final newline": signed[:-1],
        "hyphen not em dash": signed.replace(EM, "-"),
        "en dash": signed.replace(EM, "\u2013"),
        "no space after dash": signed.replace(f"{EM} ", EM),
        "two spaces": signed.replace(f"{LOG} ", f"{LOG}  "),
        "no signature": f"hello\n\n{EM} {LOG}\n",
        "empty signature": f"hello\n\n{EM} {LOG} \n",
        "bad base64": f"hello\n\n{EM} {LOG} {b64sig[:-2]}\n",
        "base64 without padding": f"hello\n\n{EM} {LOG} {b64sig.rstrip('=')}\n",
        "short signature": f"hello\n\n{EM} {LOG} {base64.b64encode(b'abcd').decode()}\n",
        "blank line in signatures": signed + "\n" + line + "\n",
        "trailing text": signed + "more\n",
        "carriage return": signed.replace("hello\n", "hello\r\n"),
        "NUL": signed.replace("hello", "hel\x00lo"),
        "tab": signed.replace("hello", "hel\tlo"),
        "lone surrogate": signed.replace("hello", "hel\ud800lo"),
        "bad UTF-8": signed.encode().replace(b"hello", b"hel\xc3lo"),
        "overlong UTF-8": signed.encode().replace(b"hello", b"hel\xc0\xafo"),
    }
    # Non-canonical base64: same bytes, other spelling (non-zero padding bits).
    canonical = base64.b64decode(b64sig)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    last = b64sig.rstrip("=")[-1]
    respelled = b64sig.rstrip("=")[:-1] + alphabet[alphabet.index(last) + 1] + "=" * b64sig.count("=")
    assert base64.b64decode(respelled) == canonical
    cases["non-canonical base64"] = f"hello\n\n{EM} {LOG} {respelled}\n"
    for what, msg in cases.items():
        with pytest.raises(NoteError):
            open_note(msg, [LOG_VERIFIER])
            pytest.fail(f"accepted a note with {what}")


def test_sign_note_refuses_bad_input():
    with pytest.raises(NoteError, match="end with a newline"):
        sign_note("no newline", LOG, LOG_KEY)
    with pytest.raises(NoteError):
        sign_note("", LOG, LOG_KEY)
    with pytest.raises(NoteError):
        sign_note("bell\x07\n", LOG, LOG_KEY)
    with pytest.raises(NoteError):
        sign_note("surrogate \udc00\n", LOG, LOG_KEY)
    for bad_name in ("", "two words", "plus+sign", "ideographic\u3000space"):
        with pytest.raises(NoteError):
            sign_note("hello\n", bad_name, LOG_KEY)
    with pytest.raises(TypeError):
        sign_note("hello\n", LOG, pub(LOG_KEY))
    with pytest.raises(TypeError):
        open_note("hello\n\n", [PETER_VKEY])


# --- checkpoints ----------------------------------------------------------------------------

ROOT = hashlib.sha256(b"root").digest()
ROOT_B64 = base64.b64encode(ROOT).decode()


def test_checkpoint_text_and_parse():
    text = checkpoint_text("example.com/log", 42, ROOT)
    assert text == f"example.com/log\n42\n{ROOT_B64}\n"
    assert parse_checkpoint(text) == Checkpoint("example.com/log", 42, ROOT, ())
    assert parse_checkpoint(text.encode()) == ("example.com/log", 42, ROOT, ())
    origin, size, root, extensions = parse_checkpoint(text)
    assert (origin, size, root, extensions) == ("example.com/log", 42, ROOT, ())
    empty = checkpoint_text("example.com/log", 0, hashlib.sha256(b"").digest())
    assert empty == "example.com/log\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"
    assert parse_checkpoint(empty).size == 0
    # Origins are opaque: spaces and non-ASCII are allowed in the checkpoint text.
    assert parse_checkpoint(checkpoint_text("家信 log", 1, ROOT)).origin == "家信 log"
    # The C2SP example checkpoint.
    c2sp = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    assert parse_checkpoint(c2sp)[:2] == ("example.com/behind-the-sofa", 20852163)


def test_checkpoint_extension_lines_are_kept():
    text = f"example.com/log\n7\n{ROOT_B64}\nfirst extension\nsecond — extension\n"
    cp = parse_checkpoint(text)
    assert cp.extensions == ("first extension", "second — extension")
    assert checkpoint_text(cp.origin, cp.size, cp.root, cp.extensions) == text
    with pytest.raises(NoteError):
        checkpoint_text("example.com/log", 7, ROOT, ["two\nlines"])
    with pytest.raises(NoteError):
        checkpoint_text("example.com/log", 7, ROOT, [""])


@pytest.mark.parametrize("size_line", [
    "05", "00", "+5", "-1", " 5", "5 ", "", "0x10", "1_000", "1e3", "٥", "５", "5.0",
    "9223372036854775808", "12345678901234567890",
])
def test_checkpoint_size_must_be_plain_decimal(size_line):
    with pytest.raises(NoteError):
        parse_checkpoint(f"example.com/log\n{size_line}\n{ROOT_B64}\n")


def test_checkpoint_size_limit():
    assert parse_checkpoint(f"o\n9223372036854775807\n{ROOT_B64}\n").size == 2**63 - 1
    with pytest.raises(ValueError):
        checkpoint_text("o", 2**63, ROOT)
    with pytest.raises(ValueError):
        checkpoint_text("o", -1, ROOT)
    with pytest.raises(TypeError):
        checkpoint_text("o", True, ROOT)
    with pytest.raises(TypeError):
        checkpoint_text("o", "5", ROOT)


@pytest.mark.parametrize("root_line", [
    base64.b64encode(ROOT[:31]).decode(),
    base64.b64encode(ROOT + b"\x00").decode(),
    ROOT_B64.rstrip("="),
    ROOT_B64[:-2] + "!=",
    " " + ROOT_B64,
    ROOT_B64.replace("+", "-").replace("/", "_") if ("+" in ROOT_B64 or "/" in ROOT_B64) else ROOT_B64[:-1] + "-",
    ROOT.hex(),
    "",
])
def test_checkpoint_root_must_be_32_byte_base64(root_line):
    with pytest.raises(NoteError):
        parse_checkpoint(f"example.com/log\n5\n{root_line}\n")


def test_checkpoint_root_must_be_canonical_base64():
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    last = ROOT_B64[-2]  # 32 bytes: 43 characters and one '='; the last character carries 2 spare bits
    respelled = ROOT_B64[:-2] + alphabet[alphabet.index(last) ^ 1] + "="
    assert base64.b64decode(respelled) == ROOT
    with pytest.raises(NoteError, match="canonical"):
        parse_checkpoint(f"example.com/log\n5\n{respelled}\n")


@pytest.mark.parametrize("text", [
    f"example.com/log\n5\n{ROOT_B64}",  # no final newline
    "example.com/log\n5\n",  # no root
    f"example.com/log\n{ROOT_B64}\n",
    f"\n5\n{ROOT_B64}\n",  # empty origin
    f"example.com/log\n5\n{ROOT_B64}\n\n",  # empty extension line
    f"example.com/log\n\n5\n{ROOT_B64}\n",
    f"example.com/log\r\n5\n{ROOT_B64}\n",
    f"example.com/log\n5\r\n{ROOT_B64}\n",
    "",
])
def test_malformed_checkpoints(text):
    with pytest.raises(NoteError):
        parse_checkpoint(text)


def test_checkpoint_text_refuses_bad_input():
    for origin in ("", "two\nlines", "tab\there"):
        with pytest.raises(NoteError):
            checkpoint_text(origin, 1, ROOT)
    with pytest.raises(ValueError):
        checkpoint_text("o", 1, ROOT[:31])
    with pytest.raises(TypeError):
        checkpoint_text("o", 1, ROOT_B64)


def test_signed_checkpoint_round_trip():
    signed = sign_note(checkpoint_text(LOG, 3, ROOT), LOG, LOG_KEY)
    assert open_checkpoint(signed, [LOG_VERIFIER]) == (LOG, 3, ROOT, ())
    assert open_checkpoint(signed, [LOG_VERIFIER], origin=LOG).size == 3
    with pytest.raises(NoteError, match="origin"):
        open_checkpoint(signed, [LOG_VERIFIER], origin="registry.test/other-log")
    with pytest.raises(NoteError, match="no signature from a known key"):
        open_checkpoint(signed, [new_verifier(LOG, pub(OTHER_KEY))])


def test_validly_signed_checkpoint_with_leading_zero_is_rejected():
    signed = sign_note(f"{LOG}\n03\n{ROOT_B64}\n", LOG, LOG_KEY)
    assert open_note(signed, [LOG_VERIFIER]).verified_by == [LOG]  # the signature is fine…
    with pytest.raises(NoteError, match="leading zeros"):
        open_checkpoint(signed, [LOG_VERIFIER])  # …the checkpoint is not


# --- tlog-proof receipts --------------------------------------------------------------------


class Receipts:
    def __init__(self, size=7):
        self.bodies = [f"entry {i}".encode() for i in range(size)]
        self.leaves = [leaf_hash(b) for b in self.bodies]
        self.root = root_from_leaves(self.leaves)
        self.size = size
        self.checkpoint = sign_note(checkpoint_text(LOG, size, self.root), LOG, LOG_KEY)

    def receipt(self, index, **kw):
        return tlog_proof(index, inclusion_path(index, self.leaves), self.checkpoint, **kw)


def test_tlog_proof_format():
    r = Receipts()
    proof = inclusion_path(3, r.leaves)
    receipt = r.receipt(3)
    expected = ("c2sp.org/tlog-proof@v1\nindex 3\n" + "".join(base64.b64encode(h).decode() + "\n" for h in proof)
                + "\n" + r.checkpoint)
    assert receipt == expected
    parsed = parse_tlog_proof(receipt)
    assert parsed == (3, proof, r.checkpoint, None)
    index, hashes, checkpoint, extra = parsed
    assert open_checkpoint(checkpoint, [LOG_VERIFIER]).root == r.root
    assert verify_tlog_proof(receipt, r.leaves[3], [LOG_VERIFIER], origin=LOG) == (LOG, 7, r.root, ())


def test_tlog_proof_for_every_entry_verifies():
    r = Receipts(13)
    for i in range(r.size):
        receipt = r.receipt(i)
        assert parse_tlog_proof(receipt).index == i
        assert verify_tlog_proof(receipt, leaf_hash(r.bodies[i]), [LOG_VERIFIER]).size == 13
        other = r.leaves[(i + 1) % r.size]
        with pytest.raises(NoteError, match="does not match"):
            verify_tlog_proof(receipt, other, [LOG_VERIFIER])


def test_tlog_proof_of_a_one_entry_tree_has_no_hash_lines():
    r = Receipts(1)
    receipt = r.receipt(0)
    assert receipt == "c2sp.org/tlog-proof@v1\nindex 0\n\n" + r.checkpoint
    assert parse_tlog_proof(receipt) == (0, [], r.checkpoint, None)
    assert verify_tlog_proof(receipt, r.leaves[0], [LOG_VERIFIER]).size == 1


def test_tlog_proof_extra_line():
    r = Receipts()
    extra = b"age-v1.2.1-darwin-arm64.tar.gz"
    receipt = r.receipt(2, extra=extra)
    assert receipt.startswith(f"c2sp.org/tlog-proof@v1\nextra {base64.b64encode(extra).decode()}\nindex 2\n")
    assert parse_tlog_proof(receipt).extra == extra
    assert verify_tlog_proof(receipt, r.leaves[2], [LOG_VERIFIER]).size == 7
    with pytest.raises(ValueError):
        r.receipt(2, extra=b"")
    # The C2SP example's head, over a checkpoint of ours with the example's size.
    example_cp = sign_note(checkpoint_text("example.com/fancylog", 109482,
                                           base64.b64decode("sFodV/vSp5O8n9a8QpW6PRY97tfOSW5bsc2Xl/EQi08=")),
                           "example.com/fancylog", LOG_KEY)
    example = (
        "c2sp.org/tlog-proof@v1\n"
        "extra YWdlLXYxLjIuMS1kYXJ3aW4tYXJtNjQudGFyLmd6kYXJ3aW4tYXJ\n"
        "index 73894\n"
        "gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=\n"
        "B95lDa8R83lS8n0eG+o0buTxRKQTYFi//1U8anccXmA=\n"
        "EKNzoDWG8LGC0Yp9o+sv3qllpMP9uHQ9B20KNL+Q1zs=\n"
        "RoopEkOdqkYqMB4MJXrbt/hMjOxsVn0IrWjpz1ZMMes=\n"
        "AHCioX9nLjsrse6YhjRRmk1WUEirVOLLRoOQ6vfO5vk=\n"
        "\n" + example_cp
    )
    parsed = parse_tlog_proof(example)
    assert parsed.index == 73894 and len(parsed.hashes) == 5 and parsed.signed_checkpoint == example_cp
    assert parsed.extra.startswith(b"age-v1.2.1-darwin-arm64.tar.gz")


def test_tlog_proof_keeps_cosignatures_verbatim():
    r = Receipts()
    cosigned = r.checkpoint + sign_note(checkpoint_text(LOG, 7, r.root), "witness.example", OTHER_KEY).split(
        "\n\n")[1]
    receipt = tlog_proof(4, inclusion_path(4, r.leaves), cosigned)
    assert parse_tlog_proof(receipt).signed_checkpoint == cosigned
    witness = new_verifier("witness.example", pub(OTHER_KEY))
    assert open_note(parse_tlog_proof(receipt).signed_checkpoint, [LOG_VERIFIER, witness]).verified_by == [
        LOG, "witness.example"]
    assert verify_tlog_proof(receipt, r.leaves[4], [LOG_VERIFIER]).size == 7


def test_malformed_tlog_proofs_are_rejected():
    r = Receipts()
    good = r.receipt(3)
    head, cp = good.split("\n\n", 1)
    lines = head.split("\n")
    h0 = lines[2]
    cases = {
        "other version": good.replace("tlog-proof@v1", "tlog-proof@v2"),
        "no header": good.split("\n", 1)[1],
        "leading zero index": good.replace("index 3", "index 03"),
        "negative index": good.replace("index 3", "index -3"),
        "index with plus": good.replace("index 3", "index +3"),
        "no index": "\n".join([lines[0]] + lines[2:]) + "\n\n" + cp,
        "index twice": "\n".join(lines[:2] + lines[1:]) + "\n\n" + cp,
        "extra after index": "\n".join(lines[:2] + ["extra AAAA"] + lines[2:]) + "\n\n" + cp,
        "empty extra": good.replace("\nindex", "\nextra \nindex"),
        "extra not base64": good.replace("\nindex", "\nextra !!!!\nindex"),
        "short hash": good.replace(h0, base64.b64encode(b"\x00" * 31).decode()),
        "hash not base64": good.replace(h0, h0[:-2] + "*="),
        "unpadded hash": good.replace(h0, h0.rstrip("=")),
        "index equals size": tlog_proof(6, [], r.checkpoint).replace("index 6", "index 7"),
        "no blank line": good.replace("\n\n", "\n", 1),
        "no checkpoint": head + "\n\n",
        "unsigned checkpoint": head + "\n\n" + checkpoint_text(LOG, 7, r.root),
        "bad checkpoint": head + "\n\n" + cp.replace("\n7\n", "\n07\n"),
        "control character": good.replace("index 3", "index 3\r"),
        "too many hashes": "\n".join(lines[:2] + [h0] * 64) + "\n\n" + cp,
    }
    for what, text in cases.items():
        with pytest.raises(NoteError):
            parse_tlog_proof(text)
            pytest.fail(f"accepted a receipt with {what}")


def test_tlog_proof_refuses_bad_input():
    r = Receipts()
    proof = inclusion_path(3, r.leaves)
    with pytest.raises(ValueError):
        tlog_proof(7, proof, r.checkpoint)  # index beyond the checkpoint
    with pytest.raises(ValueError):
        tlog_proof(3, [proof[0][:31]] + proof[1:], r.checkpoint)
    with pytest.raises(ValueError):
        tlog_proof(-1, proof, r.checkpoint)
    with pytest.raises(NoteError):
        tlog_proof(3, proof, checkpoint_text(LOG, 7, r.root))  # not signed
    with pytest.raises(TypeError):
        tlog_proof(3, [h.hex() for h in proof], r.checkpoint)


def test_verify_tlog_proof_checks_the_signature_and_origin():
    r = Receipts()
    receipt = r.receipt(5)
    with pytest.raises(NoteError, match="no signature from a known key"):
        verify_tlog_proof(receipt, r.leaves[5], [new_verifier(LOG, pub(OTHER_KEY))])
    with pytest.raises(NoteError, match="origin"):
        verify_tlog_proof(receipt, r.leaves[5], [LOG_VERIFIER], origin="other.example/log")
    # A forged checkpoint (other root) under the log's name does not verify.
    forged = sign_note(checkpoint_text(LOG, 7, hashlib.sha256(b"x").digest()), LOG, OTHER_KEY)
    with pytest.raises(NoteError):
        verify_tlog_proof(tlog_proof(5, inclusion_path(5, r.leaves), forged), r.leaves[5], [LOG_VERIFIER])
    # A tampered proof hash fails the inclusion check.
    head, cp = receipt.split("\n\n", 1)
    lines = head.split("\n")
    lines[2] = base64.b64encode(hashlib.sha256(b"tamper").digest()).decode()
    with pytest.raises(NoteError, match="does not match"):
        verify_tlog_proof("\n".join(lines) + "\n\n" + cp, r.leaves[5], [LOG_VERIFIER])


def test_module_is_pure():
    """No Flask and no database: the standard library, cryptography and the tree maths."""
    tree = ast.parse(Path(note.__file__).read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add("." * node.level + (node.module or "").split(".")[0])
    assert imported <= {"__future__", "base64", "binascii", "hashlib", "re", "collections", "typing",
                        "cryptography", "."}
