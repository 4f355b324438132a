"""Pages: filing a complaint (from a card page, with a review code, by phone), following it, the regulators'
queue (/admin/complaints), the subject's pages (the worker's /me/complaints, the company's /company/complaints).
"""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("complaints_web", __name__)
