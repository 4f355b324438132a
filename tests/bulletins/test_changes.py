"""Open-data change files: the canonical line, diff and apply case by case, their refusals, and the property a
re-user relies on — the previous full file plus the changes is the current full file, byte for byte."""
from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry.bulletins.changes import Changes, apply, diff, line, sorted_lines

# New random examples every run (a failure prints how to reproduce it).
PROPERTY = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def rec(ref: str, **values) -> dict:
    return {"ref": ref, **values}


def refs(records: list[dict]) -> list[str]:
    return [r["ref"] for r in records]


# --- line and sorted_lines ---------------------------------------------------------------------


@pytest.mark.parametrize(("record", "expected"), [
    ({"ref": "a"}, '{"ref":"a"}'),
    ({"z": 1, "ref": "a", "b": [1, 2]}, '{"b":[1,2],"ref":"a","z":1}'),  # keys sorted, no spaces
    ({"ref": "c", "name": "家政服务有限公司"}, '{"name":"家政服务有限公司","ref":"c"}'),  # Chinese as is
    ({"ref": "q", "t": 'say "hi"\\now'}, '{"ref":"q","t":"say \\"hi\\"\\\\now"}'),
    ({"ref": "n", "t": "two\nlines\r\tand\x00"}, '{"ref":"n","t":"two\\nlines\\r\\tand\\u0000"}'),  # stays one line
    ({"ref": "u", "t": "\u2028\u2029😀"}, '{"ref":"u","t":"\u2028\u2029😀"}'),
    ({"ref": "v", "x": None, "y": True, "f": 1.5, "i": -3}, '{"f":1.5,"i":-3,"ref":"v","x":null,"y":true}'),
    ({"ref": "w", "o": {"b": 1, "a": {"d": 2, "c": 3}}}, '{"o":{"a":{"c":3,"d":2},"b":1},"ref":"w"}'),  # nested too
])
def test_the_canonical_line(record, expected):
    assert line(record) == expected
    assert "\n" not in line(record)
    assert json.loads(line(record)) == record


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_values_json_cannot_carry_are_refused(value):
    with pytest.raises(ValueError):
        line({"ref": "a", "x": value})


def test_a_lone_surrogate_is_refused_when_the_line_is_made_not_when_the_file_is_written():
    with pytest.raises(ValueError):
        line({"ref": "a", "x": "bad \ud800 text"})


def test_sorted_lines_is_the_file_bytes():
    records = [rec("b", n="乙"), rec("a", n="甲"), rec("c")]
    # 乙 is U+4E59, 甲 U+7532: by bytes, b's line comes first.
    assert sorted_lines(records) == '{"n":"乙","ref":"b"}\n{"n":"甲","ref":"a"}\n{"ref":"c"}\n'.encode()
    assert sorted_lines(reversed(records)) == sorted_lines(records)  # order of input does not matter
    assert sorted_lines([]) == b""


def test_sorted_lines_sorts_the_bytes_not_the_refs():
    """The file is the lines sorted as bytes: a record's first key decides, not its ref."""
    records = [rec("a", z=1), rec("b", a=1)]
    assert sorted_lines(records) == b'{"a":1,"ref":"b"}\n{"ref":"a","z":1}\n'


# --- diff ---------------------------------------------------------------------------------------


def test_diff_of_identical_files_is_empty():
    records = [rec("a", x=1), rec("b", x=2)]
    assert diff(records, [dict(r) for r in reversed(records)]) == Changes([], [], [])


def test_diff_from_and_to_nothing():
    records = [rec("b", x=2), rec("a", x=1)]
    assert diff([], records) == Changes(added=[rec("a", x=1), rec("b", x=2)], removed=[], changed=[])
    assert diff(records, []) == Changes(added=[], removed=[rec("a", x=1), rec("b", x=2)], changed=[])
    assert diff([], []) == Changes()


def test_diff_sorts_each_list_by_ref_and_holds_the_right_versions():
    previous = [rec("k", v="old"), rec("d", v=1), rec("a", v=1), rec("m", v="same")]
    current = [rec("m", v="same"), rec("z", v=9), rec("k", v="new"), rec("b", v=2), rec("c", v=3)]
    changes = diff(previous, current)
    assert changes.added == [rec("b", v=2), rec("c", v=3), rec("z", v=9)]
    assert changes.removed == [rec("a", v=1), rec("d", v=1)]  # the previous records
    assert changes.changed == [rec("k", v="new")]  # the current version


@pytest.mark.parametrize(("old", "new"), [
    (1, 1.0),  # equal in Python, "1" and "1.0" in JSON
    (1, True),
    (0, False),
    ("1", 1),
    ([1, 2], [2, 1]),
    ({"a": 1}, {"a": 1, "b": None}),  # a key added, even with null
    ("甲", "乙"),
])
def test_changed_means_the_line_differs(old, new):
    changes = diff([rec("a", x=old)], [rec("a", x=new)])
    assert changes.changed == [rec("a", x=new)] and changes.added == changes.removed == []
    assert sorted_lines(apply([rec("a", x=old)], changes)) == sorted_lines([rec("a", x=new)])


