"""The operator's commands, the notification outbox, and /healthz's one query."""
import json

from sqlalchemy import event, select

from registry.extensions import db
from registry.log.models import LogEntry


def test_create_agency_and_admin_from_the_cli(runner, client):
    result = runner.invoke(args=["agencies", "create", "cd-test", "--name-zh", "测试局", "--name-en", "Test bureau",
                                 "--kind", "regulator", "--sector", "property"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["agencies", "add-user", "cd-test", "new-admin", "--name", "冯主任",
                                 "--role", "regulator_admin"])
    assert result.exit_code == 0, result.output
    made = json.loads(result.stdout)
    assert made["temporary_password"] and made["totp_secret"]
    actions = db.session.execute(select(LogEntry.action).order_by(LogEntry.seq)).scalars().all()
    assert actions == ["agency:create", "agency:user:add"]
    # The same login again is refused with the reason, and nothing is stored.
    again = runner.invoke(args=["agencies", "add-user", "cd-test", "new-admin", "--name", "冯", "--role", "regulator"])
    assert again.exit_code != 0 and "taken" in again.output
    assert len(db.session.execute(select(LogEntry.seq)).all()) == 2


def test_tokens_issue_list_revoke_from_the_cli(runner, client, factory):
    _company, admin = factory.company()
    login = admin.account.login
    result = runner.invoke(args=["tokens", "issue", login, "ops"])
    assert result.exit_code == 0, result.output
    raw = result.stdout.strip()
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 200
    listing = runner.invoke(args=["tokens", "list", login]).stdout
    assert "ops" in listing and raw not in listing
    token_id = next(line.split("\t")[0] for line in listing.splitlines() if "\tops\t" in line)
    assert runner.invoke(args=["tokens", "revoke", login, token_id]).exit_code == 0
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 401


def test_tokens_list_without_a_login_lists_every_account_s_tokens(runner, factory):
    assert runner.invoke(args=["tokens", "list"]).exit_code == 0
    assert "no tokens" in runner.invoke(args=["tokens", "list"]).stderr
    _c1, first = factory.company()
    _c2, second = factory.company()
    raw_a = factory.token(first.account, name="ops-a")
    raw_b = factory.token(second.account, name="ops-b")
    revoked_id = next(t.id for t in second.account.tokens)
    assert runner.invoke(args=["tokens", "revoke", second.account.login, str(revoked_id)]).exit_code == 0

    result = runner.invoke(args=["tokens", "list"])
    assert result.exit_code == 0, result.output
    lines = [line.split("\t") for line in result.stdout.splitlines()]
    by_name = {cols[2]: cols for cols in lines}
    assert set(by_name) == {"ops-a", "ops-b"}
    assert by_name["ops-a"][3] == first.account.login and by_name["ops-b"][3] == second.account.login
    assert by_name["ops-a"][5] == "active" and by_name["ops-b"][5].startswith("revoked ")
    assert all(cols[4].startswith("created ") and cols[6] == "last used never" for cols in lines)
    assert raw_a not in result.stdout and raw_b not in result.stdout
    # With a login, only that account's.
    only = runner.invoke(args=["tokens", "list", first.account.login]).stdout
    assert "ops-a" in only and "ops-b" not in only


def test_notifications_reach_the_outbox_sealed(app, runner, factory):
    from registry.notify import services

    services.send(factory.ring, services.Message(kind="activation_code", recipient="+8613912345678",
                                                 text="家信激活码 482913"))
    db.session.commit()
    raw = db.session.execute(select(services.OutboxMessage.recipient_enc, services.OutboxMessage.text_enc)).one()
    assert "13912345678" not in "".join(raw) and "482913" not in "".join(raw)
    out = runner.invoke(args=["outbox", "list"]).stdout
    assert "+8613912345678" in out and "482913" in out
    # Only operators read it.
    ops = factory.agency(kind="operator", sector=None)
    operator = factory.agency_user(ops, role="operator_admin").account
    resp = app.test_client().get("/api/v1/outbox", headers={"Authorization": f"Bearer {factory.token(operator)}"})
    assert [m["text"] for m in resp.get_json()] == ["家信激活码 482913"]


def test_healthz_runs_exactly_one_select_1(app, client):
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert client.get("/healthz").status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert [s for s in statements if not s.upper().startswith(("BEGIN", "PRAGMA"))] == ["SELECT 1"]
