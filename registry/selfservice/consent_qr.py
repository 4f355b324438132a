"""The consent code as a QR code the resident scans: one scan opens the detailed view, one tap spends the code.

The code travels only in the URL's fragment (`#code=…`): browsers never send a
fragment to a server, so neither the registry's access log nor any proxy on
the way ever holds it. The detailed-view page reads the fragment with a
same-origin script (registry/static/consent-scan.js), puts the code in the
form, clears it from the address bar and offers one button that posts the
form (with its CSRF token) — the code then travels in the request body only,
as if typed. See docs/rules.md ("Consent codes") and docs/privacy.md.

No Flask, no database: callers pass the registry's public URL.
"""
from __future__ import annotations

from urllib.parse import quote

import segno

# Error correction M, as on the printed card: a phone screen at an angle, or a cracked one, still scans.
QR_ERROR = "m"
QR_BORDER = 4


def consent_url(public_url: str, card_no: str, code: str) -> str:
    """`{public_url}/c/{card_no}/detail#code={code}`: the code in the fragment, never the path or query."""
    return f"{public_url.rstrip('/')}/c/{quote(card_no, safe='')}/detail#code={quote(code, safe='')}"


def qr_svg(url: str) -> str:
    """The QR code of `url` as inline SVG markup (no request for an image, nothing for the CSP to refuse).

    Without its own width and height, the SVG scales to the box the stylesheet gives it.
    """
    return segno.make(url, error=QR_ERROR).svg_inline(border=QR_BORDER, dark="#000", light="#fff", omitsize=True,
                                                      svgclass="consent-qr-svg", lineclass=None)
