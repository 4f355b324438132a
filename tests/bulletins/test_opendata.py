"""The open-data files of a bulletin: the columns, CSV as Excel reads it (BOM, header, CRLF), sorting, file names,
and — across three consecutive months gathered from the database with additions, expiries and corrections — change
files that turn the previous full file into the current one byte for byte."""
from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, time, timedelta

import pytest

from registry.bulletins import changes, manifest, opendata
from registry.bulletins.content import Person, Record
from registry.bulletins.gather import gather
from registry.bulletins.periods import parse
from registry.clock import SHANGHAI
from registry.extensions import db
from registry.sanctions import objections
from registry.sanctions import services as sanctions
from tests.support.cardworld import REAL_NAME, green_worker
from tests.support.sanctionutil import record, regulators

D = date.fromisoformat
BOM = b"\xef\xbb\xbf"


def rec(ref: str, **over) -> Record:
    values = dict(ref=ref, subject_kind="company", subject_id="91510100MA6C000001",
                  subject_name="成都安心家政服务有限公司", district="510105", kind="fine", kind_zh="罚款",
                  severity="general", severity_zh="一般", decision_no="商务罚〔2026〕11号",
                  decision_date=D("2026-04-15"), legal_basis="《家政服务条例》第十二条", agency_code="hk",
                  agency_zh="成都市商务局", sector="housekeeping", window_end=D("2026-10-15"), persons=())
    values.update(over)
    return Record(**values)


def csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(BOM)
    return list(csv.reader(io.StringIO(data[len(BOM):].decode("utf-8"), newline="")))


# --- the columns ---------------------------------------------------------------------------------


def test_record_dict_has_every_column_in_json_form():
    r = rec("b", persons=(Person("legal_representative", "法定代表人", "张**"),
                          Person("responsible", "直接责任人员", "欧阳**", "JX2604000017")))
    d = opendata.record_dict(r)
    assert tuple(d) == opendata.COLUMNS
    assert d["decision_date"] == "2026-04-15" and d["window_end"] == "2026-10-15"
    assert d["persons"] == ["法定代表人:张**", "直接责任人员:欧阳**:JX2604000017"]
    assert (d["kind"], d["kind_zh"], d["severity"], d["severity_zh"]) == ("fine", "罚款", "general", "一般")
    assert d["objection_pending"] is False
    assert opendata.record_dict(rec("p", objection_pending=True))["objection_pending"] is True
    none = opendata.record_dict(rec("c", district=None, decision_no=None, window_end=None))
    assert (none["district"], none["decision_no"], none["window_end"], none["persons"]) == (None, None, None, [])


def test_every_column_is_documented():
    doc = opendata.__doc__
    for column in opendata.COLUMNS:
        assert f"`{column}`" in doc, column


# --- CSV -----------------------------------------------------------------------------------------


def test_csv_has_a_bom_a_header_crlf_and_rows_sorted_by_ref():
    data = opendata.full_csv([rec("c"), rec("a"), rec("b", district=None)])
    assert data.startswith(BOM) and not data.startswith(BOM + BOM)
    text = data[len(BOM):].decode("utf-8")
    lines = text.split("\r\n")
    assert lines[0] == ",".join(opendata.COLUMNS)
    assert lines[-1] == "" and len(lines) == 5  # header, three rows, and the last CRLF
    assert "\n" not in text.replace("\r\n", "")
    rows = csv_rows(data)
    assert [r[0] for r in rows[1:]] == ["a", "b", "c"]
    assert rows[2][opendata.COLUMNS.index("district")] == ""  # None: an empty cell


def test_csv_quotes_what_needs_it_and_joins_persons():
    r = rec("a", legal_basis='《条例》第一条, 第二条 "罚款"', persons=(
        Person("legal_representative", "法定代表人", "张**"),
        Person("responsible", "直接责任人员", "欧阳**", "JX2604000017")))
    rows = csv_rows(opendata.full_csv([r]))
    row = dict(zip(rows[0], rows[1]))
    assert row["legal_basis"] == '《条例》第一条, 第二条 "罚款"'
    assert row["persons"] == "法定代表人:张**; 直接责任人员:欧阳**:JX2604000017"
    assert row["decision_date"] == "2026-04-15"
    assert row["objection_pending"] == "false"
    pending = dict(zip(*csv_rows(opendata.full_csv([rec("p", objection_pending=True)]))))
    assert pending["objection_pending"] == "true"


