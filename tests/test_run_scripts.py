"""`make run`'s helpers: which rate-limit storage the gunicorn workers share, and what the banner says of it."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_script(name: str, *args: str, env: dict | None = None, stdin: str | None = None) -> str:
    environ = {k: v for k, v in os.environ.items() if k != "REGISTRY_RATELIMIT_STORAGE_URL"}
    environ.update(env or {})
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / name), *args], env=environ, input=stdin,
                          capture_output=True, text=True, timeout=30, check=True)
    return done.stdout


# The real Redis the suite runs beside (.ci/run starts it; the rate-limit tests use it too).
REDIS_URL = "redis://127.0.0.1:6379/0"


def free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as s:
        return s.getsockname()[1]


def test_the_workers_share_redis_when_it_answers():
    assert run_script("ratelimit_storage.py", REDIS_URL).strip() == REDIS_URL


def test_without_redis_each_worker_counts_in_memory():
    assert run_script("ratelimit_storage.py", f"redis://127.0.0.1:{free_port()}/0").strip() == "memory://"


def test_a_storage_already_set_is_kept():
    chosen = run_script("ratelimit_storage.py", REDIS_URL, env={"REGISTRY_RATELIMIT_STORAGE_URL": "memory://"})
    assert chosen.strip() == "memory://"


DEMO = json.dumps({"accounts": [], "workers": [], "self_service": None})


def test_the_banner_names_the_shared_storage_without_its_password():
    out = run_script("banner.py", "http://127.0.0.1:5000", stdin=DEMO,
                     env={"REGISTRY_RATELIMIT_STORAGE_URL": "redis://jx:s3cret-pw@127.0.0.1:6379/0"})
    line = next(line for line in out.splitlines() if "Rate limits" in line)
    assert "redis://jx:***@127.0.0.1:6379/0" in line and "shared" in line
    assert "s3cret-pw" not in out


def test_the_banner_warns_when_each_worker_counts_apart():
    out = run_script("banner.py", "http://127.0.0.1:5000", stdin=DEMO, env={"REGISTRY_RATELIMIT_STORAGE_URL": "memory://"})
    assert "WARNING: each gunicorn worker counts apart" in out
