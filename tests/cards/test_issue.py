"""Issuing and reissuing a card through the API, and the published card keys.

What employers and residents rely on: the first card is serial 1, a reissue keeps the number and counts on (the
old card then scans as replaced), a red worker gets no card, only a current employer can issue, every issue is one
log entry that changes the worker's logged state, and a card stays checkable after the card key rotates.
"""
from __future__ import annotations

import json
from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from registry import canonical
from registry.cards import qr, services
from registry.cards.models import Card
from registry.clock import add_years
from registry.extensions import db
from registry.log.actions import Action
from registry.log.models import LogEntry
from registry.log.verify import verify_local
from tests.support.cardutil import make_red, staff
from tests.support.factory import bearer


def log_count() -> int:
    return db.session.execute(select(func.count()).select_from(LogEntry)).scalar_one()


def card_count() -> int:
    return db.session.execute(select(func.count()).select_from(Card)).scalar_one()


@pytest.fixture
def world(app, factory):
    s = staff(factory, 2)
    s.token = factory.token(s.admin)
    return s


def issue(client, world, card_no=None, token=None):
    return client.post(f"/api/v1/workers/{card_no or world.card_nos[0]}/cards",
                       headers=bearer(token or world.token))


def latest_entry(ref: str) -> LogEntry:
    return db.session.execute(select(LogEntry).where(LogEntry.subject == ref)
                              .order_by(LogEntry.seq.desc()).limit(1)).scalar_one()


def verdict(app, factory, url: str, *, today: date) -> str:
    """What a resident's scan of this QR URL says, checked as the card page checks it."""
    from registry.workers.models import Worker

    parts = urlsplit(url)
    card_no = parts.path.rsplit("/", 1)[-1]
    worker = db.session.execute(select(Worker).where(Worker.card_no == card_no)).scalar_one()
    latest = services.latest_card(worker.id)
    return qr.check(card_no, parse_qs(parts.query)["q"][0], public_keys=services.public_keys(factory.ring),
                    latest_serial=services.latest_serial(worker.id),
                    latest_void=latest is not None and services.is_void(worker, latest), today=today).code


def test_the_first_card_is_serial_1_signed_and_logged(app, client, factory, world):
    worker = world.workers[0]
    before_digest = json.loads(latest_entry(worker.log_ref).body)["digest"]
    before = log_count()
    resp = issue(client, world)
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert set(body) == {"card_no", "serial", "issued_on", "valid_until", "qr_url", "log_index"}
    assert body["card_no"] == worker.card_no and body["serial"] == 1
    assert body["issued_on"] == world.today.isoformat()
    assert body["valid_until"] == add_years(world.today, 1).isoformat()
    # Exactly one entry, the card's, whose digest is the worker's new state (with the card in it).
    db.session.rollback()
    assert log_count() == before + 1 and body["log_index"] == before
    entry = db.session.get(LogEntry, body["log_index"])
    assert entry.action == Action.CARD_ISSUE.value and entry.subject == worker.log_ref
    state = canonical.state_of(factory.ring, worker)
    assert json.loads(entry.body)["digest"] == canonical.digest(state) != before_digest
    assert [c["serial"] for c in state["cards"]] == [1]
    # The QR: the public card URL, signed, genuine when scanned today.
    card = services.latest_card(worker.id)
    assert body["qr_url"] == services.qr_payload(factory.ring, worker, card, app.config["PUBLIC_URL"])
    assert body["qr_url"].startswith(f"http://registry.test/c/{worker.card_no}?q=1.{body['valid_until']}.")
    assert verdict(app, factory, body["qr_url"], today=world.today) == "genuine"
    assert card.key_id == factory.ring.current("card").id and card.issued_by == world.admin.ref


def test_a_reissue_keeps_the_number_and_replaces_the_old_card(app, client, factory, world):
    first = issue(client, world).get_json()
    second = issue(client, world).get_json()
    assert second["card_no"] == first["card_no"] and second["serial"] == 2
    assert second["log_index"] == first["log_index"] + 1
    db.session.rollback()
    assert verdict(app, factory, first["qr_url"], today=world.today) == "replaced"
    assert verdict(app, factory, second["qr_url"], today=world.today) == "genuine"
    worker = world.workers[0]
    assert [c["serial"] for c in canonical.state_of(factory.ring, worker)["cards"]] == [1, 2]
    # The other worker's cards count on their own.
    assert issue(client, world, world.card_nos[1]).get_json()["serial"] == 1


