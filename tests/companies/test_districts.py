"""Chengdu's county-level divisions (registry.companies.districts)."""
from __future__ import annotations

import pytest

from registry.companies.districts import CODES, DISTRICTS, name

EXPECTED = {
    "510104": ("锦江区", "Jinjiang"),
    "510105": ("青羊区", "Qingyang"),
    "510106": ("金牛区", "Jinniu"),
    "510107": ("武侯区", "Wuhou"),
    "510108": ("成华区", "Chenghua"),
    "510112": ("龙泉驿区", "Longquanyi"),
    "510113": ("青白江区", "Qingbaijiang"),
    "510114": ("新都区", "Xindu"),
    "510115": ("温江区", "Wenjiang"),
    "510116": ("双流区", "Shuangliu"),
    "510117": ("郫都区", "Pidu"),
    "510118": ("新津区", "Xinjin"),
    "510121": ("金堂县", "Jintang"),
    "510129": ("大邑县", "Dayi"),
    "510131": ("蒲江县", "Pujiang"),
    "510181": ("都江堰市", "Dujiangyan"),
    "510182": ("彭州市", "Pengzhou"),
    "510183": ("邛崃市", "Qionglai"),
    "510184": ("崇州市", "Chongzhou"),
    "510185": ("简阳市", "Jianyang"),
}
SUFFIX_EN = {"区": "District", "县": "County", "市": "City"}


def test_twenty_divisions_in_code_order():
    assert len(DISTRICTS) == 20
    codes = [d[0] for d in DISTRICTS]
    assert codes == sorted(codes)
    assert len(set(codes)) == 20


def test_entries_are_code_name_zh_name_en_tuples():
    for entry in DISTRICTS:
        assert isinstance(entry, tuple) and len(entry) == 3
        code, name_zh, name_en = entry
        assert (entry.code, entry.name_zh, entry.name_en) == (code, name_zh, name_en)


def test_codes_match_the_division_list():
    assert isinstance(CODES, frozenset)
    assert CODES == set(EXPECTED)
    assert all(len(c) == 6 and c.isdigit() and c.startswith("5101") for c in CODES)


@pytest.mark.parametrize("code,names", EXPECTED.items())
def test_names(code, names):
    zh, en_stem = names
    assert name(code, "zh") == zh
    assert name(code, "en") == f"{en_stem} {SUFFIX_EN[zh[-1]]}"


def test_twelve_districts_three_counties_five_cities():
    suffixes = [d.name_zh[-1] for d in DISTRICTS]
    assert (suffixes.count("区"), suffixes.count("县"), suffixes.count("市")) == (12, 3, 5)


def test_name_defaults_to_chinese():
    assert name("510107") == "武侯区"


@pytest.mark.parametrize("code", ["510100", "510122", "510124", "510132", "512081", "", "510104 "])
def test_unknown_or_retired_code_raises(code):
    with pytest.raises(KeyError):
        name(code, "en")


@pytest.mark.parametrize("lang", ["fr", "", "ZH", "zh_Hans"])
def test_unknown_language_raises(lang):
    with pytest.raises(ValueError):
        name("510104", lang)
