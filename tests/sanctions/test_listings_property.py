"""A property test over random histories: the public search never answers a sanction that is not public on the
day asked — never a repaired, withdrawn or expired record — and finds every public one matching the filters, on
every page, with the right total.

Sanctions are written straight to their table with random states, publication, decision dates and windows
(states the services would never leave them in included: the search must hold whatever the rows say), then
searched with random filters on random days; the expectation is `Sanction.is_public(today)` and the filters
checked in Python. Each sanction may have an objection in any state: every answer carries `objection_pending`
exactly while one is pending (received or accepted).
"""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from registry.clock import add_months
from registry.extensions import db
from registry.sanctions import objection_rules, rules, search
from registry.sanctions.models import Sanction, SanctionObjection
from tests.support.cardworld import green_worker
from tests.support.sanctionutil import regulators

FIRST, LAST = date(2026, 4, 1), date(2029, 12, 31)
NAMES = ("成都安心家政服务有限公司", "成都好帮手物业管理有限公司", "青羊安居家政有限公司")
DISTRICTS = ("510105", "510107", "510105")
FRAGMENTS = ("安", "安心", "家政", "物业管理", "成都", "有限公司", "不存在")


@pytest.fixture
def histories(app, factory, clock):
    clock.freeze(date(2026, 5, 29))
    w = green_worker(factory)  # its employer is in 锦江区 (510104)
    companies = [factory.company(name=n, district=d)[0] for n, d in zip(NAMES, DISTRICTS)]
    hk, _ = regulators(factory, "housekeeping", code="hk-prop-test")
    prop, _ = regulators(factory, "property", code="prop-prop-test")
    db.session.commit()
    return {"worker": w.worker, "companies": companies, "agencies": [hk.agency, prop.agency], "ring": factory.ring}


days = st.dates(min_value=FIRST, max_value=LAST)
ROW = {
    "subject": st.integers(min_value=0, max_value=3),  # 0: the worker, 1..3: a company
    "agency": st.integers(min_value=0, max_value=1),
    "kind": st.sampled_from(list(rules.KINDS)),
    "severity": st.sampled_from(list(rules.SEVERITIES)),
    "state": st.sampled_from([*rules.STATES, "published", "published", "published", "expired"]),
    "published": st.sampled_from([True, True, False]),
    # A day, or a day near the edge of the window on the day searched (its months back from today, ± a few days).
    "decision_date": st.one_of(st.none(), days, st.tuples(st.integers(min_value=-3, max_value=3)),
                               st.tuples(st.integers(min_value=0, max_value=60))),
    "months": st.one_of(st.none(), st.integers(min_value=1, max_value=36)),
    # The subject's objections, in any states (none, mostly).
    "objections": st.lists(st.sampled_from(list(objection_rules.STATES)), max_size=2),
}
any_row = st.fixed_dictionaries(ROW)
# A row published and decided within the last two months of its window's length: mostly public, so pages fill.
likely_public = st.fixed_dictionaries({
    **{k: v for k, v in ROW.items() if k not in ("state", "published", "decision_date")},
    # Repaired and withdrawn rows that are otherwise public (published, within their window): the search must
    # leave them out on the state alone.
    "state": st.sampled_from(["published", "published", "expired", "repaired", "withdrawn"]),
    "published": st.just(True),
    "decision_date": st.tuples(st.integers(min_value=0, max_value=60)),
    "months": st.integers(min_value=3, max_value=36),
})
sanction_rows = st.lists(st.one_of(any_row, likely_public), min_size=1, max_size=14)
def maybe(strategy):
    """Mostly absent: a filter narrows the rows the window's edges are checked on."""
    return st.one_of(st.none(), st.none(), st.none(), strategy)


filters = st.fixed_dictionaries({
    "q": maybe(st.one_of(st.sampled_from(FRAGMENTS), st.sampled_from(["uscc:0", "uscc:1", "card"]))),
    "sector": maybe(st.one_of(st.sampled_from(["housekeeping", "property", "market"]))),
    "district": maybe(st.one_of(st.sampled_from(["510104", "510105", "510107"]))),
    "kind": maybe(st.one_of(st.sampled_from(list(rules.KINDS)))),
    "severity": maybe(st.one_of(st.sampled_from(list(rules.SEVERITIES)))),
    "decided_from": maybe(st.one_of(days)),
    "decided_to": maybe(st.one_of(days)),
})


def _decided(r, today: date) -> date | None:
    d = r["decision_date"]
    if isinstance(d, tuple):
        return add_months(today, -(r["months"] or 1)) + timedelta(days=d[0])
    return d


