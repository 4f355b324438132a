"""The staff file format: reading CSV and .xlsx, converting rows, reports and templates."""
from __future__ import annotations

import codecs
import csv
import io
import os
import time
import zipfile
from datetime import date
from decimal import Decimal

import openpyxl
import pytest

from registry.imports import staff_file
from registry.imports.staff_file import (
    COLUMNS,
    FileError,
    NumberCell,
    RowError,
    convert_row,
    convert_table,
    find_duplicates,
    read_table,
    report_csv,
    template_csv,
    template_xlsx,
)
from registry.workers import idnumber

TODAY = date(2026, 11, 26)

PERSON_KEYS = ["name", "id_number", "phone", "occupation", "employment_kind", "start_date", "social_insurance"]
ZH = {c.key: c.zh for c in COLUMNS}
EN = {c.key: c.en for c in COLUMNS}

ID_A = idnumber.make_valid("51010419900101002")   # born 1990-01-01
ID_B = idnumber.make_valid("51010519851231003")   # born 1985-12-31
ID_C = idnumber.make_valid("51010619780615004")   # born 1978-06-15
PHONE = "13912345678"


def person(**over) -> dict:
    """A valid person and employment row, with some cells replaced."""
    row = {"name": "李四", "id_number": ID_A, "phone": PHONE, "occupation": "保洁", "employment_kind": "劳动合同",
           "start_date": "2026-03-01", "social_insurance": "是"}
    row.update(over)
    return row


def csv_file(rows: list[dict], *, keys: list[str] | None = None, headers: list[str] | None = None,
             encoding: str = "utf-8-sig", delimiter: str = ",") -> bytes:
    """A CSV as Excel writes it: Chinese headers by default, CRLF lines."""
    keys = keys or PERSON_KEYS
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(headers or [ZH[k] for k in keys])
    for row in rows:
        writer.writerow([row.get(k, "") for k in keys])
    return out.getvalue().encode(encoding)


def xlsx_file(rows: list[list]) -> bytes:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def codes(table_or_errors) -> list[str]:
    errors = table_or_errors.errors if hasattr(table_or_errors, "errors") else table_or_errors
    return [e.code for e in errors]


def converted(data: bytes, filename: str = "staff.csv"):
    table = read_table(data, filename)
    assert table.errors == []
    return convert_table(table, today=TODAY)


def one_row_errors(**over) -> list[RowError]:
    data, errors = convert_row(2, person(**over), today=TODAY)
    assert data is None
    return errors


def assert_names(error: RowError, key: str) -> None:
    """The error names its column in both languages and gives a reason in both."""
    assert (error.key, error.column_zh, error.column_en) == (key, ZH[key], EN[key])
    assert error.en and error.zh


def assert_no_personal_data(errors, *values: str) -> None:
    for e in errors:
        for value in values:
            assert value not in e.en and value not in e.zh


# --- good files ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_good_csv_converts_every_row_in_each_excel_encoding(encoding):
    rows = [person(),
            person(name="王 小 明", id_number=ID_B.lower(), phone="139-1234-5679", occupation="月嫂",
                   employment_kind="服务协议", start_date="2026/3/2", social_insurance="否"),
            person(name="欧阳娜娜", id_number=ID_C, phone="+86 13912345670", occupation="物业维修",
                   employment_kind="中介介绍", start_date="20260303", social_insurance="√")]
    table = read_table(csv_file(rows, encoding=encoding), "staff.csv")
    assert (table.format, table.encoding, table.errors) == ("csv", encoding, [])
    good, errors = convert_table(table, today=TODAY)
    assert errors == []
    assert [(d.row, d.name, d.id_number, d.phone, d.occupation, d.employment_kind, d.start_date, d.social_insurance)
            for d in good] == [
        (2, "李四", ID_A, "+8613912345678", "cleaner", "labour_contract", date(2026, 3, 1), True),
        (3, "王 小 明", ID_B, "+8613912345679", "maternity", "service_agreement", date(2026, 3, 2), False),
        (4, "欧阳娜娜", ID_C, "+8613912345670", "property_maintenance", "intermediary_placement", date(2026, 3, 3),
         True),
    ]
    assert good[0].records == []
    assert good[0].person().id_number == ID_A and good[0].engagement().kind == "labour_contract"


