"""Only substantiated complaints are ever public: random histories of complaints, driven through the services,
against every public answer (card API and page, company API and page, listings, bulletins and their feed)."""
from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry.complaints import rules
from tests.support.cardworld import green_worker
from tests.support.complaintutil import PATHS, file_card, file_code, serve, walk

SUBJECTS = ("worker_a", "worker_b", "company")
HISTORY = st.lists(st.tuples(st.sampled_from(SUBJECTS), st.sampled_from(sorted(PATHS)),
                             st.sampled_from(sorted(rules.CATEGORIES))), min_size=1, max_size=4)


@pytest.fixture
def world(app, factory):
    a = green_worker(factory)
    b = green_worker(factory, name="李桂兰", seed=9)
    market = factory.agency_user(factory.agency(sector="market", code="mkt")).account
    return {"a": a, "b": b, "market": market, "filed": [], "n": 0}


def _public_answers(client, world) -> dict[str, str]:
    a, b = world["a"], world["b"]
    return {
        "card_a": client.get(f"/api/v1/cards/{a.card_no}").get_data(as_text=True),
        "card_b": client.get(f"/api/v1/cards/{b.card_no}").get_data(as_text=True),
        "card_page_a": client.get(f"/c/{a.card_no}").get_data(as_text=True),
        "company": client.get(f"/api/v1/companies/{a.company.uscc}").get_data(as_text=True),
        "company_page": client.get(f"/companies/{a.company.uscc}").get_data(as_text=True),
        "listings": client.get("/api/v1/listings").get_data(as_text=True),
        "listings_page": client.get("/listings").get_data(as_text=True),
        "bulletins": client.get("/api/v1/bulletins").get_data(as_text=True),
        "feed": client.get("/bulletins.atom").get_data(as_text=True),
    }


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=HISTORY)
def test_public_answers_hold_exactly_the_substantiated_complaints(app, client, factory, world, history):
    a, b, market = world["a"], world["b"], world["market"]
    for subject, state, category in history:
        world["n"] += 1
        if subject == "company":
            _s, reference, code = serve(factory, company=a.company, admin=a.admin, worker=a.worker,
                                        phone=f"1391234{world['n']:04d}")
            filed = file_code(factory, reference=reference, code=code, about="company", category=category)
        else:
            filed = file_card(factory, (a if subject == "worker_a" else b).worker, category=category)
        walk(factory, market, filed.complaint, state)
        world["filed"].append((subject, state, category, filed))

    def expected(subject):
        return Counter(c for s, st_, c, _f in world["filed"] if s == subject and st_ == "substantiated")

    answers = _public_answers(client, world)
    for key, subject in (("card_a", "worker_a"), ("card_b", "worker_b"), ("company", "company")):
        import json

        view = json.loads(answers[key])["complaints"]
        assert view["substantiated"] == sum(expected(subject).values())
        assert Counter(i["category"] for i in view["list"]) == expected(subject)
        assert all(i["agency"]["code"] == "mkt" for i in view["list"])
    for key, subject in (("card_page_a", "worker_a"), ("company_page", "company")):
        import re

        assert Counter(re.findall(r'class="complaint" data-category="(\w+)"', answers[key])) == expected(subject)
    # Nothing of any complaint — its reference, its refs — in any public answer, and nothing in the lists or
    # bulletins at all.
    everything = "\n".join(answers.values())
    for _s, _st, _c, filed in world["filed"]:
        c = filed.complaint
        for token in (filed.reference, c.ref, c.log_ref, c.reference):
            assert token not in everything
    for key in ("listings", "listings_page", "bulletins", "feed"):
        assert "complaint" not in answers[key].lower() or key == "listings_page"
