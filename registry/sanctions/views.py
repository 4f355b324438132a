"""Pages: the regulators' sanction pages and worklist, and the public search of listings."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("sanctions_web", __name__)
