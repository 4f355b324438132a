"""/readyz: is this deployment ready to serve and to do its work? The database answers, the keys can be read, and
a jobs process has beaten recently. It also says whether the registry takes writes (`check_writes`), which never
fails it.

Each check returns a `Check` (data: its name, whether it passed, a stable code and messages in both languages);
`answer` makes the response body of them. A check's details name purposes, counts and ages, never a key or a
driver's message (which can quote values).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import text

from ..errors import error_body
from ..extensions import db
from ..keys import PURPOSES, KeyRing
from ..move import marker
from ..tasks.heartbeats import pulse


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    code: str = ""
    zh: str = ""
    en: str = ""
    details: dict = field(default_factory=dict)

    def view(self) -> dict:
        out = {"ok": self.ok, **self.details}
        if not self.ok:
            out["code"] = self.code
        return out


def check_database() -> Check:
    """One SELECT 1, as /healthz."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 — whatever the driver says, the database does not answer
        db.session.rollback()
        return Check("database", False, "database_unavailable", "数据库无响应。", "The database does not answer.")
    return Check("database", True)


def check_keys(ring: KeyRing) -> Check:
    """Every purpose's key file is there and holds a current key (re-read when it changed)."""
    missing = []
    for purpose in PURPOSES:
        try:
            ring.keys(purpose, fresh=True)[0]
        except Exception:  # noqa: BLE001 — missing, unreadable or damaged: the purpose cannot be used
            missing.append(purpose)
    if missing:
        return Check("keys", False, "keys_unreadable", "密钥无法读取：" + "、".join(missing) + "。",
                     "Keys cannot be read: " + ", ".join(missing) + ".", {"unreadable": missing})
    return Check("keys", True)


def check_jobs(now: datetime, stale_seconds: float, database_ok: bool) -> Check:
    """A jobs process recorded its heartbeat within `stale_seconds` (0: not checked)."""
    if stale_seconds <= 0:
        return Check("jobs", True, details={"checked": False})
    if not database_ok:
        return Check("jobs", False, "jobs_unknown", "数据库无响应，无法确认作业进程是否运行。",
                     "The database does not answer, so whether a jobs process runs is unknown.")
    try:
        beats = pulse(now - timedelta(seconds=stale_seconds))
    except Exception:  # noqa: BLE001 — gone between the checks, or not migrated: either way not known
        db.session.rollback()
        return Check("jobs", False, "jobs_unknown", "无法读取作业进程的心跳（数据库是否已迁移？）。",
                     "The jobs processes' heartbeat cannot be read (is the database migrated?).")
    age = None if beats.newest is None else max(0.0, (now - beats.newest).total_seconds())
    details = {"heartbeat_age_seconds": None if age is None else round(age, 1), "processes": beats.alive}
    if age is None or age > stale_seconds:
        return Check("jobs", False, "jobs_stale",
                     f"作业进程在 {stale_seconds:g} 秒内没有心跳（定时任务与队列任务无人执行）。",
                     f"No jobs process has recorded a heartbeat in {stale_seconds:g} s (scheduled jobs and queued "
                     "tasks are not being run).", details)
    return Check("jobs", True, details=details)


def check_writes(database_ok: bool) -> Check:
    """Whether this process takes writes: not while a `db move` marker stands (`move.marker`, as this process last
    read it), when every write answers 503 `registry_moving`.

    Reported, and never failing: a read-only registry still answers every read (card look-ups at the door, the
    public pages, the log), and every process reads the same marker, so failing here would take every instance out
    of a load balancer at once and turn a read-only window into an outage. `read_only` is None when the database
    does not answer (the `database` check fails then)."""
    if not database_ok:
        return Check("writes", True, details={"read_only": None})
    found = marker.current(db.engine)
    if found is None:
        return Check("writes", True, details={"read_only": False})
    refusal = marker.refusal()
    return Check("writes", True, details={"read_only": True, "reason": refusal.code, "move": found.state,
                                          "message": {"zh": refusal.zh, "en": refusal.en}})


def check_all(ring: KeyRing, now: datetime, jobs_stale_seconds: float) -> list[Check]:
    database = check_database()
    return [database, check_keys(ring), check_jobs(now, jobs_stale_seconds, database.ok), check_writes(database.ok)]


def answer(checks: list[Check]) -> tuple[int, dict]:
    """200 with each check's result, or 503 `not_ready` naming the failing checks (the error shape, plus the
    checks)."""
    views = {c.name: c.view() for c in checks}
    failing = [c for c in checks if not c.ok]
    if not failing:
        return 200, {"status": "ready", "checks": views}
    body = error_body("not_ready", "服务尚未就绪：" + "、".join(c.name for c in failing) + "。",
                      "Not ready: " + ", ".join(c.name for c in failing) + ".",
                      {c.name: {"zh": c.zh, "en": c.en} for c in failing})
    body["checks"] = views
    return 503, body
