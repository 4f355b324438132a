"""The operators' task page: queued, running and failed tasks with their company and error in the page's language,
and a retry button (POST with CSRF) that puts a failed task back in the queue."""
from __future__ import annotations

from sqlalchemy import func, select

from registry.extensions import db
from registry.log.models import LogEntry
from registry.tasks import services
from registry.tasks.models import Task
from tests.support.webutil import csrf, login, text


def operator_client(app, factory):
    operator = factory.agency(kind="operator", sector=None, code="ops")
    admin = factory.agency_user(operator, role="operator_admin")
    c = app.test_client()
    assert login(c, admin.account.login, admin.password, admin.totp_secret).status_code == 302
    return c


def add_task(state: str, owner_ref: str | None, *, kind: str = "staff.import", error: dict | None = None) -> int:
    task = Task(kind=kind, args={"file_id": 1}, state=state, attempts=3 if state == "failed" else 0,
                progress_done=40, progress_total=100, error=error, created_by="a" * 32, owner_ref=owner_ref)
    db.session.add(task)
    db.session.commit()
    return task.id


def test_operators_see_open_tasks_with_company_and_error_in_their_language(app, factory):
    company, _admin = factory.company()
    name, uscc, ref = company.name, company.uscc, company.log_ref
    failed = add_task("failed", ref, error=services.TASK_FAILED.as_error(type="OperationalError"))
    queued = add_task("queued", ref, kind="card_print")
    done = add_task("done", ref)
    c = operator_client(app, factory)

    page = text(c.get("/admin/tasks?lang=zh"))
    assert f'id="task-{failed}"' in page and f'id="task-{queued}"' in page
    assert f'id="task-{done}"' not in page, "a finished task needs nothing from an operator"
    assert name in page and uscc in page
    assert "从业人员导入" in page and "任务执行出错（OperationalError）。" in page and "40 / 100" in page
    assert page.index(f'id="task-{failed}"') < page.index(f'id="task-{queued}"'), "failed ones first"
    english = text(c.get("/admin/tasks?lang=en"))
    assert "The task failed (OperationalError)." in english and "任务执行出错" not in english
    assert "Staff import" in english and "Card print run" in english


def test_retry_puts_a_failed_task_back_without_a_log_entry(app, factory):
    company, _admin = factory.company()
    task_id = add_task("failed", company.log_ref, error=services.TASK_FAILED.as_error(type="OperationalError"))
    c = operator_client(app, factory)
    entries = db.session.scalar(select(func.count()).select_from(LogEntry))

    assert c.post(f"/admin/tasks/{task_id}/retry").status_code == 400, "CSRF required"
    token = csrf(c, "/admin/tasks")
    resp = c.post(f"/admin/tasks/{task_id}/retry?lang=en", data={"csrf_token": token})
    assert resp.status_code == 302 and resp.headers["Location"] == "/admin/tasks?lang=en"
    db.session.rollback()
    task = db.session.get(Task, task_id)
    assert (task.state, task.error, task.attempts) == ("queued", None, 0)
    assert task.progress_done == 40, "a retry resumes where the task stopped"
    assert db.session.scalar(select(func.count()).select_from(LogEntry)) == entries
    assert f"Task #{task_id} is queued again." in text(c.get("/admin/tasks?lang=en"))

    # Only a failed task can be retried: said on the page, nothing changed.
    resp = c.post(f"/admin/tasks/{task_id}/retry?lang=en", data={"csrf_token": token}, follow_redirects=True)
    assert "Only a failed task can be retried." in text(resp)
    db.session.rollback()
    assert db.session.get(Task, task_id).state == "queued"
    assert c.post("/admin/tasks/999999/retry", data={"csrf_token": token}).status_code == 404


def test_the_task_page_is_for_operators_only(app, factory):
    company, admin = factory.company()
    task_id = add_task("failed", company.log_ref, error=services.TASK_FAILED.as_error(type="OperationalError"))
    c = app.test_client()
    assert login(c, admin.account.login, admin.password).status_code == 302
    assert c.get("/admin/tasks").status_code == 403
    token = csrf(c, "/company")
    assert c.post(f"/admin/tasks/{task_id}/retry", data={"csrf_token": token}).status_code == 403
    db.session.rollback()
    assert db.session.get(Task, task_id).state == "failed"


def test_the_task_page_is_a_page_like_the_others(app, factory):
    # It was missing from the list of page blueprints: cached, deaf to ?lang= on redirects, and open to an
    # operator who must first change their password.
    from registry.accounts.models import Account

    c = operator_client(app, factory)
    assert c.get("/admin/tasks").headers["Cache-Control"] == "no-store"
    failed = add_task("failed", None)
    back = c.post(f"/admin/tasks/{failed}/retry?lang=en", data={"csrf_token": csrf(c, "/admin/tasks")})
    assert back.status_code == 302 and back.headers["Location"] == "/admin/tasks?lang=en"
    for account in db.session.execute(select(Account)).scalars():
        account.must_change_password = True
    db.session.commit()
    assert c.get("/admin/tasks").headers["Location"] == "/account/password"
