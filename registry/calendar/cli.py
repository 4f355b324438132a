"""`flask --app wsgi calendar load FILE` and `calendar show YEAR`: the official working-day calendar.

FILE is a small JSON object (docs/rules.md, "Working days"):

    {"year": 2027, "source": "国办发明电〔2026〕N号",
     "holidays": ["2027-01-01", …], "workdays": ["2027-02-07", …]}

`holidays` are the year's off days, `workdays` its make-up working days (weekend days worked). A bad file is
refused with every problem in Chinese and English, exit status 1, and nothing stored.
"""
from __future__ import annotations

import json
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from ..errors import ApiError
from ..extensions import db
from ..keys import keyring
from . import services
from .workdays import YEAR_MAX, YEAR_MIN

calendar_cli = AppGroup("calendar", help="The official working-day calendar (statutory holidays, 调休).")

FILE_KEYS = ("year", "source", "holidays", "workdays")
MAX_FILE_BYTES = 64 * 1024
WEEKDAYS = "一二三四五六日"


class Refused(click.ClickException):
    """A refusal printed in both languages: `错误 / Error: …`, then one line per field at fault (exit 1)."""

    def __init__(self, zh: str, en: str, fields: dict | None = None):
        lines = [f"{zh}\n{en}"]
        for name, words in (fields or {}).items():
            lines.append(f"  {name}: {words['zh']}\n  {name}: {words['en']}")
        super().__init__("\n".join(lines))


def read_file(path: str) -> dict:
    """The file's JSON object, or a bilingual refusal naming what is wrong with it."""
    if Path(path).stat().st_size > MAX_FILE_BYTES:
        raise Refused(f"文件太大（超过 {MAX_FILE_BYTES // 1024} KB），不是一年的放假安排。",
                      f"The file is too large (over {MAX_FILE_BYTES // 1024} KB) for one year's schedule.")
    try:
        data = json.loads(Path(path).read_bytes().decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise Refused(f"文件不是 UTF-8 编码的 JSON：{exc}", f"The file is not JSON in UTF-8: {exc}") from None
    if not isinstance(data, dict):
        raise Refused("文件应为一个 JSON 对象：{\"year\": …, \"source\": …, \"holidays\": […], \"workdays\": […]}。",
                      "The file must hold one JSON object: "
                      "{\"year\": …, \"source\": …, \"holidays\": […], \"workdays\": […]}.")
    unknown = sorted(set(data) - set(FILE_KEYS))
    missing = [k for k in FILE_KEYS if k not in data]
    fields = {k: {"zh": "未知字段。", "en": "Unknown field."} for k in unknown}
    fields.update({k: {"zh": "缺少必填字段。", "en": "Missing data for required field."} for k in missing})
    if fields:
        raise Refused("文件内容有误。", "The file is not valid.", fields)
    return data


def _days(days) -> str:
    return "\n".join(f"  {d.isoformat()} 周{WEEKDAYS[d.weekday()]} {d:%a}" for d in days) or "  —"


@calendar_cli.command("load")
@click.argument("path", metavar="FILE", type=click.Path(exists=True, dir_okay=False))
def calendar_load(path):
    """Load a year's official schedule from FILE (JSON: year, source, holidays, workdays)."""
    data = read_file(path)
    try:
        loaded = services.load_schedule(keyring(), actor=services.CLI_ACTOR, year=data["year"],
                                        holidays=data["holidays"], workdays=data["workdays"],
                                        source=data["source"])
    except ApiError as exc:
        db.session.rollback()
        raise Refused("文件内容有误，未保存任何内容。", "The file is not valid; nothing was stored.",
                      exc.fields) from None
    year = loaded.row.year
    if not loaded.changed:
        db.session.rollback()
        click.echo(f"{year} 年安排与已载入的相同，未作更改。\n"
                   f"The {year} schedule is the one already loaded: nothing changed.")
        return
    db.session.commit()
    click.echo(f"已载入 {year} 年放假安排（日志序号 {loaded.recorded.seq}）。\n"
               f"Loaded the {year} schedule (log index {loaded.recorded.seq}).")


@calendar_cli.command("show")
@click.argument("year", type=click.IntRange(YEAR_MIN, YEAR_MAX))
def calendar_show(year):
    """Print YEAR's off days and make-up working days, and whether they are official."""
    view = services.year_view(year)
    if view["loaded"]:
        status = (f"official (loaded by {view['loaded_by']} at {view['loaded_dt']:%Y-%m-%d %H:%M} UTC) / "
                  "正式（运营方载入）")
    elif view["official"]:
        status = "official (built in) / 正式（内置数据）"
    else:
        status = ("PROVISIONAL: no official schedule yet, weekends and statutory holidays by rule, no make-up days"
                  " / 暂定：尚无正式安排，仅按周末和法定节假日推算，无调休")
    click.echo(f"{year}: {status}\nsource / 来源: {view['source'] or '—'}")
    click.echo(f"off days / 放假日期 ({len(view['holidays'])}):\n{_days(view['holidays'])}")
    click.echo(f"make-up working days / 调休上班日期 ({len(view['workdays'])}):\n{_days(view['workdays'])}")


def register_cli(app: Flask) -> None:
    """Add the `calendar` command group to the app."""
    app.cli.add_command(calendar_cli)
