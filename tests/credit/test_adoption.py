"""Adopting a credit-rules version (credit/adoption.py): one logged operation, one queued recompute of every score,
resumable after its process dies; the version in force is read from the database by every computation, so the
scores kept with each change use the new version the moment the adoption commits; refusals store nothing."""
from __future__ import annotations

import json
from datetime import date, datetime, time

import pytest
from sqlalchemy import func, select

from registry.clock import SHANGHAI
from registry.companies.models import Company
from registry.credit import adoption, services
from registry.credit import rules as credit_rules
from registry.credit.models import RulesAdoption
from registry.credit.score_models import CreditScore
from registry.errors import ApiError
from registry.extensions import db
from registry.log.models import LogEntry
from registry.tasks import services as tasks
from registry.tasks.models import Task
from registry.workers.models import Worker
from tests.support.creditutil import green_records, hire
from tests.support.importutil import run_queued_tasks
from tests.support.rulesutil import use_rules_folder

TODAY = date(2026, 6, 1)
REASON = "成市监信〔2026〕9号：信用积分规则第二版"


@pytest.fixture
def folder(app, monkeypatch, tmp_path):
    return use_rules_folder(app, monkeypatch, tmp_path / "rules", broken="default_months")


@pytest.fixture
def world(app, factory, clock, folder):
    """Three companies (one not verified) and five workers, their scores kept under v1: made once a run
    (`made_once`), each test starting from its rows and clock."""
    from tests.support.snapshot import world_once

    return world_once("credit_adoption", lambda: _world(factory, clock), factory=factory, clock=clock)


def _world(factory, clock):
    clock.freeze(TODAY)
    company, admin = factory.company()
    other, other_admin = factory.company(sectors=("property",))
    factory.company(verified=False)
    for seed in (1, 2, 3):
        hire(factory, company, admin.account, seed=seed, records=green_records(TODAY), today=TODAY)
    for seed in (4, 5):
        hire(factory, other, other_admin.account, seed=seed, today=TODAY)
    services.rebuild(TODAY)
    return company, admin.account


def log_count() -> int:
    db.session.rollback()
    return db.session.execute(select(func.count()).select_from(LogEntry)).scalar_one()


def table_counts() -> dict:
    db.session.rollback()
    return {t.name: db.session.execute(select(func.count()).select_from(t)).scalar_one()
            for t in db.metadata.sorted_tables}


def versions_kept() -> dict[tuple[str, int], str]:
    db.session.rollback()
    return {(k, i): v for k, i, v in db.session.execute(
        select(CreditScore.subject_kind, CreditScore.subject_id, CreditScore.rules_version))}


def ids(model) -> list[int]:
    return list(db.session.execute(select(model.id).order_by(model.id)).scalars())


def assert_all_computed_under(version: str, folder) -> None:
    """Every company's and worker's kept score is what `services.compute` gives under `version`'s file."""
    rules = credit_rules.load(version, folder)
    db.session.rollback()
    for kind, model in (("company", Company), ("worker", Worker)):
        expected = services.compute(kind, ids(model), today=TODAY, rules=rules)
        assert len(expected) == len(ids(model)) > 0
        for sid, score in expected.items():
            row = db.session.get(CreditScore, (kind, sid))
            assert (row.rules_version, row.points, row.grade) == (version, score.points, score.grade), (kind, sid)
            assert row.components == services.components_json(score)


def adopt(factory, version="v2", reason=REASON):
    done = adoption.adopt(factory.ring, actor=adoption.CLI_ACTOR, version=version, reason=reason)
    db.session.commit()
    return done


def test_with_no_adoption_the_version_in_code_is_in_force(world):
    assert adoption.adopted_version() == credit_rules.CURRENT_VERSION == "v1"
    assert set(versions_kept().values()) == {"v1"}