def test_english_headers_in_any_case_and_order_with_english_values():
    keys = list(reversed(PERSON_KEYS))
    headers = ["SOCIAL INSURANCE", "start_date", " Employment kind ", "occupation", "phone", "ID Number", "Name"]
    row = person(name="Li Si", occupation="Cleaner", employment_kind="labour contract", social_insurance="Yes")
    good, errors = converted(csv_file([row], keys=keys, headers=headers, encoding="utf-8"))
    assert errors == []
    assert (good[0].name, good[0].occupation, good[0].employment_kind, good[0].social_insurance) == \
        ("Li Si", "cleaner", "labour_contract", True)


@pytest.mark.parametrize("delimiter", ["\t", ";"])
def test_tab_and_semicolon_separated_files_are_read(delimiter):
    good, errors = converted(csv_file([person()], delimiter=delimiter))
    assert errors == [] and len(good) == 1


def test_qualification_groups_become_records_with_the_fields_check_record_takes():
    keys = [c.key for c in COLUMNS]
    row = person(identity_result="核验通过", identity_checked_on="2026-03-01",
                 health_result="合格", health_checked_on="2026.2.20", health_valid_until="2027-02-19",
                 insurance_insurer="某保险公司", insurance_valid_from="2026-03-01", insurance_valid_until="2027-02-28",
                 background_result="待定", background_checked_on="2026年2月25日", background_authority="某公安分局",
                 training_course="岗前培训", training_hours="7.5", training_exam_passed="Y",
                 training_trained_on="2026-02-10 00:00:00", training_issuer="某培训学校")
    good, errors = converted(csv_file([row], keys=keys))
    assert errors == []
    assert dict(good[0].records) == {
        "identity": {"result": "verified", "checked_on": date(2026, 3, 1)},
        "health": {"result": "passed", "checked_on": date(2026, 2, 20), "valid_until": date(2027, 2, 19)},
        "insurance": {"insurer": "某保险公司", "valid_from": date(2026, 3, 1), "valid_until": date(2027, 2, 28)},
        "background": {"result": "pending", "checked_on": date(2026, 2, 25), "authority": "某公安分局"},
        "training": {"course": "岗前培训", "hours": Decimal("7.5"), "exam_passed": True,
                     "trained_on": date(2026, 2, 10), "issuer": "某培训学校"},
    }


def test_absent_groups_are_not_imported_and_blank_group_cells_mean_no_record():
    keys = PERSON_KEYS + ["health_result", "health_checked_on", "health_valid_until"]
    table = read_table(csv_file([person(), person(id_number=ID_B, health_result="通过",
                                                  health_checked_on="2026-01-05", health_valid_until="2027-01-04")],
                                keys=keys), "s.csv")
    assert table.groups == ["health"]
    good, errors = convert_table(table, today=TODAY)
    assert errors == []
    assert [d.records for d in good] == [[], [("health", {"result": "passed", "checked_on": date(2026, 1, 5),
                                                          "valid_until": date(2027, 1, 4)})]]


def test_good_xlsx_with_dates_numbers_and_text_ids():
    data = xlsx_file([
        [ZH[k] for k in PERSON_KEYS] + ["培训课程", "培训学时", "培训考核通过", "培训日期", "培训机构"],
        ["李四", ID_A, 13912345678, "保洁", "劳动合同", date(2026, 3, 1), True, "岗前培训", 8.0, "是",
         date(2026, 2, 1), "某学校"],
    ])
    table = read_table(data, "whatever.bin")
    assert (table.format, table.errors) == ("xlsx", [])
    good, errors = convert_table(table, today=TODAY)
    assert errors == []
    assert (good[0].phone, good[0].start_date, good[0].social_insurance) == ("+8613912345678", date(2026, 3, 1), True)
    assert good[0].records == [("training", {"course": "岗前培训", "hours": Decimal("8"), "exam_passed": True,
                                             "trained_on": date(2026, 2, 1), "issuer": "某学校"})]


