"""Credit scores explained, and human review of a score (PIPL art. 24; registry/credit/score_reviews.py).

Services, API and pages: who reads the components; filing (the company's admin, the worker), one open at a time,
the components disputed checked against the current score; who answers (a company's sectors or market supervision;
a worker's current employers' sectors or market supervision); an answer with or without a correction writes
exactly one entry whose digest is the review's state, and moves the score in the same commit; every refusal
stores nothing; the reason is never public and never in a log payload; the deadline in working days.
"""
from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from registry import canonical
from registry.clock import add_months
from registry.credit import score_reviews
from registry.credit.models import ScoreReview
from registry.errors import ApiError
from registry.extensions import db
from registry.log.models import LogEntry
from registry.log.verify import verify_local
from registry.notify.services import read_outbox
from tests.support.creditutil import green_records, hire, kept
from tests.support.factory import bearer
from tests.support.logutil import ORIGIN, sign
from tests.support.selfutil import PIN, activate, last_activation_code
from tests.support.webutil import login, post_form, regulator_client, text

DAY = date(2026, 9, 15)  # a Tuesday
REASON = "最新的表彰没有计入积分，联系电话13912345678。"
NOTE = "经核查，表彰已于次日计入；对投诉扣分予以更正。"
PASSWORD = "correct horse battery"
# The 15th working day after DAY (the National Day holidays in between).
ANSWER_BY = date(2026, 10, 12)


class World:
    """A verified housekeeping company with its admin and a user, and a worker it employs (green records); two
    housekeeping regulators of one agency, one of property, one of market supervision; another company."""

    def __init__(self, factory):
        hk = factory.agency("housekeeping")
        self.hk = factory.agency_user(hk)
        self.hk2 = factory.agency_user(hk)
        self.prop = factory.agency_user(factory.agency("property"))
        self.market = factory.agency_user(factory.agency("market"))
        factory._regulators = {"housekeeping": self.hk.account}
        self.company, self.admin = factory.company()
        from types import SimpleNamespace

        from registry.accounts import services as accounts
        from registry.companies import services as companies

        new = companies.add_user(factory.ring, actor=self.admin.account, company=self.company, login="score-user",
                                 name="李四")
        db.session.commit()
        accounts.change_password(factory.ring, account=new.account, current=new.password, new=PASSWORD)
        db.session.commit()
        self.user = SimpleNamespace(account=new.account, password=PASSWORD)
        self.other, self.other_admin = factory.company()
        self.worker = hire(factory, self.company, self.admin.account, seed=3, records=green_records(DAY), today=DAY)
        self.tokens = {name: factory.token(acc) for name, acc in (
            ("hk", self.hk.account), ("hk2", self.hk2.account), ("prop", self.prop.account),
            ("market", self.market.account), ("admin", self.admin.account), ("user", self.user.account),
            ("other_admin", self.other_admin.account))}

    def headers(self, who: str) -> dict:
        return bearer(self.tokens[who])


@pytest.fixture
def world(app, factory, clock):
    from tests.support.snapshot import world_once

    def make():
        clock.freeze(DAY)
        return World(factory)

    return world_once("score_reviews", make, factory=factory, clock=clock)


def worker_code(factory, world) -> str:
    """An activation code sent to the world's worker (hired with phone 138 followed by the seed)."""
    from registry.clock import now
    from registry.selfservice import services as selfservice

    selfservice.issue_activation_code(factory.ring, actor=world.admin.account, worker=world.worker, now=now())
    db.session.commit()
    return last_activation_code(factory, phone="13800000003")


def worker_signed_in(client, factory, world) -> str:
    resp = activate(client, world.worker.card_no, worker_code(factory, world), PIN)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()["token"]


def entries() -> list[LogEntry]:
    db.session.rollback()
    return list(db.session.execute(select(LogEntry).order_by(LogEntry.seq)).scalars())


def stored() -> int:
    db.session.rollback()
    return db.session.execute(select(func.count()).select_from(ScoreReview)).scalar_one()


def file_company(client, world, who="admin", **over):
    return client.post(f"/api/v1/companies/{world.company.uscc}/score-reviews",
                       json={"reason": REASON, "disputed": None, **over}, headers=world.headers(who))


def answer(client, world, ref, who="hk", **over):
    return client.post(f"/api/v1/score-reviews/{ref}/answer",
                       json={"note": NOTE, "correction_points": None, "correction_until": None, **over},
                       headers=world.headers(who))


# --- explanations ---------------------------------------------------------------------------------------------

