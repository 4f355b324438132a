"""The bulletin's charts as SVG, drawn with pygal from a `Stats` (no Flask, no database).

Bars of the full list by sector, district, kind and severity, and the twelve-month trend of sanctions made public;
and, in the red-list section, the verified firms by credit grade (`grade_chart`).
The SVG goes into the PDF (WeasyPrint draws it as vectors), so it must be inert and reproducible:

- no JavaScript: pygal's `js=[]` drops its external scripts but it still writes an inline config `<script>`,
  so `_inert` removes every `<script>` (and every comment — pygal's carries the day it was drawn);
- the same `Stats` gives the same bytes: pygal names each chart by a random UUID, which we replace by the
  chart's own name, and the bars come in a fixed order (the vocabulary's, or by count then label);
- labels in Chinese, in WenQuanYi Micro Hei (the font the PDF embeds).
"""
from __future__ import annotations

import sys

import pygal
from pygal.etree import etree
from pygal.style import Style

from ..companies import districts
from ..sanctions.rules import KINDS, SEVERITIES
from .content import Stats

# Importing pygal appends to sys.meta_path a finder for its map plugins (pygal.maps.*) that has only the old
# find_module API: from then on every import that misses the ordinary finders (an optional dependency probed
# anywhere in the process) falls back to it with an ImportWarning — an error under our tests' warning filter. We
# draw no maps: take it out again.
sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, pygal.PluginImportFixer)]

FONT = "WenQuanYi Micro Hei"
SECTORS_ZH = {"housekeeping": "家政", "property": "物业", "market": "市场监管"}
NO_DISTRICT = "未登记"
WIDTH, HEIGHT = 720, 320

STYLE = Style(
    font_family=FONT, label_font_family=FONT, major_label_font_family=FONT, value_font_family=FONT,
    value_label_font_family=FONT, tooltip_font_family=FONT, title_font_family=FONT, legend_font_family=FONT,
    no_data_font_family=FONT, background="#ffffff", plot_background="#ffffff", foreground="#222222",
    foreground_strong="#000000", foreground_subtle="#888888", colors=("#2f5597",), opacity="1", opacity_hover="1",
    transition="none", title_font_size=18, label_font_size=13, major_label_font_size=13, value_font_size=12,
)


def district_label(code: str | None) -> str:
    """A district's Chinese name; "未登记" for none; a code that is not Chengdu's as it is (never an error)."""
    if code is None or code == "":
        return NO_DISTRICT
    try:
        return districts.name(code, "zh")
    except KeyError:
        return code


def _in_order(counts: dict[str, int], order: tuple[str, ...], label) -> list[tuple[str, int]]:
    """The vocabulary's codes first in its order (zeros shown), then any other code by its label."""
    known = [(label(c), counts.get(c, 0)) for c in order]
    other = sorted((label(c), n) for c, n in counts.items() if c not in order)
    return known + other


def _by_count(counts: dict[str | None, int], label) -> list[tuple[str, int]]:
    """Largest first; ties by label, so the order never depends on the dict's."""
    return sorted(((label(c), n) for c, n in counts.items()), key=lambda pair: (-pair[1], pair[0]))


def _inert(chart) -> str:
    """The chart's SVG without scripts, comments or processing instructions, as text (no XML declaration).

    Through pygal's own etree (lxml where installed, else the standard library's), whose trees these are.
    """
    root = chart.render_tree()
    for parent in list(root.iter()):
        for child in list(parent):
            tag = child.tag
            if not isinstance(tag, str) or tag.rsplit("}", 1)[-1] == "script":
                parent.remove(child)  # a comment's or instruction's tag is a function, not a name
    return etree.tostring(root, encoding="unicode")


def _ticks(top: int) -> list[int]:
    """Whole-number axis marks from 0 past the largest count, about five of them (counts have no fractions)."""
    step = 1
    while top / step > 5:
        step = step * 5 // 2 if str(step).startswith("2") else step * 2  # 1, 2, 5, 10, 20, 50, …
    return list(range(0, max(top, 1) + step, step))


def _bar(name: str, title: str, pairs: list[tuple[str, int]], *, rotate: int = 0, horizontal: bool = False) -> str:
    kind = pygal.HorizontalBar if horizontal else pygal.Bar
    height = max(HEIGHT, 60 + 24 * len(pairs)) if horizontal else HEIGHT
    chart = kind(
        style=STYLE, js=[], disable_xml_declaration=True, show_legend=False, width=WIDTH, height=height,
        title=title, print_values=True, print_values_position="top", x_label_rotation=rotate, truncate_label=-1,
        y_labels=_ticks(max((n for _label, n in pairs), default=0)), margin=12,
    )
    chart.uuid = name  # pygal's random id would make every drawing differ
    chart.x_labels = [label for label, _n in pairs]
    chart.add("数量", [n for _label, n in pairs])
    return _inert(chart)


def grade_chart(grades: tuple[tuple[str, int], ...]) -> str:
    """How many verified firms hold each credit grade, highest grade first (the red-list section's chart)."""
    return _bar("grade", "按信用等级（企业数）", list(grades))


def charts(stats: Stats) -> dict[str, str]:
    """The five charts' SVG text by name, in the order the bulletin shows them."""
    return {
        "sector": _bar("sector", "按行业", _in_order(stats.by_sector, tuple(SECTORS_ZH),
                                                    lambda c: SECTORS_ZH.get(c, c))),
        "district": _bar("district", "按区（市）县", _by_count(stats.by_district, district_label), horizontal=True),
        "kind": _bar("kind", "按处理种类", _in_order(stats.by_kind, tuple(KINDS), lambda c: KINDS.get(c, (c,))[0]),
                     horizontal=True),
        "severity": _bar("severity", "按失信程度", _in_order(stats.by_severity, tuple(SEVERITIES),
                                                         lambda c: SEVERITIES.get(c, (c,))[0])),
        "trend": _bar("trend", "近十二个月新公示数量", list(stats.trend), rotate=35),
    }
