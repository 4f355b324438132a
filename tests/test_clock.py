"""The registry's one clock: a test moves it, and so does every service and every server the test starts."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from registry import clock as registry_clock
from registry.clock import SHANGHAI
from registry.extensions import db
from registry.log.models import LogEntry
from tests.support.cardworld import green_worker

ROOT = Path(__file__).resolve().parent.parent


def _colour(body: dict) -> tuple[str, list[str]]:
    return body["status"]["colour"], [r["code"] for r in body["status"]["reasons"]]


def test_a_frozen_clock_dates_the_log_entry_and_todays_date(app, factory, clock):
    moment = datetime(2027, 3, 1, 9, 30, tzinfo=SHANGHAI)
    clock.freeze(moment)
    assert registry_clock.today().isoformat() == "2027-03-01"
    factory.company(verified=False)
    entry = db.session.scalars(select(LogEntry).order_by(LogEntry.seq.desc())).first()
    assert json.loads(entry.body)["time"] == "2027-03-01T01:30:00.000000Z"
    clock.real()
    assert abs(registry_clock.now() - datetime.now(SHANGHAI)) < timedelta(minutes=1)


def test_the_card_view_judges_health_by_the_moved_date(app, factory, client, clock):
    world = green_worker(factory, health_until=registry_clock.today() + timedelta(days=20))
    assert _colour(client.get(f"/api/v1/cards/{world.card_no}").get_json())[0] == "green"
    clock.shift(timedelta(days=30))
    colour, reasons = _colour(client.get(f"/api/v1/cards/{world.card_no}").get_json())
    assert (colour, reasons) == ("yellow", ["health_expired"])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as answer:
        return json.load(answer)


def test_a_server_process_follows_the_moved_clock(app, factory, base_config, clock, tmp_path):
    world = green_worker(factory, health_until=registry_clock.today() + timedelta(days=20))
    db.session.commit()
    port = _free_port()
    env = {**os.environ, "REGISTRY_DATABASE_URL": base_config["SQLALCHEMY_DATABASE_URI"],
           "REGISTRY_KEYS_DIR": base_config["KEYS_DIR"], "REGISTRY_INSTANCE_PATH": app.instance_path,
           "REGISTRY_ENV": "test", "REGISTRY_SECRET_KEY": base_config["SECRET_KEY"],
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    log_path = tmp_path / "server.log"
    with open(log_path, "wb") as out:
        server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", "1", "--bind", f"127.0.0.1:{port}",
                                   "wsgi:app"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                _get_json(f"{base}/healthz")
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the server did not start\n{log_path.read_text(errors='replace')[-3000:]}")
                time.sleep(0.2)
        assert _colour(_get_json(f"{base}/api/v1/cards/{world.card_no}"))[0] == "green"
        clock.shift(timedelta(days=30))
        assert _colour(_get_json(f"{base}/api/v1/cards/{world.card_no}")) == ("yellow", ["health_expired"])
        clock.real()
        assert _colour(_get_json(f"{base}/api/v1/cards/{world.card_no}"))[0] == "green"
    finally:
        server.terminate()
        server.wait(timeout=15)
