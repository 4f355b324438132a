"""`flask demo --json`: the demo data and its one JSON object on stdout."""
import json
from datetime import date, datetime

import pyotp
import pytest

from registry.accounts.models import Account
from registry.keys import keyring
from tests.support.snapshot import made_once


@pytest.fixture
def first_demo(app, runner) -> str:
    """`flask demo --json`'s output on an empty registry, with the database as that first run left it. The first
    run takes ~20 s, so it is made once (`made_once`) and written back for each test that starts from it."""

    def make():
        result = runner.invoke(args=["demo", "--json"])
        assert result.exit_code == 0, result.output
        return result.stdout

    return made_once("demo", make)


def test_demo_json_lists_every_account_with_a_working_token(first_demo, client):
    data = json.loads(first_demo)
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
    assert [(b["version"], b["state"]) for b in data["bulletins"]] == [(1, "current")]
    workers = data["workers"]
    assert 45 <= len({w["card_no"] for w in workers}) <= 60
    by_uscc = {c["uscc"]: c for c in data["companies"]}
    assert all(by_uscc[w["company_uscc"]]["status"] == "verified" for w in workers)
    # Some people work for two companies at once: one card number, two rows.
    assert len(workers) > len({w["card_no"] for w in workers})
    statuses = {c["status"] for c in data["companies"]}
    assert statuses == {"verified", "pending"}
    assert {s for c in data["companies"] for s in c["sectors"]} == {"housekeeping", "property"}


def test_demo_is_idempotent(app, runner, clock):
    """A second run, days later, adds no sanction, service, review, complaint or log entry; the log, back-dated
    sanction history and all, verifies; and the demo gives the clock back as it found it."""
    from registry import clock as registry_clock
    from registry.complaints.models import Complaint
    from registry.extensions import db
    from registry.log.services import log_size
    from registry.log.verify import verify_local
    from registry.sanctions.models import Sanction
    from registry.trace.models import ServiceRecord, ServiceReview

    clock.freeze(datetime(2026, 7, 15, 9, tzinfo=registry_clock.SHANGHAI))
    assert runner.invoke(args=["demo"]).exit_code == 0
    assert registry_clock.now() == datetime(2026, 7, 15, 9, tzinfo=registry_clock.SHANGHAI)
    size, sanctions = log_size(), db.session.query(Sanction).count()
    assert sanctions == 5
    trace = (db.session.query(ServiceRecord).count(), db.session.query(ServiceReview).count(),
             db.session.query(Complaint).count())
    assert trace == (6, 4, 2)
    from registry.bulletins import services as bulletins

    # The last month that has ended has its bulletin, published and current.
    june = bulletins.current("2026-06")
    assert june is not None and june.version == 1 and {f.name.rsplit(".", 1)[1] for f in june.files} == {
        "pdf", "csv", "jsonl"}
    assert sorted(s.state for s in db.session.query(Sanction)) == ["decided", "decided", "notified", "published",
                                                                  "published"]
    clock.freeze(date(2026, 7, 22))
    assert runner.invoke(args=["demo"]).exit_code == 0
    db.session.rollback()
    assert log_size() == size
    assert db.session.query(Sanction).count() == sanctions
    assert (db.session.query(ServiceRecord).count(), db.session.query(ServiceReview).count(),
            db.session.query(Complaint).count()) == trace
    assert [b.period_key for b in bulletins.listing(1, 10).bulletins] == ["2026-06"]  # no second one
    report = verify_local(keyring(app), app.config["LOG_ORIGIN"])
    assert report.ok, report.failures


