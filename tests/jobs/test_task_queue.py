"""The task queue in one process: enqueue, claim, run in batches, fail, reclaim, retry."""
from __future__ import annotations

import json
import logging
import threading
import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from registry.clock import now as utcnow
from registry.errors import ApiError
from registry.extensions import db
from registry.tasks import services
from registry.tasks.cli import tasks_cli
from registry.tasks.models import Task
from registry.tasks.services import (
    MAX_ATTEMPTS,
    LeaseLost,
    TaskContext,
    claim_next,
    enqueue,
    reclaim_expired,
    run_task,
    task_handler,
)
from tests.support import jiaxin_sample_tasks

ACTOR = "a" * 32


@task_handler("test.stolen")
def _stolen(ctx: TaskContext) -> None:
    """Lose the lease mid-batch, as if another process had taken the task over."""
    db.session.execute(update(Task).where(Task.id == ctx.task_id).values(lease_owner="thief"))
    db.session.commit()
    enqueue("sample.count", {"n": 1}, actor_ref=ACTOR)  # this batch's work
    ctx.commit_batch(1, 2, 1)


@task_handler("test.long_batches")
def _long_batches(ctx: TaskContext) -> None:
    """Two batches, each working `sleep` seconds before it writes (holding no transaction meanwhile, so on SQLite
    too another process may try to claim the task)."""
    for done in range(ctx.cursor or 0, 2):
        db.session.commit()
        time.sleep(ctx.args["sleep"])
        ctx.commit_batch(done + 1, 2, done + 1, result={"items": list(range(done + 1))})


def _enqueue(kind="sample.count", args=None, **kw) -> int:
    task = enqueue(kind, {"n": 5, "batch": 2} if args is None else args, actor_ref=ACTOR, **kw)
    db.session.commit()
    return task.id


def _running(attempts: int, lease_age: timedelta) -> int:
    task = Task(
        kind="sample.count", args={"n": 1}, state="running", attempts=attempts, created_by=ACTOR,
        lease_owner="gone", lease_until_dt=utcnow() - lease_age,
    )
    db.session.add(task)
    db.session.commit()
    return task.id


def test_enqueue_refuses_an_unknown_kind(app):
    with pytest.raises(ValueError):
        enqueue("no.such.kind", {}, actor_ref=ACTOR)


def test_claim_run_and_progress_view(app):
    tid = _enqueue(owner_ref="c" * 32)
    queued = services.progress_view(services.get(tid))
    assert queued["state"] == "queued"
    assert queued["progress"] == {"done": 0, "total": None, "percent": None}
    assert queued["finished_dt"] is None

    task = claim_next("w1", 60)
    assert (task.id, task.state, task.attempts, task.lease_owner) == (tid, "running", 1, "w1")
    assert task.started_dt is not None
    assert claim_next("w2", 60) is None

    assert run_task(task, "w1") == "done"
    task = services.get(tid)
    assert (task.lease_owner, task.lease_until_dt, task.cursor) == (None, None, 5)
    view = services.progress_view(task)
    assert {k: view[k] for k in ("id", "kind", "state", "progress", "result", "error")} == {
        "id": tid,
        "kind": "sample.count",
        "state": "done",
        "progress": {"done": 5, "total": 5, "percent": 100},
        "result": {"items": [0, 1, 2, 3, 4]},
        "error": None,
    }
    assert "args" not in view
    for key in ("created_dt", "finished_dt"):
        assert view[key].endswith("Z")
        assert datetime.fromisoformat(view[key]).utcoffset() == timedelta(0)


def test_percent_of_a_task_part_done(app):
    task = Task(kind="sample.count", args={}, state="running", progress_done=2, progress_total=5, created_by=ACTOR)
    assert services.progress_view(task)["progress"] == {"done": 2, "total": 5, "percent": 40}


def test_claims_the_oldest_task_first(app):
    first, second = _enqueue(), _enqueue()
    assert claim_next("w", 60).id == first
    assert claim_next("w", 60).id == second


