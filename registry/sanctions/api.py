"""/api/v1: sanctions — recorded, noticed, decided, approved, published and corrected by regulators."""
from __future__ import annotations

from ..api_util import api_blueprint

blp = api_blueprint("sanctions", __name__, "Sanctions and listings shared by every regulator; the public search.")
