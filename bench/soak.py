"""Benchmark: a soak under faults — the registry served as in production while it is broken on purpose.

gunicorn serves with 4 sync workers and 2 jobs processes run the schedules and the task queue, on a fresh database
of the chosen engine. Client threads drive mixed traffic for `--seconds` (default 600): card and company look-ups,
worker registrations, sanctions, the bulletin list and its PDF, and staff imports (a big one, then a small one
every minute). Meanwhile the bench

- SIGKILLs the jobs process that holds the big import, once the import has committed a batch (a supervisor starts
  another a second later, as systemd would);
- SIGKILLs a gunicorn worker (the master starts another);
- restarts PostgreSQL once (`--db postgresql`; SQLite has no server to restart).

The first `--quiet` seconds (default 30) run the same traffic without imports or faults.

Afterwards it waits for the imports to finish and checks, in the database, that every acknowledged change is there
once: each registration answered 201 (its worker, its employment, its log entry), each sanction answered 201, each
import accepted (every row of its file stored once, its task done); that no attempted registration stored two
employments and no decision number two sanctions; and that no two answers named the same log entry. Then it runs
`flask log verify`.

Figures (issue #17): `soak_5xx` (answers 500–599 other than a 503 within the database restart, which clients may
retry; target 0), `soak_lost` (acknowledged changes missing or stored twice; target 0), `soak_verify` (target ok),
`resume_s` (from the SIGKILL to the import's next committed batch under another process; target ≤ 30),
`write_p99_during_import_ms` (registrations and sanctions started while an import ran, from request to answer;
target ≤ 250), `lookup_p99_ms`, and the same look-up and write figures while no import ran (`…_idle_ms`;
`lookup_p99_ratio` = the soak's ÷ the idle one's), all after a 10 s warm-up. Also: requests made, answers never
received (`soak_dropped`: the requests the killed gunicorn worker held), 503s within the database restart, the
restart's length, and ERROR lines PostgreSQL logged for the soak's database (`pg_errors`: a lost schedule-slot race
must not write one).

    .venv/bin/python -m bench.soak [--db sqlite|postgresql] [--seconds 600] [--quiet 30] [--big-import 20000]
"""
from __future__ import annotations

import argparse
import bisect
import http.client
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from bench._benchdb import ROOT, SECRET_KEY, database_url, drop_database, make_app, migrated
from bench._serve import TICK, _busy_ticks, free_port, gunicorn_bin, say

DB_NAME = "jiaxin_soak"
GUNICORN_WORKERS = 4
JOBS_PROCESSES = 2
SMALL_IMPORT_ROWS = 2000
SMALL_IMPORT_EVERY = 60
SEED_ROWS = 300
# A 503 this long after the database is back still counts as the restart's (pools notice a dead connection on use).
RESTART_GRACE_S = 10
WARMUP_S = 10
PG_LOG = Path("/var/log/postgresql")


# --- what the clients saw ---------------------------------------------------------------------------------------


@dataclass
class Answer:
    kind: str
    start: float  # seconds since the soak began
    end: float
    status: int | None  # None: no answer (connection reset, timeout)
    code: str | None = None  # the error body's stable code


@dataclass
class Book:
    """Everything the clients did and were told, shared by the threads."""

    began: float = field(default_factory=time.monotonic)
    answers: list[Answer] = field(default_factory=list)
    registrations: list[dict] = field(default_factory=list)  # every attempt: person, company, answer
    sanctions: list[dict] = field(default_factory=list)  # every attempt: decision_no, answer
    imports: list[dict] = field(default_factory=list)  # every upload: company, rows, task_id
    cards: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)

    def now(self) -> float:
        return time.monotonic() - self.began


def _code(body: bytes) -> str | None:
    try:
        data = json.loads(body)
    except ValueError:
        return None
    return data.get("code") if isinstance(data, dict) else None


