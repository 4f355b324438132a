"""Companies are found by any fragment of their name (1, 2, 3 or more characters) and by their USCC, exactly."""
from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from registry.companies import grams, search
from registry.companies.models import Company, NameFold, NameGram
from registry.extensions import db
from tests.support.factory import bearer

# Names drawn from few characters, so fragments often match; with the characters LIKE treats specially (%, _,
# the escape character /, \), spaces, Latin letters of both cases and full-width forms that NFKC folds.
NAME_CHARS = "家政服务有限公司成都安心物业管理四川佳美%_\\/ aAbＡｂ（）("
REAL_NAMES = ["成都市武侯区安心家政服务有限公司", "四川佳美物业管理有限公司", "成都安安家政服务有限公司锦江分公司",
              "ABC（成都）家政服务有限公司", "满100%家政有限公司", "a_b物业管理有限公司", "c\\d保洁服务有限公司"]


def add_companies(factory, names: list[str]) -> dict[int, str]:
    """Companies with these names, made as registration makes them (`_new_company`: the profile applied, the
    name indexed), without their admins and log entries, which these tests do not need; by id."""
    from registry.companies import services

    made = [services._new_company(factory.ring, factory.uscc(), factory.profile(name=name)) for name in names]
    db.session.add_all(made)
    db.session.commit()
    return {c.id: c.name for c in made}


@pytest.fixture
def names(app, factory) -> dict[int, str]:
    """About two hundred companies, by id: their names as registered."""
    rng = random.Random(12)
    wanted = list(REAL_NAMES)
    while len(wanted) < 200:
        name = "".join(rng.choice(NAME_CHARS) for _ in range(rng.randint(2, 14))).strip()
        if name:
            wanted.append(name)
    return add_companies(factory, wanted)


def expected(names: dict[int, str], fragment: str) -> set[int]:
    return {cid for cid, name in names.items() if grams.fold(fragment) in grams.fold(name)}


def found(fragment: str) -> set[int]:
    """The companies the search finds."""
    return set(db.session.execute(search.company_ids_matching(fragment)).scalars())


def fragments(names: dict[int, str], length: int, n: int, seed: int) -> list[str]:
    """`n` fragments of `length` characters: mostly cut from the names, some made up (most of those match none)."""
    rng = random.Random(seed)
    pool = [name for name in names.values() if len(name) >= length]
    out = []
    for i in range(n):
        if i % 4 == 3 or not pool:
            out.append("".join(rng.choice(NAME_CHARS + "鑫x") for _ in range(length)))
        else:
            name = rng.choice(pool)
            start = rng.randrange(len(name) - length + 1)
            out.append(name[start:start + length])
    return out


@pytest.mark.parametrize("length", [1, 2, 3, 5])
def test_fragments_find_exactly_the_names_that_contain_them(names, length):
    seen_some = False
    for fragment in fragments(names, length, 60, seed=length):
        want = expected(names, fragment)
        assert found(fragment) == want, fragment
        seen_some = seen_some or bool(want)
    assert seen_some


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(fragment=st.text(alphabet=NAME_CHARS + "鑫xＢ\t", max_size=6))
def test_any_typed_fragment_finds_exactly_the_names_that_contain_it(names, fragment):
    want = expected(names, fragment)
    assert found(fragment) == want


def test_like_wildcards_and_escapes_are_literal(names):
    for fragment in ("%", "_", "\\", "/", "0%", "%家", "a_b", "c\\d", "__", "%%", "/%"):
        want = expected(names, fragment)
        assert found(fragment) == want, fragment
        if fragment in ("%", "_", "\\", "/"):
            assert want and want != set(names), fragment


def test_folding_full_width_and_case(names):
    abc = next(cid for cid, name in names.items() if name.startswith("ABC（成都）"))
    for typed in ("abc", "ＡＢＣ", " aBc ", "(成都)", "（成都）家政"):
        assert abc in found(typed), typed


def test_the_empty_fragment_matches_every_company_and_limit_takes_the_lowest_ids(names):
    assert found("") == set(names)
    assert found("   ") == set(names)
    some = sorted(expected(names, "家"))
    assert list(db.session.execute(search.company_ids_matching("家", limit=5)).scalars()) == some[:5]
    assert list(db.session.execute(search.company_ids_matching("", limit=3)).scalars()) == sorted(names)[:3]


def test_a_fragment_starts_from_its_rarest_bigram(app, factory):
    add_companies(factory, [f"成都{c}家政服务有限公司" for c in "安佳美华康福瑞"] + ["成都淼淼家政服务有限公司"])
    plan = search.plan("淼淼家政服务有限")
    assert (plan.gram, plan.held_by, plan.confirm) == ("淼淼", 1, True)
    plan = search.plan("公司")
    assert (plan.gram, plan.held_by, plan.confirm) == ("公司", 8, False)
    assert search.plan("不存在的名字").held_by == 0


