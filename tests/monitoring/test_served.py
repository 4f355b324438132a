"""The registry as gunicorn and `python -m jobs` run it: request counts added up over several gunicorn workers
(PROMETHEUS_MULTIPROC_DIR), and with REGISTRY_LOG_FORMAT=json every line of both processes one JSON object
without personal data."""
from __future__ import annotations

import json
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from prometheus_client.parser import text_string_to_metric_families

from registry.extensions import db
from registry.tasks.models import Task
from registry.tasks.services import enqueue
from tests.support import jiaxin_sample_tasks
from tests.support.cardworld import REAL_NAME, green_worker
from tests.support.jobsutil import jobs_fixture
from tests.support.serverutil import gunicorn

jobs = pytest.fixture(jobs_fixture)
JSON_LOGS = {"REGISTRY_LOG_FORMAT": "json"}


def json_lines(text: str) -> list[dict]:
    """Every line of `text` parsed as one JSON object with the fields every line has; fails on any other line."""
    records = []
    for line in filter(None, text.splitlines()):
        try:
            record = json.loads(line)
        except ValueError:
            pytest.fail(f"not a JSON line: {line!r}")
        assert {"time", "level", "logger", "message"} <= set(record), record
        records.append(record)
    assert records
    return records


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as resp:
        return resp.read().decode()


def healthz_count(url: str) -> float:
    for family in text_string_to_metric_families(get(f"{url}/metrics")):
        for s in family.samples:
            if s.name == "jiaxin_http_request_duration_seconds_count" and s.labels["endpoint"] == "/healthz":
                return s.value
    return 0


def test_several_workers_answer_the_same_totals(app, base_config, tmp_path):
    folder = tmp_path / "prometheus"
    with gunicorn(app, base_config, tmp_path / "server.log", log_level="warning", workers=2,
                  env={"PROMETHEUS_MULTIPROC_DIR": str(folder)}) as served:
        # The start-up probes of serverutil asked /healthz too: count from what the scrape says now.
        before = healthz_count(served.url)
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda _: get(f"{served.url}/healthz"), range(40)))
        # Whichever worker answers the scrape, it counts every worker's requests.
        totals = {healthz_count(served.url) for _ in range(6)}
    assert totals == {before + 40}, totals
    assert list(folder.glob("histogram_*.db"))


def test_json_lines_from_the_web_process(app, base_config, factory, tmp_path):
    world = green_worker(factory)
    db.session.commit()
    with gunicorn(app, base_config, tmp_path / "server.log", log_level="info", env=JSON_LOGS,
                  args=("--logger-class", "registry.monitoring.logs.GunicornLogger")) as served:
        assert REAL_NAME[0] in get(f"{served.url}/c/{world.card_no}")  # the card page shows the masked name
    records = json_lines(served.log())
    loggers = {r["logger"] for r in records}
    assert {"gunicorn.error", "gunicorn.access"} <= loggers, loggers
    assert any(f"/c/{world.card_no}" in r["message"] for r in records if r["logger"] == "gunicorn.access")
    assert REAL_NAME not in served.log() and REAL_NAME[1:] not in served.log()


def test_json_lines_from_the_jobs_process_hold_no_exception_text(app, jobs):
    task_id = enqueue("sample.boom", {}, actor_ref="a" * 32).id
    db.session.commit()
    proc = jobs.start("json", **JSON_LOGS, REGISTRY_TASK_POLL_SECONDS="0.2", REGISTRY_JOBS_HEARTBEAT_SECONDS="1")
    jobs.wait_until(lambda: db.session.get(Task, task_id).state == "failed", 60, "the task to fail three times")
    jobs.stop(proc)
    records = json_lines(jobs.log(proc))
    failures = [r for r in records if r["logger"] == "registry.tasks.services" and r["level"] == "ERROR"]
    assert len(failures) == 3 and "RuntimeError" in failures[0]["message"]
    assert any(r["logger"] == "jobs" and "starting" in r["message"] for r in records)
    assert all(isinstance(r["pid"], int) for r in records)
    assert jiaxin_sample_tasks.SECRET not in jobs.log(proc)
    for part in jiaxin_sample_tasks.SECRET.split():
        assert part not in jobs.log(proc)