@pytest.mark.parametrize("name", ["=HYPERLINK(\"http://x\")", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_csv_cells_never_start_a_formula(name):
    r = rec("a", subject_name=name)
    row = csv_rows(opendata.full_csv([r]))[1]
    assert row[opendata.COLUMNS.index("subject_name")] == "'" + name
    # The JSON Lines file carries the value as it is.
    assert json.loads(opendata.full_jsonl([r]))["subject_name"] == name


def test_empty_files():
    assert opendata.full_csv([]) == BOM + (",".join(opendata.COLUMNS) + "\r\n").encode()
    assert opendata.full_jsonl([]) == b""


# --- JSON Lines ----------------------------------------------------------------------------------


def test_jsonl_is_one_canonical_line_per_record_sorted_by_ref():
    records = [rec("c"), rec("a", agency_code="zz"), rec("b")]
    data = opendata.full_jsonl(records)
    assert data.endswith(b"\n") and b"\r" not in data
    lines = data.decode("utf-8").split("\n")[:-1]
    assert [json.loads(x)["ref"] for x in lines] == ["a", "b", "c"]  # by ref, not by the first key's value
    assert lines == [changes.line(opendata.record_dict(r)) for r in sorted(records, key=lambda r: r.ref)]
    assert "罚款" in lines[0]  # UTF-8 as is, not \\u escapes
    assert opendata.parse_jsonl(data) == [opendata.record_dict(r) for r in sorted(records, key=lambda r: r.ref)]


# --- change files --------------------------------------------------------------------------------


def test_change_files_of_hand_made_lists():
    previous = [rec("a"), rec("b"), rec("c")]
    current = [rec("b", decision_no="商务罚〔2026〕12号"), rec("c"), rec("d")]
    made = opendata.change_files(opendata.parse_jsonl(opendata.full_jsonl(previous)), current)
    assert set(made) == {f"{k}.{e}" for k in ("added", "removed", "changed") for e in ("jsonl", "csv")}
    assert [r["ref"] for r in opendata.parse_jsonl(made["added.jsonl"])] == ["d"]
    assert [r["ref"] for r in opendata.parse_jsonl(made["removed.jsonl"])] == ["a"]
    assert [r["ref"] for r in opendata.parse_jsonl(made["changed.jsonl"])] == ["b"]
    assert [r[0] for r in csv_rows(made["changed.csv"])] == ["ref", "b"]
    unchanged = opendata.change_files(opendata.parse_jsonl(opendata.full_jsonl(current)), current)
    assert all(data in (b"", BOM + (",".join(opendata.COLUMNS) + "\r\n").encode()) for data in unchanged.values())


# --- file names ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("key", "version"), [("2026-11", 1), ("2026-W48", 2), ("2026-01", 12)])
def test_file_names_are_plain(key, version):
    names = opendata.file_names(key, version)
    assert names["pdf"] == f"jiaxin-bulletin-{key}-v{version}.pdf"
    assert names["full.csv"] == f"jiaxin-bulletin-{key}-v{version}-full.csv"
    assert names["changed.jsonl"] == f"jiaxin-bulletin-{key}-v{version}-changed.jsonl"
    assert set(names) == {"pdf"} | {f"{k}.{e}" for k in ("full", "added", "removed", "changed")
                                    for e in ("csv", "jsonl")}
    assert len(set(names.values())) == len(names)
    assert all(manifest.is_plain_name(n) for n in names.values())


def test_file_names_refuse_what_is_not_plain():
    with pytest.raises(ValueError):
        opendata.file_names("../2026-11", 1)


# --- three months from the database --------------------------------------------------------------


def at(day: str, clock_time: time = time(12)) -> datetime:
    return datetime.combine(D(day), clock_time, tzinfo=SHANGHAI)


def reconcile(previous_full: bytes, made: dict[str, bytes], names: dict[str, str]) -> bytes:
    """What a re-user does: the previous full file and this bulletin's change files give the new full file."""
    part = {k: opendata.parse_jsonl(made[names[f"{k}.jsonl"]]) for k in ("added", "removed", "changed")}
    applied = changes.apply(opendata.parse_jsonl(previous_full), changes.Changes(**part))
    return opendata.jsonl_bytes(applied)


def reconcile_csv(previous_csv: bytes, made: dict[str, bytes], names: dict[str, str]) -> list[list[str]]:
    """The same with the CSV files, as a spreadsheet user would: rows by ref."""
    header, *rows = csv_rows(previous_csv)
    held = {r[0]: r for r in rows}
    for r in csv_rows(made[names["removed.csv"]])[1:]:
        assert held.pop(r[0]) == r
    for kind in ("changed", "added"):
        for r in csv_rows(made[names[f"{kind}.csv"]])[1:]:
            assert (r[0] in held) == (kind == "changed")
            held[r[0]] = r
    return [header] + [held[ref] for ref in sorted(held)]


def refs_in(data: bytes) -> list[str]:
    return [r["ref"] for r in opendata.parse_jsonl(data)]


def test_three_months_reconcile_byte_for_byte(app, factory, clock):
    clock.freeze(at("2026-05-25"))
    w = green_worker(factory)
    anxin, _ = factory.company(name="成都安心家政服务有限公司", district="510105")
    haobang, haobang_admin = factory.company(name="成都好帮手家政服务有限公司", district="510107")
    hk, _ = regulators(factory, "housekeeping", code="hk-open")
    s = {}

    def publish(name, day, **kw):
        clock.freeze(at(day))
        sanction = record(factory, hk, today=D(day), decision_no=f"商务罚〔2026〕{len(s) + 1}号", **kw)
        sanctions.publish_sanction(factory.ring, regulator=hk, sanction=sanction, today=D(day))
        db.session.commit()
        s[name] = sanction

    def correct(name, day, **changes_):
        clock.freeze(at(day))
        sanctions.correct_sanction(factory.ring, regulator=hk, sanction=s[name], today=D(day), changes=changes_,
                                   reason="更正")
        db.session.commit()

    def bulletin(key):
        period = parse(key)
        clock.freeze(period.ends_at + timedelta(minutes=30))
        return gather(period, version=1, issuer_zh="成都市商务局", issuer_en="Chengdu Commerce Bureau",
                      made_at=period.ends_at + timedelta(minutes=30), checkpoint_size=1, checkpoint_root="00" * 32,
                      verify_url="https://jiaxin.example/bulletins/verify")

    # June: three published.
    publish("a", "2026-06-05", company=anxin, months=3, decision_date=D("2026-06-05"))  # to September 5
    publish("b", "2026-06-10", worker=w.worker, kind="warning", severity="minor", months=1,
            decision_date=D("2026-06-10"))  # to July 10
    publish("c", "2026-06-15", company=haobang, severity="serious", months=12, decision_date=D("2026-06-15"),
            persons=[{"role": "legal_representative", "name": "张伟国"},
                     {"role": "responsible", "name": REAL_NAME, "card_no": w.card_no}])
    june = bulletin("2026-06")
    # July: one added, b's window ends on July 10, a's decision number corrected.
    publish("d", "2026-07-05", company=anxin, kind="warning", severity="minor", months=1,
            decision_date=D("2026-07-05"))  # to August 5
    correct("a", "2026-07-20", decision_no="商务罚〔2026〕101号")
    # c's subject objects on July 25: pending when July's bulletin is made, so c changes (the mark only).
    clock.freeze(at("2026-07-25"))
    filed = objections.file_objection(factory.ring, sanction=s["c"], filed_by_kind="company",
                                      filed_by=haobang_admin.account.ref, reasons="事实有误。", files=[],
                                      now=at("2026-07-25"))
    db.session.commit()
    july = bulletin("2026-07")
    # August: c's window corrected (12 → 24 months), d's ends on August 5, one added.
    clock.freeze(at("2026-08-02"))
    objections.take_step(factory.ring, regulator=hk, sanction=s["c"], objection=filed.objection, step="reject",
                         reason="不属于异议受理范围。", today=D("2026-08-02"))
    db.session.commit()
    correct("c", "2026-08-03", publish_months=24)
    publish("e", "2026-08-10", worker=w.worker, months=3, decision_date=D("2026-08-10"))
    august = bulletin("2026-08")

    assert [r.ref for r in june.full] == [s["c"].ref, s["b"].ref, s["a"].ref]
    expected = {  # (added, removed, changed) of each month, by name
        "2026-06": ({"a", "b", "c"}, set(), set()),
        "2026-07": ({"d"}, {"b"}, {"a", "c"}),
        "2026-08": ({"e"}, {"d"}, {"c"}),
    }
    previous_full, previous_csv = b"", opendata.full_csv([])
    for content in (june, july, august):
        names = opendata.file_names(content.period.key, content.version)
        made = opendata.files(content, opendata.parse_jsonl(previous_full))
        added, removed, changed = expected[content.period.key]
        for kind, which in (("added", added), ("removed", removed), ("changed", changed)):
            assert refs_in(made[names[f"{kind}.jsonl"]]) == sorted(s[n].ref for n in which), (content.period, kind)
        full = made[names["full.jsonl"]]
        assert full == opendata.full_jsonl(content.full)
        # Byte for byte as the file is; and sorted as bytes, as changes.sorted_lines makes it.
        assert reconcile(previous_full, made, names) == full
        assert changes.sorted_lines(opendata.parse_jsonl(reconcile(previous_full, made, names))) == \
            b"".join(sorted(line + b"\n" for line in full.splitlines()))
        assert reconcile_csv(previous_csv, made, names) == csv_rows(made[names["full.csv"]])
        previous_full, previous_csv = full, made[names["full.csv"]]

    pending = {k: {r.ref for r in c.full if r.objection_pending} for k, c in (("6", june), ("7", july), ("8", august))}
    assert pending == {"6": set(), "7": {s["c"].ref}, "8": set()}
    a_july = next(d for d in opendata.parse_jsonl(opendata.full_jsonl(july.full)) if d["ref"] == s["a"].ref)
    assert a_july["decision_no"] == "商务罚〔2026〕101号"
    c_august = next(r for r in august.full if r.ref == s["c"].ref)
    assert c_august.window_end == D("2028-06-15")
    assert july.ended and [r.ref for r in july.ended] == [s["b"].ref]
    assert [r.ref for r in august.ended] == [s["d"].ref]
