"""The printed card's face: what it shows, as HTML for the screen and as a credit-card-size PDF (one card a page).

A card carries only what a resident at the door needs and nothing personal:
the lifetime card number (grouped for reading aloud), the masked name, the
occupation, the issuing company, the dates, the registry's official address
in words (so a resident can check a card whose QR code was replaced), and the
QR code with the signed URL. The worker's photo is never printed: it is shown
only in the consent-based detailed view.

One stylesheet (registry/static/card.css) serves the screen page, the browser's
print and WeasyPrint, so the three look alike.
"""
from __future__ import annotations

import warnings
from pathlib import Path
from urllib.parse import urlsplit

import segno
from flask import current_app, render_template

from ..keys import KeyRing
from ..workers.models import Worker
from ..workers.vocab import OCCUPATIONS
from . import services
from .models import Card

TITLE = "家信 Jiaxin · 居家上门服务证"
# Error correction M: a worn or smudged card still scans; the URL fits version 8 (57 modules with the quiet zone).
QR_ERROR = "m"
QR_BORDER = 4


def group_card_no(card_no: str) -> str:
    """JX3K7P2M9Q4BX → JX 3K7P 2M9Q 4BX: easier to read out and to type (spaces are ignored on input)."""
    rest = card_no[2:]
    return " ".join([card_no[:2], rest[:4], rest[4:8], rest[8:]]).strip()


def official_host(public_url: str) -> str:
    """The registry's address as printed in words: its host (and path, if it is served under one)."""
    parts = urlsplit(public_url)
    return (parts.netloc + parts.path.rstrip("/")) or public_url


def qr_data_uri(url: str) -> str:
    """The QR code of `url` as an SVG data URI (allowed by the pages' CSP; WeasyPrint embeds it as vectors)."""
    return segno.make(url, error=QR_ERROR).svg_data_uri(border=QR_BORDER, dark="#000", light="#fff")


def _occupation(worker: Worker, card: Card) -> str:
    """The occupation the issuing company employs the worker in (current employment first)."""
    mine = [e for e in worker.employments if e.company_id == card.company_id]
    chosen = next((e for e in reversed(mine) if e.active), mine[-1] if mine else None)
    if chosen is None:
        return ""
    return OCCUPATIONS.get(chosen.occupation, (chosen.occupation,))[0]


def card_view(ring: KeyRing, worker: Worker, card: Card, public_url: str) -> dict:
    """Everything the card shows, as plain values for the templates."""
    url = services.qr_payload(ring, worker, card, public_url)
    host = official_host(public_url)
    return {
        "title": TITLE,
        "card_no": worker.card_no,
        "card_no_grouped": group_card_no(worker.card_no),
        "serial": card.serial,
        "name_masked": worker.name_masked,
        "occupation": _occupation(worker, card),
        "company_name": card.company.name,
        "issued_on": card.issued_on.isoformat(),
        "valid_until": card.valid_until.isoformat(),
        "qr_url": url,
        "qr_svg": qr_data_uri(url),
        "check_host": host,
        "check_words": f"查验真伪请访问 {host}，输入卡号",
        "check_words_en": f"To check this card, visit {host} and enter the card number",
    }


def card_css() -> str:
    return (Path(current_app.static_folder) / "card.css").read_text(encoding="utf-8")


def render_html(views: list[dict]) -> str:
    """A standalone document, one card per page (for WeasyPrint, and for the API's `format=html`)."""
    return render_template("pdf/card.html", cards=views, css=card_css())


def _weasyprint():
    """WeasyPrint's HTML and URLFetcher, imported on first use (the web's other pages do not need it).

    Where the system's HarfBuzz comes without its subset library (Debian 12),
    WeasyPrint warns at import that a future version will need it, and subsets
    the fonts with fontTools meanwhile: nothing to act on here.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="HarfBuzz-Subset will be required", category=DeprecationWarning)
        from weasyprint import HTML
        from weasyprint.urls import URLFetcher
    return HTML, URLFetcher


def render_pdf(views: list[dict]) -> bytes:
    """The cards as one PDF, a page of 85.6 × 54 mm each, text in WenQuanYi Micro Hei.

    The document may load nothing but its own data URIs: no file or network
    access whatever a company's name contains.
    """
    HTML, URLFetcher = _weasyprint()  # noqa: N806 — WeasyPrint's class names
    fetcher = URLFetcher(allowed_protocols=["data"])
    return HTML(string=render_html(views), url_fetcher=fetcher).write_pdf()
