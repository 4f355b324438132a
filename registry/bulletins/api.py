"""/api/v1/bulletins: every bulletin version published (withdrawn ones too) with its files, digests and canonical
state, and the keys their manifests are signed with. Public and never rate limited, like the log they cite.

The files themselves are served outside the API, at /bulletins/<ref>/<name> (registry/bulletins/views.py).
"""
from __future__ import annotations

from flask import current_app
from flask.views import MethodView

from schemas.bulletins import BulletinKeysSchema, BulletinsArgs, BulletinSchema
from schemas.common import PAGINATION_HEADER_DOC, pagination_header

from ..api_util import ERRORS, api_blueprint
from ..extensions import limiter
from ..keys import KeyRing, keyring
from ..tlog import note
from . import archive, manifest
from . import services as bulletins
from .views_model import api_view

blp = api_blueprint("bulletins", __name__, "Public disclosure bulletins: every version published, its files and "
                                           "digests, and the keys their manifests are signed with.")
# Mirrors, archivers and checkers fetch every bulletin: never rate limited (docs/log.md, "Proofs and endpoints").
limiter.exempt(blp)


def keys_view(ring: KeyRing, origin: str) -> dict:
    """The `bulletin` keys as signed-note verifier keys, current first; every other key is retired."""
    name = manifest.key_name(origin)
    keys = []
    for k in ring.keys("bulletin"):
        vkey = note.verifier_key(name, k.public_bytes)
        keys.append({"verifier_key": vkey, "key_id": vkey.split("+")[1],
                     "status": "current" if k.state == "current" else "retired", "created": k.created})
    keys.sort(key=lambda k: k["status"] != "current")
    return {"key_name": name, "keys": keys}


def views(found) -> list[dict]:
    """The API view of each bulletin, with its files, entries and successor read in a fixed number of statements."""
    archive.with_files(found)
    logged = archive.entries(found)
    later = archive.successors(found)
    ring = keyring()
    return [api_view(ring, b, logged[b.log_ref], later.get(b.id)) for b in found]


@blp.route("/bulletins")
class Bulletins(MethodView):
    @blp.arguments(BulletinsArgs, location="query")
    @blp.response(200, BulletinSchema(many=True), headers={"X-Pagination": PAGINATION_HEADER_DOC})
    def get(self, args):
        """Every bulletin version, newest made first, withdrawn ones included (paginated; the X-Pagination header
        has the totals).

        Each names its period and version, whether it is current or withdrawn (why, when, and the version that
        replaced it), the log checkpoint it cites, the key that signed its manifest, the seq of its
        `bulletin:publish` entry, its canonical state with its salt (SHA-256 of the state's RFC 8785 bytes is the
        digest of its latest entry, `record.entry_index`), and each file's name, media type, size, SHA-256 and URL.
        """
        found = bulletins.listing(args["page"], args["page_size"])
        return views(found.bulletins), 200, {
            "X-Pagination": pagination_header(found.page, found.page_size, found.total)}


@blp.route("/bulletins/<ref:ref>")
class OneBulletin(MethodView):
    @blp.response(200, BulletinSchema)
    @blp.alt_response(404, schema=ERRORS)
    def get(self, ref):
        """One bulletin version, as the list gives it."""
        return views([bulletins.get(ref)])[0]


@blp.route("/bulletins/keys")
class BulletinKeys(MethodView):
    @blp.response(200, BulletinKeysSchema)
    def get(self):
        """The bulletin-signing keys: current first, retired ones kept (they vouch for what they signed).

        Each bulletin version's manifest is a C2SP signed note whose body lists every file's SHA-256 and name in
        `sha256sum` format. Save this answer as keys.json and check downloaded files offline with
        `python scripts/check_bulletin.py --manifest MANIFEST --keys keys.json FILE…` (see the README).
        """
        return keys_view(keyring(), current_app.config["LOG_ORIGIN"])
