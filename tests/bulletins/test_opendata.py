"""The open-data files of a bulletin: the columns, CSV as Excel reads it (BOM, header, CRLF), sorting, file names,
and — across three consecutive months gathered from the database with additions, expiries and corrections — change
files that turn the previous full file into the current one byte for byte."""
from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry.bulletins import changes, manifest, opendata
from registry.bulletins.content import Commended, Content, Person, Record, RedFirm, Stats
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


# --- the red list --------------------------------------------------------------------------------

SHOUXIN, CHENGXIN = "91510100MA6C000001", "91510100MA6C000002"
MODEL = Commended(title="诚信示范企业", basis="成商务〔2026〕12号", agency_zh="成都市商务局",
                  commended_on=D("2026-06-20"), valid_until=D("2027-06-19"))
PROJECT = Commended(title="物业服务示范项目", basis="成住建〔2026〕3号", agency_zh="成都市住房和城乡建设局",
                    commended_on=D("2026-05-01"), valid_until=D("2026-12-31"))


def firm(uscc: str, **over) -> RedFirm:
    values = dict(uscc=uscc, name="成都守信示范家政服务有限公司", sectors=("housekeeping", "property"),
                  district="510104", grade="AAA", score=91, reasons=("aaa",), commendations=())
    values.update(over)
    return RedFirm(**values)


# Graded AAA only; commended only, with no kept grade or score and no district.
RED = (firm(SHOUXIN), firm(CHENGXIN, name="四川诚信物业管理有限公司", sectors=("property",), district=None,
                           grade=None, score=None, reasons=("commended",), commendations=(MODEL, PROJECT)))
RED_HEADER = "uscc,name,district,sectors,grade,score,commendations\r\n"


def test_red_dict_has_every_red_list_column_and_nothing_personal():
    d = opendata.red_dict(RED[1])
    assert tuple(d) == opendata.RED_COLUMNS  # no `reasons`: `grade` and `commendations` say why
    assert d == {"uscc": CHENGXIN, "name": "四川诚信物业管理有限公司", "district": None, "sectors": ["property"],
                 "grade": None, "score": None,
                 "commendations": [{"title": "诚信示范企业", "basis": "成商务〔2026〕12号",
                                    "commended_on": "2026-06-20", "valid_until": "2027-06-19"},
                                   {"title": "物业服务示范项目", "basis": "成住建〔2026〕3号",
                                    "commended_on": "2026-05-01", "valid_until": "2026-12-31"}]}


def test_every_red_list_column_is_documented():
    for column in opendata.RED_COLUMNS:
        assert f"| `{column}` |" in opendata.__doc__, column


def test_the_red_list_files_byte_for_byte():
    """Sorted by USCC (not the red list's own order, highest score first), lists joined by "; " in CSV."""
    assert opendata.red_csv_bytes(reversed(RED)) == opendata.red_csv_bytes(RED) == BOM + (
        RED_HEADER
        + f"{SHOUXIN},成都守信示范家政服务有限公司,510104,housekeeping; property,AAA,91,\r\n"
        + f'{CHENGXIN},四川诚信物业管理有限公司,,property,,,"诚信示范企业 (成商务〔2026〕12号, 2026-06-20–2027-06-19); '
          '物业服务示范项目 (成住建〔2026〕3号, 2026-05-01–2026-12-31)"\r\n').encode()
    assert opendata.red_jsonl_bytes(reversed(RED)) == opendata.red_jsonl_bytes(RED) == (
        '{"commendations":[],"district":"510104","grade":"AAA","name":"成都守信示范家政服务有限公司","score":91,'
        f'"sectors":["housekeeping","property"],"uscc":"{SHOUXIN}"}}\n'
        '{"commendations":[{"basis":"成商务〔2026〕12号","commended_on":"2026-06-20","title":"诚信示范企业",'
        '"valid_until":"2027-06-19"},{"basis":"成住建〔2026〕3号","commended_on":"2026-05-01",'
        '"title":"物业服务示范项目","valid_until":"2026-12-31"}],"district":null,"grade":null,'
        f'"name":"四川诚信物业管理有限公司","score":null,"sectors":["property"],"uscc":"{CHENGXIN}"}}\n').encode()
    # Read back, each serialises to the same bytes.
    read = opendata.parse_jsonl(opendata.red_jsonl_bytes(RED))
    assert opendata.red_jsonl_bytes(read) == opendata.red_jsonl_bytes(RED)
    assert opendata.red_csv_bytes(read) == opendata.red_csv_bytes(RED)


