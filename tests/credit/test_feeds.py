"""Which scores a changed aggregate feeds (credit/feeds.py): the one table keeping.py applies to every entry."""
from __future__ import annotations

import pytest

from registry.credit.feeds import subjects_fed


@pytest.mark.parametrize("kind, links, fed", [
    ("company", {"company_id": 7}, {("company", 7)}),
    # A worker's change moves their own score and the staff share of every company that employs or employed them.
    ("worker", {"worker_id": 3, "employer_ids": [7, 8]}, {("worker", 3), ("company", 7), ("company", 8)}),
    ("worker", {"worker_id": 3}, {("worker", 3)}),
    # A service's review counts for the worker who performed it and the company that recorded it.
    ("service", {"worker_id": 3, "company_id": 7}, {("worker", 3), ("company", 7)}),
    # A complaint or a sanction counts for its subject only, whatever else it names.
    ("complaint", {"subject_kind": "worker", "worker_id": 3, "company_id": 7}, {("worker", 3)}),
    ("complaint", {"subject_kind": "company", "company_id": 7}, {("company", 7)}),
    # A score review (filed, answered, corrected) feeds its subject's score: the correction enters in its commit.
    ("score_review", {"subject_kind": "worker", "worker_id": 3}, {("worker", 3)}),
    ("score_review", {"subject_kind": "company", "company_id": 7}, {("company", 7)}),
    ("sanction", {"subject_kind": "worker", "worker_id": 3}, {("worker", 3)}),
    ("sanction", {"subject_kind": "company", "company_id": 7, "worker_id": None}, {("company", 7)}),
    # Aggregates that feed no score.
    ("agency", {}, set()),
    ("report", {"worker_id": 3}, set()),
    ("bulletin", {}, set()),
    ("calendar", {}, set()),
])
def test_subjects_fed(kind, links, fed):
    assert subjects_fed(kind, **links) == fed


def test_a_missing_link_feeds_nothing_rather_than_a_subject_of_no_id():
    assert subjects_fed("service", worker_id=3, company_id=None) == {("worker", 3)}
    assert subjects_fed("sanction", subject_kind="company", company_id=None) == frozenset()
