"""Helpers for the card tests: a company with staff, pictures, and a small reader of the PDFs WeasyPrint writes.

The PDF reader inflates every stream (WeasyPrint packs its objects into compressed object streams), then reads
page sizes, fonts and the text back through each font's ToUnicode map — the text a PDF viewer would copy.
"""
from __future__ import annotations

import io
import random
import re
import zlib
from dataclasses import dataclass
from datetime import date, timedelta

from registry.clock import today as shanghai_today
from registry.extensions import db
from registry.workers import idnumber
from registry.workers import services as workers

REAL_NAMES = ("陈秀英", "欧阳明华", "李桂兰", "王建华")
MM = 72 / 25.4  # PDF points per millimetre


@dataclass
class Staff:
    company: object
    admin: object  # the admin's Account
    workers: list
    today: date
    names: list

    @property
    def card_nos(self) -> list[str]:
        return [w.card_no for w in self.workers]


def staff(factory, n: int = 1, *, seed: int = 11, occupation: str = "cleaner", company=None) -> Staff:
    """A verified company and `n` registered workers (yellow: no records yet), committed."""
    if company is None:
        company, admin = factory.company()
        admin = admin.account
    else:
        company, admin = company
    today = shanghai_today()
    rng = random.Random(seed)
    made, names = [], []
    for i in range(n):
        name = REAL_NAMES[i % len(REAL_NAMES)]
        reg = workers.register_worker(
            factory.ring, account=admin, company=company, today=today,
            person=workers.Person(name, idnumber.generate(rng, birth=date(1980 + i, 3, 9)),
                                  f"1380000{rng.randrange(10**4):04d}"),
            engagement=workers.Engagement(occupation, "labour_contract", today - timedelta(days=10), True))
        db.session.commit()
        made.append(reg.worker)
        names.append(name)
    return Staff(company, admin, made, today, names)


def make_red(factory, s: Staff, worker) -> None:
    """A failed identity check: the worker's status turns red."""
    workers.add_record(factory.ring, account=s.admin, company=s.company, worker=worker, kind="identity",
                       data={"result": "failed", "checked_on": s.today - timedelta(days=1)}, today=s.today)
    db.session.commit()


def picture(fmt: str = "PNG", size=(60, 80), colour=(200, 160, 120), exif: bytes | None = None) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    kwargs = {"exif": exif} if exif is not None else {}
    Image.new("RGB", size, colour).save(out, fmt, **kwargs)
    return out.getvalue()


# --- reading a PDF back -----------------------------------------------------------------------

# The stream's bytes up to "endstream": the end-of-line before it is left in, because compressed data may itself
# end in a CR byte (a regex that strips "\r?\n" would then eat it); the decompressor stops at the data's end.
_STREAM = re.compile(rb"stream\r?\n(.*?)endstream", re.S)


def _inflated(pdf: bytes) -> bytes:
    parts = [pdf]
    for raw in _STREAM.findall(pdf):
        try:
            parts.append(zlib.decompressobj().decompress(raw))
        except zlib.error:
            pass
    return b"\n".join(parts)


@dataclass
class PdfFacts:
    page_sizes_mm: list[tuple[float, float]]
    fonts: list[str]
    text: str


def read_pdf(pdf: bytes) -> PdfFacts:
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF"), "not a PDF"
    everything = _inflated(pdf)
    boxes = re.findall(rb"/MediaBox\s*\[\s*([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s*\]", everything)
    sizes = [((float(x1) - float(x0)) / MM, (float(y1) - float(y0)) / MM) for x0, y0, x1, y1 in boxes]
    fonts = sorted({f.decode() for f in re.findall(rb"/BaseFont\s*/([^\s/\]>]+)", everything)})
    # Glyph id → text, from every ToUnicode map (bfchar entries and bfrange runs).
    cmap: dict[int, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", everything, re.S):
        for src, dst in re.findall(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            cmap[int(src, 16)] = bytes.fromhex(dst.decode()).decode("utf-16-be")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", everything, re.S):
        for lo, hi, dst in re.findall(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            start = int(dst, 16)
            for offset, gid in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                cmap[gid] = chr(start + offset)
    words = []
    for array in re.findall(rb"\[((?:<[0-9a-fA-F]*>|[-\d.\s])*)\]\s*TJ", everything):
        run = b"".join(re.findall(rb"<([0-9a-fA-F]*)>", array)).decode()
        words.append("".join(cmap.get(int(run[i:i + 4], 16), "\ufffd") for i in range(0, len(run), 4)))
    return PdfFacts(sizes, fonts, " ".join(words))
