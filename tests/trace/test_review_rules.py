"""The rules of a review and the public summary, as tables (trace/review_rules.py, pure)."""
from __future__ import annotations

import pytest

from registry.trace import review_rules as rr


@pytest.mark.parametrize(("rating", "tags", "text", "fields"), [
    (5, [], None, []),
    (1, ["late", "rude"], "迟到", []),
    (3, ["punctual"] * 7, "", []),  # repeats count once
    (0, [], None, ["rating"]),
    (6, [], None, ["rating"]),
    (True, [], None, ["rating"]),
    ("5", [], None, ["rating"]),
    (None, [], None, ["rating"]),
    (5, ["made_up"], None, ["tags"]),
    (5, [1], None, ["tags"]),
    (5, "punctual", None, ["tags"]),
    (5, ["punctual", "professional", "careful", "polite", "tidy", "trustworthy"], None, ["tags"]),
    (5, [], "好" * 501, ["text"]),
    (0, ["made_up"], "好" * 501, ["rating", "tags", "text"]),
])
def test_check_review(rating, tags, text, fields):
    checked, problems = rr.check_review(rating, tags, text)
    assert [p.field for p in problems] == fields
    assert (checked is None) == bool(fields)
    assert all(p.zh and p.en and p.code for p in problems)


def test_a_checked_review_keeps_tags_once_in_vocabulary_order_and_cleans_the_text():
    checked, _ = rr.check_review(4, ["tidy", "punctual", "tidy"], "  好\x00的\n谢谢  ")
    assert checked == rr.CheckedReview(4, ["punctual", "tidy"], "好的\n谢谢")
    assert rr.check_review(4, None, "   ")[0].text is None


def test_five_hundred_characters_pass_and_control_characters_do_not_count():
    assert rr.check_review(5, [], "好" * 500)[1] == []
    assert rr.check_review(5, [], "好" * 500 + "\x00\x01")[1] == []


@pytest.mark.parametrize(("count", "total", "average"), [
    (0, 0, None), (1, 5, "5.0"), (2, 9, "4.5"), (3, 13, "4.3"), (3, 14, "4.7"), (8, 36, "4.5"), (20, 89, "4.5"),
    (4, 5, "1.3"), (40, 89, "2.2"), (16, 41, "2.6"),
])
def test_average_has_one_decimal_rounded_half_up(count, total, average):
    assert rr.average(count, total) == average


def test_recent_tags_are_the_most_frequent_of_the_newest_reviews_with_words():
    lists = [["late"], ["late", "rude"], ["punctual"], ["rude"], ["late"], ["careful"]]
    assert rr.recent_tags(lists) == [
        {"code": "late", "zh": "迟到", "en": "Late", "count": 3},
        {"code": "rude", "zh": "态度差", "en": "Rude", "count": 2},
        {"code": "punctual", "zh": "准时", "en": "Punctual", "count": 1},  # ties: vocabulary order
    ]


def test_recent_tags_read_only_the_newest_twenty_and_count_a_review_once():
    newest = [["punctual", "punctual"]] * 20
    older = [["rude"]] * 30
    assert rr.recent_tags(newest + older) == [{"code": "punctual", "zh": "准时", "en": "Punctual", "count": 20}]


def test_a_retired_tag_still_shows_as_itself():
    assert rr.recent_tags([["gone"]]) == [{"code": "gone", "zh": "gone", "en": "gone", "count": 1}]


def test_summary():
    assert rr.summary(0, None, []) == {"count": 0, "average": None, "recent_tags": []}
    assert rr.summary(2, 7, [["tidy"], []]) == {
        "count": 2, "average": "3.5", "recent_tags": [{"code": "tidy", "zh": "干净整洁", "en": "Clean and tidy",
                                                       "count": 1}]}
