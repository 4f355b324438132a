"""The bulletin as a PDF: A4, WenQuanYi Micro Hei embedded and subset, made fast enough for ten thousand records.

What it shows: a title page (the period, the issuing body, the version, when it was made, the log checkpoint and
a QR code to the verification page), the charts of the full list (charts.py), and one table per section
(`published`, `ended`, `full`) whose header row repeats on every page, then the red list (守信红名单) as the
bulletin was made with the chart of firms by credit grade; "第 x 页 共 y 页" in every page's footer.
Names appear only as the `Content` carries them (a worker's masked name, a company's name, persons masked).

Why it is built the way it is (measured on 2 shared cores with bench/bulletin.py; 10,500 records):

- WeasyPrint's cost is its Python styling and layout, linear in the table's elements and lines, and so is its
  memory: every page's boxes are held until the PDF is written. One table of the 10,500 rows took 218 s and
  7.2 GB. So the bulletin is cut into parts — the title and charts pages, then each section in chunks of
  `CHUNK_ROWS` rows, each chunk one table with its own header — rendered in `WORKERS` child processes (two), each
  holding one chunk's boxes at a time, and joined with pypdf. A chunk starts on a new page; its heading says which
  rows it holds ("第 1,001–2,000 条，共 10,000 条"). Cutting one process's table into smaller tables saves nothing
  (measured): the gain is the bounded memory of a part and the second core.
- Tables use `table-layout: fixed` with set column widths: the automatic layout lays every cell out twice more
  for its minimum and maximum widths (twice the layout time on 500 rows). A cell's second line is a newline
  under `white-space: pre-line`, not a <br> or a <span>: each element costs styling and boxes (a third less
  layout time).
- The page numbers need the whole document's page count, which only the joined PDF knows: the parts leave their
  footer's middle empty and, once joined, one more WeasyPrint document (pages.html) with as many empty pages,
  carrying only `第 counter(page) 页 共 counter(pages) 页` there, is drawn over the bulletin page for page
  (`_draw_over`, each as a form XObject: no content stream is parsed).
- Fonts: each part embeds its own subset of WenQuanYi Micro Hei, and so does the page-number overlay (a dozen
  glyphs). WeasyPrint subsets with HarfBuzz where the system has libharfbuzz-subset (Debian's
  libharfbuzz-subset0; a few milliseconds a part); without it, fontTools takes 0.6–1.5 s a part, a dozen parts
  here — the one case a font pre-subset once per bulletin would pay.

The children are fresh interpreters running pdfworker.py (not forks of the calling web or jobs process, which
has threads and database connections); they may load nothing but the documents' own data URIs.
"""
from __future__ import annotations

import base64
import io
import os
import queue
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import segno
from jinja2 import Environment, FileSystemLoader, select_autoescape

from ..clock import SHANGHAI
from . import charts as charts_mod
from .content import Content, Record, RedFirm
from .pdfworker import HEADER
from .periods import MONTH

TEMPLATES = Path(__file__).resolve().parent.parent.parent / "templates"
WORKER = Path(__file__).resolve().with_name("pdfworker.py")
TITLE = "家信失信惩戒信息公告"
CHUNK_ROWS = 1000  # rows a part: its boxes (~250 MB) are what a worker holds at once
WORKERS = 2
SECTIONS = {
    # section: (heading, what it lists, whether it shows the legal basis)
    "published": ("一、本期新公示的失信惩戒信息", "本期内开始公示的记录。", True),
    "ended": ("二、本期公示期满的失信惩戒信息", "公示期在本期内届满、已不再公示的记录。", True),
    "full": ("三、期末仍在公示的全部失信惩戒信息", "本期结束时仍在公示期内的全部记录。", False),
}
QR_ERROR = "m"
QR_BORDER = 4


class RenderError(RuntimeError):
    """A part of the bulletin could not be rendered (the worker's traceback is the message)."""


def period_zh(content: Content) -> str:
    """"2026年11月" or "2026年第48周"."""
    p = content.period
    year, number = p.key.split("-")
    if p.kind == MONTH:
        return f"{year}年{int(number)}月"
    return f"{year}年第{int(number.lstrip('W'))}周"


def css_string(text: str) -> str:
    """`text` safe inside a double-quoted CSS string within <style>: quotes, backslashes, markup characters and
    control characters become CSS escapes (a style element's text is not HTML-unescaped, so HTML escaping would
    show; and having none of & < > " ' left, the result passes through autoescaping unchanged)."""
    out = []
    for ch in str(text):
        out.append(f"\\{ord(ch):x} " if ch in '"\\<>&\'' or ord(ch) < 0x20 or ord(ch) == 0x7f else ch)
    return "".join(out)


def _environment() -> Environment:
    """Jinja over the project's templates/ (as the app's), with no Flask: the render runs in jobs and in children
    as well as in requests."""
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["css_string"] = css_string
    return env


_ENV = _environment()