def test_empty_red_list_files():
    assert opendata.red_csv_bytes([]) == BOM + RED_HEADER.encode()
    assert opendata.red_jsonl_bytes([]) == b""


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://x\")", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_red_list_csv_cells_never_start_a_formula(text):
    f = firm(SHOUXIN, name=text, commendations=(Commended(title=text, basis="-", agency_zh="成都市商务局",
                                                          commended_on=D("2026-06-20"),
                                                          valid_until=D("2027-06-19")),))
    row = dict(zip(*csv_rows(opendata.red_csv_bytes([f]))))
    assert row["name"] == "'" + text
    assert row["commendations"] == f"'{text} (-, 2026-06-20–2027-06-19)"
    assert json.loads(opendata.red_jsonl_bytes([f]))["name"] == text


def red_reconcile(previous_full: bytes, made: dict[str, bytes]) -> bytes:
    """What a re-user does with the red list: its previous full file and the change files, by USCC."""
    part = {k: opendata.parse_jsonl(made[f"{k}.jsonl"]) for k in ("added", "removed", "changed")}
    applied = changes.apply(opendata.parse_jsonl(previous_full), changes.Changes(**part), key="uscc")
    return opendata.red_jsonl_bytes(applied)


def red_reconcile_csv(previous_csv: bytes, made: dict[str, bytes]) -> list[list[str]]:
    """The same with the CSV files, rows by USCC."""
    header, *rows = csv_rows(previous_csv)
    held = {r[0]: r for r in rows}
    for r in csv_rows(made["removed.csv"])[1:]:
        assert held.pop(r[0]) == r
    for kind in ("changed", "added"):
        for r in csv_rows(made[f"{kind}.csv"])[1:]:
            assert (r[0] in held) == (kind == "changed")
            held[r[0]] = r
    return [header] + [held[uscc] for uscc in sorted(held)]


def test_red_list_change_files_of_hand_made_lists():
    third = "91510100MA6C000003"
    previous = [firm(third, name="成都金牌月嫂服务有限公司"), *RED]
    # The AAA firm's score moves (still AAA), the commended one loses a commendation, the third leaves, one joins.
    current = [firm(SHOUXIN, score=93), replace(RED[1], commendations=(MODEL,)),
               firm("91510100MA6C000004", name="成都好帮手家政服务有限公司", grade="AA", score=84,
                    reasons=("commended",), commendations=(PROJECT,))]
    previous_full = opendata.red_jsonl_bytes(previous)
    made = opendata.red_change_files(opendata.parse_jsonl(previous_full), current)
    assert set(made) == {f"{k}.{e}" for k in ("added", "removed", "changed") for e in ("jsonl", "csv")}
    uscc_of = {k: [r["uscc"] for r in opendata.parse_jsonl(made[f"{k}.jsonl"])] for k in ("added", "removed",
                                                                                          "changed")}
    assert uscc_of == {"added": ["91510100MA6C000004"], "removed": [third], "changed": [SHOUXIN, CHENGXIN]}
    assert made["removed.jsonl"] == opendata.red_jsonl_bytes([previous[0]])
    assert made["changed.csv"] == opendata.red_csv_bytes(current[:2])
    assert red_reconcile(previous_full, made) == opendata.red_jsonl_bytes(current)
    assert red_reconcile_csv(opendata.red_csv_bytes(previous), made) == csv_rows(opendata.red_csv_bytes(current))
    # Nothing changed: every change file empty (the CSV its header).
    same = opendata.red_change_files(opendata.parse_jsonl(opendata.red_jsonl_bytes(current)), current)
    assert all(data in (b"", BOM + RED_HEADER.encode()) for data in same.values())


USCCS = st.text(alphabet=st.sampled_from("0123456789ABCDEFGHJKLMNPQRTUWXY"), min_size=18, max_size=18)
WORDS = st.one_of(st.text(max_size=10),
                  st.text(alphabet=st.sampled_from('家政服务=+-@; ,"\n\r\t（）〔〕'), max_size=10))
DAYS = st.dates(min_value=D("2020-01-01"), max_value=D("2030-12-31"))
COMMENDED = st.builds(Commended, title=WORDS, basis=WORDS, agency_zh=st.just("成都市商务局"), commended_on=DAYS,
                      valid_until=DAYS)