def test_adopting_v2_writes_one_entry_queues_one_task_and_the_task_recomputes_everything(world, factory, folder):
    before_log, before_tasks = log_count(), db.session.execute(select(func.count()).select_from(Task)).scalar_one()
    adopted = adopt(factory)
    assert log_count() == before_log + 1
    entry = db.session.get(LogEntry, adopted.recorded.seq)
    assert (entry.action, entry.subject) == ("credit_rules:adopt", adopted.adoption.log_ref)
    assert json.loads(entry.body)["actor"] == "cli"
    queued = db.session.execute(select(Task).where(Task.id > 0)).scalars().all()
    assert len(queued) == before_tasks + 1
    task = db.session.get(Task, adopted.task_id)
    assert (task.kind, task.state, task.args["version"]) == ("credit.recompute", "queued", "v2")
    row = db.session.get(RulesAdoption, adopted.adoption.id)
    assert (row.version, row.previous_version, row.reason) == ("v2", "v1", REASON)
    assert row.sha256 == credit_rules.file_sha256("v2", folder)
    assert adoption.adopted_version() == "v2"
    # Until the task runs, the kept scores still show v1 (fine, and documented).
    assert set(versions_kept().values()) == {"v1"}

    assert run_queued_tasks(factory.app) == 1
    # The recompute's batches write no entry: exactly one entry for the whole adoption.
    assert log_count() == before_log + 1
    assert_all_computed_under("v2", folder)
    task = db.session.get(Task, adopted.task_id)
    companies, workers = len(ids(Company)), len(ids(Worker))
    assert task.state == "done"
    assert (task.progress_done, task.progress_total) == (companies + workers, companies + workers)
    assert task.result == {"version": "v2", "companies": companies, "companies_total": companies,
                           "workers": workers, "workers_total": workers}
    # The new weights: a verified registration is worth 25, a worker's identity check 12.
    verified = next(c for row in db.session.execute(select(CreditScore)).scalars() for c in row.components
                    if c["kind"] == "verified")
    identity = next(c for row in db.session.execute(select(CreditScore)).scalars() for c in row.components
                    if c["kind"] == "identity_verified")
    assert (verified["points"], identity["points"]) == (25, 12)


def test_the_recompute_reports_its_progress_batch_by_batch(world, factory, app, monkeypatch):
    monkeypatch.setitem(app.config, "CREDIT_RECOMPUTE_BATCH", 2)
    adopted = adopt(factory)
    seen = []
    task = tasks.claim(adopted.task_id, "test", 60)

    def stop_requested():
        t = db.session.get(Task, adopted.task_id)
        seen.append((t.progress_done, t.progress_total, dict(t.cursor), t.result["companies"], t.result["workers"]))
        return False

    assert tasks.run_task(task, "test", stop_requested=stop_requested) == "done"
    # Workers 1–2, 3–4, 5, then companies 1–2, 3 (a company's staff share reads its staff's verdicts): committed
    # each with its progress and resume point.
    c = ids(Company)
    w = ids(Worker)
    assert seen == [(2, 8, {"kind": "worker", "after": w[1]}, 0, 2), (4, 8, {"kind": "worker", "after": w[3]}, 0, 4),
                    (5, 8, {"kind": "worker", "after": w[4]}, 0, 5), (7, 8, {"kind": "company", "after": c[1]}, 2, 5),
                    (8, 8, {"kind": "company", "after": c[2]}, 3, 5), (8, 8, {"kind": "company", "after": c[2]}, 3, 5)]


class Died(BaseException):
    """The jobs process killed right after a committed batch: nothing of it runs on, nothing is settled."""


def test_a_recompute_whose_process_dies_mid_way_resumes_after_its_last_batch(world, factory, app, monkeypatch,
                                                                               clock, folder):
    monkeypatch.setitem(app.config, "CREDIT_RECOMPUTE_BATCH", 2)
    adopted = adopt(factory)
    batches = []

    def dies_after_three_batches():
        batches.append(1)
        if len(batches) == 3:
            raise Died()
        return False

    task = tasks.claim(adopted.task_id, "doomed", 60)
    with pytest.raises(Died):
        tasks.run_task(task, "doomed", stop_requested=dies_after_three_batches)
    db.session.rollback()
    killed = db.session.get(Task, adopted.task_id)
    assert (killed.state, killed.lease_owner, killed.progress_done, killed.progress_total) == ("running", "doomed",
                                                                                                5, 8)
    assert killed.cursor == {"kind": "worker", "after": ids(Worker)[4]}
    kept = versions_kept()
    assert sorted(kept.values()).count("v2") == 5 and sorted(kept.values()).count("v1") == 3
    # Its lease runs out; the next jobs process takes the task over and finishes it from the resume point.
    clock.freeze(datetime.combine(TODAY, time(12, 10), SHANGHAI))
    assert run_queued_tasks(factory.app) == 1
    done = db.session.get(Task, adopted.task_id)
    assert (done.state, done.attempts, done.progress_done, done.progress_total) == ("done", 2, 8, 8)
    assert done.result["companies"] == 3 and done.result["workers"] == 5
    assert_all_computed_under("v2", folder)
    assert log_count() == adopted.recorded.seq + 1