def test_failing_handler_fails_after_max_attempts_with_a_sanitized_error(app, caplog):
    caplog.set_level(logging.INFO)
    tid = _enqueue("sample.boom", {})
    for attempt in range(1, MAX_ATTEMPTS + 1):
        task = claim_next("w", 60)
        assert (task.id, task.attempts) == (tid, attempt)
        assert run_task(task, "w") == ("failed" if attempt == MAX_ATTEMPTS else "queued")
    assert claim_next("w", 60) is None

    task = services.get(tid)
    assert task.state == "failed" and task.finished_dt is not None
    assert task.error["code"] == "task_failed"
    assert "RuntimeError" in task.error["message"]["en"] and task.error["message"]["zh"]
    stored = json.dumps(task.error, ensure_ascii=False)
    for leak in (jiaxin_sample_tasks.SECRET, "110101199003078888", "could not process"):
        assert leak not in stored
    # The log keeps the frames (source lines) but never the exception's text.
    assert jiaxin_sample_tasks.SECRET not in caplog.text
    assert "RuntimeError" in caplog.text


def test_a_kind_without_handler_fails_at_once(app):
    task = Task(kind="retired.kind", args={}, created_by=ACTOR)
    db.session.add(task)
    db.session.commit()
    assert run_task(claim_next("w", 60), "w") == "failed"
    task = services.get(task.id)
    assert (task.state, task.attempts, task.error["code"]) == ("failed", 1, "unknown_task_kind")


