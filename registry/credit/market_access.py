"""Market access marks (信用与市场准入挂钩): which firms are restricted, and why — pure.

A firm graded C, or bound today by a serious-dishonesty listing (`sanctions.access.company_listed`), is marked in
the public company view and page and in the regulators' company lists, with the consequences in words
(REGISTRY_MARKET_ACCESS_TEXT_ZH / _EN, defaults in config.py: more inspections, no awards or commendations, no
public funding). The mark tells; it does not itself refuse anything (what a serious listing refuses is in
sanctions/access.py). Rules: docs/rules.md, "Market access marks".
"""
from __future__ import annotations

REASONS = ("grade_c", "serious_listing")
RESTRICTED_GRADE = "C"

WORDS = {"grade_c": ("信用等级为 C", "Graded C"),
         "serious_listing": ("被列入严重失信主体名单", "On the serious-dishonesty list")}


def reasons(*, grade: str | None, listed: bool) -> list[str]:
    """Why a firm is restricted, in REASONS' order (empty: it is not)."""
    return [r for r, yes in (("grade_c", grade == RESTRICTED_GRADE), ("serious_listing", listed)) if yes]


def mark(*, grade: str | None, listed: bool, text_zh: str, text_en: str) -> dict:
    """The `market_access` of a company view: restricted, the reasons (codes and words), and the consequences'
    text (null when not restricted)."""
    found = reasons(grade=grade, listed=listed)
    return {"restricted": bool(found), "reasons": found,
            "reason_labels": [{"code": r, "zh": WORDS[r][0], "en": WORDS[r][1]} for r in found],
            "text": {"zh": text_zh, "en": text_en} if found else None}
