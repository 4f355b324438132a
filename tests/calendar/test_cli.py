"""`flask calendar load FILE` and `calendar show YEAR`: an operator's file makes a year official at once."""
from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from registry.calendar import services as calendar
from registry.calendar.models import CalendarYear
from registry.calendar.workdays import Deadline
from registry.extensions import db
from registry.log.models import LogEntry
from tests.calendar.test_services import DECIDED, SPRING_2027


def write(tmp_path, data, name="2027.json") -> str:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(path)


def actions() -> list[str]:
    return db.session.execute(select(LogEntry.action).order_by(LogEntry.seq)).scalars().all()


def stored() -> int:
    return db.session.execute(select(func.count()).select_from(CalendarYear)).scalar_one()


def test_loading_a_file_makes_the_year_official_at_once(runner, tmp_path):
    assert calendar.working_day_after(DECIDED, 7) == Deadline(date(2027, 2, 18), provisional=True)
    result = runner.invoke(args=["calendar", "load", write(tmp_path, SPRING_2027)])
    assert result.exit_code == 0, result.output
    assert "Loaded the 2027 schedule (log index 0)" in result.output and "已载入 2027 年" in result.output
    assert actions() == ["calendar:load"]
    # The same process, no restart: the deadline is official and has moved.
    assert calendar.working_day_after(DECIDED, 7) == Deadline(date(2027, 2, 19), provisional=False)
    row = db.session.execute(select(CalendarYear)).scalar_one()
    assert (row.year, row.loaded_by, row.source) == (2027, "cli", SPRING_2027["source"])

    again = runner.invoke(args=["calendar", "load", write(tmp_path, SPRING_2027, "again.json")])
    assert again.exit_code == 0 and "nothing changed" in again.output and "未作更改" in again.output
    assert actions() == ["calendar:load"]


def test_a_file_with_a_byte_order_mark_loads(runner, tmp_path):
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(SPRING_2027, ensure_ascii=False).encode("utf-8"))
    assert runner.invoke(args=["calendar", "load", str(path)]).exit_code == 0
    assert actions() == ["calendar:load"]


BAD_FILES = [
    # (content, what the Chinese says, what the English says)
    ("not json", "不是 UTF-8 编码的 JSON", "not JSON in UTF-8"),
    ("[" * 20_000 + "]" * 20_000, "不是 UTF-8 编码的 JSON", "not JSON in UTF-8"),
    ("[2027]", "一个 JSON 对象", "one JSON object"),
    ({**SPRING_2027, "note": "x"}, "note: 未知字段", "note: Unknown field"),
    ({k: v for k, v in SPRING_2027.items() if k != "source"}, "source: 缺少必填字段", "source: Missing data"),
    ({**SPRING_2027, "year": "2027"}, "year: 年份应为 2000 至 2100 之间的整数", "year: Give the year"),
    ({**SPRING_2027, "holidays": ["2027-01-01", "2027-02-30"]}, "不是有效日期（YYYY-MM-DD）：2027-02-30",
     "Not a date (YYYY-MM-DD): 2027-02-30"),
    ({**SPRING_2027, "holidays": ["2026-10-01"]}, "不在 2027 年内：2026-10-01", "Not in 2027: 2026-10-01"),
    ({**SPRING_2027, "workdays": ["2027-02-15"]}, "调休上班日应为周六或周日", "Saturday or Sunday"),
    ({**SPRING_2027, "workdays": ["2027-02-06"]}, "既是放假日期又是调休上班日期", "Both an off day and a make-up"),
]


@pytest.mark.parametrize(("content", "zh", "en"), BAD_FILES)
def test_a_bad_file_is_refused_in_both_languages_and_stores_nothing(runner, tmp_path, content, zh, en):
    result = runner.invoke(args=["calendar", "load", write(tmp_path, content)])
    assert result.exit_code == 1
    assert zh in result.output and en in result.output, result.output
    assert actions() == [] and stored() == 0
    assert calendar.working_day_after(DECIDED, 7).provisional


def test_a_bad_correction_keeps_the_loaded_year(runner, tmp_path):
    assert runner.invoke(args=["calendar", "load", write(tmp_path, SPRING_2027)]).exit_code == 0
    bad = runner.invoke(args=["calendar", "load", write(tmp_path, {**SPRING_2027, "workdays": ["2027-02-15"]},
                                                        "bad.json")])
    assert bad.exit_code == 1 and "nothing was stored" in bad.output and "未保存任何内容" in bad.output
    assert actions() == ["calendar:load"]
    assert db.session.execute(select(CalendarYear.workdays)).scalar_one() == SPRING_2027["workdays"]


def test_a_missing_file_or_a_huge_one_is_refused(runner, tmp_path):
    assert runner.invoke(args=["calendar", "load", str(tmp_path / "none.json")]).exit_code == 2
    huge = runner.invoke(args=["calendar", "load", write(tmp_path, " " * 70_000 + "{}")])
    assert huge.exit_code == 1 and "too large" in huge.output and "文件太大" in huge.output
    assert stored() == 0


def test_show_prints_the_year_and_whether_it_is_official(runner, tmp_path):
    shown = runner.invoke(args=["calendar", "show", "2026"])
    assert shown.exit_code == 0, shown.output
    assert shown.output.startswith("2026: official (built in)")
    assert "  2026-02-16 周一 Mon" in shown.output and "  2026-02-14 周六 Sat" in shown.output
    assert "make-up working days / 调休上班日期 (6):" in shown.output

    provisional = runner.invoke(args=["calendar", "show", "2027"]).output
    assert provisional.startswith("2027: PROVISIONAL") and "暂定" in provisional
    assert "make-up working days / 调休上班日期 (0):\n  —" in provisional

    runner.invoke(args=["calendar", "load", write(tmp_path, SPRING_2027)])
    loaded = runner.invoke(args=["calendar", "show", "2027"]).output
    assert loaded.startswith("2027: official (loaded by cli at ") and SPRING_2027["source"] in loaded
    assert "off days / 放假日期 (10):" in loaded and "  2027-02-14 周日 Sun" in loaded

    assert runner.invoke(args=["calendar", "show", "1999"]).exit_code == 2