def test_rows_are_numbered_as_a_spreadsheet_shows_them_and_blank_rows_are_skipped():
    body = csv_file([person()]) + b",,,,,,\r\n\r\n" + csv_file([person(id_number=ID_B, name="多行\n姓名")])[
        len(csv_file([])):]
    table = read_table(body, "s.csv")
    # Header 1, row 2, two blank rows (3, 4), then a row whose quoted cell spans two lines: still one row.
    assert [n for n, _ in table.rows] == [2, 5]


def test_a_header_below_blank_rows_keeps_the_numbers_a_spreadsheet_shows():
    table = read_table(b"\r\n" + csv_file([person()], encoding="utf-8"), "s.csv")
    assert [n for n, _ in table.rows] == [3]
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for column, key in enumerate(PERSON_KEYS, start=1):
        sheet.cell(row=2, column=column, value=ZH[key])
        sheet.cell(row=5, column=column, value=person()[key])
    out = io.BytesIO()
    workbook.save(out)
    table = read_table(out.getvalue(), "s.xlsx")
    assert table.errors == [] and [n for n, _ in table.rows] == [5]


def test_rows_hold_only_their_filled_cells():
    table = read_table(csv_file([person(phone="  ")]), "s.csv")
    assert "phone" not in table.rows[0][1]


# --- cells --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["2026-03-01", "2026/3/1", "2026.3.1", "20260301", "2026-03-01 00:00:00",
                                  "2026-03-01T00:00:00", "2026-03-01T08:30:00+08:00", "2026年3月1日", "２０２６-03-01"])
def test_date_spellings(text):
    assert staff_file.parse_date(text) == date(2026, 3, 1)


@pytest.mark.parametrize("text,value", [(t, True) for t in ("是", "Y", "yes", "TRUE", "1", "√", "Ｙ")]
                         + [(t, False) for t in ("否", "n", "No", "false", "0", "×")])
def test_yes_no_spellings(text, value):
    assert staff_file.parse_bool(text) is value


@pytest.mark.parametrize("key,text,code", [
    ("occupation", "保洁", "cleaner"), ("occupation", "cleaner", "cleaner"), ("occupation", "Cleaner", "cleaner"),
    ("occupation", "月嫂", "maternity"), ("occupation", "母婴护理员", "maternity"),
    ("occupation", "Elderly carer", "elderly_care"), ("occupation", "elderly-care", "elderly_care"),
    ("employment_kind", "Intermediary placement", "intermediary_placement"),
    ("identity_result", "通过", "verified"), ("identity_result", "已核验", "verified"),
    ("identity_result", "核验未通过", "failed"), ("identity_result", "不通过", "failed"),
    ("health_result", "通过", "passed"), ("health_result", "未通过", "failed"),
    ("background_result", "审查中", "pending"), ("background_result", "待定", "pending"),
    ("background_result", "passed", "passed"),
])
def test_listed_values_accept_codes_and_both_labels(key, text, code):
    assert staff_file.parse_vocab(staff_file.BY_KEY[key], text) == code


def test_a_result_that_does_not_fit_the_kind_is_refused():
    with pytest.raises(staff_file._Bad):
        staff_file.parse_vocab(staff_file.BY_KEY["health_result"], "pending")


# --- bad rows -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("bad_id,code", [
    (ID_A[:-1] + ("0" if ID_A[-1] != "0" else "1"), "id_number_checksum"),
    (idnumber.make_valid("51010419900230002"), "id_number_birth_date"),      # 30 February
    (idnumber.make_valid("51010420150101002"), "id_number_too_young"),       # 11 years old on TODAY
    ("5101041990", "id_number_length"),
])
def test_bad_id_numbers_name_the_rule_without_quoting_the_number(bad_id, code):
    good, errors = converted(csv_file([person(), person(id_number=bad_id, name="赵六")]))
    assert [d.row for d in good] == [2]
    assert [(e.row, e.code) for e in errors] == [(3, code)]
    assert_names(errors[0], "id_number")
    assert_no_personal_data(errors, bad_id, bad_id[6:14], "赵六")


