"""GET /metrics: Prometheus's text format, parsed by prometheus_client's own parser, with series that move when the
registry does — and no card number, USCC or other path in any label."""
from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from registry.extensions import db
from registry.keys import keyring
from registry.log import alarms
from registry.log.checkpoints import REFUSED_KIND, sign_if_grown
from registry.tasks import heartbeats
from registry.tasks.models import JobRun
from registry.tasks.services import enqueue
from tests.support import jiaxin_sample_tasks  # noqa: F401  (registers the sample task kinds)
from tests.support.cardworld import green_worker
from tests.support.freshapp import fresh_app

T0 = datetime(2027, 3, 1, 4, 0, tzinfo=UTC)
SERIES = ("jiaxin_http_request_duration_seconds", "jiaxin_database_up", "jiaxin_tasks",
          "jiaxin_task_oldest_queued_age_seconds", "jiaxin_log_entries", "jiaxin_log_checkpoint_size",
          "jiaxin_log_unsigned_entries", "jiaxin_log_checkpoint_age_seconds", "jiaxin_log_alarms_open",
          "jiaxin_job_runs_last_hour", "jiaxin_job_last_run_age_seconds", "jiaxin_job_interval_seconds",
          "jiaxin_jobs_heartbeat_age_seconds", "jiaxin_jobs_processes", "jiaxin_registry_read_only")


def scrape(client, **kw) -> tuple[dict, str]:
    """The families by name, and every sample as {(name, ((label, value), …)): value}."""
    resp = client.get("/metrics", **kw)
    assert resp.status_code == 200, resp.data[:300]
    assert resp.headers["Content-Type"].startswith("text/plain; version=")
    text = resp.get_data(as_text=True)
    families = {f.name: f for f in text_string_to_metric_families(text)}
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value for f in families.values() for s in f.samples}
    return samples, text


def value(samples: dict, series: str, **labels) -> float:
    return samples[(series, tuple(sorted(labels.items())))]


def test_the_exposition_parses_and_carries_every_series(client):
    client.get("/healthz")
    resp = client.get("/metrics")
    families = {f.name: f for f in text_string_to_metric_families(resp.get_data(as_text=True))}
    for name in SERIES:
        assert name in families, name
    assert families["jiaxin_http_request_duration_seconds"].type == "histogram"
    samples, _ = scrape(client)
    assert value(samples, "jiaxin_database_up") == 1
    # Nothing happened yet: no checkpoint and no heartbeat ever, so their ages are +Inf (alerts fire on them).
    assert value(samples, "jiaxin_log_checkpoint_age_seconds") == math.inf
    assert value(samples, "jiaxin_jobs_heartbeat_age_seconds") == math.inf
    assert {value(samples, "jiaxin_tasks", state=s) for s in ("queued", "running", "failed")} == {0}


def test_a_queued_task_raises_the_depth_and_ages(app, client, clock):
    clock.freeze(T0)
    samples, _ = scrape(client)
    assert value(samples, "jiaxin_tasks", state="queued") == 0
    assert value(samples, "jiaxin_task_oldest_queued_age_seconds") == 0
    enqueue("sample.count", {"n": 1}, actor_ref="a" * 32)
    enqueue("sample.count", {"n": 2}, actor_ref="a" * 32)
    db.session.commit()
    clock.freeze(T0 + timedelta(seconds=90))
    samples, _ = scrape(client)
    assert value(samples, "jiaxin_tasks", state="queued") == 2
    assert value(samples, "jiaxin_task_oldest_queued_age_seconds") == 90


def test_a_signed_checkpoint_resets_the_seconds_since_and_the_unsigned_count(app, client, factory, clock):
    clock.freeze(T0)
    factory.company()
    db.session.commit()
    samples, _ = scrape(client)
    entries = value(samples, "jiaxin_log_entries")
    assert entries > 0
    assert value(samples, "jiaxin_log_unsigned_entries") == entries
    assert value(samples, "jiaxin_log_checkpoint_age_seconds") == math.inf

    assert sign_if_grown(keyring(), app.config["LOG_ORIGIN"]).status == "signed"
    db.session.commit()
    samples, _ = scrape(client)
    assert value(samples, "jiaxin_log_unsigned_entries") == 0
    assert value(samples, "jiaxin_log_checkpoint_size") == entries
    assert value(samples, "jiaxin_log_checkpoint_age_seconds") == 0

    clock.freeze(T0 + timedelta(minutes=7))
    factory.company()
    db.session.commit()
    samples, _ = scrape(client)
    assert value(samples, "jiaxin_log_checkpoint_age_seconds") == 420
    assert value(samples, "jiaxin_log_unsigned_entries") == value(samples, "jiaxin_log_entries") - entries > 0


def test_an_open_alarm_is_counted_until_acknowledged(app, client):
    samples, _ = scrape(client)
    assert value(samples, "jiaxin_log_alarms_open", kind=REFUSED_KIND) == 0
    alarm = alarms.raise_alarm(REFUSED_KIND, "checkpoint of size 9 refused: test")
    db.session.commit()
    samples, _ = scrape(client)
    assert value(samples, "jiaxin_log_alarms_open", kind=REFUSED_KIND) == 1
    assert value(samples, "jiaxin_log_alarms_open", kind="record_mismatch") == 0
    alarms.acknowledge(alarm.id)
    db.session.commit()
    samples, _ = scrape(client)
    assert value(samples, "jiaxin_log_alarms_open", kind=REFUSED_KIND) == 0


