"""keys domain: the key ring (one JSON file per purpose), sealing and blind indexes (`crypto`), rotation
(`rotation`, its task handler in `tasks`) and the `flask keys …` commands (`cli`)."""
from __future__ import annotations

from .ring import INDEX_FIELDS, NOT_ROTATABLE, PURPOSES, SIGNING_PURPOSES, Key, KeyError_, KeyRing

__all__ = ["INDEX_FIELDS", "NOT_ROTATABLE", "PURPOSES", "SIGNING_PURPOSES", "Key", "KeyError_", "KeyRing", "keyring"]


def keyring(app=None) -> KeyRing:
    """The application's key ring (the current app's unless `app` is given): the one way to get it."""
    from flask import current_app

    return (app or current_app).extensions["jiaxin_keys"]