def test_the_companys_members_and_regulators_read_every_component(app, client, world):
    row = kept("company", world.company.id)
    for who in ("admin", "user", "hk", "market"):
        resp = client.get(f"/api/v1/companies/{world.company.uscc}/score", headers=world.headers(who))
        assert resp.status_code == 200, who
        body = resp.get_json()
        assert set(body) == {"points", "grade", "rules_version", "computed_dt", "stands_until", "components"}
        assert body["points"] == row.points == sum(c["points"] for c in body["components"])
        assert body["grade"] == row.grade and body["rules_version"] == "v1"
        for c in body["components"]:
            assert set(c) == {"kind", "ref", "group", "points", "zh", "en", "counts_until", "count"}
            assert c["count"] == 1
    # Property regulates none of its sectors, another company is another company: as for an unknown company.
    for who in ("prop", "other_admin"):
        resp = client.get(f"/api/v1/companies/{world.company.uscc}/score", headers=world.headers(who))
        assert resp.status_code == 404, who
    assert client.get(f"/api/v1/companies/{world.company.uscc}/score").status_code == 401


def test_no_kept_score_is_a_404_with_its_own_code(app, client, world):
    from registry.credit.score_models import CreditScore

    db.session.execute(CreditScore.__table__.delete())
    db.session.commit()
    resp = client.get(f"/api/v1/companies/{world.company.uscc}/score", headers=world.headers("admin"))
    assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "score_not_kept"
    refused = file_company(client, world)
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "score_not_kept"
    assert stored() == 0


def test_a_kept_row_is_explained_in_its_rules_versions_words_with_each_lines_count(app):
    """A kept row holds each line's kind, ref and points, and only the count, last day and variant that say
    something; the explanation finds the group and the words again in the row's rules version."""
    from registry.credit.score_models import CreditScore

    row = CreditScore(subject_kind="worker", points=6, grade=None, rules_version="v1", computed_dt=None,
                      stands_until=None, components=[
                          {"kind": "review", "ref": "2026-03-01:5", "points": 6, "count": 3, "until": "2027-03-01",
                           "variant": "5"},
                          {"kind": "review", "ref": "2026-03-02:3", "points": 0, "until": "2027-03-02",
                           "variant": "3"}])
    assert score_reviews.explanation(row)["components"] == [
        {"kind": "review", "ref": "2026-03-01:5", "group": "positive", "points": 6, "count": 3, "zh": "五星好评",
         "en": "Five-star review", "counts_until": "2027-03-01"},
        {"kind": "review", "ref": "2026-03-02:3", "group": "positive", "points": 0, "count": 1,
         "zh": "三星评价（不加分）", "en": "Three-star review (no points)", "counts_until": "2027-03-02"}]


def test_the_worker_reads_their_own_score(app, client, factory, world):
    token = worker_signed_in(client, factory, world)
    resp = client.get("/api/v1/self/score", headers=bearer(token))
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["grade"] is None and body["points"] == kept("worker", world.worker.id).points
    assert {c["kind"] for c in body["components"]} >= {"identity_verified", "health_passed"}


def test_the_grading_is_explained_from_the_rules(app):
    words = score_reviews.grading_words("v1")
    assert "AAA ≥ 85" in words["en"] and "B when no bad record counts (the Jinan rule)" in words["en"]
    assert "济南规则" in words["zh"]


# --- filing ---------------------------------------------------------------------------------------------------

def test_the_companys_admin_asks_with_one_entry_whose_digest_is_the_reviews_state(app, client, factory, world):
    before = len(entries())
    row = kept("company", world.company.id)
    disputed = [{"kind": c["kind"], "ref": c["ref"]} for c in row.components[:1]]
    resp = file_company(client, world, disputed=disputed)
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["state"] == "open" and body["log_index"] == before
    added = entries()[before:]
    assert [e.action for e in added] == ["score_review:file"]
    review = db.session.execute(select(ScoreReview)).scalar_one()
    assert json.loads(added[0].body)["digest"] == canonical.digest(canonical.state_of(factory.ring, review))
    assert (review.subject_kind, review.company_id, review.filed_by) == ("company", world.company.id,
                                                                          world.admin.account.ref)
    assert review.disputed == disputed and review.score_points == row.points and review.answer_days == 15
    # The reason is sealed, masked, and in no entry; the state holds only its HMAC.
    assert "13912345678" not in score_reviews.view(factory.ring, review)["reason"]
    assert "最新的表彰" in score_reviews.view(factory.ring, review)["reason"]
    assert "表彰" not in added[0].body.decode() and "表彰" not in json.dumps(canonical.state_of(factory.ring, review),
                                                                     ensure_ascii=False)
    # The company's members read it with its deadline: 15 working days after filing.
    listed = client.get(f"/api/v1/companies/{world.company.uscc}/score-reviews", headers=world.headers("user"))
    assert listed.status_code == 200
    [one] = listed.get_json()
    assert one["ref"] == body["ref"]
    assert one["deadline"]["day"] == ANSWER_BY.isoformat() and not one["deadline"]["overdue"]


