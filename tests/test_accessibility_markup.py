"""What keyboard and screen-reader users rely on in every page's markup, checked without a browser (the axe
run over the main pages is tests/browser/test_accessibility.py): a skip link to the main content, text in
the second language marked with its language, and scroll regions a keyboard can reach."""
from __future__ import annotations

from html.parser import HTMLParser

from tests.support.webutil import post_form, text


class Tags(HTMLParser):
    """Every start tag's attributes, and the text inside each `.other-lang` element."""

    def __init__(self, html: str):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.other_lang: list[tuple[str | None, str]] = []
        self._open: list[str | None] = []  # the lang of each open .other-lang (None: not one)
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        self.tags.append((tag, found))
        if tag in ("span", "p", "div"):
            marked = "other-lang" in (found.get("class") or "").split()
            self._open.append(found.get("lang") if marked else None)
            if marked:
                self.other_lang.append((found.get("lang"), ""))

    def handle_endtag(self, tag):
        if tag in ("span", "p", "div") and self._open:
            self._open.pop()

    def handle_data(self, data):
        if self.other_lang and any(lang is not None for lang in self._open):
            tag, seen = self.other_lang[-1]
            self.other_lang[-1] = (tag, seen + data)

    def having(self, tag: str, **attrs) -> list[dict]:
        return [a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())]


def test_every_page_starts_with_a_skip_link_to_the_main_content(client):
    for path, words in (("/?lang=zh", "跳到正文"), ("/login?lang=en", "Skip to the main content")):
        body = text(client.get(path))
        page = Tags(body)
        first_link = page.having("a")[0]
        assert first_link == {"class": "skip-link", "href": "#main"}, path
        assert words in body
        assert page.having("main", id="main"), path


def test_errors_speak_the_pages_language_only(client):
    # Errors used to show the other language beside each message (marked with its lang); they now speak
    # the page's language only, so there is no second-language text to mark on a form with errors.
    for chosen, own_words, other_words in (("zh", "请填写", "Enter"), ("en", "Enter", "请")):
        client.get(f"/login?lang={chosen}")
        resp = post_form(client, "/login", {"login": "", "password": ""})
        assert resp.status_code == 400
        body = text(resp)
        assert not Tags(body).other_lang
        assert own_words in body and other_words not in body.split("<main", 1)[1].split("</main>", 1)[0]


def test_the_error_page_speaks_the_pages_language_only(client):
    resp = client.get("/companies/91510100MA61234567?lang=en")  # not a company's code
    assert 400 <= resp.status_code < 500 and 'class="status-code"' in text(resp)
    assert not Tags(text(resp)).other_lang
    assert "找不到" not in text(resp).split("<main", 1)[1]


def test_the_brand_and_the_language_switch_say_their_language(client):
    page = Tags(text(client.get("/?lang=zh")))
    assert page.having("span", lang="zh-CN") and page.having("span", **{"class": "brand-en", "lang": "en"})
    assert page.having("a", **{"class": "lang-switch", "lang": "en"})
    page = Tags(text(client.get("/?lang=en")))
    assert page.having("a", **{"class": "lang-switch", "lang": "zh-CN"})


def test_the_log_pages_scroll_regions_take_the_focus_and_have_names(client):
    for code in ("zh", "en"):
        regions = [a for a in Tags(text(client.get(f"/log?lang={code}"))).having("div")
                   if "table-wrap" in (a.get("class") or "").split()]
        assert len(regions) >= 3
        for region in regions:
            assert region.get("tabindex") == "0" and region.get("role") == "region", region
            assert (region.get("aria-label") or "").strip(), region


def test_every_sideways_scrolling_region_in_the_templates_is_focusable_and_named():
    import re
    from pathlib import Path

    templates = Path(__file__).resolve().parent.parent / "templates"
    plain = []
    for path in templates.rglob("*.html"):
        for tag in re.findall(r'<div class="table-wrap"[^>]*>', path.read_text()):
            if not all(a in tag for a in ('role="region"', 'tabindex="0"', "aria-label=")):
                plain.append(f"{path.relative_to(templates)}: {tag}")
    assert not plain, plain