def test_the_log_verifies_after_issuing(app, client, factory, world):
    for _ in range(2):
        assert issue(client, world).status_code == 201
    db.session.rollback()
    report = verify_local(factory.ring, app.config["LOG_ORIGIN"])
    assert report.ok, report.failures


def test_a_red_worker_gets_no_card(client, factory, world):
    make_red(factory, world, world.workers[0])
    before, cards = log_count(), card_count()
    resp = issue(client, world)
    assert resp.status_code == 409
    assert resp.get_json()["error"]["code"] == "card_refused_red"
    assert resp.get_json()["error"]["message"]["zh"]
    db.session.rollback()
    assert (log_count(), card_count()) == (before, cards)


def test_only_a_current_employer_issues(client, factory, world):
    other, other_admin = factory.company()
    regulator = factory.token(factory.regulator_for("housekeeping"))
    stranger = factory.token(other_admin.account)
    before = log_count()
    # Another company: the worker does not exist for it.
    assert issue(client, world, token=stranger).status_code == 404
    # A regulator is not an employer; nobody without a token.
    assert issue(client, world, token=regulator).status_code == 403
    assert client.post(f"/api/v1/workers/{world.card_nos[0]}/cards").status_code == 401
    db.session.rollback()
    assert log_count() == before and card_count() == 0


def test_a_former_employer_cannot_issue(client, factory, world):
    from registry.workers.services import end_employment

    end_employment(factory.ring, account=world.admin, company=world.company, worker=world.workers[0],
                   end_date=world.today, today=world.today)
    db.session.commit()
    assert issue(client, world).status_code == 404


def test_bad_card_numbers_answer_as_the_worker_look_up_does(client, world):
    number = world.card_nos[0]
    typo = number[:-1] + ("A" if number[-1] != "A" else "B")
    resp = issue(client, world, typo)
    assert resp.status_code == 422 and resp.get_json()["error"]["code"] == "card_no_typo"
    assert "card_no" in resp.get_json()["error"]["fields"]
    assert issue(client, world, "JX123").status_code == 404
    # Lower case and spaces are the same card.
    spaced = f"{number[:2]} {number[2:6]} {number[6:10]} {number[10:]}".lower()
    assert issue(client, world, spaced).get_json()["card_no"] == number


def test_a_card_that_still_stands(factory, world):
    """A bulk print reuses the latest card only while it is unexpired and its issuer employs the worker."""
    worker = world.workers[0]
    assert services.current_card(worker, world.today) is None
    card = services.issue_card(factory.ring, account=world.admin, company=world.company, worker=worker,
                               today=world.today).card
    db.session.commit()
    assert services.current_card(worker, world.today) == card
    assert services.current_card(worker, card.valid_until) == card
    assert services.current_card(worker, card.valid_until + timedelta(days=1)) is None
    from registry.workers.services import end_employment

    end_employment(factory.ring, account=world.admin, company=world.company, worker=worker, end_date=world.today,
                   today=world.today)
    db.session.commit()
    assert services.current_card(worker, world.today) is None


def test_a_void_card_never_prints_and_a_current_employer_issues_a_new_serial(client, factory, world):
    from registry.workers.models import Employment
    from registry.workers.services import end_employment

    worker = world.workers[0]
    assert issue(client, world).status_code == 201
    end_employment(factory.ring, account=world.admin, company=world.company, worker=worker, end_date=world.today,
                   today=world.today)
    # Employed again later (as a confirmed attachment leaves it): the old card stays void.
    worker.employments.append(Employment(company_id=world.company.id, occupation="cleaner", kind="labour_contract",
                                         start_date=world.today, social_insurance=True, recorded_by=world.admin.ref))
    db.session.commit()
    assert services.current_card(worker, world.today) is None  # so a bulk print issues a new one
    resp = client.get(f"/api/v1/workers/{world.card_nos[0]}/card", headers=bearer(world.token))
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "card_void"
    # Reissuing makes the next serial, which prints and scans genuine.
    again = issue(client, world)
    assert again.status_code == 201 and again.get_json()["serial"] == 2
    assert verdict(client.application, factory, again.get_json()["qr_url"], today=world.today) == "genuine"
    assert client.get(f"/api/v1/workers/{world.card_nos[0]}/card", headers=bearer(world.token)).status_code == 200