class Client:
    """One request per connection (gunicorn's sync workers close each), timed, every answer booked."""

    def __init__(self, port: int, book: Book, token: str | None = None):
        self.port, self.book, self.token = port, book, token

    def call(self, kind: str, method: str, path: str, body: bytes | None = None,
             content_type: str = "application/json") -> tuple[int | None, bytes]:
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if body is not None:
            headers["Content-Type"] = content_type
        start = self.book.now()
        status, data = None, b""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            status, data = resp.status, resp.read()
        except (OSError, http.client.HTTPException):
            pass
        finally:
            conn.close()
        answer = Answer(kind, start, self.book.now(), status, _code(data) if status and status >= 400 else None)
        with self.book.lock:
            self.book.answers.append(answer)
        return status, data


def multipart(fields: dict[str, str], name: str, filename: str, content: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for key, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode())
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                 f"Content-Type: text/csv\r\n\r\n".encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


# --- the traffic --------------------------------------------------------------------------------------------------


def paced(book: Book, every: float, step) -> None:
    """Call `step()` every `every` seconds (or as soon as it returns, when slower) until the soak stops."""
    while not book.stop.is_set():
        began = time.monotonic()
        step()
        book.stop.wait(max(0.0, every - (time.monotonic() - began)))


def lookups(client: Client, book: Book, usccs: list[str], rng: random.Random) -> None:
    def step():
        if rng.random() < 0.2:
            client.call("lookup", "GET", f"/api/v1/companies/{rng.choice(usccs)}")
        else:
            with book.lock:
                card = rng.choice(book.cards)
            client.call("lookup", "GET", f"/api/v1/cards/{card}")

    paced(book, 0.02, step)


def registrations(client: Client, book: Book, uscc: str, people: list[dict], today: str) -> None:
    queue = iter(people)

    def step():
        person = next(queue, None)
        if person is None:
            return
        body = {"name": person["name"], "id_number": person["id_number"], "phone": person["phone"],
                "occupation": "cleaner", "employment_kind": "labour_contract", "start_date": today,
                "social_insurance": True}
        status, data = client.call("write", "POST", f"/api/v1/companies/{uscc}/workers", json.dumps(body).encode())
        answer = json.loads(data) if status == 201 else None
        with book.lock:
            book.registrations.append({"uscc": uscc, "id_number": person["id_number"], "status": status,
                                       "answer": answer})
            if answer:
                book.cards.append(answer["card_no"])

    paced(book, 0.5, step)


def sanctions(client: Client, book: Book, rng: random.Random, today: str) -> None:
    n = iter(range(10**9))

    def step():
        with book.lock:
            card = rng.choice(book.cards)
        decision_no = f"家信浸泡〔2026〕{next(n)}-{uuid.uuid4().hex[:6]}"
        body = {"subject_kind": "worker", "card_no": card, "kind": "warning", "severity": "minor",
                "legal_basis": "《家政服务条例》第十二条", "facts": "浸泡测试：未按约定时间上门。",
                "measures": "警告", "decision_no": decision_no, "decision_date": today}
        status, data = client.call("write", "POST", "/api/v1/sanctions", json.dumps(body).encode())
        with book.lock:
            book.sanctions.append({"decision_no": decision_no, "status": status,
                                   "answer": json.loads(data) if status == 201 else None})

    paced(book, 1.0, step)


def bulletins(client: Client, book: Book) -> None:
    def step():
        status, data = client.call("bulletin", "GET", "/api/v1/bulletins")
        if status == 200:
            listed = json.loads(data)
            files = [f for b in listed for f in b["files"] if f["name"].endswith(".pdf")]
            if files:
                url = files[0]["url"]
                client.call("bulletin", "GET", url[url.index("/bulletins/"):])

    paced(book, 1.0, step)


def upload(client: Client, book: Book, uscc: str, content: bytes, rows: int) -> None:
    body, ctype = multipart({"keep_good": "false"}, "file", "staff.csv", content)
    status, data = client.call("import", "POST", f"/api/v1/companies/{uscc}/imports", body, ctype)
    with book.lock:
        book.imports.append({"uscc": uscc, "rows": rows, "status": status,
                             "task_id": json.loads(data)["task_id"] if status == 202 else None})


# --- the processes and the faults ---------------------------------------------------------------------------------


