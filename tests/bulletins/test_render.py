"""The bulletin PDF as a reader gets it: read back with pypdf, page by page.

A hand-made `Content` of a few hundred records (Chinese company names, masked workers and persons) rendered in
parts of 60 rows, so every section spans pages and parts are joined: the title page says the period and the
issuer, every record's ref, decision number and masked names are printed, nothing the bulletin must not print is,
"第 x 页 共 y 页" counts the whole joined document, each page of a table repeats its header, every font is
embedded and subset, and the charts carry no script.
"""
from __future__ import annotations

import io
import re
from datetime import date, datetime, timedelta

import pytest
from pypdf import PdfReader

from registry.bulletins import charts, render
from registry.bulletins.content import Commended, Content, Person, Record, RedFirm, Stats
from registry.bulletins.periods import parse
from registry.clock import SHANGHAI

ISSUER = "成都市社会信用体系建设工作领导小组办公室"
# Never printed: a field of Record the bulletin does not show carries a full, unmasked name.
CANARY = "欧阳娜娜"
HOSTILE = '<img src="file:///etc/passwd">'
COMPANIES = ("成都市锦江区安心家政服务有限公司", "四川佳华物业管理有限责任公司", "成都蓉城月嫂服务有限公司")
PEOPLE_MASKED = ("张*", "欧阳**", "阿*")


def record(i: int, section: str) -> Record:
    worker = i % 3 == 0
    persons = () if worker else (Person("legal_representative", "法定代表人", PEOPLE_MASKED[i % 3]),)
    return Record(
        ref=f"{section[0].upper()}{i:05d}", subject_kind="worker" if worker else "company",
        subject_id=f"JX3K7P2M9Q{i:03d}" if worker else f"91510100MA{i:08d}",
        subject_name=PEOPLE_MASKED[i % 3] if worker else f"{COMPANIES[i % 3]}{i}",
        district=("510104", "510107", None, "999999")[i % 4], kind="fine", kind_zh="罚款",
        severity="general", severity_zh="一般", decision_no=f"成商罚〔2026〕{i}号" if i % 5 else None,
        decision_date=date(2026, 1, 1) + timedelta(days=i % 300),
        legal_basis="《家政服务业管理暂行办法》第二十四条" if i != 7 else HOSTILE,
        agency_code=f"CANARY-{CANARY}", agency_zh="成都市商务局", sector="housekeeping",
        window_end=date(2027, 1, 1) + timedelta(days=i % 300), persons=persons, objection_pending=i % 11 == 4)


RED_NAMES = ("成都守信示范家政服务有限公司", "四川诚信物业管理有限公司", "成都金牌月嫂服务有限公司")


def red_firm(i: int) -> RedFirm:
    commended = i % 2 == 0
    return RedFirm(
        uscc=f"91510100RD{i:08d}", name=f"{RED_NAMES[i % 3]}{i}", sectors=("housekeeping",) if i % 3 else
        ("property", "housekeeping"), district=("510104", None)[i % 2], grade="AAA" if i % 3 else "A",
        score=90 - i % 5 if i % 3 else 75, reasons=(("aaa",) if i % 3 else ()) + (("commended",) if commended else ()),
        commendations=(Commended(title=f"年度诚信示范企业{i}", basis="成商务〔2026〕8号", agency_zh="成都市商务局",
                                 commended_on=date(2026, 3, 1), valid_until=date(2027, 2, 28)),) if commended else ())


GRADES = (("AAA", 12), ("AA", 30), ("A", 55), ("B", 20), ("C", 4))


