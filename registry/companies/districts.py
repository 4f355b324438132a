"""The 20 county-level divisions of Chengdu (成都市): 12 districts, 3 counties, 5 cities.

Codes are the 6-digit administrative division codes (GB/T 2260), current since
Xinjin became a district in 2020. Chengdu's functional zones (the High-tech
Zone, Tianfu New Area and so on) are not administrative divisions and are left
out. Pure module: no Flask or database imports.
"""
from __future__ import annotations

from typing import NamedTuple


class District(NamedTuple):
    """One division: its code and its Chinese and English names."""

    code: str
    name_zh: str
    name_en: str


DISTRICTS: tuple[District, ...] = (
    District("510104", "锦江区", "Jinjiang District"),
    District("510105", "青羊区", "Qingyang District"),
    District("510106", "金牛区", "Jinniu District"),
    District("510107", "武侯区", "Wuhou District"),
    District("510108", "成华区", "Chenghua District"),
    District("510112", "龙泉驿区", "Longquanyi District"),
    District("510113", "青白江区", "Qingbaijiang District"),
    District("510114", "新都区", "Xindu District"),
    District("510115", "温江区", "Wenjiang District"),
    District("510116", "双流区", "Shuangliu District"),
    District("510117", "郫都区", "Pidu District"),
    District("510118", "新津区", "Xinjin District"),
    District("510121", "金堂县", "Jintang County"),
    District("510129", "大邑县", "Dayi County"),
    District("510131", "蒲江县", "Pujiang County"),
    District("510181", "都江堰市", "Dujiangyan City"),
    District("510182", "彭州市", "Pengzhou City"),
    District("510183", "邛崃市", "Qionglai City"),
    District("510184", "崇州市", "Chongzhou City"),
    District("510185", "简阳市", "Jianyang City"),
)

CODES: frozenset[str] = frozenset(d.code for d in DISTRICTS)

_BY_CODE = {d.code: d for d in DISTRICTS}
LANGUAGES = ("zh", "en")


def name(code: str, lang: str = "zh") -> str:
    """Return the name of the division with `code` in `lang` ("zh" or "en")."""
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {LANGUAGES}, got {lang!r}")
    try:
        district = _BY_CODE[code]
    except KeyError:
        raise KeyError(f"no Chengdu district has code {code!r}") from None
    return district.name_zh if lang == "zh" else district.name_en
