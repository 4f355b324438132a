"""The consent QR's address: the code in the fragment only, which no browser sends to a server."""
from __future__ import annotations

from urllib.parse import urlsplit

from registry.selfservice.consent_qr import consent_url, qr_svg


def test_the_code_travels_in_the_fragment_and_never_the_path_or_query():
    url = consent_url("https://jiaxin.example/", "JX3K7P2M9Q4BX", "7KQ3M9TB")
    assert url == "https://jiaxin.example/c/JX3K7P2M9Q4BX/detail#code=7KQ3M9TB"
    parts = urlsplit(url)
    assert parts.fragment == "code=7KQ3M9TB"
    assert "7KQ3M9TB" not in parts.path + parts.query + parts.netloc


def test_a_public_url_served_under_a_path_keeps_its_path():
    assert consent_url("https://gov.example/jiaxin", "JX3K7P2M9Q4BX", "7KQ3M9TB") == \
        "https://gov.example/jiaxin/c/JX3K7P2M9Q4BX/detail#code=7KQ3M9TB"


def test_the_qr_is_inline_svg_that_scales_and_fetches_nothing():
    svg = qr_svg(consent_url("https://jiaxin.example", "JX3K7P2M9Q4BX", "7KQ3M9TB"))
    assert svg.startswith("<svg ") and svg.rstrip().endswith("</svg>")
    head = svg[:svg.index(">")]
    assert "viewBox" in head and "width=" not in head and "height=" not in head
    # No image, link or stylesheet for the browser to request (the page's CSP allows none elsewhere anyway).
    assert "href" not in svg and "<image" not in svg and "url(" not in svg