def test_bad_id_check_character_message_is_plain():
    (error,) = one_row_errors(id_number=ID_A[:-1] + ("0" if ID_A[-1] != "0" else "1"))
    assert "mistyped" in error.en and "输错了" in error.zh


@pytest.mark.parametrize("text,code", [("2026-13-01", "no_such_day"), ("2026-02-30", "no_such_day"),
                                       ("next monday", "bad_date"), ("03/01/2026", "bad_date"), ("2026-3", "bad_date")])
def test_bad_dates(text, code):
    good, errors = converted(csv_file([person(start_date=text)]))
    assert good == []
    assert [(e.row, e.code) for e in errors] == [(2, code)]
    assert_names(errors[0], "start_date")
    assert "YYYY-MM-DD" in errors[0].en or "no such day" in errors[0].en


def test_unknown_occupation_lists_the_choices():
    good, errors = converted(csv_file([person(occupation="清洁工")]))
    assert good == []
    (error,) = errors
    assert (error.row, error.code) == (2, "unknown_value")
    assert_names(error, "occupation")
    assert "保洁" in error.zh and "Cleaner" in error.en
    assert "清洁工" not in error.zh


def test_duplicate_row_in_the_same_file_names_the_first_row():
    rows = [person(), person(id_number=ID_B), person(id_number=" " + ID_A.lower(), name="李四"),
            person(id_number=ID_B)]
    good, errors = converted(csv_file(rows))
    assert [d.row for d in good] == [2, 3]
    assert [(e.row, e.code) for e in errors] == [(4, "duplicate_row"), (5, "duplicate_row")]
    assert_names(errors[0], "id_number")
    assert "row 2" in errors[0].en and "第 2 行" in errors[0].zh
    assert "row 3" in errors[1].en
    assert_no_personal_data(errors, ID_A, ID_B)


def test_find_duplicates_ignores_blank_ids():
    assert find_duplicates([(2, {}), (3, {"id_number": ""}), (4, {})]) == []


def test_find_duplicates_on_raw_rows_catches_a_repeat_of_a_row_with_other_errors():
    table = read_table(csv_file([person(phone="123"), person()]), "s.csv")
    good, errors = convert_table(table, today=TODAY)
    assert good == []
    assert [(e.row, e.key, e.code) for e in errors] == [(2, "phone", "invalid"), (3, "id_number", "duplicate_row")]


def test_find_duplicates_accepts_converted_rows():
    table = read_table(csv_file([person(), person(id_number=ID_B), person(name="李四")]), "s.csv")
    converted_rows = [convert_row(n, raw, today=TODAY)[0] for n, raw in table.rows]
    assert [(e.row, e.code) for e in find_duplicates(converted_rows)] == [(4, "duplicate_row")]


def test_header_of():
    assert staff_file.header_of("id_number") == ("证件号码", "ID number")


def test_every_problem_of_a_row_is_reported_not_just_the_first():
    errors = one_row_errors(name="12345", id_number=ID_A[:-1] + ("0" if ID_A[-1] != "0" else "1"),
                            phone="12345", occupation="厨师", employment_kind="合同", start_date="tomorrow",
                            social_insurance="maybe")
    assert [e.key for e in errors] == PERSON_KEYS
    assert_no_personal_data(errors, "12345", ID_A)


def test_empty_required_cells_are_each_reported():
    errors = one_row_errors(name="", phone="")
    assert [(e.key, e.code) for e in errors] == [("name", "required"), ("phone", "required")]


def test_start_date_rules_come_from_registration():
    (ahead,) = one_row_errors(start_date="2027-01-31")
    assert (ahead.key, ahead.code) == ("start_date", "invalid") and "31" in ahead.en
    (young,) = one_row_errors(start_date="2005-12-31")   # ID_A turned 16 on 2006-01-01
    assert young.key == "start_date" and "16" in young.en


def test_a_partly_filled_group_names_each_missing_cell():
    keys = PERSON_KEYS + ["health_result", "health_checked_on", "health_valid_until"]
    good, errors = converted(csv_file([person(health_result="通过")], keys=keys))
    assert good == []
    assert [(e.row, e.key, e.code) for e in errors] == [(2, "health_checked_on", "incomplete_group"),
                                                        (2, "health_valid_until", "incomplete_group")]
    assert_names(errors[0], "health_checked_on")
    assert "health check" in errors[0].en and "体检" in errors[0].zh


