"""Who may read /metrics: whoever holds `REGISTRY_METRICS_TOKEN` when it is set; without one, in development and
tests, clients on this machine alone, and in production nobody.

The metrics hold no personal data, but they do describe the registry (its routes, its load, its alarms). Loopback
alone is no protection in production: behind a reverse proxy on the same machine every request arrives from
127.0.0.1, so a token is required there.
"""
from __future__ import annotations

import hmac
import ipaddress

from ..errors import ApiError


def _loopback(address: str | None) -> bool:
    try:
        return ipaddress.ip_address(address or "").is_loopback
    except ValueError:
        return False


def scrape_refusal(token: str, authorization: str | None, remote_addr: str | None, production: bool) -> ApiError | None:
    """The refusal of a scrape, or None when it may read the metrics."""
    if token:
        scheme, _, given = (authorization or "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
            return None
        return ApiError(401, "metrics_unauthorized", "读取指标需要有效的令牌（REGISTRY_METRICS_TOKEN）。",
                        "Reading the metrics takes the metrics token (REGISTRY_METRICS_TOKEN).")
    if production:
        return ApiError(403, "metrics_token_required", "未设置指标令牌（REGISTRY_METRICS_TOKEN），指标不对外提供。",
                        "No metrics token (REGISTRY_METRICS_TOKEN) is set, so the metrics are not served.")
    if not _loopback(remote_addr):
        return ApiError(403, "metrics_loopback_only", "未设置指标令牌时，只有本机可以读取指标。",
                        "Without a metrics token only this machine may read the metrics.")
    return None