@st.composite
def red_lists(draw, count: int) -> list[list[RedFirm]]:
    """`count` consecutive red lists over one pool of firms: each firm absent, or present in one of its drawn
    versions (so kept firms are often identical, and otherwise changed in any column)."""
    pool = draw(st.lists(USCCS, unique=True, max_size=8))
    lists: list[list[RedFirm]] = [[] for _ in range(count)]
    for uscc in pool:
        versions = draw(st.lists(st.builds(
            RedFirm, uscc=st.just(uscc), name=WORDS, sectors=st.lists(st.sampled_from(("housekeeping", "property",
                                                                                       "market")), max_size=2)
            .map(tuple), district=st.one_of(st.none(), st.sampled_from(("510104", "510105"))),
            grade=st.one_of(st.none(), st.sampled_from(("AAA", "AA", "A"))),
            score=st.one_of(st.none(), st.integers(0, 100)), reasons=st.just(("aaa",)),
            commendations=st.lists(COMMENDED, max_size=2).map(tuple)), min_size=1, max_size=2))
        for listed in lists:
            choice = draw(st.integers(0, len(versions)))
            if choice:
                listed.append(versions[choice - 1])
    return lists


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(red_lists(3))
def test_previous_red_list_plus_changes_is_the_full_file_byte_for_byte(lists):
    """Three bulletins in a row, from none before the first: each one's change files take the re-user's copy of
    the previous full file (JSON Lines and CSV) to this one's, byte for byte."""
    previous_full, previous_csv = b"", opendata.red_csv_bytes([])
    for current in lists:
        made = opendata.red_change_files(opendata.parse_jsonl(previous_full), current)
        full = opendata.red_jsonl_bytes(current)
        assert red_reconcile(previous_full, made) == full
        assert red_reconcile_csv(previous_csv, made) == csv_rows(opendata.red_csv_bytes(current))
        previous_full, previous_csv = full, opendata.red_csv_bytes(current)


def test_a_first_bulletin_s_change_files_add_everything_for_both_lists():
    """No previous bulletin (or one with no red-list file): the change files are against an empty list, as the
    sanctions' are — added is the full file, removed and changed are empty."""
    content = Content(period=parse("2026-06"), version=1, issuer_zh="成都市商务局", issuer_en="Chengdu Commerce Bureau",
                      made_at=datetime(2026, 7, 1, 1, tzinfo=SHANGHAI), checkpoint_size=1, checkpoint_root="00" * 32,
                      verify_url="https://jiaxin.example/bulletins/verify", published=(), ended=(),
                      full=(rec("b"), rec("a")), stats=Stats({}, {}, {}, {}, ()), red_list=RED)
    names = opendata.file_names("2026-06", 1)
    for previous_red in (None, []):
        made = opendata.files(content, None, previous_red)
        assert set(made) == set(names.values()) - {names["pdf"]}
        for prefix, header, full in (("", ",".join(opendata.COLUMNS) + "\r\n", opendata.full_jsonl(content.full)),
                                     ("red-list-", RED_HEADER, opendata.red_jsonl_bytes(RED))):
            assert made[names[f"{prefix}full.jsonl"]] == made[names[f"{prefix}added.jsonl"]] == full
            assert made[names[f"{prefix}full.csv"]] == made[names[f"{prefix}added.csv"]]
            assert made[names[f"{prefix}removed.jsonl"]] == made[names[f"{prefix}changed.jsonl"]] == b""
            assert made[names[f"{prefix}removed.csv"]] == made[names[f"{prefix}changed.csv"]] == BOM + header.encode()
    assert made[names["red-list-full.csv"]] == opendata.red_csv_bytes(RED)


# --- file names ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("key", "version"), [("2026-11", 1), ("2026-W48", 2), ("2026-01", 12)])
def test_file_names_are_plain(key, version):
    names = opendata.file_names(key, version)
    assert names["pdf"] == f"jiaxin-bulletin-{key}-v{version}.pdf"
    assert names["full.csv"] == f"jiaxin-bulletin-{key}-v{version}-full.csv"
    assert names["changed.jsonl"] == f"jiaxin-bulletin-{key}-v{version}-changed.jsonl"
    assert names["red-list-full.csv"] == f"jiaxin-bulletin-{key}-v{version}-red-list-full.csv"
    assert names["red-list-removed.jsonl"] == f"jiaxin-bulletin-{key}-v{version}-red-list-removed.jsonl"
    parts = {f"{k}.{e}" for k in ("full", "added", "removed", "changed") for e in ("csv", "jsonl")}
    assert set(names) == {"pdf"} | parts | {f"red-list-{p}" for p in parts}
    assert len(set(names.values())) == len(names)
    assert all(manifest.is_plain_name(n) for n in names.values())
    assert opendata.red_list_names(key, version) == {n for p, n in names.items() if p.startswith("red-list-")}


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
