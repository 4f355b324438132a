"""`flask bulletins verify FILE…`: genuine when the file's SHA-256 is a published file's and that bulletin's stored
manifest opens under the ring's bulletin keys listing it; exit 0 only when every file is genuine."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from registry.bulletins import periods
from registry.bulletins import services as bulletins
from registry.extensions import db
from registry.log.models import LogCheckpoint
from tests.support.logutil import sign, sql

NOVEMBER = periods.parse("2026-11")
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 4 + b"\n%%EOF\n"
CSV = "\ufeffref,名称\r\nab12,成都某家政服务有限公司\r\n".encode()


@pytest.fixture
def published(app, factory):
    """November v1 (withdrawn: its PDF was wrong) and v2 (current, a corrected PDF, the same CSV)."""
    from registry.calendar.services import load_schedule

    load_schedule(factory.ring, actor="cli", year=2027, holidays=["2027-01-01"], workdays=[], source="测试通知")
    db.session.commit()
    sign(factory.ring)
    cp = db.session.execute(select(LogCheckpoint).order_by(LogCheckpoint.size.desc()).limit(1)).scalar_one()
    common = {"actor": "system", "period": NOVEMBER, "checkpoint_size": cp.size,
              "checkpoint_root": bytes(cp.root).hex(), "origin": app.config["LOG_ORIGIN"]}
    v1 = bulletins.publish(factory.ring, files=[("bulletin-2026-11.pdf", "application/pdf", PDF),
                                                ("sanctions-2026-11.csv", "text/csv", CSV)],
                           made_at=NOVEMBER.ends_at, **common).bulletin
    bulletins.withdraw(factory.ring, actor="a" * 32, bulletin=v1, reason="PDF 第 2 页有误")
    v2 = bulletins.publish(factory.ring, files=[("bulletin-2026-11.pdf", "application/pdf", PDF + b"%v2\n"),
                                                ("sanctions-2026-11.csv", "text/csv", CSV)],
                           made_at=NOVEMBER.ends_at + timedelta(days=1), **common).bulletin
    db.session.commit()
    return v1, v2


def run(runner, *paths):
    return runner.invoke(args=["bulletins", "verify", *map(str, paths)])


def write(tmp_path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_genuine_files_exit_0_naming_bulletin_version_and_state(runner, published, tmp_path):
    v1, v2 = published
    pdf = write(tmp_path, "downloaded.pdf", PDF + b"%v2\n")
    csv = write(tmp_path, "data.csv", CSV)
    result = run(runner, pdf, csv)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith(f"genuine / 真实: {pdf}: bulletin-2026-11.pdf, bulletin 2026-11 v2 ({v2.ref})")
    assert lines[0].endswith("current / 现行")
    # The CSV is in both versions: both named, the withdrawn one with its reason.
    csv_lines = [line for line in lines if str(csv) in line]
    assert len(csv_lines) == 2 and all(line.startswith("genuine") for line in csv_lines)
    assert any(f"v1 ({v1.ref}), WITHDRAWN / 已撤回: PDF 第 2 页有误" in line for line in csv_lines)


def test_a_withdrawn_versions_file_is_genuine_and_said_withdrawn(runner, published, tmp_path):
    result = run(runner, write(tmp_path, "old.pdf", PDF))
    assert result.exit_code == 0, result.output
    assert "WITHDRAWN / 已撤回: PDF 第 2 页有误" in result.output


def test_an_altered_file_exits_1(runner, published, tmp_path):
    altered = write(tmp_path, "bulletin-2026-11.pdf", PDF.replace(b"%PDF-1.7", b"%PDF-1.6"))
    genuine = write(tmp_path, "data.csv", CSV)
    result = run(runner, genuine, altered)
    assert result.exit_code == 1, result.output
    assert f"NOT genuine / 不是真实文件: {altered}: not a file Jiaxin published" in result.output
    assert f"genuine / 真实: {genuine}:" in result.output
    assert run(runner, altered).exit_code == 1


def test_a_file_whose_stored_manifest_was_forged_exits_1(runner, published, tmp_path):
    _v1, v2 = published
    sql("UPDATE bulletins SET manifest = :m WHERE id = :i", m=v2.manifest.replace(" v2\n", " v9\n"), i=v2.id)
    result = run(runner, write(tmp_path, "b.pdf", PDF + b"%v2\n"))
    assert result.exit_code == 1, result.output
    assert "manifest does not verify" in result.output


def test_a_missing_file_is_a_usage_error(runner, published, tmp_path):
    result = run(runner, tmp_path / "nope.pdf")
    assert result.exit_code == 2


def test_generate_makes_an_ended_period_here_and_refuses_bad_or_early_periods(app, runner, factory, clock, tmp_path):
    """`bulletins generate --period` runs the generation in the command's own process; the files it publishes
    verify with `bulletins verify`; a period not ended, malformed or already current is refused, saying why."""
    from datetime import datetime

    from registry.clock import SHANGHAI

    clock.freeze(datetime(2026, 7, 3, 9, tzinfo=SHANGHAI))
    factory.company()
    db.session.commit()
    early = runner.invoke(args=["bulletins", "generate", "--period", "2026-07"])
    assert early.exit_code == 1 and "2026-07 has not ended yet" in early.output
    bad = runner.invoke(args=["bulletins", "generate", "--period", "2026-13"])
    assert bad.exit_code == 1 and 'A period is a month such as "2026-11"' in bad.output
    made = runner.invoke(args=["bulletins", "generate", "--period", "2026-W26"])
    assert made.exit_code == 0, made.output
    b = bulletins.current("2026-W26")
    assert b is not None and f"published version 1 ({b.ref})" in made.output
    paths = [write(tmp_path, f.name, f.content) for f in b.files]
    assert run(runner, *paths).exit_code == 0
    again = runner.invoke(args=["bulletins", "generate", "--period", "2026-W26"])
    assert again.exit_code == 1 and "is published and current" in again.output


def test_a_downloaded_red_list_file_is_genuine_and_an_altered_one_is_not(app, runner, factory, clock, tmp_path):
    """A red-list file fetched from its download URL verifies as the bulletin's; one with a firm's name edited
    does not."""
    from tests.support.bulletinutil import JUNE, at, commend, queue_and_run, three_sanctions

    world = three_sanctions(factory, clock)
    commend(world, "june", "2026-06-20", "诚信示范企业")
    clock.freeze(at("2026-07-02"))
    queue_and_run(app, JUNE)
    b = bulletins.current("2026-06")
    client = app.test_client()
    for part in ("red-list-full.csv", "red-list-full.jsonl", "red-list-added.jsonl"):
        name = f"jiaxin-bulletin-2026-06-v1-{part}"
        downloaded = client.get(f"/bulletins/{b.ref}/{name}")
        assert downloaded.status_code == 200 and world["made"]["june"].company.uscc in downloaded.text
        path = write(tmp_path, f"saved-{part}", downloaded.data)
        result = run(runner, path)
        assert result.exit_code == 0, result.output
        assert f"genuine / 真实: {path}: {name}, bulletin 2026-06 v1 ({b.ref}), current / 现行" in result.output
    full = client.get(f"/bulletins/{b.ref}/jiaxin-bulletin-2026-06-v1-red-list-full.csv").data
    name_zh = "成都安心家政服务有限公司".encode()
    assert name_zh in full
    altered = write(tmp_path, "altered.csv", full.replace(name_zh, "成都安心家政有限公司".encode()))
    result = run(runner, altered)
    assert result.exit_code == 1 and "not a file Jiaxin published" in result.output, result.output
