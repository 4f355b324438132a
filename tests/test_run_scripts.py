"""`make run`'s helpers: which rate-limit storage the gunicorn workers share, and what the banner says of it."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_script(name: str, *args: str, env: dict | None = None, stdin: str | None = None) -> str:
    environ = {k: v for k, v in os.environ.items() if k != "REGISTRY_RATELIMIT_STORAGE_URL"}
    environ.update(env or {})
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / name), *args], env=environ, input=stdin,
                          capture_output=True, text=True, timeout=30, check=True)
    return done.stdout


@pytest.fixture
def redis_like_server():
    """A loopback server speaking just enough of the Redis protocol: +PONG to PING, +OK to anything else."""
    listener = socket.create_server(("127.0.0.1", 0))
    pings = []

    def serve(conn):
        with conn, conn.makefile("rb") as stream:
            while True:
                head = stream.readline()
                if not head.startswith(b"*"):
                    return
                words = []
                for _ in range(int(head[1:])):
                    size = int(stream.readline()[1:])
                    words.append(stream.read(size + 2)[:-2].upper())
                pings.append(words[0])
                conn.sendall(b"+PONG\r\n" if words[0] == b"PING" else b"+OK\r\n")

    def accept():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0", pings
    listener.close()


def free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as s:
        return s.getsockname()[1]


def test_the_workers_share_redis_when_it_answers(redis_like_server):
    url, commands = redis_like_server
    assert run_script("ratelimit_storage.py", url).strip() == url
    assert b"PING" in commands


def test_without_redis_each_worker_counts_in_memory():
    assert run_script("ratelimit_storage.py", f"redis://127.0.0.1:{free_port()}/0").strip() == "memory://"


def test_a_storage_already_set_is_kept(redis_like_server):
    url, commands = redis_like_server
    chosen = run_script("ratelimit_storage.py", url, env={"REGISTRY_RATELIMIT_STORAGE_URL": "memory://"})
    assert chosen.strip() == "memory://" and commands == []


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
