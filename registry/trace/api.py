"""/api/v1: recording services and tracing them (a worker's services, a household's)."""
from __future__ import annotations

from ..api_util import api_blueprint

blp = api_blueprint("services", __name__, "Service records (追溯): recording them, and a worker's or household's.")
