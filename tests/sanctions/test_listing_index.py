"""The search's walk (`listing_grams`) follows every write that changes what it is made of — a company sanction
recorded or decided, its decision date corrected, its company renamed — and always equals a rebuild from the
sanctions and the names; the gram counts a process remembers choose where a walk starts, never what it finds."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from registry.companies import grams
from registry.companies.models import Company
from registry.extensions import db
from registry.sanctions import listing_index, search
from registry.sanctions import services as sanctions
from registry.sanctions.models import ListingGram, Sanction
from tests.companies.test_changes import put_profile
from tests.support.cardworld import green_worker
from tests.support.sanctionutil import list_serious, record, regulators

START = date(2026, 5, 29)


def index_rows() -> set[tuple]:
    return {(g, d, s) for g, d, s in db.session.execute(
        select(ListingGram.gram, ListingGram.decision_date, ListingGram.sanction_id))}


def wanted_rows() -> set[tuple]:
    """What the index must hold, computed here from the sanctions and their companies' current names."""
    rows = db.session.execute(select(Sanction.id, Sanction.decision_date, Company.name)
                              .join(Company, Company.id == Sanction.company_id)).all()
    return {(g, decided, sid) for sid, decided, name in rows if decided is not None
            for g in grams.name_grams(grams.fold(name))}


def assert_index_true():
    held = index_rows()
    assert held == wanted_rows()
    listing_index.rebuild(db.session.connection())
    assert index_rows() == held
    db.session.rollback()


def test_the_index_follows_records_decisions_corrections_and_renames(client, app, factory, clock):
    clock.freeze(START)
    hk, second = regulators(factory, "housekeeping", code="hk-index")
    company, admin = factory.company(name="成都安心家政服务有限公司")
    other, _ = factory.company(name="四川好帮手物业有限公司")
    w = green_worker(factory)
    assert index_rows() == set()

    fine = record(factory, hk, company=company, months=6, decision_date=date(2026, 4, 15), today=START)
    record(factory, hk, worker=w.worker, months=6, today=START)  # a worker's sanction is not in the walk
    assert {s for _g, _d, s in index_rows()} == {fine.id}
    assert_index_true()

    # A listing has no decision date until it is decided: then it enters the walk.
    listing = list_serious(factory, hk, second, clock, company=other, start=START, publish=False)
    assert listing.decision_date is not None and listing.id in {s for _g, _d, s in index_rows()}
    assert_index_true()

    sanctions.correct_sanction(factory.ring, regulator=hk, sanction=fine, today=START,
                               changes={"decision_date": date(2026, 4, 20)}, reason="决定日期笔误")
    db.session.commit()
    assert {d for _g, d, s in index_rows() if s == fine.id} == {date(2026, 4, 20)}
    assert_index_true()

    # A rename approved by a regulator: the company's sanctions are found by the new name, not the old.
    change = put_profile(client, company, factory.token(admin.account), name="成都佳美保洁有限公司").get_json()
    resp = client.post(f"/api/v1/company-changes/{change['ref']}/decision", json={"decision": "approve"},
                       headers={"Authorization": f"Bearer {factory.token(factory.regulator_for('housekeeping'))}"})
    assert resp.status_code == 200, resp.get_json()
    grams_of_fine = {g for g, _d, s in index_rows() if s == fine.id}
    assert "佳美" in grams_of_fine and "安心" not in grams_of_fine
    assert_index_true()


def found(factory, q: str, today: date) -> list[int]:
    return [h.id for h in search.search(factory.ring, search.Filters(q=q), today=today, page=1,
                                        page_size=100).rows]


def test_remembered_counts_choose_the_start_never_the_results(app, factory, clock):
    """The counts taken when 心家 was the rarest bigram of 安心家政 stay remembered after it became the commonest;
    the search still finds exactly the matching sanctions, and counts again once the counts are stale."""
    clock.freeze(START)
    hk, _ = regulators(factory, "housekeeping", code="hk-counts")
    ticks = [0.0]
    counts = search.GramCounts(60, clock=lambda: ticks[0])
    app.extensions["listing_gram_counts"] = counts

    def sanctioned(name: str) -> int:
        company, _ = factory.company(name=name)
        s = record(factory, hk, company=company, months=6, today=START)
        sanctions.publish_sanction(factory.ring, regulator=hk, sanction=s, today=START)
        db.session.commit()
        return s.id

    first = sanctioned("成都安心家政有限公司")
    for name in ("青羊家政服务公司", "锦江家政公司", "安心物业公司"):
        sanctioned(name)
    assert found(factory, "安心家政", START) == [first]
    bigrams = ["安心", "心家", "家政"]
    assert counts.held(db.session.connection(), bigrams) == [2, 1, 3]

    for name in ("贴心家园保洁公司", "暖心家居服务公司", "爱心家庭服务公司"):
        sanctioned(name)
    second = sanctioned("新都安心家政公司")
    assert counts.held(db.session.connection(), bigrams) == [2, 1, 3]  # remembered, now wrong
    assert sorted(found(factory, "安心家政", START)) == sorted([first, second])
    ticks[0] = 61.0
    assert counts.held(db.session.connection(), bigrams) == [3, 5, 4]
    assert sorted(found(factory, "安心家政", START)) == sorted([first, second])
    # A full memory starts again rather than growing; what it answers stays right.
    small = search.GramCounts(60, size=2)
    assert small.held(db.session.connection(), ["安心", "心家"]) == [3, 5]
    assert small.held(db.session.connection(), ["家政", "安心"]) == [4, 3]


def test_percent_underscore_and_slash_in_a_fragment_are_literal(app, factory, clock):
    clock.freeze(START)
    hk, _ = regulators(factory, "housekeeping", code="hk-like")
    ids = {}
    for name in ("满100%家政公司", "满1000家政公司", "a_b物业公司", "axb物业公司", "c/d保洁公司", "cd保洁公司"):
        company, _ = factory.company(name=name)
        s = record(factory, hk, company=company, months=6, today=START)
        sanctions.publish_sanction(factory.ring, regulator=hk, sanction=s, today=START)
        db.session.commit()
        ids[name] = s.id
    assert grams.like_pattern("a_b%c/d") == "%a/_b/%c//d%"
    assert found(factory, "0%家", START) == [ids["满100%家政公司"]]
    assert found(factory, "A_B物", START) == [ids["a_b物业公司"]]
    assert found(factory, "c/d保", START) == [ids["c/d保洁公司"]]


def test_the_migration_indexes_the_sanctions_recorded_before_it(app, factory, clock):
    from flask_migrate import downgrade, upgrade

    clock.freeze(START)
    hk, _ = regulators(factory, "housekeeping", code="hk-migrate")
    for name in ("成都安心家政服务有限公司", "四川好帮手物业有限公司"):
        company, _ = factory.company(name=name)
        record(factory, hk, company=company, months=6, today=START)
    before = index_rows()
    assert len({s for _g, _d, s in before}) == 2
    db.session.remove()
    downgrade(revision="0017")  # drops listing_grams; the sanctions stay
    upgrade()
    db.session.remove()
    assert index_rows() == before == wanted_rows()