def test_key_order_is_no_change():
    assert diff([{"ref": "a", "x": 1, "y": 2}], [{"y": 2, "x": 1, "ref": "a"}]) == Changes()


def test_a_field_removed_is_a_change():
    assert diff([rec("a", x=1)], [rec("a")]).changed == [rec("a")]


@pytest.mark.parametrize(("previous", "current", "where"), [
    ([rec("a"), rec("a", x=1)], [], "previous: ref 'a' appears more than once"),
    ([], [rec("b", x=1), rec("c"), rec("b", x=1)], "current: ref 'b' appears more than once"),
    ([{"x": 1}], [], "previous: every record needs a string 'ref'"),
    ([], [{"ref": 7}], "current: every record needs a string 'ref'"),
    ([], [{"ref": None}], "current: every record needs a string 'ref'"),
    ([], [["ref", "a"]], "current: a record must be a JSON object"),
])
def test_diff_refuses_files_without_one_string_ref_per_record(previous, current, where):
    with pytest.raises(ValueError, match=where):
        diff(previous, current)


# --- apply --------------------------------------------------------------------------------------


def test_apply_each_kind_of_change():
    previous = [rec("b", v=1), rec("a", v=1), rec("c", v=1)]
    assert apply(previous, Changes()) == [rec("a", v=1), rec("b", v=1), rec("c", v=1)]  # sorted by ref
    assert apply(previous, Changes(added=[rec("0", v=2)])) == [rec("0", v=2), *apply(previous, Changes())]
    assert apply(previous, Changes(removed=[rec("b", v=1)])) == [rec("a", v=1), rec("c", v=1)]
    assert apply(previous, Changes(changed=[rec("c", v=2)])) == [rec("a", v=1), rec("b", v=1), rec("c", v=2)]
    both = Changes(added=[rec("d")], removed=[rec("a", v=1)], changed=[rec("b", v=5)])
    assert apply(previous, both) == [rec("b", v=5), rec("c", v=1), rec("d")]


def test_apply_does_not_touch_its_inputs():
    previous = [rec("a", v=1), rec("b", v=1)]
    changes = Changes(added=[rec("c")], removed=[rec("a", v=1)], changed=[rec("b", v=2)])
    before = (sorted_lines(previous), json.dumps([changes.added, changes.removed, changes.changed]))
    apply(previous, changes)
    assert (sorted_lines(previous), json.dumps([changes.added, changes.removed, changes.changed])) == before


@pytest.mark.parametrize(("changes", "reason"), [
    (Changes(removed=[rec("x")]), "removed: ref 'x' is not in the previous file"),
    (Changes(changed=[rec("x", v=1)]), "changed: ref 'x' is not in the previous file"),
    (Changes(added=[rec("a", v=9)]), "added: ref 'a' is already in the previous file"),
    (Changes(removed=[rec("a", v=2)]), r"removed: ref 'a' differs from the previous file's record"),
    (Changes(removed=[rec("a", v=1)], added=[rec("a", v=2)]), "refs in more than one list of the changes"),
    (Changes(removed=[rec("a", v=1)], changed=[rec("a", v=2)]), "refs in more than one list of the changes"),
    (Changes(changed=[rec("x")], added=[rec("x")]), "refs in more than one list of the changes"),
    (Changes(added=[rec("x"), rec("x", v=1)]), "added: ref 'x' appears more than once"),
    (Changes(changed=[rec("a", v=2), rec("a", v=3)]), "changed: ref 'a' appears more than once"),
    (Changes(added=[{"v": 1}]), "added: every record needs a string 'ref'"),
])
def test_apply_refuses_changes_that_do_not_fit(changes, reason):
    with pytest.raises(ValueError, match=reason):
        apply([rec("a", v=1), rec("b", v=1)], changes)


def test_apply_refuses_a_previous_file_with_a_duplicate_ref():
    with pytest.raises(ValueError, match="previous: ref 'a' appears more than once"):
        apply([rec("a"), rec("a")], Changes())


def test_changes_made_for_one_file_do_not_apply_to_another():
    p1 = [rec("a", v=1), rec("b", v=1)]
    p2 = [rec("b", v=2), rec("c", v=1)]
    c12 = diff(p1, p2)
    assert sorted_lines(apply(p1, c12)) == sorted_lines(p2)
    with pytest.raises(ValueError):
        apply(p2, c12)  # 'a' is not there to remove, 'c' is already there


# --- the property: previous + diff(previous, current) == current, byte for byte -------------------

