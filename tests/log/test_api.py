"""The public log endpoints (docs/log.md, "Proofs and endpoints"): shapes, every small size against the reference,
errors, no limits."""
from __future__ import annotations

import base64
import json

import pytest

from registry.extensions import db
from registry.log.models import LogEntry
from registry.tlog import merkle, note
from tests.support.logutil import ORIGIN, append_synthetic, b64, leaves, sign

N = 20


@pytest.fixture
def log20(app, factory):
    append_synthetic(factory.ring, N, batch=7)
    sign(factory.ring)
    return leaves()


def unb64(items):
    return [base64.b64decode(h) for h in items]


def test_checkpoint_and_key_are_text_and_verify(client, log20, factory):
    resp = client.get("/api/v1/log/key")
    assert resp.status_code == 200 and resp.mimetype == "text/plain"
    lines = resp.get_data(as_text=True).splitlines()
    assert lines == [note.verifier_key(ORIGIN, k.public_bytes) for k in factory.ring.keys("log")
                     if k.state != "retired"]
    assert lines[0].startswith(ORIGIN + "+")
    known = [note.parse_verifier_key(line) for line in lines]
    resp = client.get("/api/v1/log/checkpoint")
    assert resp.status_code == 200 and resp.mimetype == "text/plain"
    cp = note.open_checkpoint(resp.get_data(as_text=True), known, ORIGIN)
    assert cp.size == N and cp.root == merkle.root_from_leaves(log20)


def test_entries_carry_the_exact_leaf_bytes(client, log20):
    for i in range(N):
        body = client.get(f"/api/v1/log/entries/{i}").get_json()
        entry = db.session.get(LogEntry, i)
        assert set(body) == {"index", "body", "leaf_hash"}
        assert body["index"] == i and base64.b64decode(body["body"]) == entry.body
        assert body["body"] == b64(entry.body) and body["leaf_hash"] == b64(log20[i])
        assert json.loads(base64.b64decode(body["body"]))["seq"] == i
    resp = client.get(f"/api/v1/log/entries/{N}")
    assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "not_found"
    assert client.get("/api/v1/log/entries/-1").status_code == 404


def test_inclusion_proofs_for_every_index_and_size(client, log20):
    for size in range(1, N + 1):
        root = merkle.root_from_leaves(log20[:size])
        for index in range(size):
            body = client.get(f"/api/v1/log/proofs/inclusion?index={index}&size={size}").get_json()
            assert (body["index"], body["size"]) == (index, size)
            proof = unb64(body["hashes"])
            assert proof == merkle.inclusion_path(index, log20[:size]), (index, size)
            assert merkle.verify_inclusion(index, size, log20[index], proof, root)


def test_consistency_proofs_for_every_pair_of_sizes(client, log20):
    for second in range(1, N + 1):
        for first in range(1, second + 1):
            body = client.get(f"/api/v1/log/proofs/consistency?from={first}&to={second}").get_json()
            assert (body["from"], body["to"]) == (first, second)
            proof = unb64(body["hashes"])
            assert proof == merkle.consistency_proof(first, log20[:second]), (first, second)
            assert merkle.verify_consistency(first, second, merkle.root_from_leaves(log20[:first]),
                                             merkle.root_from_leaves(log20[:second]), proof)


BAD = [
    ("/api/v1/log/proofs/inclusion?index=0&size=21", "size"),  # beyond the latest checkpoint
    ("/api/v1/log/proofs/inclusion?index=5&size=5", "index"),
    ("/api/v1/log/proofs/inclusion?index=-1&size=5", "index"),
    ("/api/v1/log/proofs/inclusion?index=0&size=0", "size"),
    ("/api/v1/log/proofs/inclusion?index=x&size=3", "index"),
    ("/api/v1/log/proofs/inclusion?size=3", "index"),
    ("/api/v1/log/proofs/consistency?from=0&to=3", "from"),
    ("/api/v1/log/proofs/consistency?from=4&to=3", "from"),
    ("/api/v1/log/proofs/consistency?from=1&to=21", "to"),
    ("/api/v1/log/proofs/consistency?from=1", "to"),
]


