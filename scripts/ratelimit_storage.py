"""Print the rate-limit storage `make run` should use, and exit 0.

Each gunicorn worker counting in its own memory lets a limit through as many
times over as there are workers, so when REGISTRY_RATELIMIT_STORAGE_URL is not
set and Redis answers at the local address, the workers share it; otherwise
`memory://` is printed and the banner warns that each worker counts apart.

    python scripts/ratelimit_storage.py [REDIS_URL]   (default redis://127.0.0.1:6379/0)
"""
import os
import sys

LOCAL_REDIS = "redis://127.0.0.1:6379/0"


def redis_answers(url: str) -> bool:
    """True if a Redis server at `url` answers PING within a second."""
    try:
        import redis

        return bool(redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping())
    except Exception:  # noqa: BLE001 — no package, refused, timed out, wants a password: no shared storage
        return False


def choose(candidate: str = LOCAL_REDIS) -> str:
    configured = os.environ.get("REGISTRY_RATELIMIT_STORAGE_URL")
    if configured:
        return configured
    return candidate if redis_answers(candidate) else "memory://"


if __name__ == "__main__":
    print(choose(*sys.argv[1:2]))
