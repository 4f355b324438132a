"""/api/v1/bulletins: the keys bulletin manifests are signed with (public, for checking a bulletin offline)."""
from __future__ import annotations

from flask import current_app
from flask.views import MethodView

from schemas.bulletins import BulletinKeysSchema

from ..api_util import api_blueprint
from ..keys import KeyRing, keyring
from ..tlog import note
from . import manifest

blp = api_blueprint("bulletins", __name__, "Public disclosure bulletins: the keys their manifests are signed with.")


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