def test_record_rules_report_every_refused_field():
    errors = one_row_errors(health_result="通过", health_checked_on="2026-12-01", health_valid_until="2026-01-01",
                            background_result="审查中", background_checked_on="2026-01-01",
                            background_authority="x" * 101)
    assert [(e.key, e.code) for e in errors] == [("health_checked_on", "invalid"), ("health_valid_until", "invalid"),
                                                 ("background_authority", "invalid")]
    assert "future" in errors[0].en and "100" in errors[2].en


@pytest.mark.parametrize("hours,code", [("abc", "bad_number"), ("7.55", "invalid"), ("0", "invalid"),
                                        ("NaN", "bad_number")])
def test_training_hours(hours, code):
    errors = one_row_errors(training_course="岗前培训", training_hours=hours, training_exam_passed="是",
                            training_trained_on="2026-01-01", training_issuer="某学校")
    assert [(e.key, e.code) for e in errors] == [("training_hours", code)]


def test_xlsx_id_numbers_stored_as_numbers_are_refused_with_advice():
    data = xlsx_file([[ZH[k] for k in PERSON_KEYS],
                      ["李四", 510104199001010020, 13912345678, "保洁", "劳动合同", "2026-03-01", "是"],
                      ["王五", 5.10105198512310e17, 13912345679, "保洁", "劳动合同", "2026-03-01", "是"],
                      ["赵六", ID_C, 13912345670, "保洁", "劳动合同", "2026-03-01", "是"]])
    table = read_table(data, "staff.xlsx")
    assert isinstance(table.rows[0][1]["id_number"], NumberCell)
    good, errors = convert_table(table, today=TODAY)
    assert [d.row for d in good] == [4]
    assert [(e.row, e.key, e.code) for e in errors] == [(2, "id_number", "id_number_as_number"),
                                                        (3, "id_number", "id_number_as_number")]
    assert "Text" in errors[0].en and "文本" in errors[0].zh


# --- bad files ----------------------------------------------------------------------------------------------------

def test_wrong_encoding_bytes_valid_in_neither_utf8_nor_gb18030():
    # 0xFF starts no character in either encoding.
    data = csv_file([person()], encoding="utf-8") + "李四".encode() + b"\xff,x\r\n"
    table = read_table(data, "staff.csv")
    assert codes(table) == ["wrong_encoding"] and table.rows == []
    assert "UTF-8" in table.errors[0].en and "GB18030" in table.errors[0].zh


def test_wrong_encoding_a_bom_that_lies():
    data = codecs.BOM_UTF8 + csv_file([person()], encoding="gb18030")
    assert codes(read_table(data, "staff.csv")) == ["wrong_encoding"]


def test_wrong_encoding_big5_reads_as_gb18030_nonsense():
    # Big5 bytes always decode as GB18030, so the telltale is that no column name survives.
    headers = ["姓名", "證件號碼", "手機號碼", "工種", "用工形式", "入職日期", "繳納社保"]
    data = csv_file([], headers=headers, encoding="big5") + "李四,1,2,3,4,5,6\r\n".encode("big5")
    table = read_table(data, "staff.csv")
    assert table.encoding == "gb18030"
    assert codes(table) == ["wrong_encoding"]


def test_wrong_encoding_utf16_unicode_text():
    data = csv_file([person()], delimiter="\t", encoding="utf-16")
    assert codes(read_table(data, "staff.txt")) == ["wrong_encoding"]


def test_missing_column():
    keys = [k for k in PERSON_KEYS if k != "phone"]
    table = read_table(csv_file([person()], keys=keys), "staff.csv")
    assert codes(table) == ["missing_column"] and table.rows == []
    assert "手机号码" in table.errors[0].zh and "Phone" in table.errors[0].en


def test_a_group_with_only_some_columns_is_a_missing_column():
    keys = PERSON_KEYS + ["health_result", "health_checked_on"]
    table = read_table(csv_file([person()], keys=keys), "staff.csv")
    assert codes(table) == ["missing_column"]
    assert "体检有效期至" in table.errors[0].zh and "Health check valid until" in table.errors[0].en