def _svg_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def qr_data_uri(url: str) -> str:
    """The QR code of the verification URL as an SVG data URI (WeasyPrint embeds it as vectors)."""
    return segno.make(url, error=QR_ERROR).svg_data_uri(border=QR_BORDER, dark="#000", light="#fff")


def _common(content: Content) -> dict:
    label = period_zh(content)
    return {"title": TITLE, "footer": f"{TITLE} · {label} · 第 {content.version} 版"}


def title_html(content: Content) -> str:
    """The title page and the charts page."""
    p = content.period
    made = content.made_at.astimezone(SHANGHAI)
    return _ENV.get_template("pdf/bulletin/title.html").render(
        **_common(content),
        period_zh=period_zh(content), period_range="" if p.kind == MONTH else f"{p.first} 至 {p.last}",
        first=p.first.isoformat(), last=p.last.isoformat(), issuer_zh=content.issuer_zh,
        issuer_en=content.issuer_en, version=content.version,
        made_at=made.strftime("%Y-%m-%d %H:%M:%S") + " (UTC+8)",
        checkpoint_size=f"{content.checkpoint_size:,}", checkpoint_root=content.checkpoint_root,
        verify_url=content.verify_url, qr_svg=qr_data_uri(content.verify_url),
        counts={s: f"{len(getattr(content, s)):,}" for s in ("published", "ended", "full", "red_list")},
        charts=[(name, _svg_uri(svg)) for name, svg in charts_mod.charts(content.stats).items()],
    )


@dataclass(frozen=True)
class _Row:
    """One record's table cells, as text."""

    ref: str
    subject_name: str
    subject_id: str
    district: str
    kind_zh: str
    severity_zh: str
    decision_no: str
    decision_date: str
    agency_zh: str
    window_end: str
    persons: tuple[str, ...]
    legal_basis: str
    objection_pending: bool = False


def _row(r: Record) -> _Row:
    return _Row(
        ref=r.ref, subject_name=r.subject_name, subject_id=r.subject_id,
        district=charts_mod.district_label(r.district) if r.district else "—",
        kind_zh=r.kind_zh, severity_zh=r.severity_zh, decision_no=r.decision_no or "—",
        decision_date=r.decision_date.isoformat(), agency_zh=r.agency_zh,
        window_end=r.window_end.isoformat() if r.window_end else "—",
        persons=tuple(f"{p.role_zh} {p.name_masked}" + (f"（{p.card_no}）" if p.card_no else "")
                      for p in r.persons),
        legal_basis=r.legal_basis, objection_pending=r.objection_pending,
    )


def table_html(content: Content, section: str, start: int, stop: int) -> str:
    """One part of a section: its records [start, stop) as one table (a heading says which)."""
    heading, note, basis = SECTIONS[section]
    records = getattr(content, section)
    total = len(records)
    if total > stop - start:
        heading += f"（第 {start + 1:,}–{stop:,} 条，共 {total:,} 条）"
    elif total:
        heading += f"（共 {total:,} 条）"
    return _ENV.get_template("pdf/bulletin/table.html").render(
        **_common(content), heading=heading, note=note, basis=basis,
        rows=[_row(r) for r in records[start:stop]],
    )


RED_LIST = ("四、守信红名单", "生成本公告时，已核验且信用等级为 AAA 或有在有效期内表彰的企业；受严重失信名单约束的企业"
            "不列入。")
REASONS_ZH = {"aaa": "信用等级 AAA", "commended": "受表彰"}


@dataclass(frozen=True)
class _RedRow:
    """One firm of the red list's table, as text."""

    name: str
    uscc: str
    sectors: str
    district: str
    grade: str
    reasons: str
    commendations: tuple[str, ...]


def _red_row(f: RedFirm) -> _RedRow:
    return _RedRow(
        name=f.name, uscc=f.uscc, sectors="、".join(charts_mod.SECTORS_ZH.get(s, s) for s in f.sectors),
        district=charts_mod.district_label(f.district) if f.district else "—",
        grade=f"{f.grade}（{f.score}）" if f.grade else "—",
        reasons="、".join(REASONS_ZH.get(r, r) for r in f.reasons),
        commendations=tuple(f"{c.title} · {c.agency_zh} · {c.commended_on.isoformat()} 至 {c.valid_until.isoformat()}"
                            for c in f.commendations))


def red_list_html(content: Content, start: int, stop: int) -> str:
    """One part of the red-list section: the grade chart (first part only) and firms [start, stop)."""
    heading, note = RED_LIST
    total = len(content.red_list)
    if total > stop - start:
        heading += f"（第 {start + 1:,}–{stop:,} 家，共 {total:,} 家）"
    elif total:
        heading += f"（共 {total:,} 家）"
    chart = _svg_uri(charts_mod.grade_chart(content.grades)) if start == 0 else None
    return _ENV.get_template("pdf/bulletin/red_list.html").render(
        **_common(content), heading=heading, note=note, chart=chart,
        rows=[_red_row(f) for f in content.red_list[start:stop]])


def pages_html(pages: int) -> str:
    """The page-number overlay: `pages` empty A4 pages numbered "第 x 页 共 y 页"."""
    return _ENV.get_template("pdf/bulletin/pages.html").render(pages=pages)


