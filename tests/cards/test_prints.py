"""Printing many cards: refused up front when a number is wrong, then a queued task that issues what is missing
(one log entry each), skips red workers, renders one PDF with a page per card, and issues nothing twice."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from registry.cards import services
from registry.cards.models import Card, CardPrint
from registry.extensions import db
from registry.log.models import LogEntry
from registry.tasks.models import Task
from tests.support.cardutil import make_red, read_pdf, staff
from tests.support.factory import bearer
from tests.support.importutil import run_queued_tasks


def count(model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def actions_since(seq: int) -> list[str]:
    return list(db.session.execute(select(LogEntry.action).where(LogEntry.seq >= seq).order_by(LogEntry.seq))
                .scalars())


@pytest.fixture
def world(app, factory):
    """Four staff: two without a card, one holding a current card, one red."""
    s = staff(factory, 4)
    s.token = factory.token(s.admin)
    services.issue_card(factory.ring, account=s.admin, company=s.company, worker=s.workers[2], today=s.today)
    db.session.commit()
    make_red(factory, s, s.workers[3])
    return s


def queue(client, world, body, token=None):
    return client.post(f"/api/v1/companies/{world.company.uscc}/card-prints", json=body,
                       headers=bearer(token or world.token))


def pdf_of(client, world, task_id, token=None):
    return client.get(f"/api/v1/companies/{world.company.uscc}/card-prints/{task_id}/pdf",
                      headers=bearer(token or world.token))


def test_a_print_run_issues_the_missing_cards_and_prints_one_pdf(app, client, world):
    before = count(LogEntry)
    resp = queue(client, world, {"card_nos": world.card_nos})
    assert resp.status_code == 202, resp.get_json()
    task_id = resp.get_json()["task_id"]
    assert set(resp.get_json()) == {"task_id"}
    db.session.rollback()
    assert count(LogEntry) == before  # queuing writes nothing to the log
    assert pdf_of(client, world, task_id).status_code == 404  # not until it is done
    # The company follows the task's progress.
    progress = client.get(f"/api/v1/tasks/{task_id}", headers=bearer(world.token))
    assert progress.status_code == 200 and progress.get_json()["state"] == "queued"

    assert run_queued_tasks(app) == 1
    # One entry per card issued: the two workers without one; the card holder keeps hers, the red one gets none.
    assert actions_since(before) == ["card:issue", "card:issue"]
    assert [services.latest_serial(w.id) for w in world.workers] == [1, 1, 1, None]
    task = db.session.get(Task, task_id)
    assert task.state == "done"
    assert task.result == {"phase": "done", "issued": 2, "cards": 3,
                           "skipped": [{"card_no": world.card_nos[3], "reason": "red"}]}
    resp = pdf_of(client, world, task_id)
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    facts = read_pdf(resp.data)
    assert len(facts.page_sizes_mm) == 3
    for worker in world.workers[:3]:
        assert worker.name_masked in facts.text, facts.text  # the whole text, should it ever differ
    for real in world.names:
        assert real not in facts.text

    # Again: nothing new is issued, the same three cards are printed.
    seq = count(LogEntry)
    again = queue(client, world, {"card_nos": world.card_nos}).get_json()["task_id"]
    run_queued_tasks(app)
    assert count(LogEntry) == seq and count(Card) == 3
    assert len(read_pdf(pdf_of(client, world, again).data).page_sizes_mm) == 3


def test_all_active_staff(app, client, world, factory):
    from registry.workers.services import end_employment

    end_employment(factory.ring, account=world.admin, company=world.company, worker=world.workers[1],
                   end_date=world.today, today=world.today)
    db.session.commit()
    task_id = queue(client, world, {"all_active": True}).get_json()["task_id"]
    run_queued_tasks(app)
    assert services.latest_serial(world.workers[0].id) == 1
    assert services.latest_serial(world.workers[1].id) is None  # no longer on the staff
    assert db.session.get(Task, task_id).result["cards"] == 2


def test_wrong_numbers_are_refused_up_front_each_named(client, factory, world):
    other = staff(factory, 1, seed=42)
    number = world.card_nos[0]
    typo = number[:-1] + ("A" if number[-1] != "A" else "B")
    tasks = count(Task)
    resp = queue(client, world, {"card_nos": [world.card_nos[1], typo, other.card_nos[0], "nonsense"]})
    assert resp.status_code == 422
    error = resp.get_json()["error"]
    assert error["code"] == "card_nos_refused" and error["message"]["zh"]
    assert set(error["fields"]) == {"card_nos.1", "card_nos.2", "card_nos.3"}
    assert other.card_nos[0] in error["fields"]["card_nos.2"]["en"]
    assert all(f["zh"] and f["en"] for f in error["fields"].values())
    db.session.rollback()
    assert count(Task) == tasks  # nothing queued


@pytest.mark.parametrize("body,field", [
    ({}, "card_nos"),
    ({"card_nos": []}, "card_nos"),
    ({"card_nos": ["x"], "all_active": True}, "all_active"),
    ({"all_active": False}, "card_nos"),
    ({"card_nos": "JX"}, "card_nos"),
])
def test_the_body_names_what_is_wrong(client, world, body, field):
    resp = queue(client, world, body)
    assert resp.status_code == 422, resp.get_json()
    assert field in resp.get_json()["error"]["fields"], resp.get_json()


def test_only_members_queue_and_download(app, client, factory, world):
    _other, other_admin = factory.company()
    stranger = factory.token(other_admin.account)
    regulator = factory.token(factory.regulator_for("housekeeping"))
    assert queue(client, world, {"card_nos": world.card_nos[:1]}, token=stranger).status_code == 404
    assert queue(client, world, {"card_nos": world.card_nos[:1]}, token=regulator).status_code == 403
    task_id = queue(client, world, {"card_nos": world.card_nos[:1]}).get_json()["task_id"]
    run_queued_tasks(app)
    assert pdf_of(client, world, task_id).status_code == 200
    assert pdf_of(client, world, task_id, token=stranger).status_code == 404
    assert pdf_of(client, world, task_id + 100).status_code == 404


def test_a_stopped_run_resumes_without_issuing_twice(app, client, world):
    """Stopped after its first committed batch, the run goes back to the queue and finishes where it stopped."""
    from registry.tasks.services import claim, run_task

    app.config["CARD_PRINT_BATCH"] = 1
    try:
        before = count(LogEntry)
        task_id = queue(client, world, {"card_nos": world.card_nos}).get_json()["task_id"]
        db.session.rollback()
        assert run_task(claim(task_id, "w1", 60), "w1", stop_requested=lambda: True) == "queued"
        db.session.rollback()
        assert actions_since(before) == ["card:issue"]
        assert db.session.get(Task, task_id).progress_done == 1
        assert run_queued_tasks(app) == 1
    finally:
        app.config.pop("CARD_PRINT_BATCH")
    assert actions_since(before) == ["card:issue", "card:issue"]
    assert count(Card) == 3
    found = db.session.execute(select(CardPrint).where(CardPrint.task_id == task_id)).scalar_one()
    assert found.cards == 3 and found.company_id == world.company.id


def test_a_run_has_a_size_limit_and_needs_staff(client, factory, world, monkeypatch):
    from registry.cards import print_runs

    monkeypatch.setattr(print_runs, "MAX_CARDS", 3)
    tasks = count(Task)
    resp = queue(client, world, {"card_nos": world.card_nos})
    assert resp.status_code == 422 and "card_nos" in resp.get_json()["error"]["fields"]
    resp = queue(client, world, {"all_active": True})
    assert resp.status_code == 422 and resp.get_json()["error"]["code"] == "too_many_cards"
    assert "all_active" in resp.get_json()["error"]["fields"]
    empty = staff(factory, 0, seed=3)
    token = factory.token(empty.admin)
    resp = client.post(f"/api/v1/companies/{empty.company.uscc}/card-prints", json={"all_active": True},
                       headers=bearer(token))
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "no_active_staff"
    db.session.rollback()
    assert count(Task) == tasks
