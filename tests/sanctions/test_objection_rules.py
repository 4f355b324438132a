"""The pure rules of objections (every allowed and refused transition) and of attachments (content sniffing)."""
from __future__ import annotations

import pytest

from registry.attachments import rules as arules
from registry.sanctions import objection_rules as orules

ALLOWED = {
    ("received", "accept"): "accepted",
    ("received", "reject"): "rejected",
    ("accepted", "uphold"): "upheld",
    ("accepted", "dismiss"): "dismissed",
}


@pytest.mark.parametrize("state", list(orules.STATES))
@pytest.mark.parametrize("step", list(orules.STEPS))
def test_every_transition_is_allowed_or_refused_with_a_stable_code(state, step):
    got = orules.transition(state, step)
    if (state, step) in ALLOWED:
        assert got == ALLOWED[(state, step)]
    else:
        assert isinstance(got, orules.Refused)
        assert got.code == ("objection_answered" if state in orules.ANSWERED_STATES else "wrong_state")
        assert got.en and got.zh


def test_unknown_steps_and_states_are_refused():
    assert orules.transition("received", "approve").code == "unknown_step"
    assert orules.transition("lost", "accept").code == "wrong_state"


def test_steps_from_each_state_match_the_table():
    assert {s: orules.steps_from(s) for s in orules.STATES} == {
        "received": ["accept", "reject"], "accepted": ["uphold", "dismiss"], "rejected": [], "upheld": [],
        "dismissed": []}


def test_pending_states_are_the_ones_with_a_running_deadline():
    for state in orules.STATES:
        assert (orules.deadline_kind(state) is not None) == (state in orules.PENDING_STATES)
    assert orules.deadline_kind("received") == "accept" and orules.deadline_kind("accepted") == "answer"


@pytest.mark.parametrize("state", ["proposed", "notified", "decided", "approved", "published", "expired", "withdrawn"])
def test_who_may_object_when(state):
    refused = orules.may_object(state, 0)
    if state in ("proposed", "withdrawn"):
        assert refused.code == "not_objectable"
    else:
        assert refused is None
        assert orules.may_object(state, 1).code == "objection_pending"


def test_only_a_pending_objection_filed_inside_the_window_blocks_the_decision():
    for state in orules.STATES:
        assert orules.blocks_decision(state=state, in_window=True) == (state in orules.PENDING_STATES)
        assert not orules.blocks_decision(state=state, in_window=False)


PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"


def test_documents_are_judged_by_their_first_bytes():
    assert [arules.sniff(x) for x in (PDF, JPEG, PNG)] == ["application/pdf", "image/jpeg", "image/png"]
    for other in (b"GIF89a", b"PK\x03\x04", b"<html>%PDF-", b" %PDF-", b"MZ\x90\x00"):
        assert arules.sniff(other) is None
    kinds, problems = arules.check_files([PDF, JPEG, PNG])
    assert kinds == ["application/pdf", "image/jpeg", "image/png"] and problems == []


def test_too_many_empty_too_large_or_other_files_are_refused_by_position():
    _kinds, problems = arules.check_files([PDF] * 6)
    assert [(p.field, p.code) for p in problems] == [("documents", "too_many_files")]
    big = PDF + b"\0" * arules.MAX_BYTES
    _kinds, problems = arules.check_files([PDF, b"", big, b"GIF89a"])
    assert [(p.field, p.code) for p in problems] == [("documents.1", "file_empty"), ("documents.2", "file_too_large"),
                                                     ("documents.3", "file_type")]
    exactly = PDF + b"\0" * (arules.MAX_BYTES - len(PDF))
    assert arules.check_files([exactly] * arules.MAX_FILES)[1] == []
