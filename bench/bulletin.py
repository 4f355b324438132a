"""Benchmark: generating the bulletin of a month with 10,000 published records, against a naive WeasyPrint render.

A fresh database of the chosen engine gets `--companies` companies and `--records` published sanctions against
them (bench/_sanctions.py, Core, without log entries), decided and published during the month before the current
one, their windows open past its end; so that month's bulletin lists them all in its full list (and as published
in the month). Then two measurements, each in a fresh child process (`python -m bench.bulletin --child …`), one
after the other:

- naive: the month's content gathered (not timed), then one HTML document holding one table with all its rows
  (the bulletin's cells and stylesheet, WeasyPrint's default automatic table layout), one `write_pdf` in that one
  process (timed);
- project: the real generation, timed whole (`bulletins.generate.generate`: gather from the database, render the
  PDF with its worker processes, write the open-data files, sign and publish with its log entry, commit).

Each child reports its own peak RSS plus the peak RSS of every process it started (each child reaped with wait4,
which gives that child's ru_maxrss): the sum of per-process peaks, an upper bound of what was resident at once.

    bulletin_time_ratio = project wall time ÷ naive wall time   (target ≤ 0.5)
    bulletin_rss_ratio  = project summed peak RSS ÷ naive peak RSS (target ≤ 0.5)

The last line is one flat JSON object.

    .venv/bin/python -m bench.bulletin [--db sqlite|postgresql] [--records 10000] [--companies 20000]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from datetime import time as clock_time
from pathlib import Path

from bench._benchdb import ROOT, database_url, drop_database, make_app
from bench._serve import say

DB_NAME = "jiaxin_bench_bulletin"


def last_month():
    from registry import clock
    from registry.bulletins import periods

    return periods.previous(periods.month_of(clock.today()))


def fill(engine: str, url: str, work: Path, *, companies: int, records: int) -> dict:
    """Companies and `records` sanctions published during last month; the counts."""
    from sqlalchemy import func, select, text, update

    from bench._sanctions import Subject, bench_agencies, insert_companies, insert_sanctions
    from registry.clock import SHANGHAI
    from registry.extensions import db
    from registry.keys import keyring
    from registry.sanctions.models import Sanction
    from tests.support.factory import Factory

    app = make_app(url, work)
    period = last_month()
    with app.app_context():
        from flask_migrate import upgrade

        from registry.log.services import ensure_head

        ring = keyring()
        ring.ensure_all()
        upgrade()
        ensure_head()
        db.session.commit()
        agency_ids = bench_agencies(Factory(app))
        db.session.commit()
        made = insert_companies(db.engine, companies, seed=3)
        rng = random.Random(4)
        subjects = [Subject(company_id=rng.choice(made)[0]) for _ in range(records)]
        # Decided within last month and published on its last day at noon: all public at its end.
        insert_sanctions(db.engine, ring, subjects, agency_ids, day=period.last, published_share=1.0)
        published = datetime.combine(period.last, clock_time(12), tzinfo=SHANGHAI)
        db.session.execute(update(Sanction).values(published_dt=published, decision_date=period.first))
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        counts = {"sanctions": db.session.execute(select(func.count()).select_from(Sanction)).scalar_one(),
                  "companies": len(made)}
        db.session.remove()
        db.engine.dispose()
    return counts


def naive_html(content) -> str:
    """One document, one table: every section's records, the bulletin's cells and stylesheet, automatic layout."""
    from registry.bulletins import render

    rows = (*content.published, *content.ended, *content.full)
    html = render._ENV.get_template("pdf/bulletin/table.html").render(
        title=render.TITLE, footer=render.TITLE, heading="全部记录", note="", basis=False,
        rows=[render._row(r) for r in rows])
    return html.replace("table-layout: fixed;", "")


def _reap_with_rusage() -> dict[int, int]:
    """From now on every child reaped through os.waitpid (subprocess does) leaves its peak RSS (KiB) here."""
    peaks: dict[int, int] = {}
    waitpid = os.waitpid

    def wait4(pid, options):
        if pid <= 0:
            return waitpid(pid, options)
        got, status, usage = os.wait4(pid, options)
        if got:
            peaks[got] = usage.ru_maxrss
        return got, status

    os.waitpid = wait4
    return peaks


def child(kind: str, args) -> None:
    """One measurement in this fresh process; prints one JSON line."""
    import warnings

    from flask import current_app

    from registry.bulletins import gather, generate
    from registry.keys import keyring

    app = make_app(args.url, Path(args.work))
    period = last_month()
    peaks = _reap_with_rusage()
    with app.app_context():
        config = current_app.config
        issuer = (config["BULLETIN_ISSUER_ZH"], config["BULLETIN_ISSUER_EN"])
        if kind == "naive":
            size, root = generate.cited_checkpoint()
            content = gather.gather(period, version=1, issuer_zh=issuer[0], issuer_en=issuer[1],
                                    made_at=datetime.now().astimezone(), checkpoint_size=size,
                                    checkpoint_root=root, verify_url="https://jiaxin.example/bulletins/verify")
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="HarfBuzz-Subset", category=DeprecationWarning)
                from weasyprint import HTML
                from weasyprint.urls import URLFetcher
            data = HTML(string=naive_html(content), url_fetcher=URLFetcher(allowed_protocols=["data"])).write_pdf()
            rows = len(content.published) + len(content.ended) + len(content.full)
        else:
            from registry.bulletins import opendata
            from registry.extensions import db

            start = time.perf_counter()
            published = generate.generate(keyring(), period, origin=config["LOG_ORIGIN"],
                                          public_url=config["PUBLIC_URL"], issuer=issuer)
            db.session.commit()
            b = published.bulletin
            names = opendata.file_names(b.period_key, b.version)
            data = next(f.content for f in b.files if f.name == names["pdf"])
            rows = len(opendata.parse_jsonl(next(f.content for f in b.files if f.name == names["full.jsonl"])))
        wall = time.perf_counter() - start
    from io import BytesIO

    from pypdf import PdfReader

    unreaped = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss > max(peaks.values(), default=0)
    print(json.dumps({"wall_s": wall, "self_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                      "children_kb": sum(peaks.values()), "children": len(peaks), "unreaped": unreaped,
                      "pages": len(PdfReader(BytesIO(data)).pages), "bytes": len(data), "rows": rows}), flush=True)


def measure(kind: str, args) -> dict:
    cmd = [sys.executable, "-m", "bench.bulletin", "--child", kind, "--url", args.url, "--work", args.work]
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if out.returncode != 0 or not lines:
        raise SystemExit(f"the {kind} render failed ({out.returncode}):\n{out.stdout[-2000:]}\n{out.stderr[-4000:]}")
    r = json.loads(lines[-1])
    if r["unreaped"]:
        raise SystemExit(f"the {kind} render left a child unreaped: its peak RSS would be missing")
    r["rss_mb"] = (r["self_kb"] + r["children_kb"]) / 1024
    return r


def main() -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--records", type=int, default=10_000, help="sanctions published last month")
    parser.add_argument("--companies", type=int, default=20_000)
    parser.add_argument("--child", choices=["naive", "project"], help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args)
        return 0

    with tempfile.TemporaryDirectory(prefix="jiaxin-bench-bulletin-") as tmp:
        work = Path(tmp)
        args.work, args.url = str(work), database_url(args.db, work, DB_NAME)
        try:
            start = time.perf_counter()
            counts = fill(args.db, args.url, work, companies=args.companies, records=args.records)
            say(f"filled: {counts['companies']:,} companies, {counts['sanctions']:,} sanctions published in "
                f"{last_month().key} in {time.perf_counter() - start:.1f} s ({args.db}), {os.cpu_count()} cores")
            naive = measure("naive", args)
            say(f"naive   {naive['wall_s']:7.1f} s  {naive['rss_mb']:7.0f} MB peak RSS  {naive['pages']} pages  "
                f"{naive['bytes'] / 1e6:.1f} MB (one table of {naive['rows']:,} rows, one process)")
            project = measure("project", args)
            say(f"project {project['wall_s']:7.1f} s  {project['rss_mb']:7.0f} MB peak RSS summed over "
                f"{1 + project['children']} processes  {project['pages']} pages  {project['bytes'] / 1e6:.1f} MB "
                f"(the whole generation: gather, PDF, open data, signed and published; {project['rows']:,} in "
                f"its full list)")
        finally:
            drop_database(args.db, DB_NAME)
    time_ratio = project["wall_s"] / naive["wall_s"]
    rss_ratio = project["rss_mb"] / naive["rss_mb"]
    say(f"bulletin_time_ratio {time_ratio:.3f}, bulletin_rss_ratio {rss_ratio:.3f} (targets ≤ 0.5)")
    print(json.dumps({
        "bulletin_time_ratio": round(time_ratio, 3),
        "bulletin_rss_ratio": round(rss_ratio, 3),
        "project_wall_s": round(project["wall_s"], 2),
        "project_rss_mb": round(project["rss_mb"], 1),
        "project_parent_rss_mb": round(project["self_kb"] / 1024, 1),
        "project_processes": 1 + project["children"],
        "project_pages": project["pages"],
        "project_pdf_mb": round(project["bytes"] / 1e6, 2),
        "naive_wall_s": round(naive["wall_s"], 2),
        "naive_rss_mb": round(naive["rss_mb"], 1),
        "naive_pages": naive["pages"],
        "naive_pdf_mb": round(naive["bytes"] / 1e6, 2),
        "records": project["rows"],
        "cores": os.cpu_count(),
        "db": args.db,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