REFS = st.text(alphabet=st.sampled_from("abcdef甲乙丙丁0123-_ \"\\\n"), min_size=1, max_size=4)
TEXT = st.one_of(
    st.text(max_size=12),  # any Unicode scalar value (hypothesis leaves out surrogates)
    st.text(alphabet=st.sampled_from('家政服务公示公告"\\/\n\r\t\b\f\x00\x1f\x7f\u2028\u2029é😀 '), max_size=12),
)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70),
                    st.floats(allow_nan=False, allow_infinity=False), TEXT)
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(TEXT, inner, max_size=3)), max_leaves=6)
FIELDS = st.dictionaries(TEXT.filter(lambda k: k != "ref"), VALUES, max_size=4)


@st.composite
def periods(draw, count: int) -> list[list[dict]]:
    """`count` consecutive full files over one pool of refs: each ref absent, or present with drawn fields, in
    each file — so between two files a ref can be added, removed, changed or kept, and kept records often are
    identical (a change drawn with the same fields is no change)."""
    pool = draw(st.lists(REFS, unique=True, max_size=12))
    files: list[list[dict]] = [[] for _ in range(count)]
    for ref in pool:
        versions = draw(st.lists(FIELDS, min_size=1, max_size=2))
        for f in files:
            choice = draw(st.integers(0, len(versions)))  # 0: absent; otherwise one of the versions
            if choice:
                f.append({**versions[choice - 1], "ref": ref})
    shuffle = draw(st.randoms()).shuffle
    for f in files:  # files arrive in any order
        shuffle(f)
    return files


@PROPERTY
@given(periods(2))
def test_previous_plus_changes_is_the_current_file_byte_for_byte(files):
    previous, current = files
    changes = diff(previous, current)
    assert sorted_lines(apply(previous, changes)) == sorted_lines(current)
    # The changes are minimal and sorted: each ref once, in the list its fate says.
    before, after = {r["ref"]: line(r) for r in previous}, {r["ref"]: line(r) for r in current}
    assert refs(changes.added) == sorted(after.keys() - before.keys())
    assert refs(changes.removed) == sorted(before.keys() - after.keys())
    assert refs(changes.changed) == sorted(k for k in before.keys() & after.keys() if before[k] != after[k])
    assert [line(r) for r in changes.removed] == [before[k] for k in refs(changes.removed)]
    assert [line(r) for r in changes.changed] == [after[k] for k in refs(changes.changed)]
    assert refs(apply(previous, changes)) == sorted(after)


@PROPERTY
@given(periods(3))
def test_three_consecutive_periods_chain(files):
    p1, p2, p3 = files
    c12, c23 = diff(p1, p2), diff(p2, p3)
    p2_built = apply(p1, c12)
    assert sorted_lines(p2_built) == sorted_lines(p2)
    p3_built = apply(p2_built, c23)  # the re-user's copy, never the registry's own p2
    assert sorted_lines(p3_built) == sorted_lines(p3)
    assert sorted_lines(p3_built) == sorted_lines(apply(p1, diff(p1, p3)))


@PROPERTY
@given(periods(2))
def test_the_file_bytes_are_valid_utf8_json_lines_that_read_back(files):
    previous, _ = files
    data = sorted_lines(previous)
    lines = data.decode("utf-8").split("\n")
    assert lines[-1] == "" and len(lines) == len(previous) + 1
    assert sorted(json.loads(x)["ref"] for x in lines[:-1]) == sorted(refs(previous))
    assert lines[:-1] == sorted(lines[:-1])


# --- another key: the red list's files are keyed by `uscc` ---------------------------------------


def rekey(records: list[dict]) -> list[dict]:
    """The same records keyed by `uscc` instead of `ref` (and without a `ref`)."""
    return [{**{k: v for k, v in r.items() if k != "ref"}, "uscc": r["ref"]} for r in records]


def test_diff_and_apply_by_another_key():
    previous = [{"uscc": "B", "v": 1}, {"uscc": "A", "v": 1}, {"uscc": "C", "v": 1}]
    current = [{"uscc": "C", "v": 2}, {"uscc": "D"}, {"uscc": "B", "v": 1}]
    found = diff(previous, current, key="uscc")
    assert found == Changes(added=[{"uscc": "D"}], removed=[{"uscc": "A", "v": 1}], changed=[{"uscc": "C", "v": 2}])
    assert apply(previous, found, key="uscc") == [{"uscc": "B", "v": 1}, {"uscc": "C", "v": 2}, {"uscc": "D"}]
    # A record without the key is refused, naming the key; a record's `ref` is then just a field.
    with pytest.raises(ValueError, match="current: every record needs a string 'uscc'"):
        diff([], [{"ref": "A"}], key="uscc")
    with pytest.raises(ValueError, match="added: uscc 'B' is already in the previous file"):
        apply(previous, Changes(added=[{"uscc": "B"}]), key="uscc")


@PROPERTY
@given(periods(2))
def test_previous_plus_changes_is_the_current_file_byte_for_byte_by_another_key(files):
    previous, current = (rekey(f) for f in files)
    changes = diff(previous, current, key="uscc")
    assert sorted_lines(apply(previous, changes, key="uscc")) == sorted_lines(current)
    assert [r["uscc"] for r in apply(previous, changes, key="uscc")] == sorted(r["uscc"] for r in current)