class Deployment:
    """gunicorn and the jobs processes, each in a process group of its own, stopped together."""

    def __init__(self, work: Path, url: str, port: int):
        self.work, self.port = work, port
        env = {k: v for k, v in os.environ.items() if not k.startswith(("REGISTRY_", "GUNICORN_", "PROMETHEUS_"))}
        env.update({"REGISTRY_DATABASE_URL": url, "REGISTRY_KEYS_DIR": str(work / "keys"),
                    "REGISTRY_INSTANCE_PATH": str(work / "instance"), "REGISTRY_SECRET_KEY": SECRET_KEY,
                    "REGISTRY_ENV": "development", "REGISTRY_RATELIMIT_ENABLED": "false",
                    "REGISTRY_PUBLIC_URL": f"http://127.0.0.1:{port}"})
        self.env = env
        self.jobs: list[subprocess.Popen] = []
        self.web: subprocess.Popen | None = None
        self._logs = []

    def _start(self, cmd: list[str], log: str, env: dict) -> subprocess.Popen:
        out = open(self.work / log, "ab")  # closed in stop()
        self._logs.append(out)
        return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

    def start(self) -> None:
        metrics = self.work / "prometheus"
        metrics.mkdir(mode=0o700)
        self.web = self._start([gunicorn_bin(), "-w", str(GUNICORN_WORKERS), "-k", "sync", "-b",
                                f"127.0.0.1:{self.port}", "--log-level", "warning", "wsgi:app"], "gunicorn.log",
                               {**self.env, "PROMETHEUS_MULTIPROC_DIR": str(metrics)})
        for _ in range(JOBS_PROCESSES):
            self.start_jobs()

    def start_jobs(self) -> None:
        self.jobs.append(self._start([sys.executable, "-m", "jobs"], f"jobs-{len(self.jobs) + 1}.log", self.env))

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.web.poll() is not None:
                raise SystemExit(f"gunicorn exited:\n{tail(self.work / 'gunicorn.log')}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise SystemExit(f"gunicorn did not answer within {timeout:.0f} s:\n{tail(self.work / 'gunicorn.log')}")

    def web_workers(self) -> list[int]:
        out = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    stat = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(stat[1]) == self.web.pid:
                    out.append(int(entry))
        return out

    def stop(self) -> None:
        for proc in [self.web, *self.jobs]:
            if proc is not None and proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
        for proc in [self.web, *self.jobs]:
            if proc is None:
                continue
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        for out in self._logs:
            out.close()


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


class Monitor(threading.Thread):
    """Reads the import tasks five times a second, on a connection of its own (reopened after the restart)."""

    def __init__(self, url: str, book: Book):
        super().__init__(name="monitor", daemon=True)
        from sqlalchemy import create_engine
        from sqlalchemy.pool import NullPool

        self.engine = create_engine(url, poolclass=NullPool)
        self.book = book
        self.samples: list[tuple[float, dict[int, tuple[str, int, str | None]]]] = []
        self.done = threading.Event()

    def read(self) -> dict[int, tuple[str, int, str | None]]:
        from sqlalchemy import text

        with self.engine.connect() as conn:
            rows = conn.execute(text("SELECT id, state, progress_done, lease_owner FROM tasks "
                                     "WHERE kind = 'staff.import'")).all()
        return {r[0]: (r[1], r[2], r[3]) for r in rows}

    def run(self) -> None:
        while not self.done.is_set():
            t = self.book.now()
            try:
                tasks = self.read()
            except Exception:  # noqa: BLE001 — the database restarting: no sample this time
                tasks = None
            if tasks is not None:
                self.samples.append((t, tasks))
            self.done.wait(0.2)

    def running_at(self) -> tuple[list[float], list[bool]]:
        times = [t for t, _ in self.samples]
        flags = [any(state == "running" for state, _p, _o in tasks.values()) for _t, tasks in self.samples]
        return times, flags

    def wait_for(self, predicate, timeout: float) -> tuple[float, dict] | None:
        """The first sample from now on for which predicate(tasks) holds."""
        seen = len(self.samples)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            while seen < len(self.samples):
                t, tasks = self.samples[seen]
                seen += 1
                if predicate(tasks):
                    return t, tasks
            time.sleep(0.05)
        return None


def restart_postgresql() -> float:
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    began = time.monotonic()
    subprocess.run([shutil.which("pg_ctlcluster") or "/usr/bin/pg_ctlcluster", "--skip-systemctl-redirect", version,
                    "main", "restart"], check=True, capture_output=True)
    while subprocess.run([shutil.which("pg_isready") or "/usr/bin/pg_isready", "-h", "127.0.0.1", "-q"]).returncode:
        time.sleep(0.05)
    return time.monotonic() - began


@dataclass
class Faults:
    killed_owner: str | None = None
    kill_at: float | None = None
    resume_s: float | None = None
    import_done_first: bool = False
    web_kill_at: float | None = None
    restart: tuple[float, float] | None = None  # (start, end) in soak seconds
    notes: list[str] = field(default_factory=list)


def kill_import_owner(book: Book, monitor: Monitor, deployment: Deployment, task_id: int, faults: Faults) -> None:
    """SIGKILL the jobs process running `task_id` once it has committed a batch; time the resumption."""
    seen = monitor.wait_for(lambda tasks: task_id in tasks and tasks[task_id][0] == "running"
                            and tasks[task_id][1] > 0, timeout=300)
    if seen is None or book.stop.is_set():
        faults.notes.append("the big import never ran with a committed batch: no jobs process killed")
        return
    owner = seen[1][task_id][2]
    pid = int(owner.split(":")[-2])
    os.kill(pid, signal.SIGKILL)
    faults.kill_at, faults.killed_owner = book.now(), owner
    say(f"[{faults.kill_at:6.1f} s] SIGKILL jobs process {pid} holding import task {task_id} "
        f"at row {seen[1][task_id][1]}")
    # A supervisor starts a new process a second later; the dead one's last commit has settled by then.
    time.sleep(1.0)
    deployment.start_jobs()
    base = monitor.wait_for(lambda tasks: task_id in tasks, timeout=60)[1][task_id][1]
    resumed = monitor.wait_for(lambda tasks: tasks[task_id][1] > base and tasks[task_id][2] != owner
                               or tasks[task_id][0] == "done" and tasks[task_id][1] > base, timeout=600)
    if resumed is None:
        faults.notes.append(f"the killed import (task {task_id}) did not resume within 600 s")
        return
    faults.resume_s = resumed[0] - faults.kill_at
    say(f"[{resumed[0]:6.1f} s] import task {task_id} committed its next batch under another process: "
        f"resumed after {faults.resume_s:.1f} s")


# --- setup ----------------------------------------------------------------------------------------------------------


@dataclass
class Cast:
    registering: list[tuple[str, str]]  # (uscc, admin token)
    importing: list[tuple[str, str]]
    regulator: str
    usccs: list[str]
    cards: list[str]


def set_up(url: str, work: Path, importers: int, seed_rows: list[dict]) -> Cast:
    """Migrate, keys, companies with tokens, a regulator, a few hundred workers, and last month's bulletin."""
    from flask import current_app

    from bench.bulletin import last_month
    from registry.bulletins import generate
    from registry.extensions import db
    from registry.imports.services import start_import
    from registry.keys import keyring
    from registry.workers.models import Worker
    from tests.support.factory import Factory
    from tests.support.importutil import csv_bytes, run_queued_tasks

    with migrated(url, work) as app:
        factory = Factory(app)
        registering = []
        for _ in range(2):
            company, admin = factory.company()
            registering.append((company.uscc, factory.token(admin.account)))
        importing = []
        for _ in range(importers):
            company, admin = factory.company()
            importing.append((company.uscc, factory.token(admin.account)))
        seed_company, seed_admin = factory.company()
        start_import(keyring(), account=seed_admin.account, company=seed_company, filename="seed.csv",
                     content=csv_bytes(seed_rows), keep_good=False)
        db.session.commit()
        run_queued_tasks(app)
        regulator = factory.token(factory.regulator_for("housekeeping"))
        config = current_app.config
        generate.generate(keyring(), last_month(), origin=config["LOG_ORIGIN"], public_url=config["PUBLIC_URL"],
                          issuer=(config["BULLETIN_ISSUER_ZH"], config["BULLETIN_ISSUER_EN"]))
        db.session.commit()
        cards = list(db.session.scalars(db.select(Worker.card_no)))
        usccs = [u for u, _t in registering + importing] + [seed_company.uscc]
        db.session.remove()
        db.engine.dispose()
    return Cast(registering, importing, regulator, usccs, cards)


# --- the checks afterwards ----------------------------------------------------------------------------------------


def check(url: str, work: Path, book: Book, cast: Cast) -> dict:
    """Count acknowledged changes that are missing or stored twice."""
    from sqlalchemy import func, select

    from registry.companies.models import Company
    from registry.extensions import db
    from registry.keys import keyring
    from registry.log.models import LogHead
    from registry.sanctions.models import Sanction, SanctionDecision
    from registry.tasks.models import Task
    from registry.workers.models import Employment, Worker
    from registry.workers.services import find_by_id_number

    app = make_app(url, work)
    missing, doubled, problems = 0, 0, []
    with app.app_context():
        ring = keyring()
        size = db.session.get(LogHead, 1).size
        indexes = []
        companies = {c.uscc: c.id for c in db.session.scalars(select(Company))}
        for r in book.registrations:
            worker = find_by_id_number(ring, r["id_number"])
            count = 0 if worker is None else db.session.scalar(
                select(func.count()).select_from(Employment).where(Employment.worker_id == worker.id,
                                                                   Employment.company_id == companies[r["uscc"]]))
            if count > 1:
                doubled += 1
                problems.append(f"registration stored {count} employments: worker {worker.card_no}")
            if r["answer"]:
                a = r["answer"]
                indexes.append(a["log_index"])
                employment = db.session.get(Employment, a["employment_id"])
                if (worker is None or worker.card_no != a["card_no"] or employment is None
                        or employment.worker_id != worker.id or a["log_index"] >= size):
                    missing += 1
                    problems.append(f"acknowledged registration missing: card {a['card_no']}")
        for s in book.sanctions:
            rows = db.session.scalars(select(Sanction).join(SanctionDecision).where(
                SanctionDecision.decision_no == s["decision_no"])).all()
            if len(rows) > 1:
                doubled += 1
                problems.append(f"sanction stored {len(rows)} times: {s['decision_no']}")
            if s["answer"]:
                indexes.append(s["answer"]["log_index"])
                if [x.ref for x in rows] != [s["answer"]["ref"]] or s["answer"]["log_index"] >= size:
                    missing += 1
                    problems.append(f"acknowledged sanction missing: {s['answer']['ref']}")
        for i in book.imports:
            if i["task_id"] is None:
                continue
            task = db.session.get(Task, i["task_id"])
            company_id = companies[i["uscc"]]
            employments = db.session.scalar(select(func.count()).select_from(Employment)
                                            .where(Employment.company_id == company_id))
            workers = db.session.scalar(select(func.count(func.distinct(Employment.worker_id)))
                                        .where(Employment.company_id == company_id))
            stored = (task.result or {}).get("stored") if task else None
            if task is None or task.state != "done" or stored != i["rows"] or workers < i["rows"]:
                missing += 1
                problems.append(f"import task {i['task_id']}: {task.state if task else 'gone'}, stored {stored} "
                                f"of {i['rows']}, {workers} workers, result {task.result if task else None}")
            if employments > workers or workers > i["rows"]:
                doubled += 1
                problems.append(f"import task {i['task_id']}: {employments} employments of {workers} workers "
                                f"for {i['rows']} rows")
        if len(indexes) != len(set(indexes)):
            doubled += len(indexes) - len(set(indexes))
            problems.append("two acknowledged changes name the same log entry")
        workers_total = db.session.scalar(select(func.count()).select_from(Worker))
        db.session.remove()
        db.engine.dispose()
    return {"missing": missing, "doubled": doubled, "problems": problems, "log_size": size,
            "workers": workers_total}


def log_verify(deployment: Deployment) -> tuple[bool, str]:
    out = subprocess.run([str(Path(sys.executable).parent / "flask"), "--app", "wsgi", "log", "verify"], cwd=ROOT,
                         env=deployment.env, capture_output=True, text=True, timeout=1800)
    return out.returncode == 0, (out.stdout + out.stderr).strip()


def pg_log_errors(offset: int, db_name: str) -> tuple[int, list[str]]:
    """ERROR lines PostgreSQL logged for `db_name` after `offset` bytes of its log."""
    lines = []
    for path in sorted(PG_LOG.glob("postgresql-*-main.log")):
        with open(path, "rb") as fh:
            fh.seek(offset if offset <= path.stat().st_size else 0)
            for raw in fh:
                line = raw.decode(errors="replace")
                if f"@{db_name} ERROR:" in line:
                    lines.append(line.strip())
    return len(lines), lines


def pg_log_size() -> int:
    return sum(p.stat().st_size for p in PG_LOG.glob("postgresql-*-main.log"))


# --- figures ------------------------------------------------------------------------------------------------------


def p99(values: list[float]) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return round(values[min(len(values) - 1, int(len(values) * 0.99))], 1)


def figures(book: Book, monitor: Monitor, faults: Faults) -> dict:
    restart = faults.restart
    in_restart = (lambda a: restart[0] <= a.end and a.start <= restart[1] + RESTART_GRACE_S) if restart else \
        (lambda a: False)
    answers = list(book.answers)
    server_errors = [a for a in answers if a.status and a.status >= 500
                     and not (a.status == 503 and in_restart(a))]
    times, flags = monitor.running_at()

    def importing(t: float) -> bool:
        i = bisect.bisect_right(times, t) - 1
        return i >= 0 and flags[i]

    def ms(a: Answer) -> float:
        return (a.end - a.start) * 1000

    answered = [a for a in answers if a.status is not None and not in_restart(a)]
    # After the warm-up (each gunicorn worker's first requests, the jobs processes' first runs): while an import
    # runs, and while none does.
    answered = [a for a in answered if a.start >= WARMUP_S]
    lookups_all = [ms(a) for a in answered if a.kind == "lookup"]
    lookups_idle = [ms(a) for a in answered if a.kind == "lookup" and not importing(a.start)]
    writes_idle = [ms(a) for a in answered if a.kind == "write" and not importing(a.start)]
    writes_importing = [ms(a) for a in answered if a.kind == "write" and importing(a.start)]
    codes: dict[str, int] = {}
    for a in server_errors:
        key = f"{a.status} {a.code or ''}".strip()
        codes[key] = codes.get(key, 0) + 1
    return {
        "requests": len(answers),
        "soak_5xx": len(server_errors),
        "server_errors": codes,
        "soak_dropped": sum(1 for a in answers if a.status is None),
        "soak_503_restart": sum(1 for a in answers if a.status == 503 and in_restart(a)),
        "lookup_p99_ms": p99(lookups_all),
        "lookup_p99_idle_ms": p99(lookups_idle),
        "write_p99_idle_ms": p99(writes_idle),
        "write_p99_during_import_ms": p99(writes_importing),
        "writes_during_import": len(writes_importing),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--seconds", type=int, default=600, help="how long the traffic runs (default 600)")
    parser.add_argument("--quiet", type=int, default=30, help="seconds of traffic before imports and faults")
    parser.add_argument("--big-import", type=int, default=20000, help="rows of the import whose process is killed")
    parser.add_argument("--keep", action="store_true",
                        help="keep the work folder (logs, database, every answer and task sample) and print it")
    args = parser.parse_args()
    if args.seconds < args.quiet + 120:
        parser.error("--seconds must leave at least two minutes after --quiet")
    if args.db == "postgresql" and not shutil.which("pg_isready"):
        parser.error("pg_isready is not installed (postgresql-client)")
    work = Path(tempfile.mkdtemp(prefix="jiaxin-soak-"))
    try:
        run(args, work)
    finally:
        drop_database(args.db, DB_NAME)
        if args.keep:
            say(f"work folder kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def run(args, work: Path) -> None:
    from registry.clock import today
    from tests.support.importutil import csv_bytes, person_rows

    url = database_url(args.db, work, DB_NAME)
    small_at = list(range(args.quiet + 70, args.seconds - 60, SMALL_IMPORT_EVERY))
    say(f"setting up on {args.db}: {2 + 1 + len(small_at)} companies, {SEED_ROWS} workers, last month's bulletin")
    # Every person once: a registration or a row of one file naming someone another already stored would be a new
    # employment of that worker, or a file refused for a conflict, not the change the checks expect.
    day = today()
    registering = 2 * int(args.seconds * 2.2) + 10
    people = person_rows(SEED_ROWS + registering + args.big_import + SMALL_IMPORT_ROWS * len(small_at), today=day,
                         seed=11)
    seed_rows, people = people[:SEED_ROWS], people[SEED_ROWS:]
    registrants, people = people[:registering], people[registering:]
    half = registering // 2
    files = [(csv_bytes(people[:args.big_import]), args.big_import)]
    people = people[args.big_import:]
    files += [(csv_bytes(people[i * SMALL_IMPORT_ROWS:(i + 1) * SMALL_IMPORT_ROWS]), SMALL_IMPORT_ROWS)
              for i in range(len(small_at))]
    cast = set_up(url, work, importers=1 + len(small_at), seed_rows=seed_rows)
    port = free_port()
    deployment = Deployment(work, url, port)
    pg_offset = pg_log_size() if args.db == "postgresql" else 0
    deployment.start()
    try:
        deployment.wait_ready()
        book = Book()
        book.cards.extend(cast.cards)
        monitor = Monitor(url, book)
        monitor.start()
        faults = Faults()
        rng = random.Random(2026)
        iso = day.isoformat()
        threads = [threading.Thread(target=lookups, args=(Client(port, book), book, cast.usccs,
                                                           random.Random(i)), daemon=True) for i in range(3)]
        threads += [threading.Thread(target=registrations, daemon=True, args=(
            Client(port, book, token), book, uscc, registrants[i * half:(i + 1) * half], iso))
            for i, (uscc, token) in enumerate(cast.registering)]
        threads += [threading.Thread(target=sanctions, args=(Client(port, book, cast.regulator), book, rng, iso),
                                     daemon=True),
                    threading.Thread(target=bulletins, args=(Client(port, book), book), daemon=True)]
        say(f"traffic for {args.seconds} s: {args.quiet} s quiet, then the big import ({args.big_import} rows) and "
            f"{len(small_at)} small ones; faults: jobs SIGKILL, gunicorn worker SIGKILL"
            + (", PostgreSQL restart" if args.db == "postgresql" else ""))
        busy_before = _busy_ticks()
        for t in threads:
            t.start()
        deadline = book.began + args.seconds

        def at(offset: float) -> bool:
            """Sleep until `offset` seconds into the soak; False if the soak ends first."""
            wait = book.began + offset - time.monotonic()
            return not book.stop.wait(wait) if wait > 0 else not book.stop.is_set()

        def import_plan():
            uscc, token = cast.importing[0]
            if not at(args.quiet):
                return
            upload(Client(port, book, token), book, uscc, *files[0])
            task_id = book.imports[-1]["task_id"]
            say(f"[{book.now():6.1f} s] big import queued: task {task_id}")
            if task_id is not None:
                threading.Thread(target=kill_import_owner, args=(book, monitor, deployment, task_id, faults),
                                 daemon=True).start()
            for offset, (uscc, token), f in zip(small_at, cast.importing[1:], files[1:], strict=True):
                if not at(offset):
                    return
                upload(Client(port, book, token), book, uscc, *f)
                say(f"[{book.now():6.1f} s] small import queued: task {book.imports[-1]['task_id']}")

        def fault_plan():
            if not at(args.seconds * 0.35):
                return
            victims = deployment.web_workers()
            if victims:
                os.kill(victims[0], signal.SIGKILL)
                faults.web_kill_at = book.now()
                say(f"[{faults.web_kill_at:6.1f} s] SIGKILL gunicorn worker {victims[0]}")
            if args.db == "postgresql" and at(args.seconds * 0.55):
                start = book.now()
                took = restart_postgresql()
                faults.restart = (start, start + took)
                say(f"[{start:6.1f} s] PostgreSQL restarted in {took:.2f} s")

        planners = [threading.Thread(target=import_plan, daemon=True),
                    threading.Thread(target=fault_plan, daemon=True)]
        for t in planners:
            t.start()
        while time.monotonic() < deadline:
            time.sleep(1)
            if deployment.web.poll() is not None:
                faults.notes.append("gunicorn's master died")
                break
        book.stop.set()
        busy_after = _busy_ticks()
        busy_cores = (busy_after[0] - busy_before[0]) / TICK / book.now()
        for t in threads + planners:
            t.join(timeout=120)
        say(f"[{book.now():6.1f} s] traffic stopped; waiting for the imports to finish")
        ids = {i["task_id"] for i in book.imports if i["task_id"] is not None}
        finished = monitor.wait_for(lambda tasks: all(tasks.get(i, ("",))[0] in ("done", "failed") for i in ids),
                                    timeout=900)
        if finished is None:
            faults.notes.append("imports still unfinished 900 s after the traffic stopped")
        monitor.done.set()
        monitor.join()
        # The killer thread may still be waiting when the big import finished before it could be killed.
        figs = figures(book, monitor, faults)
        if args.keep:
            with open(work / "answers.jsonl", "w") as fh:
                for a in book.answers:
                    fh.write(json.dumps(a.__dict__) + "\n")
            with open(work / "tasks.jsonl", "w") as fh:
                for t, tasks in monitor.samples:
                    fh.write(json.dumps([t, tasks]) + "\n")
    finally:
        deployment.stop()
    say("checking every acknowledged change in the database, then log verify")
    checked = check(url, work, book, cast)
    ok, verify_out = log_verify(deployment)
    pg_errors, pg_lines = pg_log_errors(pg_offset, DB_NAME) if args.db == "postgresql" else (0, [])
    acked = {"registrations": sum(1 for r in book.registrations if r["answer"]),
             "sanctions": sum(1 for s in book.sanctions if s["answer"]),
             "imports": sum(1 for i in book.imports if i["task_id"] is not None)}
    say(f"requests {figs['requests']:,}; acknowledged: {acked}; log size {checked['log_size']:,}, "
        f"workers {checked['workers']:,}")
    say(f"server errors counted: {figs['server_errors'] or 'none'}; no answer: {figs['soak_dropped']}; "
        f"503 within the restart: {figs['soak_503_restart']}")
    for line in checked["problems"][:20] + faults.notes:
        say(f"PROBLEM: {line}")
    say("log verify: " + (verify_out.splitlines()[-1] if verify_out else "(no output)"))
    if not ok:
        say(verify_out[-3000:])
    for line in pg_lines[:10]:
        say(f"PostgreSQL: {line}")
    idle = figs["lookup_p99_idle_ms"]
    print(json.dumps({
        "soak_5xx": figs["soak_5xx"],
        "soak_lost": checked["missing"] + checked["doubled"],
        "soak_verify": "ok" if ok else "failed",
        "resume_s": round(faults.resume_s, 1) if faults.resume_s is not None else None,
        "write_p99_during_import_ms": figs["write_p99_during_import_ms"],
        "write_p99_idle_ms": figs["write_p99_idle_ms"],
        "lookup_p99_ms": figs["lookup_p99_ms"],
        "lookup_p99_idle_ms": idle,
        "lookup_p99_ratio": round(figs["lookup_p99_ms"] / idle, 2) if idle and figs["lookup_p99_ms"] else None,
        "requests": figs["requests"],
        "soak_dropped": figs["soak_dropped"],
        "soak_503_restart": figs["soak_503_restart"],
        "restart_s": round(faults.restart[1] - faults.restart[0], 2) if faults.restart else None,
        "pg_errors": pg_errors,
        "writes_during_import": figs["writes_during_import"],
        "busy_cores": round(busy_cores, 2),
        "cores": os.cpu_count(),
        "seconds": args.seconds,
        "db": args.db,
    }))


if __name__ == "__main__":
    main()
