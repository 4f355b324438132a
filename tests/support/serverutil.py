"""The registry served by a real gunicorn process, as `make run` serves it, with its logs kept in a file.

For tests about what a server process does or writes: its access log, the application's own log lines, a clock
moved from the test. It shares the test's database and keys.
"""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


@dataclass
class Served:
    url: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def gunicorn(app, base_config: dict, log_path: Path, *, log_level: str = "debug", workers: int = 1,
             env: dict | None = None, args: tuple[str, ...] = ()) -> Iterator[Served]:
    """Serve the registry on a free loopback port; every log line (access, gunicorn's, the app's) goes to
    `log_path`. Its public URL is its own address, so the links and QR codes it makes lead back to it.
    `env` adds to its environment, `args` to gunicorn's arguments.
    The process is stopped on exit, so the whole log has been written when the block ends."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "REGISTRY_DATABASE_URL": base_config["SQLALCHEMY_DATABASE_URI"],
           "REGISTRY_KEYS_DIR": base_config["KEYS_DIR"], "REGISTRY_INSTANCE_PATH": app.instance_path,
           "REGISTRY_ENV": "test", "REGISTRY_SECRET_KEY": base_config["SECRET_KEY"], "REGISTRY_PUBLIC_URL": url,
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])), **(env or {})}
    with open(log_path, "wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
             "--access-logfile", "-", "--error-logfile", "-", "--log-level", log_level, *args, "wsgi:app"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=10):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    tail = log_path.read_text(errors="replace")[-3000:]
                    raise AssertionError(f"the server did not start\n{tail}") from None
                time.sleep(0.2)
        yield Served(url, log_path)
    finally:
        server.terminate()
        server.wait(timeout=15)
