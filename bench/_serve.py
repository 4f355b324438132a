"""What the load benchmarks share: gunicorn serving the registry, wrk loading it, and where the CPU went.

Not a benchmark itself (`make bench` runs the files not starting with `_`). Used by bench/lookup.py and
bench/listings.py: `Server` (gunicorn, 2 sync workers, rate limits off, no access log, stopped with its process
group), `run_wrk` (one bounded wrk run with `WRK_SCRIPT`: a random line of a file put into a path template, the
answers other than 200 counted) and `CpuMeter`.
"""
from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from bench._benchdb import PG, ROOT, SECRET_KEY

# One request per call, a line drawn at random from the file named by the first argument (a card number, a
# percent-encoded search term) put into the path template's `{…}` placeholder (the second argument); answers
# other than 200 are counted per thread and summed in done().
WRK_SCRIPT = r"""
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end

function init(args)
  non200 = 0
  local template = args[2]
  reqs = {}
  for line in io.lines(args[1]) do
    if line ~= "" then
      local path = template:gsub("{[%w_]+}", function() return line end)
      reqs[#reqs + 1] = wrk.format("GET", path)
    end
  end
  n = #reqs
  math.randomseed(os.time() * 1000 + tid)
end

function request()
  return reqs[math.random(n)]
end

function response(status, headers, body)
  if status ~= 200 then
    non200 = non200 + 1
  end
end

function done(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do
    bad = bad + t:get("non200")
  end
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "rps": %.2f, "p50_us": %d, "p90_us": %d, "p99_us": %d, '
    .. '"max_us": %d, "mean_us": %.1f, "non_200": %d, "connect_errors": %d, "read_errors": %d, '
    .. '"write_errors": %d, "timeouts": %d}\n',
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
    bad, e.connect, e.read, e.write, e.timeout))
end
"""


def say(line: str) -> None:
    print(line, flush=True)



# --- the server and the load ------------------------------------------------------------------------------