@pytest.mark.parametrize("url,field", BAD)
def test_bad_proof_requests_name_the_field(client, log20, url, field):
    resp = client.get(url)
    assert 400 <= resp.status_code < 500, resp.status_code
    err = resp.get_json()["error"]
    assert err["code"] and err["message"]["zh"] and err["message"]["en"]
    assert field in err["fields"], err


def test_before_the_first_checkpoint(client, app, factory):
    append_synthetic(factory.ring, 2)
    for url in ("/api/v1/log/checkpoint", "/api/v1/log/receipts/0"):
        resp = client.get(url)
        assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "no_checkpoint"
    assert client.get("/api/v1/log/proofs/inclusion?index=0&size=1").status_code == 422
    assert client.get("/api/v1/log/entries/1").status_code == 200
    assert client.get("/api/v1/log/checkpoints").get_json() == []


def test_receipts_verify_for_every_entry(client, log20, factory):
    known = [note.parse_verifier_key(line) for line in client.get("/api/v1/log/key").get_data(as_text=True).split()]
    for i in range(N):
        resp = client.get(f"/api/v1/log/receipts/{i}")
        assert resp.status_code == 200 and resp.mimetype == "text/plain"
        text = resp.get_data(as_text=True)
        assert text.startswith(f"c2sp.org/tlog-proof@v1\nindex {i}\n")
        cp = note.verify_tlog_proof(text, log20[i], known, ORIGIN)
        assert cp.size == N
        with pytest.raises(note.NoteError):
            note.verify_tlog_proof(text, log20[(i + 1) % N], known, ORIGIN)
    append_synthetic(factory.ring, 1)
    resp = client.get(f"/api/v1/log/receipts/{N}")
    assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "not_yet_checkpointed"
    assert client.get(f"/api/v1/log/receipts/{N + 1}").get_json()["error"]["code"] == "not_found"


def test_checkpoints_are_listed_newest_first_by_page(client, app, factory):
    for _ in range(25):
        append_synthetic(factory.ring, 1)
        sign(factory.ring)
    resp = client.get("/api/v1/log/checkpoints?page_size=10")
    page1 = resp.get_json()
    assert [c["size"] for c in page1] == list(range(25, 15, -1))
    assert json.loads(resp.headers["X-Pagination"])["total"] == 25
    page3 = client.get("/api/v1/log/checkpoints?page=3&page_size=10").get_json()
    assert [c["size"] for c in page3] == [5, 4, 3, 2, 1]
    assert client.get("/api/v1/log/checkpoints").get_json()[0]["size"] == 25
    known = [note.parse_verifier_key(k) for k in client.get("/api/v1/log/key").get_data(as_text=True).split()]
    for item in page1 + page3:
        assert set(item) == {"size", "root", "checkpoint", "key_id", "created"}
        cp = note.open_checkpoint(item["checkpoint"], known, ORIGIN)
        assert cp.size == item["size"] and b64(cp.root) == item["root"]
        assert cp.root == merkle.root_from_leaves(leaves()[: cp.size])


@pytest.fixture
def strict_limits(app):
    """Default and application-wide limits of 5 a minute, as a strict deployment might set."""
    from flask_limiter import ApplicationLimit, Limit
    from flask_limiter.util import get_remote_address

    from registry.extensions import limiter

    manager = limiter.limit_manager
    saved = (manager._default_limits, manager._application_limits)
    manager.set_default_limits([Limit("5 per minute", key_function=get_remote_address).bind(limiter)])
    manager.set_application_limits([ApplicationLimit("5 per minute").bind(limiter)])
    limiter.reset()
    yield
    manager.set_default_limits(saved[0])
    manager.set_application_limits(saved[1])
    limiter.reset()


def test_the_log_endpoints_are_never_rate_limited(client, log20, strict_limits):
    urls = ["/api/v1/log/checkpoint", "/api/v1/log/key", "/api/v1/log/entries/3", "/api/v1/log/checkpoints",
            "/api/v1/log/proofs/inclusion?index=3&size=20", "/api/v1/log/proofs/consistency?from=3&to=20",
            "/api/v1/log/receipts/3"]
    for _ in range(8):
        for url in urls:
            assert client.get(url).status_code == 200, url
    # The same limits do bite elsewhere.
    codes = [client.get("/api/v1/districts").status_code for _ in range(8)]
    assert 429 in codes