# --- the published keys ---------------------------------------------------------------------------------

def test_the_keys_list_the_current_key_first_and_old_cards_stay_genuine(app, client, factory, world):
    old_key = factory.ring.current("card")
    old = issue(client, world).get_json()
    resp = client.get("/api/v1/cards/keys")
    assert resp.status_code == 200
    keys = resp.get_json()["keys"]
    assert keys[0]["key_id"] == old_key.id and keys[0]["state"] == "current"
    for k in keys:
        assert set(k) == {"key_id", "algorithm", "public_key", "state", "created"}
        assert k["algorithm"] == "Ed25519"
        assert qr.key_id_of(qr.b64url_decode(k["public_key"])) == k["key_id"]

    new_key = factory.ring.add("card")
    keys = client.get("/api/v1/cards/keys").get_json()["keys"]
    assert [k["key_id"] for k in keys[:2]] == [new_key.id, old_key.id]
    assert [k["state"] for k in keys[:2]] == ["current", "active"]
    # The next card is signed with the new key; the card signed before the rotation still checks as genuine.
    fresh = issue(client, world, world.card_nos[1]).get_json()
    assert f".{new_key.id}." in fresh["qr_url"] and f".{old_key.id}." in old["qr_url"]
    db.session.rollback()
    assert verdict(app, factory, old["qr_url"], today=world.today) == "genuine"
    assert verdict(app, factory, fresh["qr_url"], today=world.today) == "genuine"


def test_the_keys_need_no_sign_in_and_check_offline(app, client, world, tmp_path):
    """The keys as published are what scripts/check_card_qr.py needs to check a card without the registry."""
    import subprocess
    import sys
    from pathlib import Path

    url = issue(client, world).get_json()["qr_url"]
    keys = tmp_path / "keys.json"
    keys.write_bytes(client.get("/api/v1/cards/keys").data)
    # The registry's address is published with the keys: scheme://host[:port] of PUBLIC_URL.
    assert json.loads(keys.read_bytes())["official_origin"] == "http://registry.test"
    script = Path(__file__).resolve().parents[2] / "scripts" / "check_card_qr.py"
    run = subprocess.run([sys.executable, str(script), url, "--keys", str(keys), "--today",
                          world.today.isoformat()], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "valid signature" in run.stdout
    # One changed character of the card number: altered.
    number = world.card_nos[0]
    forged = url.replace(f"/c/{number}", f"/c/{number[:-1]}{'A' if number[-1] != 'A' else 'B'}")
    run = subprocess.run([sys.executable, str(script), forged, "--keys", str(keys)], capture_output=True,
                         text=True, timeout=60)
    assert run.returncode == 1 and run.stdout.startswith("altered")
    # The genuine q pasted onto a look-alike host: not the registry's address, whatever the signature says.
    pasted = url.replace("http://registry.test/", "https://jiaxin-registry.evil.example/")
    run = subprocess.run([sys.executable, str(script), pasted, "--keys", str(keys), "--today",
                          world.today.isoformat()], capture_output=True, text=True, timeout=60)
    assert run.returncode == 1 and run.stdout.startswith("not the registry's official address: do not trust")


def test_reissues_at_the_same_moment_get_distinct_serials(app, factory, world):
    """Parallel requests (own sessions and connections): the log head's lock numbers the serials one by one."""
    import threading

    callers = 6
    results = []
    barrier = threading.Barrier(callers)
    path = f"/api/v1/workers/{world.card_nos[0]}/cards"
    # A token each: one token's first use is a row update that would queue the requests by itself.
    tokens = [factory.token(world.admin, name=f"t{i}") for i in range(callers)]

    def go(token):
        c = app.test_client()
        barrier.wait()
        results.append(c.post(path, headers=bearer(token)))

    threads = [threading.Thread(target=go, args=(t,)) for t in tokens]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert [r.status_code for r in results] == [201] * callers, [r.get_json() for r in results]
    assert sorted(r.get_json()["serial"] for r in results) == list(range(1, callers + 1))
    db.session.rollback()
    report = verify_local(factory.ring, app.config["LOG_ORIGIN"])
    assert report.ok, report.failures
