"""The keys a company name is found by: its folded form, and the characters and pairs of characters in it.

Pure (no Flask, no database). Chinese names are searched by fragments as short as one or two characters
(家政, 物业, 安心), which trigram indexes cannot serve, so a name is kept as the set of its single characters
(unigrams) and its pairs of neighbouring characters (bigrams). A fragment of one or two characters is then one
exact look-up; a longer one is found among the names holding its bigrams and confirmed against the folded name
(`companies.search`).

Both the name and what someone types are folded the same way (`fold`): Unicode NFKC (full-width letters, digits
and brackets become their ordinary forms: （成都） is (成都), ＡＢＣ is ABC), ASCII letters lower-cased, spaces
trimmed and each run of them made one space. A fragment matches a name exactly when
`fold(fragment) in fold(name)`.
"""
from __future__ import annotations

import re
import unicodedata

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """The form names and fragments are compared in."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text or "")).strip().translate(_ASCII_LOWER)


def bigrams(folded: str) -> list[str]:
    """The distinct pairs of neighbouring characters, in order of first appearance."""
    return list(dict.fromkeys(folded[i:i + 2] for i in range(len(folded) - 1)))


def name_grams(folded: str) -> set[str]:
    """What a folded name is indexed under: every character and every pair of neighbouring characters."""
    return set(folded) | set(bigrams(folded))


def fragment_grams(folded: str) -> list[str]:
    """The grams a folded fragment needs a name to hold: itself when it has one or two characters (then holding
    it is matching it), else its bigrams (necessary, not sufficient: the folded name confirms)."""
    if len(folded) <= 2:
        return [folded] if folded else []
    return bigrams(folded)


LIKE_ESCAPE = "/"


def like_pattern(folded: str) -> str:
    """`LIKE` pattern (escape character LIKE_ESCAPE) of the names containing `folded`: %, _ and / literal."""
    escaped = folded.replace("/", "//").replace("%", "/%").replace("_", "/_")
    return f"%{escaped}%"