def test_scores_kept_with_a_change_use_the_new_version_as_soon_as_the_adoption_commits(world, factory):
    company, admin = world
    adopt(factory)
    # No recompute has run: a change that feeds the company's score keeps it under v2 in its own commit.
    from registry.companies import services as companies

    companies.sign_pledge(factory.ring, account=admin, company=company, version=1)
    db.session.commit()
    kept = versions_kept()
    assert kept[("company", company.id)] == "v2"
    others = {k: v for k, v in kept.items() if k != ("company", company.id)}
    assert set(others.values()) == {"v1"}
    # The hourly refresh and the rebuild read the version in force too.
    services.rebuild(TODAY)
    assert set(versions_kept().values()) == {"v2"}


def test_adopting_back_the_previous_version_is_an_adoption_like_any(world, factory, folder):
    adopt(factory)
    back = adopt(factory, "v1", "回退：第二版暂缓执行")
    assert (back.adoption.previous_version, adoption.adopted_version()) == ("v2", "v1")
    run_queued_tasks(factory.app)
    assert_all_computed_under("v1", folder)


@pytest.mark.parametrize("version,reason,status,code,field", [
    ("v1", REASON, 409, "rules_already_adopted", None),
    ("v9", REASON, 422, "rules_version_unknown", "version"),
    ("2", REASON, 422, "rules_version_unknown", "version"),
    ("../v1", REASON, 422, "rules_version_unknown", "version"),
    ("v3", REASON, 422, "rules_invalid", "version"),
    ("v2", "   ", 422, "reason_missing", "reason"),
    ("v2", "理" * 501, 422, "reason_too_long", "reason"),
])
def test_refusals_store_nothing(world, factory, version, reason, status, code, field):
    before = table_counts()
    with pytest.raises(ApiError) as e:
        adoption.adopt(factory.ring, actor="cli", version=version, reason=reason)
    db.session.rollback()
    assert (e.value.status, e.value.code) == (status, code)
    if field:
        assert list(e.value.fields) == [field] and e.value.fields[field]["zh"] and e.value.fields[field]["en"]
    assert table_counts() == before


def test_an_invalid_file_is_refused_naming_the_key_at_fault(world, factory):
    with pytest.raises(ApiError) as e:
        adoption.adopt(factory.ring, actor="cli", version="v3", reason=REASON)
    assert e.value.fields["version"]["en"] == "v3.toml: default_months: missing"
    assert "default_months" in e.value.fields["version"]["zh"]


def test_a_file_whose_version_line_is_not_its_name_is_invalid_not_unknown(world, factory, folder):
    """v2 copied to v4.toml with its `version` line left as it was: the file exists and fails its check there."""
    (folder / "v4.toml").write_bytes((folder / "v2.toml").read_bytes())
    with pytest.raises(ApiError) as e:
        adoption.adopt(factory.ring, actor="cli", version="v4", reason=REASON)
    assert e.value.code == "rules_invalid" and e.value.fields["version"]["en"].startswith("v4.toml: version: ")


def test_a_reason_with_a_phone_number_is_published_masked(world, factory):
    adopted = adoption.adopt(factory.ring, actor="cli", version="v2", reason="依据 13800138000 来电所述的决定")
    assert "13800138000" not in adopted.adoption.reason and "138" in adopted.adoption.reason


def test_adopting_the_version_just_adopted_is_refused(world, factory):
    adopt(factory)
    with pytest.raises(ApiError) as e:
        adoption.adopt(factory.ring, actor="cli", version="v2", reason=REASON)
    assert (e.value.status, e.value.code) == (409, "rules_already_adopted")


def test_the_status_lists_versions_adoptions_and_the_recompute(world, factory):
    view = adoption.status_view()
    assert view["in_force"] == {"version": "v1", "adopted_dt": None, "by_adoption": False}
    assert [(v["version"], v["in_force"], v["valid"]) for v in view["versions"]] == [
        ("v1", True, True), ("v2", False, True), ("v3", False, False)]
    assert view["versions"][2]["problem"] == "default_months: missing"
    assert view["adoptions"] == [] and view["recompute"] is None
    adopted = adopt(factory)
    view = adoption.status_view()
    assert view["in_force"]["version"] == "v2" and view["in_force"]["by_adoption"]
    assert [a["version"] for a in view["adoptions"]] == ["v2"]
    assert view["recompute"]["task_id"] == adopted.task_id and view["recompute"]["state"] == "queued"
    run_queued_tasks(factory.app)
    view = adoption.status_view()
    assert view["recompute"]["state"] == "done" and view["recompute"]["progress"]["percent"] == 100