def test_extra_column_names_it_and_its_letter():
    headers = [ZH[k] for k in PERSON_KEYS] + ["备注"]
    table = read_table(csv_file([person()], headers=headers, keys=PERSON_KEYS), "staff.csv")
    assert codes(table) == ["extra_column"]
    assert "备注" in table.errors[0].zh and "第 H 列" in table.errors[0].zh and "Column H" in table.errors[0].en


def test_extra_column_does_not_quote_a_header_that_looks_like_personal_data():
    headers = [ZH[k] for k in PERSON_KEYS] + [ID_B]
    table = read_table(csv_file([person()], headers=headers), "staff.csv")
    assert codes(table) == ["extra_column"]
    assert_no_personal_data(table.errors, ID_B)


def test_data_under_a_blank_header_is_an_extra_column():
    data = csv_file([person()]).replace("缴纳社保".encode(), "缴纳社保,".encode())
    data = data.replace(b"\xe6\x98\xaf\r\n", b"\xe6\x98\xaf,surprise\r\n")   # 是 ends the row
    table = read_table(data, "staff.csv")
    assert codes(table) == ["extra_column"] and "Column H" in table.errors[0].en


def test_duplicate_column():
    headers = [ZH[k] for k in PERSON_KEYS] + ["Name"]
    table = read_table(csv_file([person()], headers=headers), "staff.csv")
    assert codes(table) == ["duplicate_column"]
    assert "A" in table.errors[0].en and "H" in table.errors[0].en


def test_a_file_without_header_row_is_refused_without_quoting_it():
    first = person()
    data = csv_file([person(id_number=ID_B)], headers=[first[k] for k in PERSON_KEYS], encoding="utf-8")
    table = read_table(data, "staff.csv")
    assert codes(table) == ["no_header"]
    assert_no_personal_data(table.errors, ID_A, "李四", PHONE)


@pytest.mark.parametrize("data", [b"", codecs.BOM_UTF8, b"\r\n\r\n  \r\n", csv_file([]), csv_file([]) + b",,,\r\n",
                                  xlsx_file([]), xlsx_file([[ZH[k] for k in PERSON_KEYS]])],
                         ids=["empty", "bom", "blank-lines", "header-only", "header-and-blank", "empty-xlsx",
                              "header-only-xlsx"])
def test_empty_files(data):
    table = read_table(data, "staff.csv")
    assert codes(table) == ["empty_file"] and table.rows == []


@pytest.mark.parametrize("filename", ["staff.csv", "staff.xlsx", "staff"])
def test_ten_megabytes_of_garbage_fail_fast(filename):
    data = os.urandom(10 * 1024 * 1024)
    started = time.perf_counter()
    table = read_table(data, filename)
    assert time.perf_counter() - started < 2
    assert codes(table) == ["not_a_table"] and table.rows == []


def test_too_large():
    table = read_table(b"a" * (staff_file.MAX_BYTES + 1), "staff.csv")
    assert codes(table) == ["too_large"]


def test_too_many_rows(monkeypatch):
    monkeypatch.setattr(staff_file.reading, "MAX_ROWS", 3)
    rows = [person(id_number=i) for i in (ID_A, ID_B, ID_C)]
    assert read_table(csv_file(rows), "s.csv").errors == []
    table = read_table(csv_file(rows + [person()]), "s.csv")
    assert codes(table) == ["too_many_rows"] and table.rows == []


@pytest.mark.parametrize("data,filename,words", [
    (staff_file.OLE_MAGIC + b"\x00" * 504, "staff.xls", ".xls"),
    (b"name,id\r\n", "staff.xlsx", ".xlsx"),
    (b"<html><table><tr><td>x</td></tr></table></html>", "staff.xls", "web page"),
])
def test_other_files_are_not_tables(data, filename, words):
    table = read_table(data, filename)
    assert codes(table) == ["not_a_table"]
    assert words in table.errors[0].en


def test_a_zip_that_is_not_a_workbook():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert codes(read_table(out.getvalue(), "staff.csv")) == ["not_a_table"]