def test_one_open_review_at_a_time(app, client, world):
    assert file_company(client, world).status_code == 201
    again = file_company(client, world)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "score_review_open"
    assert stored() == 1


@pytest.mark.parametrize(("over", "code", "fields"), [
    ({"reason": "   "}, "required", {"reason"}),
    ({"reason": "理" * 2001}, None, {"reason"}),
    ({"disputed": [{"kind": "complaint", "ref": "nope"}]}, "not_a_component", {"disputed"}),
    ({"reason": " ", "disputed": [{"kind": "verified", "ref": "x"}]}, "invalid_input", {"reason", "disputed"}),
])
def test_bad_input_is_a_422_naming_each_field_and_stores_nothing(app, client, world, over, code, fields):
    before = len(entries())
    resp = file_company(client, world, **over)
    assert resp.status_code == 422, resp.get_json()
    err = resp.get_json()["error"]
    assert set(err["fields"]) == fields
    if code:
        assert err["code"] == code
    assert len(entries()) == before and stored() == 0


def test_only_the_admin_asks_for_the_company(app, client, world):
    for who in ("user", "other_admin", "hk"):
        assert file_company(client, world, who=who).status_code == 403, who
    assert stored() == 0


def test_the_worker_asks_as_their_actor_on_the_review(app, client, factory, world):
    from registry.workers.services import self_actor

    token = worker_signed_in(client, factory, world)
    resp = client.post("/api/v1/self/score-reviews", json={"reason": "体检合格记录没有计入。", "disputed": None},
                       headers=bearer(token))
    assert resp.status_code == 201, resp.get_json()
    review = db.session.execute(select(ScoreReview)).scalar_one()
    assert review.filed_by == self_actor(world.worker, review.log_ref) != world.worker.log_ref
    assert json.loads(entries()[-1].body)["actor"] == review.filed_by
    mine = client.get("/api/v1/self/score-reviews", headers=bearer(token)).get_json()
    assert [r["ref"] for r in mine] == [review.ref] and mine[0]["reason"] == "体检合格记录没有计入。"


# --- answering ------------------------------------------------------------------------------------------------

def test_an_answer_without_correction_writes_one_entry_and_leaves_the_score(app, client, factory, world):
    ref = file_company(client, world).get_json()["ref"]
    points = kept("company", world.company.id).points
    before = len(entries())
    resp = answer(client, world, ref)
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["score"] == points and resp.get_json()["state"] == "answered"
    assert [e.action for e in entries()[before:]] == ["score_review:answer"]
    review = db.session.execute(select(ScoreReview)).scalar_one()
    assert json.loads(entries()[-1].body)["digest"] == canonical.digest(canonical.state_of(factory.ring, review))
    assert review.correction_points is None and kept("company", world.company.id).points == points
    assert not any(c["kind"] == "correction" for c in kept("company", world.company.id).components)


def test_an_answer_with_a_correction_moves_the_score_in_the_same_commit(app, client, factory, world, clock):
    ref = file_company(client, world).get_json()["ref"]
    points = kept("company", world.company.id).points
    before = len(entries())
    resp = answer(client, world, ref, who="market", correction_points=-7)
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["score"] == points - 7
    assert [e.action for e in entries()[before:]] == ["score_review:answer"]
    row = kept("company", world.company.id)
    [line] = [c for c in row.components if c["kind"] == "correction"]
    until = add_months(DAY, 12)
    assert line == {"kind": "correction", "ref": ref, "points": -7, "until": until.isoformat()}
    assert row.components[-1] == line and row.points == points - 7
    # In words, as its subject reads it: its own group, listed last.
    assert score_reviews.explanation(row)["components"][-1] == {
        "kind": "correction", "ref": ref, "group": "correction", "points": -7, "count": 1, "zh": "人工复核更正",
        "en": "Correction after human review", "counts_until": until.isoformat()}
    # The subject is told, in fixed words only.
    texts = [m["text"] for m in read_outbox(factory.ring, limit=50)]
    assert any("信用积分人工复核申请已答复" in t for t in texts)
    assert not any(NOTE in t or "表彰" in t for t in texts)
    # The component stops counting the day after its last day.
    clock.freeze(until + timedelta(days=1))
    from registry.credit import services

    services.refresh_due(until + timedelta(days=1))
    db.session.commit()
    assert not any(c["kind"] == "correction" for c in kept("company", world.company.id).components)