def test_an_expired_lease_is_claimed_again(app):
    tid = _enqueue()
    claim_next("dead", 60)
    assert claim_next("w2", 60) is None, "a live lease is respected"

    db.session.execute(update(Task).where(Task.id == tid).values(lease_until_dt=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    task = claim_next("w2", 60)
    assert (task.id, task.lease_owner, task.attempts) == (tid, "w2", 2)


@pytest.mark.parametrize("beats", [True, False])
def test_a_batch_longer_than_the_lease_keeps_its_task_while_the_heartbeat_beats(app, beats, monkeypatch):
    """A live holder's heartbeat renews the lease, so no other process takes the task over during a batch longer
    than the lease; without the heartbeat (a dead process's) the lease lapses and another process claims it."""
    if not beats:
        monkeypatch.setattr(services.Heartbeat, "_beat", lambda self: None)
    lease = 0.8
    tid = _enqueue("test.long_batches", {"sleep": 3 * lease})
    outcome: list = []

    def holder() -> None:
        with app.app_context():
            outcome.append(run_task(claim_next("w1", lease), "w1", lease_seconds=lease))

    def another_process() -> None:
        # As a second jobs process would: its own thread and transaction.
        with app.app_context():
            taken = claim_next("w2", 60)
            outcome.append(None if taken is None else taken.id)

    worker = threading.Thread(target=holder)
    worker.start()
    try:
        time.sleep(2 * lease)  # inside the first batch, the lease twice over
        other = threading.Thread(target=another_process)
        other.start()
        other.join(timeout=30)
    finally:
        worker.join(timeout=30)
    db.session.rollback()
    task = services.get(tid)
    if beats:
        # Nothing to take; the holder finishes both batches.
        assert outcome == [None, "done"] and (task.state, task.result["items"]) == ("done", [0, 1])
    else:
        # Taken over; the holder's next commit finds its lease lost and stores nothing.
        assert outcome == [tid, "lost"] and (task.state, task.lease_owner) == ("running", "w2")


def test_a_heartbeat_stops_when_its_task_is_no_longer_its_owners(app):
    tid = _enqueue()
    claim_next("w1", 60)
    assert services.renew_lease(tid, "w1", 60)
    assert not services.renew_lease(tid, "someone-else", 60)
    db.session.execute(update(Task).where(Task.id == tid).values(state="done"))
    db.session.commit()
    assert not services.renew_lease(tid, "w1", 60)


def test_an_expired_task_out_of_attempts_is_left_to_reclaim(app):
    _running(MAX_ATTEMPTS, timedelta(seconds=1))
    assert claim_next("w", 60) is None


def test_reclaim_requeues_dead_tasks_and_fails_exhausted_ones(app):
    dead = _running(1, timedelta(minutes=5))
    exhausted = _running(MAX_ATTEMPTS, timedelta(minutes=5))
    recent = _running(1, timedelta(seconds=5))

    assert reclaim_expired(grace_seconds=60) == {"requeued": 1, "failed": 1}
    db.session.commit()
    states = dict(db.session.execute(select(Task.id, Task.state)).all())
    assert states == {dead: "queued", exhausted: "failed", recent: "running"}
    assert services.get(exhausted).error["code"] == "task_abandoned"
    assert services.get(dead).lease_owner is None


def test_commit_batch_raises_lease_lost_once_another_owner_holds_the_task(app):
    tid = _enqueue()
    task = claim_next("w1", 60)
    db.session.execute(update(Task).where(Task.id == tid).values(lease_owner="w2"))
    db.session.commit()

    with pytest.raises(LeaseLost):
        TaskContext(task, "w1", 60, lambda: False).commit_batch(1, 5, 1)
    task = services.get(tid)
    assert (task.lease_owner, task.progress_done, task.cursor) == ("w2", 0, None)


def test_run_task_drops_the_batch_of_a_lost_lease(app):
    tid = _enqueue("test.stolen", {})
    assert run_task(claim_next("w1", 60), "w1") == "lost"
    task = services.get(tid)
    assert (task.state, task.lease_owner, task.progress_done, task.error) == ("running", "thief", 0, None)
    assert db.session.scalars(select(Task.id)).all() == [tid], "the lost batch's work was rolled back"


def test_an_interrupted_task_is_requeued_and_resumes_from_its_cursor(app):
    tid = _enqueue(args={"n": 5, "batch": 2})
    assert run_task(claim_next("w", 60), "w", stop_requested=lambda: True) == "queued"
    task = services.get(tid)
    assert (task.state, task.progress_done, task.cursor, task.attempts, task.lease_owner) == ("queued", 2, 2, 0, None)

    assert run_task(claim_next("w", 60), "w") == "done"
    assert services.get(tid).result == {"items": [0, 1, 2, 3, 4]}


def test_retry_puts_a_failed_task_back_in_the_queue(app):
    tid = _enqueue("sample.boom", {})
    for _ in range(MAX_ATTEMPTS):
        run_task(claim_next("w", 60), "w")

    task = services.retry(tid)
    db.session.commit()
    assert (task.state, task.error, task.attempts, task.finished_dt) == ("queued", None, 0, None)
    with pytest.raises(ApiError) as refused:
        services.retry(tid)
    assert refused.value.code == "task_not_failed"
    with pytest.raises(ApiError) as missing:
        services.retry(tid + 1)
    assert missing.value.status == 404


def test_list_tasks_newest_first_and_by_state(app):
    first, second = _enqueue(), _enqueue()
    run_task(claim_next("w", 60), "w")
    assert [t.id for t in services.list_tasks()] == [second, first]
    assert [t.id for t in services.list_tasks(state="done")] == [first]
    assert [t.id for t in services.list_tasks(limit=1)] == [second]


def test_cli_list_says_when_the_queue_is_empty(app, runner):
    empty = runner.invoke(tasks_cli, ["list"])
    assert empty.exit_code == 0
    assert empty.stdout == "" and "no tasks" in empty.stderr and "没有任务" in empty.stderr
    _enqueue()
    none_failed = runner.invoke(tasks_cli, ["list", "--state", "failed"])
    assert none_failed.stdout == "" and "no failed tasks" in none_failed.stderr
    assert "no tasks" not in runner.invoke(tasks_cli, ["list"]).stderr


def test_cli_lists_shows_and_retries(app, runner):
    done = _enqueue()
    run_task(claim_next("w", 60), "w")
    failed = _enqueue("sample.boom", {})
    for _ in range(MAX_ATTEMPTS):
        run_task(claim_next("w", 60), "w")

    listing = runner.invoke(tasks_cli, ["list"])
    assert listing.exit_code == 0, listing.output
    assert [line.split("\t")[:4] for line in listing.output.splitlines()] == [
        [str(failed), "sample.boom", "failed", "0/?"],
        [str(done), "sample.count", "done", "5/5"],
    ]
    assert runner.invoke(tasks_cli, ["list", "--state", "done"]).output.startswith(f"{done}\t")

    shown = runner.invoke(tasks_cli, ["show", str(failed)])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output)["error"]["code"] == "task_failed"

    assert runner.invoke(tasks_cli, ["retry", str(failed)]).exit_code == 0
    assert services.get(failed).state == "queued"
    again = runner.invoke(tasks_cli, ["retry", str(failed)])
    assert again.exit_code == 1 and "Only a failed task" in again.output
    assert runner.invoke(tasks_cli, ["show", "999"]).exit_code == 1