def test_job_runs_by_outcome_each_jobs_last_run_and_the_heartbeat(app, client, clock):
    clock.freeze(T0)
    heartbeats.beat("host:1:aa", T0 - timedelta(seconds=4), {"log.checkpoint": 60, "log.verify": 3600})
    for slot, (ok, finished) in enumerate([(True, True), (True, True), (False, True), (None, False)]):
        started = T0 - timedelta(minutes=10 - slot)
        db.session.add(JobRun(name="log.checkpoint", slot=slot, owner="host:1:aa", started_dt=started, ok=ok,
                              finished_dt=started + timedelta(seconds=1) if finished else None))
    # Two hours ago: outside the last hour's counts, but still log.verify's latest run.
    db.session.add(JobRun(name="log.verify", slot=1, owner="host:1:aa", started_dt=T0 - timedelta(hours=2),
                          ok=True, finished_dt=T0 - timedelta(hours=2)))
    db.session.commit()
    samples, _ = scrape(client)
    assert value(samples, "jiaxin_job_runs_last_hour", name="log.checkpoint", outcome="ok") == 2
    assert value(samples, "jiaxin_job_runs_last_hour", name="log.checkpoint", outcome="failed") == 1
    assert value(samples, "jiaxin_job_runs_last_hour", name="log.checkpoint", outcome="unfinished") == 1
    assert value(samples, "jiaxin_job_runs_last_hour", name="log.verify", outcome="ok") == 0
    assert value(samples, "jiaxin_job_last_run_age_seconds", name="log.checkpoint") == 7 * 60
    assert value(samples, "jiaxin_job_last_run_age_seconds", name="log.verify") == 2 * 3600
    assert value(samples, "jiaxin_job_interval_seconds", name="log.verify") == 3600
    assert value(samples, "jiaxin_jobs_heartbeat_age_seconds") == 4
    assert value(samples, "jiaxin_jobs_processes") == 1

    clock.freeze(T0 + timedelta(minutes=5))
    samples, _ = scrape(client)
    assert value(samples, "jiaxin_jobs_heartbeat_age_seconds") == 304
    assert value(samples, "jiaxin_jobs_processes") == 0


def test_latency_is_labelled_by_route_never_by_path(app, client, factory):
    world = green_worker(factory)
    card_no, uscc = world.card_no, world.company.uscc
    before, _ = scrape(client)
    assert client.get(f"/api/v1/cards/{card_no}").status_code == 200
    assert client.get(f"/api/v1/companies/{uscc}").status_code == 200
    client.get(f"/no-such-page/{card_no}")
    samples, text = scrape(client)

    def count(endpoint, method="GET", status="2xx"):
        key = ("jiaxin_http_request_duration_seconds_count",
               tuple(sorted({"endpoint": endpoint, "method": method, "status": status}.items())))
        return samples.get(key, 0) - before.get(key, 0)

    assert count("/api/v1/cards/{card_no}") == 1
    assert count("/api/v1/companies/{uscc}") == 1
    assert count("unmatched", status="4xx") == 1
    for needle in (card_no, card_no.replace("-", ""), uscc, "no-such-page"):
        assert needle not in text
    endpoints = {dict(labels)["endpoint"] for (name, labels) in samples if name.startswith("jiaxin_http_")}
    assert all(e == "unmatched" or e.startswith("/") for e in endpoints)


def test_without_a_token_only_this_machine_may_scrape(client):
    resp = client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert resp.status_code == 403
    assert resp.get_json()["error"]["code"] == "metrics_loopback_only"
    scrape(client, environ_base={"REMOTE_ADDR": "::1"})


def test_with_a_token_every_scrape_must_carry_it(app, client, monkeypatch):
    token = "m" * 40
    monkeypatch.setitem(app.config, "METRICS_TOKEN", token)
    for headers in ({}, {"Authorization": "Bearer " + "x" * 40}, {"Authorization": token}):
        resp = client.get("/metrics", headers=headers)
        assert resp.status_code == 401
        error = resp.get_json()["error"]
        assert error["code"] == "metrics_unauthorized" and error["message"]["zh"] and error["message"]["en"]
    scrape(client, headers={"Authorization": f"Bearer {token}"}, environ_base={"REMOTE_ADDR": "203.0.113.9"})


def test_in_production_without_a_token_nobody_may_scrape(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "TESTING", False)
    monkeypatch.setitem(app.config, "ENV_NAME", "production")
    resp = client.get("/metrics")
    assert resp.status_code == 403
    assert resp.get_json()["error"]["code"] == "metrics_token_required"


def test_a_short_metrics_token_refuses_to_start_in_production():
    from registry.config import UnsafeConfiguration, check_safe

    safe = {"ENV_NAME": "production", "SECRET_KEY": "s" * 48, "RATELIMIT_STORAGE_URI": "redis://x",
            "PUBLIC_URL": "https://jiaxin.example"}
    check_safe({**safe, "METRICS_TOKEN": "t" * 32})
    with pytest.raises(UnsafeConfiguration, match="REGISTRY_METRICS_TOKEN"):
        check_safe({**safe, "METRICS_TOKEN": "short"})


def test_a_database_out_leaves_the_request_metrics_and_says_so(base_config):
    from tests.test_database_outage import UNREACHABLE

    with fresh_app(base_config, SQLALCHEMY_DATABASE_URI=UNREACHABLE) as app:
        samples, text = scrape(app.test_client())
    assert value(samples, "jiaxin_database_up") == 0
    assert "jiaxin_http_request_duration_seconds" in text
    assert "jiaxin_tasks" not in text