def test_a_truncated_workbook():
    assert codes(read_table(xlsx_file([["姓名"]])[:500], "staff.xlsx")) == ["not_a_table"]


def test_convert_table_refuses_a_refused_table():
    with pytest.raises(ValueError):
        convert_table(read_table(b"", "x.csv"), today=TODAY)


# --- reports and templates ----------------------------------------------------------------------------------------

def test_report_csv_opens_in_excel_and_lists_file_then_row_problems():
    errors = [RowError(5, "工种", "Occupation", "occupation", "Not a known occupation.", "不是可选的工种。",
                       "unknown_value"),
              RowError(3, "证件号码", "ID number", "id_number", "The check character is wrong.", "校验码错误。"),
              FileError("extra_column", "Column H has an unknown header.", "第 H 列的表头不是已知的列名。")]
    data = report_csv(errors)
    assert data.startswith(codecs.BOM_UTF8)
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == [["行 Row", "列 Column", "原因", "Reason"],
                    ["", "", "第 H 列的表头不是已知的列名。", "Column H has an unknown header."],
                    ["3", "证件号码 ID number", "校验码错误。", "The check character is wrong."],
                    ["5", "工种 Occupation", "不是可选的工种。", "Not a known occupation."]]


def test_report_of_a_bad_file_carries_no_personal_data():
    bad = person(id_number=ID_A[:-1] + ("0" if ID_A[-1] != "0" else "1"), phone="1234", name="李四1")
    _, errors = converted(csv_file([bad]))
    text = report_csv(errors).decode("utf-8-sig")
    assert len(text.splitlines()) == 4
    for value in (bad["id_number"], "1234", "李四1"):
        assert value not in text


def test_template_csv_round_trips_and_its_example_row_is_refused_as_the_example():
    data = template_csv()
    assert data.startswith(codecs.BOM_UTF8)
    table = read_table(data, "模板.csv")
    assert table.headers == [c.zh for c in COLUMNS]
    assert table.groups == ["identity", "health", "insurance", "background", "training"]
    (number, raw), = table.rows
    # Unchanged, the example is refused as such, on its ID number, with that one reason.
    data_row, errors = convert_row(number, raw, today=TODAY)
    assert data_row is None
    assert [(e.row, e.key, e.code) for e in errors] == [(2, "id_number", "example_row")]
    assert "example row" in errors[0].en and "示例行" in errors[0].zh
    # Every other cell shows a format the import reads: with a real person's ID the row is whole.
    data_row, errors = convert_row(number, {**raw, "id_number": ID_A}, today=TODAY)
    assert errors == []
    assert (data_row.name, data_row.id_number, data_row.phone) == ("张三", ID_A, "+8613800138000")
    assert [kind for kind, _ in data_row.records] == ["identity", "health", "insurance", "background", "training"]


@pytest.mark.parametrize("spelling", ["11010519491231002X", "11010519491231002x", " 110105 19491231 002X "])
def test_the_example_id_is_refused_however_typed_and_whatever_else_was_edited(spelling):
    row = person(id_number=spelling, name="王五")
    data_row, errors = convert_row(2, row, today=TODAY)
    assert data_row is None and [e.code for e in errors] == ["example_row"]


def test_template_xlsx_round_trips_with_a_text_id_column_and_bold_header():
    data = template_xlsx()
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    id_letter = openpyxl.utils.get_column_letter([c.key for c in COLUMNS].index("id_number") + 1)
    assert sheet[f"{id_letter}2"].number_format == "@" and sheet[f"{id_letter}3"].number_format == "@"
    assert sheet.column_dimensions[id_letter].number_format == "@"
    assert all(cell.font.b for cell in sheet[1])
    table = read_table(data, "模板.xlsx")
    assert table.format == "xlsx" and table.errors == []
    good, errors = convert_table(table, today=TODAY)
    assert good == [] and [(e.row, e.code) for e in errors] == [(2, "example_row")]
    (number, raw), = read_table(data, "模板.xlsx").rows
    data_row, errors = convert_row(number, {**raw, "id_number": ID_A}, today=TODAY)
    assert errors == [] and len(data_row.records) == 5