def test_uscc_is_found_exactly_in_any_case_and_spacing(app, factory):
    company, _ = factory.company(name="成都测试家政有限公司")
    other, _ = factory.company(name="成都另一家政有限公司")
    code = company.uscc
    for typed in (code, code.lower(), f" {code[:6]} {code[6:]} "):
        assert found(typed) == {company.id}, typed
    assert found(code[:10]) == set()
    assert other.id not in found(code)


def test_registration_indexes_the_name(app, client):
    from registry.companies import uscc

    code = uscc.generate(random.Random(5))
    resp = client.post("/api/v1/companies", json={
        "uscc": code, "name": "  成都ＡＢＣ家政服务有限公司 ", "sectors": ["housekeeping"],
        "business_model": "intermediary",
        "district": "510104", "contact": {"name": "李联系", "phone": "13800138000"},
        "admin": {"login": "abcadmin", "name": "赵管理", "password": "correct horse battery"}})
    assert resp.status_code == 201, resp.get_json()
    company = db.session.execute(select(Company).where(Company.uscc == code)).scalar_one()
    folded = "成都abc家政服务有限公司"
    assert db.session.get(NameFold, company.id).folded == folded
    stored = set(db.session.execute(select(NameGram.gram).where(NameGram.company_id == company.id)).scalars())
    assert stored == grams.name_grams(folded)
    assert found("abc家政") == {company.id}


def test_an_approved_rename_moves_the_name_grams(client, factory):
    company, admin = factory.company(name="成都旧名鑫家政有限公司")
    token = factory.token(admin.account)
    body = {"name": "成都新名淼物业有限公司", "sectors": ["housekeeping"], "business_model": company.business_model,
            "employee_conditions": company.employee_conditions, "district": company.district,
            "contact": {"name": "李联系", "phone": "13800138000"}}
    change = client.put(f"/api/v1/companies/{company.uscc}/profile", json=body, headers=bearer(token)).get_json()
    # Requested, not approved: the verified name is what is found.
    assert found("旧名鑫") == {company.id} and found("新名淼") == set()
    hk = factory.token(factory.regulator_for("housekeeping"))
    resp = client.post(f"/api/v1/company-changes/{change['ref']}/decision", json={"decision": "approve"},
                       headers=bearer(hk))
    assert resp.status_code == 200, resp.get_json()
    db.session.expire_all()
    for fragment in ("旧", "旧名", "名鑫家", "鑫"):
        assert found(fragment) == set(), fragment
    for fragment in ("新", "新名", "新名淼物业", "成都新名淼物业有限公司"):
        assert found(fragment) == {company.id}, fragment
    stored = set(db.session.execute(select(NameGram.gram).where(NameGram.company_id == company.id)).scalars())
    assert stored == grams.name_grams("成都新名淼物业有限公司")
    assert db.session.get(NameFold, company.id).folded == "成都新名淼物业有限公司"


def test_the_migration_builds_the_grams_of_companies_registered_before_it(app, factory):
    from flask_migrate import downgrade, upgrade

    made = add_companies(factory, REAL_NAMES)
    before = set(db.session.execute(select(NameGram.gram, NameGram.company_id)).all())
    db.session.remove()
    downgrade(revision="0015-1")  # drops the gram tables; the companies stay
    upgrade()
    db.session.remove()
    assert set(db.session.execute(select(NameGram.gram, NameGram.company_id)).all()) == before
    assert {cid: grams.fold(name) for cid, name in made.items()} == dict(
        db.session.execute(select(NameFold.company_id, NameFold.folded)).all())
    assert found("安心家政") == expected(made, "安心家政") != set()


# --- the pure rules -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("raw,folded", [
    ("成都安心家政", "成都安心家政"),
    ("  ＡＢＣ（成都）  家政 ", "abc(成都) 家政"),
    ("Home\t\n家", "home 家"),
    ("１００％", "100%"),
    ("ÉCOLE", "École".replace("É", "É")),  # only ASCII letters change case
    ("", ""),
    (None, ""),
])
def test_fold(raw, folded):
    assert grams.fold(raw) == folded


def test_name_grams_are_every_character_and_neighbouring_pair():
    assert grams.name_grams("安心家") == {"安", "心", "家", "安心", "心家"}
    assert grams.name_grams("安安安") == {"安", "安安"}
    assert grams.name_grams("") == set()


@pytest.mark.parametrize("fragment,needed", [
    ("", []), ("家", ["家"]), ("家政", ["家政"]), ("安心家", ["安心", "心家"]), ("安安安安", ["安安"]),
    ("a%_", ["a%", "%_"]),
])
def test_fragment_grams(fragment, needed):
    assert grams.fragment_grams(fragment) == needed


@given(name=st.text(alphabet="家政安心%_a ", max_size=12), fragment=st.text(alphabet="家政安心%_a ", max_size=5))
def test_holding_the_fragment_grams_is_necessary_and_for_short_ones_sufficient(name, fragment):
    folded_name, folded = grams.fold(name), grams.fold(fragment)
    held = set(grams.fragment_grams(folded)) <= grams.name_grams(folded_name)
    if folded in folded_name:
        assert held
    if len(folded) <= 2:
        assert held == (folded in folded_name)