def content(period: str, *, full: int, published: int, ended: int, red: int = 0) -> Content:
    stats = Stats(by_sector={"housekeeping": full, "property": 2}, by_district={"510104": full // 2, None: 3},
                  by_kind={"fine": full}, by_severity={"general": full},
                  trend=tuple((f"2026-{m:02d}", m * 3) for m in range(1, 13)))
    return Content(
        period=parse(period), version=2, issuer_zh=ISSUER, issuer_en="Chengdu Social Credit Office",
        made_at=datetime(2026, 12, 1, 2, 0, tzinfo=SHANGHAI), checkpoint_size=4321, checkpoint_root="c0ffee" * 10,
        verify_url="https://jiaxin.example/bulletins/2026-11/v2",
        published=tuple(record(i, "published") for i in range(published)),
        ended=tuple(record(i, "ended") for i in range(ended)),
        full=tuple(record(i, "full") for i in range(full)), stats=stats,
        red_list=tuple(red_firm(i) for i in range(red)), grades=GRADES)


BIG = content("2026-11", full=260, published=40, ended=12, red=70)


@pytest.fixture(scope="module")
def big():
    return PdfReader(io.BytesIO(render.pdf(BIG, chunk_rows=60)))


@pytest.fixture(scope="module")
def big_pages(big):
    return [page.extract_text() for page in big.pages]


@pytest.fixture(scope="module")
def small():
    return PdfReader(io.BytesIO(render.pdf(content("2026-W48", full=0, published=0, ended=0))))


def test_the_title_page_names_the_period_the_issuer_version_and_checkpoint(big_pages):
    first = big_pages[0]
    assert "2026年11月" in first and ISSUER in first
    assert "第 2 版" in first and "2026-12-01 02:00:00" in first
    assert "4,321" in first and "c0ffee" * 10 in first.replace("\n", "")
    assert "https://jiaxin.example/bulletins/2026-11/v2" in first


def test_a_week_bulletin_says_which_week(small):
    first = small.pages[0].extract_text()
    assert "2026年第48周" in first and "2026-11-23 至 2026-11-29" in first


def test_every_record_is_printed_with_its_decision_number_and_masked_names(big_pages):
    text = "".join(big_pages).replace("\n", "")
    for r in (*BIG.published, *BIG.ended, *BIG.full):
        assert r.ref in text
        if r.decision_no:
            assert r.decision_no in text
        for p in r.persons:
            assert f"{p.role_zh} {p.name_masked}" in text
    assert "欧阳**" in text and "张*" in text
    assert "成都蓉城月嫂服务有限公司" in text


def test_nothing_outside_the_public_fields_is_printed(big_pages):
    text = "".join(big_pages)
    assert CANARY not in text and "CANARY" not in text
    # Markup in a record is text, printed as it is, never followed.
    assert HOSTILE in text.replace("\n", "")


def test_every_page_says_its_number_out_of_the_whole_documents(big, big_pages):
    total = len(big.pages)
    assert total > 10
    for number, text in enumerate(big_pages, start=1):
        assert f"第 {number} 页 共 {total} 页" in text


def test_each_page_of_a_table_repeats_its_header(big_pages):
    ref = re.compile(r"\b[PEF]\d{5}\b")
    table_pages = [t for t in big_pages if ref.search(t)]
    assert len(table_pages) >= 8
    for text in table_pages:
        assert "编号" in text and "当事人" in text and "决定文书号" in text


def _fonts(resources, seen):
    resources = resources.get_object() if resources is not None else {}
    for font in (resources.get("/Font") or {}).values():
        yield font.get_object()
    for xobject in (resources.get("/XObject") or {}).values():
        xobject = xobject.get_object()
        if xobject.get("/Subtype") == "/Form" and id(xobject) not in seen:
            seen.add(id(xobject))
            yield from _fonts(xobject.get("/Resources"), seen)


def test_every_font_is_embedded_and_subset(big):
    checked = 0
    for page in big.pages:
        for font in _fonts(page.get("/Resources"), set()):
            descendants = font.get("/DescendantFonts")
            described = descendants[0].get_object() if descendants else font
            descriptor = described["/FontDescriptor"].get_object()
            assert "/FontFile2" in descriptor or "/FontFile3" in descriptor, font["/BaseFont"]
            assert re.fullmatch(r"/[A-Z]{6}\+.+", font["/BaseFont"]), font["/BaseFont"]
            assert "WenQuanYi" in font["/BaseFont"]
            checked += 1
    assert checked >= len(big.pages)  # the page numbers' font at least, on every page


def test_the_pages_are_a4(big):
    for page in big.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert abs(width - 595.28) < 1 and abs(height - 841.89) < 1


def test_the_page_count_grows_with_the_rows(big, small):
    rows = len(BIG.full) + len(BIG.published) + len(BIG.ended)
    grown = len(big.pages) - len(small.pages)
    assert len(small.pages) >= 3  # title and charts, and the empty sections
    assert rows / 40 <= grown <= rows / 8


def test_the_charts_carry_no_script_and_are_reproducible():
    drawn = charts.charts(BIG.stats)
    assert set(drawn) == {"sector", "district", "kind", "severity", "trend"}
    for svg in drawn.values():
        assert svg.startswith("<svg") and "<script" not in svg.lower() and "<!--" not in svg
        assert "WenQuanYi Micro Hei" in svg
    assert "锦江区" in drawn["district"] and "未登记" in drawn["district"] and "家政" in drawn["sector"]
    assert charts.charts(BIG.stats) == drawn


@pytest.mark.parametrize(("key", "label"), [("2026-11", "2026年11月"), ("2026-01", "2026年1月"),
                                             ("2026-W48", "2026年第48周"), ("2027-W01", "2027年第1周")])
def test_period_labels(key, label):
    assert render.period_zh(content(key, full=0, published=0, ended=0)) == label


def test_css_strings_cannot_break_out_of_the_stylesheet():
    assert str(render.css_string('a"b\\c</style>\n')) == 'a\\22 b\\5c c\\3c /style\\3e \\a '


def test_a_record_with_an_objection_pending_says_so_in_its_row_and_the_table_explains_it(big_pages):
    text = "".join(big_pages).replace("\n", "")
    assert "异议处理中" in text and "生成本公告时当事人对其提出的异议正在处理" in text
    html = render.table_html(BIG, "full", 0, 12)
    rows = html.split("<tr>")[2:]  # past the header row
    assert [("异议处理中" in row) for row in rows] == [r.objection_pending for r in BIG.full[:12]]
    assert any(r.objection_pending for r in BIG.full[:12])
    # No record pending: no note.
    none = content("2026-W48", full=3, published=0, ended=0)
    assert "异议" not in render.table_html(none, "full", 0, 3)


def test_the_red_list_section_prints_every_firm_and_its_commendations(big_pages):
    assert "守信红名单" in big_pages[0] and "70 家" in big_pages[0]
    red_pages = [t for t in big_pages if "四、守信红名单" in t]
    # Parts of 60 rows: the second part says which firms it holds.
    assert len(red_pages) >= 2 and "第 61–70 家，共 70 家" in "".join(red_pages)
    start = big_pages.index(red_pages[0])
    text = "".join(big_pages[start:]).replace("\n", "")
    for f in BIG.red_list:
        assert f.name in text and f.uscc in text
        for c in f.commendations:
            assert c.title in text
    assert "信用等级" in text.replace(" ", "") and "受表彰" in text and "成都市商务局" in text
    # The red list is last: after every sanction table.
    assert start > max(i for i, t in enumerate(big_pages) if "三、期末仍在公示" in t)


def test_the_grade_chart_is_drawn_in_the_red_list_section(big_pages):
    first_red = next(t for t in big_pages if "四、守信红名单" in t)
    assert "按信用等级（企业数）" in first_red
    for grade, n in GRADES:
        assert grade in first_red and str(n) in first_red


def test_the_grade_chart_carries_no_script_and_is_reproducible():
    drawn = charts.grade_chart(GRADES)
    assert "<script" not in drawn and "<!--" not in drawn
    assert charts.grade_chart(GRADES) == drawn
    assert charts.grade_chart(GRADES) != charts.grade_chart((("AAA", 1),) + GRADES[1:])


def test_an_empty_red_list_still_has_its_section(small):
    text = "".join(p.extract_text() for p in small.pages)
    assert "四、守信红名单" in text and "0 家" in small.pages[0].extract_text()