def _insert(world, rows, today: date) -> list[Sanction]:
    made = []
    for r in rows:
        company = world["companies"][r["subject"] - 1] if r["subject"] else None
        agency = world["agencies"][r["agency"]]
        made.append(Sanction(
            subject_kind="company" if company else "worker", company_id=company.id if company else None,
            worker_id=None if company else world["worker"].id, agency_id=agency.id, kind=r["kind"],
            severity=r["severity"], legal_basis="依据", facts_enc="x", facts_state="x", measures="措施",
            publish_months=r["months"], state=r["state"], decision_date=_decided(r, today),
            published_dt=datetime(2026, 4, 1, tzinfo=UTC) if r["published"] else None,
            proposed_by="test"))
    db.session.add_all(made)
    db.session.flush()
    for s, r in zip(made, rows):
        for state in r["objections"]:
            db.session.add(SanctionObjection(
                sanction_id=s.id, filed_by_kind=s.subject_kind, filed_by="test", reasons_enc="x", reasons_state="x",
                in_window=False, state=state, accept_days=2, filed_dt=datetime(2026, 4, 1, tzinfo=UTC),
                filed_on=date(2026, 4, 1)))
    db.session.commit()
    return made


def _pending(made) -> set[int]:
    return {s.id for s in made if any(o.state in objection_rules.PENDING_STATES for o in s.objections)}


def _remove(made) -> None:
    ids = [s.id for s in made]
    db.session.execute(delete(SanctionObjection).where(SanctionObjection.sanction_id.in_(ids)))
    db.session.execute(delete(Sanction).where(Sanction.id.in_(ids)))
    db.session.commit()


def _expected(world, made, f: search.Filters, today: date) -> list[int]:
    def matches(s: Sanction) -> bool:
        company = s.company
        if f.q is not None:
            q = f.q
            if q == "card":
                return s.worker_id == world["worker"].id and _rest(s)
            if q.startswith("uscc:"):
                return company is not None and company.id == world["companies"][int(q[5:])].id and _rest(s)
            return company is not None and q in company.name and _rest(s)
        return _rest(s)

    def _rest(s: Sanction) -> bool:
        if f.sector and s.agency.sector != f.sector:
            return False
        if f.district:
            district = s.company.district if s.company else "510104"
            if district != f.district:
                return False
        if f.kind and s.kind != f.kind or f.severity and s.severity != f.severity:
            return False
        if f.decided_from and not (s.decision_date and s.decision_date >= f.decided_from):
            return False
        return not (f.decided_to and not (s.decision_date and s.decision_date <= f.decided_to))

    public = [s for s in made if s.is_public(today) and matches(s)]
    public.sort(key=lambda s: (s.decision_date, s.id), reverse=True)
    return [s.id for s in public]


@settings(max_examples=120, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(rows=sanction_rows, asked=filters, today=st.dates(min_value=FIRST, max_value=date(2030, 6, 30)),
       page_size=st.integers(min_value=1, max_value=5))
def test_the_search_answers_exactly_the_public_sanctions_that_match(histories, rows, asked, today, page_size):
    made = _insert(histories, rows, today)
    try:
        q = asked["q"]
        if q == "card":
            q = histories["worker"].card_no
        elif q and q.startswith("uscc:"):
            q = histories["companies"][int(q[5:])].uscc
        f = search.Filters(**{**asked, "q": q})
        want = _expected(histories, made, search.Filters(**asked), today)
        pending = _pending(made)
        got, page = [], 1
        while True:
            found = search.search(histories["ring"], f, today=today, page=page, page_size=page_size)
            # Exact on the last page; before it, a lower bound: this page and one more.
            if found.more:
                assert found.total == page * page_size + 1 <= len(want)
            else:
                assert found.total == len(want)
            by_id = {s.id: s for s in made}
            assert all(by_id[h.id].is_public(today) for h in found.rows)
            # Never a repaired or withdrawn record, never one whose window has ended (expired, recorded or not).
            assert not any(by_id[h.id].state in ("repaired", "withdrawn") for h in found.rows)
            assert all(by_id[h.id].window_end >= today >= by_id[h.id].decision_date for h in found.rows)
            # The mark, always and only while an objection is pending.
            assert all(h.view["objection_pending"] is (h.id in pending) for h in found.rows)
            got += [h.id for h in found.rows]
            if len(found.rows) < page_size:
                break
            page += 1
        assert got == want
    finally:
        db.session.rollback()
        _remove(made)


def test_the_edges_of_a_window_to_the_day(histories):
    """A one-month window decided on 31 January ends 28 February (29 in a leap year): public on it, not after."""
    made = _insert(histories, [{"subject": 1, "agency": 0, "kind": "fine", "severity": "minor", "state": "published",
                                "published": True, "decision_date": date(2027, 1, 31), "months": 1,
                                "objections": []}], date(2027, 1, 31))
    try:
        ring, f = histories["ring"], search.Filters()
        def ids(day):
            found = search.search(ring, f, today=day, page=1, page_size=10)
            assert found.total == len(found.rows)
            return [h.id for h in found.rows]

        assert ids(date(2027, 1, 30)) == []
        assert ids(date(2027, 1, 31)) == [made[0].id]
        assert ids(date(2027, 2, 28)) == [made[0].id]
        assert ids(date(2027, 3, 1)) == []
        assert ids(date(2027, 2, 28) + timedelta(days=1)) == []
    finally:
        _remove(made)