def parts(content: Content, chunk_rows: int = CHUNK_ROWS):
    """The bulletin's parts in order, as functions giving each one's HTML (built in the worker threads)."""
    yield partial(title_html, content)
    for section in content.sections:
        total = len(getattr(content, section))
        for start in range(0, max(total, 1), chunk_rows):
            yield partial(table_html, content, section, start, min(start + chunk_rows, total))
    total = len(content.red_list)
    for start in range(0, max(total, 1), chunk_rows):
        yield partial(red_list_html, content, start, min(start + chunk_rows, total))


class _Worker:
    """One pdfworker.py child: HTML in, PDF out."""

    def __init__(self):
        self.proc = subprocess.Popen([sys.executable, "-I", str(WORKER)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, close_fds=True)

    def render(self, html: str) -> bytes:
        data = html.encode("utf-8")
        self.proc.stdin.write(HEADER.pack(len(data)) + data)
        self.proc.stdin.flush()
        status = self.proc.stdout.read(1)
        size = self.proc.stdout.read(HEADER.size)
        if not status or len(size) < HEADER.size:
            raise RenderError(f"the PDF worker exited with {self.proc.wait()}")
        answer = self.proc.stdout.read(HEADER.unpack(size)[0])
        if status != b"K":
            raise RenderError(answer.decode("utf-8", "replace"))
        return answer

    def close(self) -> None:
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()


class _Pool:
    """`size` workers; `map` renders HTML documents in order, each on whichever worker is free."""

    def __init__(self, size: int):
        self.workers = [_Worker() for _ in range(size)]
        self.idle: queue.SimpleQueue = queue.SimpleQueue()
        for w in self.workers:
            self.idle.put(w)
        self.threads = ThreadPoolExecutor(max_workers=size)

    def _one(self, make_html) -> bytes:
        worker = self.idle.get()
        try:
            return worker.render(make_html())
        finally:
            self.idle.put(worker)

    def map(self, makers) -> list[bytes]:
        return list(self.threads.map(self._one, makers))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.threads.shutdown(wait=True)
        for w in self.workers:
            if exc[0] is not None:
                w.proc.kill()
            w.close()


def _join(pdfs: list[bytes]):
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for data in pdfs:
        writer.append(PdfReader(io.BytesIO(data)))
    return writer


def _draw_over(writer, overlay) -> None:
    """Draw page i of `overlay` over page i of `writer`, each overlay page as a form XObject of its own.

    pypdf's `merge_page` does it too but parses both pages' content streams to rename clashing resources (one
    second a hundred pages); a form XObject brings its own resources, so nothing is parsed or renamed: each page
    gets a copy of its resource dictionary naming the form (parts share one dictionary among their pages) and
    two more content streams, shared by every page — "q" before its own content and "Q q /PageNumber Do Q"
    after, so whatever state the page's content leaves, the numbers are drawn in the page's own coordinates.
    """
    from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, IndirectObject, NameObject

    def stream(data: bytes, **entries):
        s = DecodedStreamObject()
        s.set_data(data)
        s.update({NameObject(k): v for k, v in entries.items()})
        return writer._add_object(s)

    before, after = stream(b"q\n"), stream(b"Q\nq /PageNumber Do Q\n")
    name = NameObject("/PageNumber")
    cloned: dict[int, object] = {}  # the overlay's pages share their resources: copied into the writer once
    for page, over in zip(list(writer.pages), list(overlay.pages), strict=True):
        raw = over.raw_get("/Resources")
        key = raw.idnum if isinstance(raw, IndirectObject) else id(raw)
        if key not in cloned:
            cloned[key] = raw.clone(writer)
        form = stream(over.get_contents().get_data(), **{
            "/Type": NameObject("/XObject"), "/Subtype": NameObject("/Form"),
            "/BBox": ArrayObject(over.mediabox), "/Resources": cloned[key]})
        resources = DictionaryObject(page["/Resources"].get_object())
        xobjects = DictionaryObject(resources.get("/XObject", DictionaryObject()).get_object())
        xobjects[name] = form
        resources[NameObject("/XObject")] = xobjects
        page[NameObject("/Resources")] = resources
        contents = page.get("/Contents")
        contents = list(contents.get_object()) if isinstance(contents.get_object(), list) else [contents]
        page[NameObject("/Contents")] = ArrayObject([before, *contents, after])


def pdf(content: Content, *, workers: int | None = None, chunk_rows: int = CHUNK_ROWS) -> bytes:
    """The bulletin as PDF bytes (see the module's docstring for how)."""
    from pypdf import PdfReader

    makers = list(parts(content, chunk_rows))
    size = max(1, min(workers or WORKERS, os.cpu_count() or 1, len(makers)))
    with _Pool(size) as pool:
        writer = _join(pool.map(makers))
        count = len(writer.pages)
        numbers = PdfReader(io.BytesIO(pool.map([partial(pages_html, count)])[0]))
    _draw_over(writer, numbers)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
