"""GET /bulletins.atom: the latest bulletin versions as an Atom feed (RFC 4287), made with feedgen.

One entry per version, withdrawn ones included, newest made first. An entry's id is the version's API URL (stable:
a version is never renumbered, its ref never reused); `updated` is when it was made, or withdrawn once it is, so a
reader sees a withdrawal as an update of the entry. Titles are in Chinese, as the bulletins are; each entry links
the archive page, every file (as an enclosure, with its media type and length) and the signed manifest.
"""
from __future__ import annotations

from datetime import datetime

from feedgen.feed import FeedGenerator
from lxml import etree
from markupsafe import escape

from .views_model import period_words

FEED_TITLE = "家信 · 公示公告（Jiaxin disclosure bulletins）"
ATOM_NS = "http://www.w3.org/2005/Atom"


def entry_title(view: dict) -> str:
    zh, _en = period_words(view["period"]["kind"], view["period"]["key"])
    title = f"{zh}公示公告（第 {view['version']} 版）"
    return f"【已撤回】{title}" if view["withdrawn"] else title


def _summary(view: dict) -> str:
    """The entry's content (HTML): state, withdrawal, and each file with its size and SHA-256."""
    parts = []
    if view["withdrawn"]:
        parts.append(f"<p>已撤回（Withdrawn）：{escape(view['withdrawn']['reason'])}</p>")
        if view["replaced_by"]:
            parts.append(f"<p>已由第 {view['replaced_by_version']} 版取代。</p>")
    else:
        parts.append("<p>现行版本（Current）。</p>")
    items = "".join(f'<li><a href="{escape(f["url"])}">{escape(f["name"])}</a> ({f["size"]} bytes) '
                    f'SHA-256 <code>{f["sha256"]}</code></li>' for f in view["files"])
    parts.append(f"<ul>{items}</ul>")
    parts.append(f'<p><a href="{escape(view["manifest_url"])}">签名清单（signed manifest）</a></p>')
    return "".join(parts)


def atom(views: list[dict], *, feed_url: str, archive_url: str, entry_url, now: datetime) -> bytes:
    """The feed of `views` (public views, newest made first); `entry_url(ref)` is an entry's id."""
    fg = FeedGenerator()
    fg.id(feed_url)
    fg.title(FEED_TITLE)
    fg.subtitle("家政与物业服务失信惩戒公示公告：每月、每周的签名 PDF 与开放数据。")
    fg.link(href=feed_url, rel="self", type="application/atom+xml")
    fg.link(href=archive_url, rel="alternate", type="text/html")
    fg.author({"name": "家信 Jiaxin"})
    fg.language("zh-CN")
    updated = [v["withdrawn"]["at"] if v["withdrawn"] else v["made_at"] for v in views]
    fg.updated(max(updated) if updated else now)
    for view, when in zip(views, updated):
        fe = fg.add_entry(order="append")
        fe.id(entry_url(view["ref"]))
        fe.title(entry_title(view))
        fe.updated(when)
        fe.published(view["made_at"])
        fe.content(_summary(view), type="html")
    return _with_links(fg.atom_str(pretty=True), [_links(v, archive_url) for v in views])


def _links(view: dict, archive_url: str) -> list[dict]:
    """An entry's links: the archive page (alternate), every file (enclosure), the signed manifest (related)."""
    year = view["period"]["key"][:4]
    out = [{"href": f"{archive_url}?year={year}#b-{view['ref']}", "rel": "alternate", "type": "text/html"}]
    out.extend({"href": f["url"], "rel": "enclosure", "type": f["media_type"], "length": str(f["size"]),
                "title": f["name"]} for f in view["files"])
    out.append({"href": view["manifest_url"], "rel": "related", "type": "text/plain", "title": "manifest"})
    return out


def _with_links(feed: bytes, links: list[list[dict]]) -> bytes:
    """The feed with each entry's links added, in entry order.

    feedgen 1.0.0 writes an entry's `<link>` with its href only, dropping rel, type, length and title
    (lkiesow/python-feedgen#135), which would turn every enclosure into an alternate link; so the entries' links
    are written here, on the document feedgen made.
    """
    root = etree.fromstring(feed)
    entries = root.findall(f"{{{ATOM_NS}}}entry")
    for entry, entry_links in zip(entries, links, strict=True):
        for attrs in entry_links:
            etree.SubElement(entry, f"{{{ATOM_NS}}}link", attrs)
    etree.indent(root, space="  ")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