def test_a_given_last_day_is_kept(app, client, world):
    ref = file_company(client, world).get_json()["ref"]
    assert answer(client, world, ref, correction_points=4, correction_until="2026-12-31").status_code == 200
    [line] = [c for c in kept("company", world.company.id).components if c["kind"] == "correction"]
    assert (line["points"], line["until"]) == (4, "2026-12-31")
    # The company reads the correction with the day it counts from (the answer's) and its last day.
    [mine] = client.get(f"/api/v1/companies/{world.company.uscc}/score-reviews",
                        headers=world.headers("admin")).get_json()
    assert mine["correction"] == {"points": 4, "from": DAY.isoformat(), "until": "2026-12-31"}


@pytest.mark.parametrize(("over", "fields"), [
    ({"note": " "}, {"note"}),
    ({"correction_points": 0}, {"correction_points"}),
    ({"correction_points": 101}, {"correction_points"}),
    ({"correction_points": -101}, {"correction_points"}),
    ({"correction_points": 5, "correction_until": "2026-09-14"}, {"correction_until"}),
    ({"correction_until": "2026-12-31"}, {"correction_until"}),
])
def test_a_bad_answer_is_a_422_and_stores_nothing(app, client, world, over, fields):
    ref = file_company(client, world).get_json()["ref"]
    points = kept("company", world.company.id).points
    before = len(entries())
    resp = answer(client, world, ref, **over)
    assert resp.status_code == 422, resp.get_json()
    assert set(resp.get_json()["error"]["fields"]) == fields
    assert len(entries()) == before and kept("company", world.company.id).points == points
    assert db.session.execute(select(ScoreReview.state)).scalar_one() == "open"


def test_who_answers_a_company_and_only_once(app, client, world):
    ref = file_company(client, world).get_json()["ref"]
    refused = answer(client, world, ref, who="prop")
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "not_subject_regulator"
    assert answer(client, world, ref, who="admin").status_code == 403
    assert answer(client, world, ref, who="hk2").status_code == 200
    again = answer(client, world, ref)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_answered"
    assert answer(client, world, "f" * 32).status_code == 404


def test_who_answers_a_worker_follows_their_current_employers(app, factory, world):
    from registry.clock import now

    review = score_reviews.file_for_worker(factory.ring, worker=world.worker, reason="请复核。", now=now()).review
    db.session.commit()
    assert score_reviews.may_answer(world.hk.account, review)
    assert score_reviews.may_answer(world.market.account, review)
    assert not score_reviews.may_answer(world.prop.account, review)
    with pytest.raises(ApiError) as e:
        score_reviews.answer(factory.ring, regulator=world.prop.account, review=review, note="无", today=DAY)
    assert e.value.code == "not_subject_regulator"
    # The regulators' list: those they may answer.
    assert [r.ref for r in score_reviews.for_regulator(world.hk.account)] == [review.ref]
    assert score_reviews.for_regulator(world.prop.account) == []


def test_the_regulators_list_and_the_worklist_mark_the_deadline(app, client, world, clock):
    ref = file_company(client, world).get_json()["ref"]
    listed = client.get("/api/v1/score-reviews", headers=world.headers("hk")).get_json()
    assert [r["ref"] for r in listed] == [ref] and listed[0]["subject"]["uscc"] == world.company.uscc
    assert client.get("/api/v1/score-reviews", headers=world.headers("prop")).get_json() == []
    assert client.get("/api/v1/score-reviews?state=closed", headers=world.headers("hk")).status_code == 422
    from registry.sanctions import worklist

    db.session.rollback()
    [due] = worklist.worklist(world.hk.account, ANSWER_BY).score_reviews_due
    assert due.review.ref == ref and due.deadline.day == ANSWER_BY and not due.overdue and due.due_soon
    [due] = worklist.worklist(world.hk.account, ANSWER_BY + timedelta(days=1)).score_reviews_due
    assert due.overdue


def test_the_log_verifies_after_filings_and_answers(app, client, factory, world):
    ref = file_company(client, world).get_json()["ref"]
    assert answer(client, world, ref, correction_points=3).status_code == 200
    sign(factory.ring)
    db.session.expire_all()
    report = verify_local(factory.ring, ORIGIN)
    assert report.ok, report.failures


# --- the pages ------------------------------------------------------------------------------------------------


def company_browser(app, member):
    c = app.test_client()
    assert login(c, member.account.login, member.password).status_code == 302
    return c


