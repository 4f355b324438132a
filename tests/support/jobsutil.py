"""Real `python -m jobs` processes against the test database, for tests that kill them."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from registry.extensions import db

ROOT = Path(__file__).resolve().parents[2]


class Processes:
    """Start `python -m jobs` processes; the fixture kills whatever is still running."""

    def __init__(self, env: dict, logs: Path):
        self.env = env
        self.logs = logs
        self.log_paths: dict[subprocess.Popen, Path] = {}
        self.expected_to_end: set[subprocess.Popen] = set()

    def start(self, name: str, **extra: str) -> subprocess.Popen:
        path = self.logs / f"{name}.log"
        with open(path, "wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "jobs"], cwd=ROOT, env={**self.env,
                                                               **extra}, stdout=out, stderr=subprocess.STDOUT
            )
        self.log_paths[proc] = path
        return proc

    def log(self, proc: subprocess.Popen) -> str:
        return self.log_paths[proc].read_text(errors="replace")

    def output(self) -> str:
        return "\n".join(f"--- {path.name}\n{self.log(p)[-3000:]}" for p, path in self.log_paths.items())

    def wait_until(self, predicate, timeout: float, what: str):
        """Poll `predicate` (which reads the database) until it returns a truthy value."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            # On SQLite an open transaction would hold the write lock the processes need.
            db.session.rollback()
            if value:
                return value
            died = [p for p in self.log_paths if p not in self.expected_to_end and p.poll() is not None]
            assert not died, f"a jobs process exited while waiting for {what}\n{self.output()}"
            time.sleep(0.1)
        pytest.fail(f"timed out waiting for {what}\n{self.output()}")

    def kill(self, proc: subprocess.Popen) -> None:
        """SIGKILL `proc`: no clean-up of any kind."""
        self.expected_to_end.add(proc)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=15)

    def stop(self, proc: subprocess.Popen) -> None:
        """SIGTERM `proc` and insist it exits cleanly."""
        self.expected_to_end.add(proc)
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pytest.fail(f"jobs process ignored SIGTERM\n{self.output()}")
        assert code == 0, self.output()

    def close(self) -> None:
        for proc in self.log_paths:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=15)


def jobs_fixture(app, base_config, tmp_path):
    """Run `python -m jobs` on the test app's database and keys."""
    db.session.commit()
    env = {
        **os.environ,
        "REGISTRY_DATABASE_URL": base_config["SQLALCHEMY_DATABASE_URI"],
        "REGISTRY_KEYS_DIR": base_config["KEYS_DIR"],
        "REGISTRY_INSTANCE_PATH": app.instance_path,
        "REGISTRY_ENV": "test",
        "REGISTRY_SECRET_KEY": base_config["SECRET_KEY"],
        "REGISTRY_TASK_MODULES": "tests.support.jiaxin_sample_tasks",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "REGISTRY_EXTRA_SCHEDULES": "",
    }
    processes = Processes(env, tmp_path)
    try:
        yield processes
    finally:
        processes.close()


