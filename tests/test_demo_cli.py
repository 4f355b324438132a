"""`flask demo --json`: the demo data and its one JSON object on stdout."""
import json

import pyotp


def test_demo_json_lists_every_account_with_a_working_token(app, runner, client):
    result = runner.invoke(args=["demo", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    roles = {a["role"] for a in data["accounts"]}
    assert roles == {"company_admin", "company_user", "regulator", "regulator_admin", "operator_admin"}
    for account in data["accounts"]:
        assert ("company_uscc" in account) != ("agency" in account)
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {account['token']}"})
        assert me.status_code == 200
        assert me.get_json()["login"] == account["login"]
        if account["role"] in ("regulator", "regulator_admin", "operator_admin"):
            assert pyotp.TOTP(account["totp_secret"]).now().isdigit()
        else:
            assert account["totp_secret"] is None
    workers = data["workers"]
    assert 45 <= len({w["card_no"] for w in workers}) <= 60
    by_uscc = {c["uscc"]: c for c in data["companies"]}
    assert all(by_uscc[w["company_uscc"]]["status"] == "verified" for w in workers)
    # Some people work for two companies at once: one card number, two rows.
    assert len(workers) > len({w["card_no"] for w in workers})
    statuses = {c["status"] for c in data["companies"]}
    assert statuses == {"verified", "pending"}
    assert {s for c in data["companies"] for s in c["sectors"]} == {"housekeeping", "property"}


def test_demo_is_idempotent(app, runner):
    from registry.log.services import log_size

    assert runner.invoke(args=["demo"]).exit_code == 0
    size = log_size()
    assert runner.invoke(args=["demo"]).exit_code == 0
    assert log_size() == size


def test_demo_workers_show_every_status_colour(app, runner):
    from registry.clock import today
    from registry.extensions import db
    from registry.workers.models import Worker
    from registry.workers.services import status_of

    assert runner.invoke(args=["demo"]).exit_code == 0
    colours = {status_of(w, today()).colour for w in db.session.query(Worker)}
    assert colours == {"green", "yellow", "red"}


def test_demo_cards_and_a_worker_who_can_sign_in(app, runner, client):
    """Every demo worker who may hold a card has one (red workers none), and the printed demo worker signs in."""
    from registry.cards.services import latest_card
    from registry.clock import today
    from registry.extensions import db
    from registry.workers.models import Worker
    from registry.workers.services import status_of

    result = runner.invoke(args=["demo", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    for worker in db.session.query(Worker):
        has_card = latest_card(worker.id) is not None
        assert has_card == (status_of(worker, today()).colour != "red"), worker.card_no
    me = data["self_service"]
    resp = client.post("/api/v1/self/login", json={"card_no": me["card_no"], "pin": me["pin"]})
    assert resp.status_code == 200, resp.get_json()
    view = client.get(f"/api/v1/cards/{me['card_no']}").get_json()
    assert view["status"]["colour"] == "green" and view["card"]["serial"] == 1


def test_demo_json_twice_keeps_one_live_demo_token_per_account(app, runner, client):
    """Tokens are stored only as digests, so a rerun revokes the earlier demo tokens instead of piling up new ones."""
    from registry.accounts.models import ApiToken
    from registry.extensions import db
    from registry.log.actions import Action
    from registry.log.models import LogEntry

    def live_tokens():
        db.session.rollback()
        return db.session.query(ApiToken).filter(ApiToken.revoked_dt.is_(None)).count()

    first = json.loads(runner.invoke(args=["demo", "--json"]).stdout)
    after_first = live_tokens()
    assert after_first == len(first["accounts"])
    # A token the operator named otherwise is not the demo's to revoke.
    login = first["accounts"][0]["login"]
    kept = runner.invoke(args=["tokens", "issue", login, "ops"]).stdout.strip()
    second = json.loads(runner.invoke(args=["demo", "--json"]).stdout)
    assert live_tokens() == after_first + 1
    for old, new in zip(first["accounts"], second["accounts"]):
        assert old["login"] == new["login"] and old["token"] != new["token"]
        assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {old['token']}"}).status_code == 401
        assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {new['token']}"}).status_code == 200
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {kept}"}).status_code == 200
    # Each revocation is a change like any other: one log entry each.
    revoked = db.session.query(LogEntry).filter(LogEntry.action == Action.ACCOUNT_TOKEN_REVOKE).count()
    assert revoked == len(first["accounts"])