def test_the_api_shows_the_rules_to_anyone_and_lets_an_operator_adopt(world, factory, client):
    from tests.support.factory import bearer

    resp = client.get("/api/v1/credit/rules")
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["in_force"]["version"] == "v1" and body["code_version"] == "v1"
    ops = factory.agency(kind="operator", sector=None, code="ops")
    operator = factory.agency_user(ops, role="operator_admin").account
    token = factory.token(operator)
    resp = client.post("/api/v1/credit/rules/adoptions", json={"version": "v2", "reason": REASON},
                       headers=bearer(token))
    assert resp.status_code == 201, resp.get_json()
    out = resp.get_json()
    assert (out["version"], out["previous_version"]) == ("v2", "v1")
    assert json.loads(db.session.get(LogEntry, out["log_index"]).body)["actor"] == operator.ref
    progress = client.get(f"/api/v1/tasks/{out['task_id']}", headers=bearer(token)).get_json()
    assert progress["kind"] == "credit.recompute" and progress["state"] == "queued"
    again = client.post("/api/v1/credit/rules/adoptions", json={"version": "v2", "reason": REASON},
                        headers=bearer(token))
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "rules_already_adopted"
    invalid = client.post("/api/v1/credit/rules/adoptions", json={"version": "v3", "reason": REASON},
                          headers=bearer(token))
    assert invalid.status_code == 422 and "default_months" in invalid.get_json()["error"]["fields"]["version"]["en"]
    body = client.get("/api/v1/credit/rules").get_json()
    assert body["in_force"]["version"] == "v2" and body["recompute"]["task_id"] == out["task_id"]
    assert "adopted_by" not in body["adoptions"][0]


def test_the_operators_page_adopts_and_shows_the_recompute(world, factory, client):
    from tests.support.webutil import login, post_form, text

    ops = factory.agency(kind="operator", sector=None, code="ops")
    operator = factory.agency_user(ops, role="operator_admin")
    login(client, operator.account.login, operator.password, operator.totp_secret)
    page = client.get("/admin/credit/rules")
    assert page.status_code == 200
    assert 'id="version-in-force">v1<' in text(page) and 'value="v2"' in text(page) and 'value="v3"' not in text(page)
    before = log_count()
    refused = post_form(client, "/admin/credit/rules", {"version": "v2", "reason": ""})
    assert refused.status_code == 422 and log_count() == before
    assert 'id="reason-error"' in text(refused)
    resp = post_form(client, "/admin/credit/rules", {"version": "v2", "reason": REASON})
    assert resp.status_code == 302
    page = text(client.get("/admin/credit/rules"))
    assert 'id="version-in-force">v2<' in page and 'data-state="queued"' in page and "http-equiv" in page
    run_queued_tasks(factory.app)
    page = text(client.get("/admin/credit/rules"))
    assert 'data-state="done"' in page and "http-equiv" not in page


def test_a_regulator_may_not_open_the_operators_page(world, factory, client):
    from tests.support.webutil import login

    hk = factory.agency(sector="housekeeping", code="hk2")
    reg = factory.agency_user(hk, role="regulator_admin")
    login(client, reg.account.login, reg.password, reg.totp_secret)
    assert client.get("/admin/credit/rules").status_code in (403, 404)


def test_the_cli_adopts_and_recomputes_here(world, factory, runner, folder):
    result = runner.invoke(args=["credit", "adopt", "v2", "--reason", REASON])
    assert result.exit_code == 0, result.output
    assert "adopted credit rules v2 (was v1)" in result.output
    assert_all_computed_under("v2", folder)
    again = runner.invoke(args=["credit", "adopt", "v2", "--reason", REASON])
    assert again.exit_code == 1 and "already the credit rules version in force" in again.output
    queued = runner.invoke(args=["credit", "adopt", "v1", "--reason", "回退", "--queue"])
    assert queued.exit_code == 0 and "queued as task" in queued.output
    shown = runner.invoke(args=["credit", "rules"])
    assert shown.exit_code == 0 and "in force: v1" in shown.output and "v2 -> v1" in shown.output
