"""GET /api/v1/companies/{uscc}/states: a company's own and its current workers' canonical states."""
from __future__ import annotations

import hashlib

import rfc8785
from sqlalchemy import select

from registry import canonical
from registry.extensions import db
from registry.log.models import LogEntry
from tests.support.logutil import small_world


def get(client, factory, account, uscc, query=""):
    token = factory.token(account, name=f"t{query}")
    db.session.rollback()
    return client.get(f"/api/v1/companies/{uscc}/states{query}", headers={"Authorization": f"Bearer {token}"})


def test_members_download_states_that_match_the_latest_entries(app, client, factory):
    w = small_world(factory)
    resp = get(client, factory, w["admin"], w["company"].uscc)
    assert resp.status_code == 200
    doc = resp.get_json()
    assert doc["origin"] == app.config["LOG_ORIGIN"] and doc["total"] == 2 and doc["page"] == 1
    records = [doc["company"], *doc["workers"]]
    assert [r["log_ref"] for r in doc["workers"]] == [x.log_ref for x in w["workers"][:2]]
    for rec in records:
        digest = hashlib.sha256(rfc8785.dumps(rec["state"])).hexdigest()
        assert digest == rec["digest"]
        latest = db.session.execute(select(LogEntry).where(LogEntry.subject == rec["log_ref"])
                                    .order_by(LogEntry.seq.desc()).limit(1)).scalar_one()
        assert rec["entry_index"] == latest.seq
    # The token issued just now changed the company's state: its latest entry is that one.
    assert doc["company"]["digest"] == canonical.digest(canonical.state_of(factory.ring, w["company"]))


def test_pages_and_who_may_ask(app, client, factory):
    w = small_world(factory)
    doc = get(client, factory, w["admin"], w["company"].uscc, "?page=2&page_size=1").get_json()
    assert [r["log_ref"] for r in doc["workers"]] == [w["workers"][1].log_ref] and doc["total"] == 2
    assert get(client, factory, w["other_admin"], w["company"].uscc).status_code == 404
    regulator = factory.regulator_for("housekeeping")
    assert get(client, factory, regulator, w["company"].uscc).status_code == 403
    assert client.get(f"/api/v1/companies/{w['company'].uscc}/states").status_code == 401


def test_ended_employments_are_not_included(app, client, factory):
    from registry.clock import today
    from registry.workers import services

    w = small_world(factory)
    services.end_employment(factory.ring, account=w["admin"], company=w["company"], worker=w["workers"][0],
                             end_date=today(), today=today())
    db.session.commit()
    doc = get(client, factory, w["admin"], w["company"].uscc).get_json()
    assert [r["log_ref"] for r in doc["workers"]] == [w["workers"][1].log_ref]
