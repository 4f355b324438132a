"""Benchmark: the bulletin PDF of 10,000 records, against a naive WeasyPrint render of the same rows.

For now it renders a synthetic `Content` (bench/_names.py names, deterministic for a seed): `--full` records in the
full list (default 10,000) plus `--published` and `--ended` (a few hundred each); `--db sqlite|postgresql` is
accepted and only reported — the lead will wire the real generation from the database (gather.py) in here.

Two measurements, each in a fresh child process (`python -m bench.bulletin --child …`), one after the other:

- naive: one HTML document holding one table with all the rows (all three sections' records, the same cells
  and stylesheet as the bulletin's tables but WeasyPrint's default automatic table layout), one `write_pdf` in
  that one process;
- project: `registry.bulletins.render.pdf(content)`, the real generation (parts rendered by child workers,
  joined, page numbers drawn over).

Each child times only the rendering (not building the synthetic content) and reports its own peak RSS plus the
peak RSS of every process it started (each child reaped with wait4, which gives that child's ru_maxrss): the sum
of per-process peaks, an upper bound of what was resident at once. Then

    bulletin_time_ratio = project wall time ÷ naive wall time   (target ≤ 0.5)
    bulletin_rss_ratio  = project summed peak RSS ÷ naive peak RSS (target ≤ 0.5)

The last line is one flat JSON object.

    .venv/bin/python -m bench.bulletin [--db sqlite|postgresql] [--full 10000] [--published 300] [--ended 200]
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
import time
from datetime import date, datetime, timedelta

from bench._benchdb import ROOT
from bench._names import company_names, person_names
from bench._serve import say

SEED = 13


def synthetic(full: int, published: int, ended: int, seed: int = SEED):
    """A bulletin of November 2026 with the given numbers of records, names as realistic as bench/_names.py's."""
    from registry.bulletins.content import Content, Person, Record, Stats
    from registry.bulletins.periods import parse
    from registry.clock import SHANGHAI
    from registry.companies.districts import DISTRICTS
    from registry.masking import mask_name
    from registry.sanctions.rules import KINDS, SEVERITIES

    rng = random.Random(seed)
    n = full + published + ended
    companies = company_names(n, seed=seed)
    people = person_names(2 * n, seed=seed)
    agencies = (("CD-SW", "成都市商务局", "housekeeping"), ("CD-ZJ", "成都市住房和城乡建设局", "property"),
                ("CD-SJ", "成都市市场监督管理局", "market"))
    period = parse("2026-11")

    def record(i: int) -> Record:
        code, agency, sector = rng.choice(agencies)
        kind, severity = rng.choice(tuple(KINDS)), rng.choice(tuple(SEVERITIES))
        decided = date(2026, 1, 1) + timedelta(days=rng.randrange(330))
        worker = rng.random() < 0.3
        district = rng.choice(DISTRICTS).code if rng.random() < 0.95 else None
        persons = () if worker or rng.random() < 0.8 else (
            Person("legal_representative", "法定代表人", mask_name(people[2 * i + 1])),)
        return Record(
            ref=f"S2026{i:07d}", subject_kind="worker" if worker else "company",
            subject_id=f"JX{i:011d}" if worker else f"91510100MA{rng.randrange(10 ** 8):08d}",
            subject_name=mask_name(people[2 * i]) if worker else companies[i], district=district,
            kind=kind, kind_zh=KINDS[kind][0], severity=severity, severity_zh=SEVERITIES[severity][0],
            decision_no=f"成{agency[3:5]}罚〔2026〕{rng.randrange(1, 9999)}号" if rng.random() < 0.9 else None,
            decision_date=decided, legal_basis="《家政服务业管理暂行办法》第二十四条",
            agency_code=code, agency_zh=agency, sector=sector,
            window_end=decided + timedelta(days=365 * (1 + rng.randrange(3))), persons=persons)

    records = [record(i) for i in range(n)]
    all_full = tuple(records[:full])

    def count(key) -> dict:
        out: dict = {}
        for r in all_full:
            out[key(r)] = out.get(key(r), 0) + 1
        return out

    stats = Stats(by_sector=count(lambda r: r.sector), by_district=count(lambda r: r.district),
                  by_kind=count(lambda r: r.kind), by_severity=count(lambda r: r.severity),
                  trend=tuple((f"{2025 + (m > 12)}-{(m - 1) % 12 + 1:02d}", rng.randrange(200, 900))
                              for m in range(12, 24)))
    return Content(period=period, version=1, issuer_zh="成都市社会信用体系建设工作领导小组办公室",
                   issuer_en="Chengdu Social Credit System Office",
                   made_at=datetime(2026, 12, 1, 2, 0, tzinfo=SHANGHAI), checkpoint_size=1_234_567,
                   checkpoint_root="ab" * 32, verify_url="https://xinyong.example.cn/bulletins/2026-11/v1",
                   published=tuple(records[full:full + published]), ended=tuple(records[full + published:]),
                   full=all_full, stats=stats)


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

    content = synthetic(args.full, args.published, args.ended)
    peaks = _reap_with_rusage()
    start = time.perf_counter()
    if kind == "naive":
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="HarfBuzz-Subset", category=DeprecationWarning)
            from weasyprint import HTML
            from weasyprint.urls import URLFetcher
        data = HTML(string=naive_html(content), url_fetcher=URLFetcher(allowed_protocols=["data"])).write_pdf()
    else:
        from registry.bulletins import render

        data = render.pdf(content)
    wall = time.perf_counter() - start
    from io import BytesIO

    from pypdf import PdfReader

    unreaped = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss > max(peaks.values(), default=0)
    print(json.dumps({"wall_s": wall, "self_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                      "children_kb": sum(peaks.values()), "children": len(peaks), "unreaped": unreaped,
                      "pages": len(PdfReader(BytesIO(data)).pages), "bytes": len(data)}), flush=True)


def measure(kind: str, args) -> dict:
    cmd = [sys.executable, "-m", "bench.bulletin", "--child", kind, "--full", str(args.full),
           "--published", str(args.published), "--ended", str(args.ended)]
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
    parser.add_argument("--full", type=int, default=10_000, help="records in the full list")
    parser.add_argument("--published", type=int, default=300)
    parser.add_argument("--ended", type=int, default=200)
    parser.add_argument("--child", choices=["naive", "project"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args)
        return 0

    rows = args.full + args.published + args.ended
    say(f"bulletin of {args.full:,} + {args.published:,} + {args.ended:,} records (synthetic; --db {args.db} "
        f"not used yet), {os.cpu_count()} cores")
    naive = measure("naive", args)
    say(f"naive   {naive['wall_s']:7.1f} s  {naive['rss_mb']:7.0f} MB peak RSS  {naive['pages']} pages  "
        f"{naive['bytes'] / 1e6:.1f} MB (one table of {rows:,} rows, one process)")
    project = measure("project", args)
    say(f"project {project['wall_s']:7.1f} s  {project['rss_mb']:7.0f} MB peak RSS summed over "
        f"{1 + project['children']} processes  {project['pages']} pages  {project['bytes'] / 1e6:.1f} MB")
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
        "records": rows,
        "full": args.full,
        "cores": os.cpu_count(),
        "db": args.db,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
