"""GET /readyz: 200 with each check's result when the database answers, the keys can be read and a jobs process
beats; otherwise 503 `not_ready` naming each failing check, in Chinese and English. The failures are real: a
database nothing listens for, a key folder that is not there or lacks a file, a heartbeat that stopped, a real
jobs process stopped. A database move's marker is reported (and counted in /metrics) without failing readiness."""
from __future__ import annotations

import shutil
from datetime import timedelta

import pytest

from registry import clock as registry_clock
from registry.extensions import db
from registry.tasks import heartbeats
from registry.tasks.models import JobsProcess
from tests.support.freshapp import fresh_app
from tests.support.jobsutil import jobs_fixture
from tests.test_database_outage import UNREACHABLE

jobs = pytest.fixture(jobs_fixture)


def beat(seconds_ago: float = 0) -> None:
    heartbeats.beat("host:1:aa", registry_clock.now() - timedelta(seconds=seconds_ago), {"log.checkpoint": 60})
    db.session.commit()


def not_ready(resp, *failing: str) -> dict:
    assert resp.status_code == 503, resp.get_json()
    body = resp.get_json()
    assert body["error"]["code"] == "not_ready"
    assert set(body["error"]["fields"]) == set(failing)
    for name in failing:
        assert body["error"]["fields"][name]["zh"] and body["error"]["fields"][name]["en"]
        assert body["checks"][name]["ok"] is False
    assert all(body["checks"][c]["ok"] for c in body["checks"] if c not in failing)
    return body


def test_ready_when_all_three_hold(app, client):
    beat(seconds_ago=5)
    resp = client.get("/readyz")
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["status"] == "ready"
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["keys"] == {"ok": True}
    assert body["checks"]["writes"] == {"ok": True, "read_only": False}
    assert body["checks"]["jobs"]["ok"] is True and body["checks"]["jobs"]["processes"] == 1
    assert 4 <= body["checks"]["jobs"]["heartbeat_age_seconds"] <= 60


def test_a_stale_heartbeat_is_not_ready(app, client):
    beat(seconds_ago=61)
    body = not_ready(client.get("/readyz"), "jobs")
    assert body["checks"]["jobs"]["code"] == "jobs_stale"
    assert body["checks"]["jobs"]["processes"] == 0
    assert "60" in body["error"]["fields"]["jobs"]["en"]


def test_no_heartbeat_ever_is_not_ready_unless_the_check_is_off(app, client, monkeypatch):
    body = not_ready(client.get("/readyz"), "jobs")
    assert body["checks"]["jobs"]["heartbeat_age_seconds"] is None
    monkeypatch.setitem(app.config, "READY_JOBS_SECONDS", 0)
    resp = client.get("/readyz")
    assert resp.status_code == 200
    assert resp.get_json()["checks"]["jobs"] == {"ok": True, "checked": False}


def test_a_missing_key_folder_is_not_ready(app, base_config, tmp_path):
    beat()
    with fresh_app(base_config, KEYS_DIR=str(tmp_path / "no-keys-here")) as other:
        body = not_ready(other.test_client().get("/readyz"), "keys")
    assert body["checks"]["keys"]["code"] == "keys_unreadable"
    assert "field" in body["checks"]["keys"]["unreadable"] and "log" in body["checks"]["keys"]["unreadable"]


def test_one_missing_key_file_is_named_and_no_key_is_shown(app, base_config, tmp_path):
    beat()
    keys = tmp_path / "keys"
    shutil.copytree(base_config["KEYS_DIR"], keys)
    (keys / "card.json").unlink()
    with fresh_app(base_config, KEYS_DIR=str(keys)) as other:
        resp = other.test_client().get("/readyz")
    body = not_ready(resp, "keys")
    assert body["checks"]["keys"]["unreadable"] == ["card"]
    material = (keys / "field.json").read_text().split('"material": "')[1].split('"')[0]
    assert material not in resp.get_data(as_text=True)


def test_an_unreachable_database_is_not_ready(base_config):
    with fresh_app(base_config, SQLALCHEMY_DATABASE_URI=UNREACHABLE) as other:
        body = not_ready(other.test_client().get("/readyz"), "database", "jobs")
    assert body["checks"]["database"]["code"] == "database_unavailable"
    assert body["checks"]["jobs"]["code"] == "jobs_unknown"
    # Whether writes are taken is not known either; that alone fails nothing.
    assert body["checks"]["writes"] == {"ok": True, "read_only": None}


@pytest.fixture
def moving(app):
    """A `db move` marker set as the move sets it, and removed (and forgotten by this process) afterwards."""
    from sqlalchemy.engine import make_url

    from registry.move import marker
    from registry.move import services as move

    move.set_marker(db.engine, make_url("postgresql+psycopg://postgres@127.0.0.1:5432/jiaxin_next"))
    marker.forget()
    yield
    db.session.rollback()
    move.abandon(db.engine)
    marker.forget()


def test_a_database_move_is_reported_read_only_but_stays_ready(app, client, moving):
    """Every process reads the same marker: failing readiness for it would take every instance out of a load
    balancer at once, while reads (the card check at the door among them) still work."""
    from tests.monitoring.test_metrics import scrape, value

    beat()
    assert client.post("/api/v1/tokens", json={"name": "x"}).json["error"]["code"] == "registry_moving"
    assert client.get("/api/v1/red-list").status_code == 200
    resp = client.get("/readyz")
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["status"] == "ready"
    writes = body["checks"]["writes"]
    assert (writes["ok"], writes["read_only"], writes["reason"], writes["move"]) == (
        True, True, "registry_moving", "moving")
    assert "迁移" in writes["message"]["zh"] and "moving" in writes["message"]["en"]
    assert "code" not in writes  # a code in a check names why it failed
    samples, _ = scrape(client)
    assert value(samples, "jiaxin_registry_read_only") == 1


def test_no_move_no_read_only(app, client):
    from tests.monitoring.test_metrics import scrape, value

    samples, _ = scrape(client)
    assert value(samples, "jiaxin_registry_read_only") == 0


def test_a_real_jobs_process_makes_it_ready_and_its_stop_takes_that_back(app, client, jobs):
    assert client.get("/readyz").status_code == 503
    proc = jobs.start("beating", REGISTRY_JOBS_HEARTBEAT_SECONDS="1")
    jobs.wait_until(lambda: db.session.query(JobsProcess).count() == 1, 30, "the first heartbeat")
    resp = client.get("/readyz")
    assert resp.status_code == 200, resp.get_json()
    row = db.session.query(JobsProcess).one()
    # The process reports what it runs, so the web side judges each job's last run by its interval.
    assert row.schedules["log.checkpoint"] == 60
    db.session.rollback()
    jobs.stop(proc)
    # A process that stops on purpose removes its heartbeat: not taken for one that died a minute later.
    assert db.session.query(JobsProcess).count() == 0
    db.session.rollback()
    not_ready(client.get("/readyz"), "jobs")