def test_demo_sanctions_at_every_step_of_the_due_process(first_demo, runner):
    """Each severity, and one serious listing published, one in its notice window, one awaiting a second regulator."""
    from registry.clock import today
    from registry.extensions import db
    from registry.sanctions import services as sanctions
    from registry.sanctions.models import Sanction
    from registry.sanctions.views_model import listing_view

    # A second run lists what the first made (and adds nothing).
    result = runner.invoke(args=["demo", "--logins"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    listed = data["sanctions"]
    by_ref = {s.ref: s for s in db.session.query(Sanction)}
    assert {s["ref"] for s in listed} == set(by_ref)
    demo_cards = {w["card_no"] for w in data["workers"]}
    demo_usccs = {c["uscc"] for c in data["companies"]}
    for s in listed:
        row = by_ref[s["ref"]]
        assert s["subject"] == (row.worker.card_no if row.subject_kind == "worker" else row.company.uscc)
        assert s["subject"] in (demo_cards if row.subject_kind == "worker" else demo_usccs)
        assert (s["state"], s["kind"], s["severity"]) == (row.state, row.kind, row.severity)
    assert {s["severity"] for s in listed} == {"minor", "general", "serious"}
    assert {row.subject_kind for row in by_ref.values()} == {"worker", "company"}
    day = today()

    def one(kind, state):
        found = [by_ref[s["ref"]] for s in listed if (s["kind"], s["state"]) == (kind, state)]
        assert len(found) == 1, (kind, state, listed)
        return found[0]

    published = one("serious_list", "published")
    assert published.is_public(day) and published.is_in_effect(day) and len(published.approvals) == 1
    assert published.approvals[0].approved_by not in (published.proposed_by, published.decision.decided_by)
    noticed = one("serious_list", "notified")
    assert not noticed.is_public(day) and not noticed.is_in_effect(day)
    assert sanctions.objection_until(noticed).day >= day  # the window has not ended
    awaiting = one("serious_list", "decided")
    assert not awaiting.is_public(day) and not awaiting.approvals
    assert sanctions.objection_until(awaiting).day < awaiting.decision_date <= day
    # The approver the demo leaves for it: another regulator of the issuing agency, not the one who decided.
    second = db.session.query(Account).filter_by(login="demo-housing-admin").one()
    assert second.agency_id == awaiting.agency_id and second.ref != awaiting.decision.decided_by
    minor = one("warning", "decided")
    assert minor.severity == "minor" and not minor.publish_months and not minor.is_public(day)
    fine = one("fine", "published")
    assert fine.severity == "general" and fine.is_public(day) and fine.subject_kind == "company"
    persons = listing_view(fine)["persons"]
    assert {p["role"] for p in persons} == {"legal_representative", "responsible"}
    assert "司马**" in {p["name_masked"] for p in persons}
    assert "司马光明" not in json.dumps(listing_view(fine), ensure_ascii=False, default=str)
    # Every decision falls under the rules in force (from 2026-04-01).
    assert all(row.decision_date >= date(2026, 4, 1) for row in by_ref.values() if row.decision_date)
    # The demo's example worker (the banner's card page and the self-service worker) is not the listed one.
    assert published.worker.card_no not in (data["workers"][0]["card_no"], data["self_service"]["card_no"])
    assert awaiting.worker.card_no not in (data["workers"][0]["card_no"], data["self_service"]["card_no"])


def test_demo_workers_show_every_status_colour(first_demo):
    from registry.clock import today
    from registry.extensions import db
    from registry.workers.models import Worker
    from registry.workers.services import status_of

    colours = {status_of(w, today()).colour for w in db.session.query(Worker)}
    assert colours == {"green", "yellow", "red"}


def test_demo_cards_and_a_worker_who_can_sign_in(first_demo, client):
    """Every demo worker who may hold a card has one (red workers none), and the printed demo worker signs in."""
    from registry.cards.services import latest_card
    from registry.clock import today
    from registry.extensions import db
    from registry.workers.models import Worker
    from registry.workers.services import status_of

    data = json.loads(first_demo)
    for worker in db.session.query(Worker):
        has_card = latest_card(worker.id) is not None
        assert has_card == (status_of(worker, today()).colour != "red"), worker.card_no
    me = data["self_service"]
    resp = client.post("/api/v1/self/login", json={"card_no": me["card_no"], "pin": me["pin"]})
    assert resp.status_code == 200, resp.get_json()
    view = client.get(f"/api/v1/cards/{me['card_no']}").get_json()
    assert view["status"]["colour"] == "green" and view["card"]["serial"] == 1


def test_demo_json_twice_keeps_one_live_demo_token_per_account(first_demo, runner, client):
    """Tokens are stored only as digests, so a rerun revokes the earlier demo tokens instead of piling up new ones."""
    from registry.accounts.models import ApiToken
    from registry.extensions import db
    from registry.log.actions import Action
    from registry.log.models import LogEntry

    def live_tokens():
        db.session.rollback()
        return db.session.query(ApiToken).filter(ApiToken.revoked_dt.is_(None)).count()

    first = json.loads(first_demo)
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


def test_demo_services_reviews_and_complaints(first_demo, client):
    """Services by two demo companies, reviews left with the codes their customers were sent (one replied to), and
    two complaints about one worker: the substantiated one on the public card, the unfounded one nowhere public."""
    from registry.complaints.models import Complaint
    from registry.extensions import db
    from registry.log.models import LogEntry
    from registry.trace.models import ReviewCode

    data = json.loads(first_demo)
    services, reviews, complaints = data["services"], data["reviews"], data["complaints"]
    demo_usccs = {c["uscc"] for c in data["companies"]}
    assert len(services) == 6 and {s["company_uscc"] for s in services} <= demo_usccs
    assert len({s["company_uscc"] for s in services}) == 2
    # Each review spent the code its customer was sent, through the same service as a customer's form.
    db.session.rollback()
    assert db.session.query(ReviewCode).filter(ReviewCode.used_dt.isnot(None)).count() == len(reviews) == 4
    assert {r["service_reference"] for r in reviews} == {s["reference"] for s in services if s["reviewed"]}
    assert sorted(r["rating"] for r in reviews) == [2, 4, 5, 5] and sum(r["replied"] for r in reviews) == 2
    actions = [a for (a,) in db.session.query(LogEntry.action)]
    assert actions.count("service:record") == 6 and actions.count("service:review") == 4
    assert actions.count("service:reply") == 2
    # The complaints: one substantiated, one unfounded, both about the worker with three reviews.
    assert [(c["state"], c["public"]) for c in complaints] == [("substantiated", True), ("unfounded", False)]
    (card,) = {c["card_no"] for c in complaints}
    assert sum(r["card_no"] == card for r in reviews) == 3
    assert db.session.query(Complaint).count() == 2
    # Not the banner's example card, the self-service worker, or a sanctioned worker.
    assert card not in (data["workers"][0]["card_no"], data["self_service"]["card_no"])
    assert card not in {s["subject"] for s in data["sanctions"]}
    view = client.get(f"/api/v1/cards/{card}").get_json()
    assert view["status"]["colour"] == "green"
    assert view["reviews"]["count"] == 3 and view["reviews"]["average"] == "3.7"
    assert view["complaints"]["substantiated"] == 1
    assert [c["category"] for c in view["complaints"]["list"]] == ["quality"]
    page = client.get(f"/c/{card}").get_data(as_text=True)
    assert 'id="reviews-title"' in page and 'id="complaints"' in page
    # The unfounded complaint's category appears in no public answer.
    for url in (f"/api/v1/cards/{card}", f"/c/{card}", f"/companies/{view['employers'][0]['uscc']}",
                f"/api/v1/companies/{view['employers'][0]['uscc']}"):
        body = client.get(url).get_data(as_text=True)
        assert "theft" not in body.lower() and "财物丢失或被盗" not in body, url


def test_demo_commends_two_firms_so_the_red_list_is_not_empty(first_demo, runner, client):
    """Two verified demo firms commended by their regulators (through the service: one entry each), on the red list;
    a second run records no more."""
    from registry.credit.models import Commendation
    from registry.extensions import db
    from registry.log.services import log_size

    db.session.rollback()
    commended = db.session.query(Commendation).all()
    assert len(commended) == 2 and all(c.company.status == "verified" and not c.revoked for c in commended)
    red = client.get("/api/v1/red-list").get_json()
    assert {row["uscc"] for row in red if "commended" in row["reasons"]} == {c.company.uscc for c in commended}
    size = log_size()
    assert runner.invoke(args=["demo"]).exit_code == 0
    db.session.rollback()
    assert db.session.query(Commendation).count() == 2 and log_size() == size
