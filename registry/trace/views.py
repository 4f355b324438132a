"""Pages: recording services, a worker's services, and the regulators' household query."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("trace_web", __name__)
