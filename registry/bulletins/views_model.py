"""Projections of a bulletin version: `public_view` for the archive page and the feed, `api_view` (the public
view, its log entries and its canonical state) for GET /api/v1/bulletins.

Bulletins are public facts: both audiences see the same things, the API only adds what a program needs to check
them against the log. URLs are absolute under REGISTRY_PUBLIC_URL, whatever Host the request named, so a feed or an
API answer copied elsewhere still points at the registry.
"""
from __future__ import annotations

from flask import current_app, url_for

from .. import canonical
from ..keys import KeyRing
from .archive import Entries
from .models import WITHDRAWN, Bulletin


def absolute(path: str) -> str:
    return current_app.config["PUBLIC_URL"].rstrip("/") + path


def file_url(bulletin: Bulletin, name: str) -> str:
    return absolute(url_for("bulletins_files.download", ref=bulletin.ref, name=name))


def manifest_url(bulletin: Bulletin) -> str:
    return absolute(url_for("bulletins_files.manifest", ref=bulletin.ref))


def public_view(bulletin: Bulletin, replaced_by: Bulletin | None = None) -> dict:
    """What anyone sees of one version: period, version, state, withdrawal, what it cites, its files."""
    b = bulletin
    return {
        "ref": b.ref,
        "period": {"kind": b.period_kind, "key": b.period_key},
        "version": b.version,
        "state": b.state,
        "made_at": b.made_at,
        "withdrawn": {"reason": b.withdrawn_reason, "at": b.withdrawn_at} if b.state == WITHDRAWN else None,
        "replaced_by": replaced_by.ref if replaced_by is not None else None,
        "replaced_by_version": replaced_by.version if replaced_by is not None else None,
        "checkpoint": {"size": b.checkpoint_size, "root": b.checkpoint_root},
        "key_id": b.key_id,
        "manifest_url": manifest_url(b),
        "files": [{"name": f.name, "media_type": f.media_type, "size": f.size, "sha256": f.sha256,
                   "url": file_url(b, f.name)} for f in b.files],
    }


def api_view(ring: KeyRing, bulletin: Bulletin, entries: Entries, replaced_by: Bulletin | None = None) -> dict:
    """The public view, with the seq of its `bulletin:publish` (and `bulletin:withdraw`) entry and its canonical state
    (salt included), so anyone can recompute the digest of its latest entry."""
    view = public_view(bulletin, replaced_by)
    view.pop("replaced_by_version")
    view["log_index"] = entries.publish
    if view["withdrawn"] is not None:
        view["withdrawn"]["log_index"] = entries.withdraw
    state = canonical.state_of(ring, bulletin)
    view["record"] = {"log_ref": bulletin.log_ref, "state": state, "digest": canonical.digest(state),
                      "entry_index": entries.latest}
    return view


MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
             "November", "December")


def period_words(kind: str, key: str) -> tuple[str, str]:
    """A period as people say it, (Chinese, English): 2026年11月 / November 2026, 2026年第48周 / ISO week 48 of 2026."""
    try:
        if kind == "week":
            year, week = key.split("-W")
            return f"{year}年第{int(week)}周", f"ISO week {int(week)} of {year}"
        year, month = key.split("-")
        return f"{year}年{int(month)}月", f"{MONTHS_EN[int(month) - 1]} {year}"
    except (ValueError, IndexError):  # not a key periods.parse makes: say it as stored
        return key, key