def ensure_wrk() -> str:
    path = shutil.which("wrk")
    if path:
        return path
    say("installing Debian's wrk")
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(sudo + ["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(sudo + ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "wrk"], check=True, env=env,
                   stdout=subprocess.DEVNULL)
    path = shutil.which("wrk")
    if not path:
        raise SystemExit("wrk is not installed and could not be installed")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gunicorn_bin() -> str:
    here = Path(sys.executable).parent / "gunicorn"
    return str(here if here.exists() else ROOT / ".venv" / "bin" / "gunicorn")


class Server:
    """gunicorn serving wsgi:app in its own process group; stopped (the whole group) on exit."""

    def __init__(self, url: str, work: Path, port: int):
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.log = work / "gunicorn.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("REGISTRY_", "GUNICORN_"))}
        env.update({
            "REGISTRY_DATABASE_URL": url,
            "REGISTRY_KEYS_DIR": str(work / "keys"),
            "REGISTRY_INSTANCE_PATH": str(work / "instance"),
            "REGISTRY_SECRET_KEY": SECRET_KEY,
            "REGISTRY_ENV": "development",
            "REGISTRY_RATELIMIT_ENABLED": "false",
        })
        # No --access-logfile: gunicorn's access log stays off.
        self.cmd = [gunicorn_bin(), "-w", "2", "-k", "sync", "-b", f"127.0.0.1:{port}", "--log-level", "warning",
                    "wsgi:app"]
        self.env = env
        self.proc: subprocess.Popen | None = None

    def __enter__(self):
        self._out = open(self.log, "wb")
        self.proc = subprocess.Popen(self.cmd, cwd=ROOT, env=self.env, stdout=self._out, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
            except ProcessLookupError:
                pass
        self.proc = None
        self._out.close()

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def get(self, path: str, timeout: float = 5) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(self.base + path, timeout=timeout) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"gunicorn exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                if self.get("/healthz", timeout=2)[0] == 200:
                    return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        raise SystemExit(f"gunicorn did not answer /healthz with 200 within {timeout:.0f} s:\n{self.log_tail()}")


# --- where the CPU went during a run ------------------------------------------------------------------------

TICK = os.sysconf("SC_CLK_TCK")


def _proc_stat(pid: int) -> list[str] | None:
    try:
        # Fields after the command name: state is [0], ppid [1], utime [11], stime [12].
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _ticks(pids) -> int:
    total = 0
    for pid in pids:
        f = _proc_stat(pid)
        if f:
            total += int(f[11]) + int(f[12])
    return total


def _children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            f = _proc_stat(int(entry))
            if f and int(f[1]) == pid:
                out.append(int(entry))
    return out


def _busy_ticks() -> tuple[int, int]:
    """The machine's busy ticks (user, nice, system, irq, softirq) and its steal ticks, all cores."""
    with open("/proc/stat") as fh:
        cpu = [int(x) for x in fh.readline().split()[1:]]
    return cpu[0] + cpu[1] + cpu[2] + cpu[5] + cpu[6], cpu[7]


class CpuMeter:
    """CPU seconds of gunicorn (master and workers), of the database backends serving it, of wrk, and of
    everything else on the machine (other people's work on a shared machine) over one run."""

    def __init__(self, server: Server, engine: str, db_name: str):
        self.server, self.engine, self.db_name = server, engine, db_name

    def _backends(self) -> list[int]:
        if self.engine != "postgresql":
            return []
        import psycopg

        with psycopg.connect(PG, autocommit=True) as conn:
            return [r[0] for r in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (self.db_name,))]

    def __enter__(self):
        self.app_pids = [self.server.proc.pid, *_children(self.server.proc.pid)]
        self.db_pids = self._backends()
        self.start = (time.monotonic(), _ticks(self.app_pids), _ticks(self.db_pids), _children_cpu(),
                      *_busy_ticks())
        return self

    def __exit__(self, *exc):
        self.end = (time.monotonic(), _ticks(self.app_pids), _ticks(self.db_pids), _children_cpu(),
                    *_busy_ticks())

    def figures(self, requests: int) -> dict:
        (t0, a0, d0, w0, b0, s0), (t1, a1, d1, w1, b1, s1) = self.start, self.end
        app, dbs, wrk = (a1 - a0) / TICK, (d1 - d0) / TICK, w1 - w0
        busy, wall = (b1 - b0) / TICK, t1 - t0
        return {"app_cpu_ms_per_req": 1000 * app / max(requests, 1),
                "db_cpu_ms_per_req": 1000 * dbs / max(requests, 1),
                "wrk_cores": wrk / wall,
                # Cores busy with anything but this benchmark (the bench's own Python process idles meanwhile).
                "others_cores": max(0.0, busy - app - dbs - wrk) / wall,
                "steal_cores": (s1 - s0) / TICK / wall}


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_wrk(wrk: str, server: Server, script: Path, numbers: Path, template: str, *, seconds: int,
            connections: int, threads: int, engine: str, db_name: str) -> dict:
    """One bounded wrk run: its figures (latencies in ms), the failure counts and where the CPU went."""
    cmd = [wrk, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s",
           "-s", str(script), server.base, "--", str(numbers), template]
    with CpuMeter(server, engine, db_name) as meter:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if out.returncode != 0 or not lines:
        raise SystemExit(f"wrk failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    r = json.loads(lines[-1])
    return {"rps": r["rps"], "p50_ms": r["p50_us"] / 1000, "p90_ms": r["p90_us"] / 1000,
            "p99_ms": r["p99_us"] / 1000, "max_ms": r["max_us"] / 1000, "requests": r["requests"],
            "non_200": r["non_200"],
            "socket_errors": r["connect_errors"] + r["read_errors"] + r["write_errors"] + r["timeouts"],
            **meter.figures(r["requests"])}



WARMUP_SECONDS = 3


def measure_against_healthz(wrk: str, server: Server, script: Path, terms: Path, template: str, **load) -> dict:
    """Warm up, then /healthz, the endpoint, /healthz again (the baseline is the mean of the two /healthz runs)."""
    warm = dict(load, seconds=WARMUP_SECONDS)
    warmups = [run_wrk(wrk, server, script, terms, "/healthz", **warm),
               run_wrk(wrk, server, script, terms, template, **warm)]
    h1 = run_wrk(wrk, server, script, terms, "/healthz", **load)
    target = run_wrk(wrk, server, script, terms, template, **load)
    h2 = run_wrk(wrk, server, script, terms, "/healthz", **load)
    return {"warmups": warmups, "h1": h1, "target": target, "h2": h2,
            "alive": server.proc.poll() is None, "tail": server.log_tail(10)}


def report_runs(m: dict, label: str, engine: str) -> tuple[float, int]:
    """Print each measured run; return (endpoint req/s ÷ mean /healthz req/s, answers that were not 200)."""
    h1, target, h2 = m["h1"], m["target"], m["h2"]
    ratio = target["rps"] / ((h1["rps"] + h2["rps"]) / 2)
    failures = sum(r["non_200"] + r["socket_errors"] for r in (*m["warmups"], h1, target, h2))
    for name, r in (("healthz (before)", h1), (label, target), ("healthz (after)", h2)):
        say(f"{name:17} {r['rps']:8,.0f} req/s  p50 {r['p50_ms']:6.2f} ms  p90 {r['p90_ms']:6.2f} ms  "
            f"p99 {r['p99_ms']:6.2f} ms  ({r['requests']:,} requests, {r['non_200']} not 200, "
            f"{r['socket_errors']} socket errors)")
        say(f"{'':17} server CPU {r['app_cpu_ms_per_req']:.2f} ms/request"
            + (f" + database {r['db_cpu_ms_per_req']:.2f} ms" if engine == "postgresql" else "")
            + f"; wrk {r['wrk_cores']:.2f} cores, other processes {r['others_cores']:.2f} cores, "
            f"steal {r['steal_cores']:.2f} (of {os.cpu_count()})")
    return ratio, failures


def report_failures(m: dict, failures: int) -> None:
    if failures:
        say(f"FAILED: {failures} answers were not 200 (or got no answer); the server's log ends:\n{m['tail']}")
    if not m["alive"]:
        say("FAILED: gunicorn died during the run")