def test_the_portal_shows_every_component_and_the_admin_asks(app, world):
    browser = company_browser(app, world.admin)
    html = text(browser.get("/company"))
    row = kept("company", world.company.id)
    assert 'id="score"' in html and f'data-points="{row.points}"' in html and "济南规则" in html
    for c in row.components:
        assert f'data-kind="{c["kind"]}" data-ref="{c["ref"]}"' in html
    before = len(entries())
    blank = post_form(browser, "/company/score-reviews", {"reason": ""}, page="/company")
    assert blank.status_code == 302 and len(entries()) == before and stored() == 0
    assert "请说明申请复核的理由" in text(browser.get("/company"))
    first = row.components[0]
    done = post_form(browser, "/company/score-reviews",
                     {"reason": "表彰没有计入。", "disputed": f'{first["kind"]}|{first["ref"]}'}, page="/company")
    assert done.status_code == 302 and done.headers["Location"].endswith("/company#score")
    assert [e.action for e in entries()[before:]] == ["score_review:file"]
    html = text(browser.get("/company"))
    assert "表彰没有计入。" in html and 'id="review-open"' in html and 'id="ask-review"' not in html
    # The public page shows the points, never the components or the reason.
    public = text(app.test_client().get(f"/companies/{world.company.uscc}"))
    assert "表彰没有计入" not in public and 'data-kind=' not in public


def test_a_company_user_sees_the_score_but_cannot_ask(app, world):
    browser = company_browser(app, world.user)
    html = text(browser.get("/company"))
    assert 'id="score-components"' in html and 'id="ask-review"' not in html
    assert post_form(browser, "/company/score-reviews", {"reason": "x"}, page="/company").status_code == 403


def test_the_worker_sees_and_asks_on_me(app, client, factory, world):
    code = worker_code(factory, world)
    browser = app.test_client()
    assert post_form(browser, "/me/activate", {"card_no": world.worker.card_no, "code": code, "pin": PIN,
                                               "pin2": PIN}).status_code == 302
    html = text(browser.get("/me"))
    assert 'id="score-components"' in html and 'data-kind="health_passed"' in html
    done = post_form(browser, "/me/score-reviews", {"reason": "培训记录没有计入。"}, page="/me")
    assert done.status_code == 302 and done.headers["Location"].endswith("/me#score")
    assert stored() == 1 and "培训记录没有计入。" in text(browser.get("/me"))


def test_the_regulator_answers_with_a_correction_on_the_review_page(app, client, world):
    ref = file_company(client, world).get_json()["ref"]
    points = kept("company", world.company.id).points
    browser = regulator_client(app, world.hk)
    assert f"/regulator/score-reviews/{ref}" in text(browser.get("/regulator"))
    page = f"/regulator/score-reviews/{ref}"
    html = text(browser.get(page))
    assert "最新的表彰没有计入积分" in html and 'id="score-components"' in html
    bad = post_form(browser, f"{page}/answer", {"note": "", "correction_points": "", "correction_until": ""},
                    page=page)
    assert bad.status_code == 422 and 'id="error-summary"' in text(bad)
    zero = post_form(browser, f"{page}/answer", {"note": NOTE, "correction_points": "0", "correction_until": ""},
                     page=page)
    assert zero.status_code == 422 and db.session.execute(select(ScoreReview.state)).scalar_one() == "open"
    done = post_form(browser, f"{page}/answer", {"note": NOTE, "correction_points": "6", "correction_until": ""},
                     page=page)
    assert done.status_code == 302, text(done)
    assert kept("company", world.company.id).points == points + 6
    assert 'data-kind="correction"' in text(browser.get(page))
    # Property regulates none of the company's sectors: as if the review did not exist.
    assert regulator_client(app, world.prop).get(page).status_code == 404


def test_the_answered_list_is_the_latest_a_regulator_may_answer_newest_first(app, client, world, monkeypatch):
    """However many reviews were ever answered, the list reads a chunk at a time and stops at what it shows."""
    refs = []
    for _ in range(3):
        ref = file_company(client, world).get_json()["ref"]
        assert answer(client, world, ref).status_code == 200
        refs.append(ref)
    monkeypatch.setattr(score_reviews, "ANSWERED_SHOWN", 2)
    monkeypatch.setattr(score_reviews, "_CHUNK", 1)
    assert [r.ref for r in score_reviews.for_regulator(world.hk.account, state="answered")] == refs[::-1][:2]
    assert score_reviews.for_regulator(world.prop.account, state="answered") == []
    listed = client.get("/api/v1/score-reviews?state=answered", headers=world.headers("hk")).get_json()
    assert [r["ref"] for r in listed] == refs[::-1][:2]
