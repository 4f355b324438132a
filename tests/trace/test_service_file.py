"""The service file's pure parts: its times, headers, rows judged by the rules of single recording, its report."""
from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from registry.imports.staff_file import read_table
from registry.trace import service_file as sf
from registry.workers import cardno

NOW = datetime(2026, 6, 15, 4, 0, tzinfo=UTC)  # 12:00 in Chengdu
CARD = cardno.new_card_no(random.Random(3))


@pytest.mark.parametrize("cell, expected", [
    ("2026-06-15 08:30", datetime(2026, 6, 15, 0, 30, tzinfo=UTC)),
    ("2026/6/5 8:05", datetime(2026, 6, 5, 0, 5, tzinfo=UTC)),
    ("2026.06.15 00:00:30", datetime(2026, 6, 14, 16, 0, 30, tzinfo=UTC)),
    ("2026-06-15T08:30", datetime(2026, 6, 15, 0, 30, tzinfo=UTC)),
    ("２０２６-０６-１５ ０８:３０", datetime(2026, 6, 15, 0, 30, tzinfo=UTC)),
    ("2026-06-15T08:30:00+08:00", datetime(2026, 6, 15, 0, 30, tzinfo=UTC)),
    ("2026-06-15T00:30:00Z", datetime(2026, 6, 15, 0, 30, tzinfo=UTC)),
    ("2026-06-15T08:30+0800", datetime(2026, 6, 15, 0, 30, tzinfo=UTC)),
    ("2026-06-15T02:30:00+02:00", datetime(2026, 6, 15, 0, 30, tzinfo=UTC)),
])
def test_times_read(cell, expected):
    assert sf.parse_datetime(cell) == expected


@pytest.mark.parametrize("cell, code", [
    ("2026-06-15", "bad_datetime"), ("09:45", "bad_datetime"), ("tomorrow", "bad_datetime"), ("", "bad_datetime"),
    ("2026-02-30 08:00", "no_such_time"), ("2026-06-15 25:00", "no_such_time"), ("2026-06-15 08:61", "no_such_time"),
    ("2026-06-15T08:30:00+25:00", "no_such_time"),
])
def test_bad_times_refused_without_quoting(cell, code):
    with pytest.raises(sf._Bad) as bad:
        sf.parse_datetime(cell)
    assert bad.value.code == code
    assert not cell or cell not in bad.value.en + bad.value.zh


@pytest.mark.parametrize("header, key", [
    ("服务证号", "card_no"), ("Card number", "card_no"), ("card_no", "card_no"), ("卡号", "card_no"),
    ("服务类型", "service_type"), ("SERVICE TYPE", "service_type"), ("客户手机号", "phone"),
    ("Customer mobile", "phone"), ("服务区县", "district"), ("District", "district"), ("开始时间", "start"),
    ("start", "start"), ("结束时间", "end"), ("End", "end"), ("例外原因", "override_reason"),
    ("Override reason", "override_reason"), ("姓名", None), ("Name", None),
])
def test_headers(header, key):
    col = sf.column_for_header(header)
    assert (col.key if col else None) == key


def row(**over) -> dict:
    cells = {"card_no": CARD, "service_type": "日常保洁", "phone": "13912345678", "district": "锦江区",
             "start": "2026-06-15 08:00", "end": "2026-06-15 11:00"}
    cells.update(over)
    return {k: v for k, v in cells.items() if v is not None}


def test_a_good_row():
    data, errors = sf.convert_row(2, row(), now=NOW)
    assert errors == [] and data.card_no == CARD and data.service.service_type == "cleaning"
    assert data.service.e164 == "+8613912345678" and data.service.override_reason is None
    assert data.service.start == datetime(2026, 6, 15, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize("over, problems", [
    ({"card_no": None}, [("card_no", "required")]),
    ({"card_no": "JX12"}, [("card_no", "card_no_invalid")]),
    ({"card_no": CARD[:-1] + ("2" if CARD[-1] != "2" else "3")}, [("card_no", "card_no_typo")]),
    ({"service_type": "按摩"}, [("service_type", "service_type_unknown")]),
    ({"service_type": None}, [("service_type", "service_type_unknown")]),
    ({"phone": "1391234567"}, [("phone", "phone_invalid")]),
    ({"phone": None}, [("phone", "phone_invalid")]),
    ({"district": None}, [("district", "district_missing")]),
    ({"district": "区" * 41}, [("district", "district_too_long")]),
    ({"start": None}, [("start", "start_missing")]),
    ({"start": "x"}, [("start", "bad_datetime")]),
    ({"start": "2026-06-17 08:00", "end": "2026-06-17 09:00"}, [("start", "start_future")]),
    ({"start": "2025-06-01 08:00", "end": "2025-06-01 09:00"}, [("start", "start_too_old")]),
    ({"end": None}, [("end", "end_missing")]),
    ({"end": "2026-06-15 08:00"}, [("end", "end_before_start")]),
    ({"end": "2026-10-15 08:00"}, [("end", "too_long")]),
    ({"override_reason": "因" * 201}, [("override_reason", "override_reason_too_long")]),
    ({"phone": "1", "district": None, "start": "bad", "end": "bad"},
     [("phone", "phone_invalid"), ("district", "district_missing"), ("start", "bad_datetime"),
      ("end", "bad_datetime")]),
])
def test_row_problems_name_column_and_code_and_never_the_value(over, problems):
    data, errors = sf.convert_row(7, row(**over), now=NOW)
    assert data is None
    assert [(e.key, e.code) for e in errors] == problems
    assert all(e.row == 7 for e in errors)
    for e in errors:
        assert "13912345678" not in e.en + e.zh and "1391234567" not in e.en + e.zh


def test_a_read_table_with_the_layout():
    content = ("Card number,Service type,Customer mobile,District,Start,End,Override reason\n"
               f"{CARD},cleaning,13912345678,锦江区,2026-06-15 08:00,2026-06-15 09:00,\n").encode("gb18030")
    table = read_table(content, "s.csv", sf.LAYOUT)
    assert table.errors == [] and len(table.rows) == 1
    missing = read_table("服务证号,服务类型\nA,B\n".encode(), "s.csv", sf.LAYOUT)
    assert {e.code for e in missing.errors} == {"missing_column"}
    assert read_table("服务证号,服务类型,客户手机号,服务区县,开始时间,结束时间\n".encode(), "s.csv",
                      sf.LAYOUT).errors[0].en == "The file has no service rows."


def test_the_report_has_codes_and_the_template_headers_only():
    _data, errors = sf.convert_row(3, row(phone="1"), now=NOW)
    report = sf.report_csv(errors).decode("utf-8-sig").splitlines()
    assert report[0] == "行 Row,列 Column,代码 Code,原因,Reason"
    assert report[1].startswith("3,客户手机号 Customer mobile,phone_invalid,")
    lines, total = sf.report_lines(sf.report_csv(errors), 10)
    assert total == 1 and lines[0]["code"] == "phone_invalid"
    assert sf.template_csv().decode("utf-8-sig").strip() == ",".join(c.zh for c in sf.COLUMNS)
