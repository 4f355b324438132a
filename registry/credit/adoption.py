"""Adopting a credit-rules version (the `credit_rules` aggregate), and which version scores are computed with.

- **The version in force** is the latest adoption's (`credit_rules`, the greatest id); with none recorded, the
  version in code (`rules.CURRENT_VERSION`). `adopted_rules()` reads it with one single-row query on the primary
  key and returns the parsed rules (cached per version and folder by `rules.load`), so every process — each
  gunicorn worker, the jobs process — computes with a new version from the first transaction that begins after the
  adoption commits. `services` asks once per batch it computes.
- **Adopting** (`adopt`): an operator names a version whose file is in the rules folder (`REGISTRY_CREDIT_RULES_DIR`,
  by default `registry/credit/versions`) and gives a reason (the decision it follows). The file must load whole
  (422 `rules_version_unknown` or `rules_invalid`, naming the key at fault); the version in force cannot be
  adopted again (409 `rules_already_adopted`). One row, one `credit_rules:adopt` entry, and one queued task that
  computes every score again (`run_recompute`), all in the caller's transaction: nothing here commits.
- **The recompute** is `services.rebuild` in committed batches with the task's progress and resume point, keyset
  paged by id: a jobs process that dies resumes after the last committed batch. Scores are unlogged: the recompute
  writes no entry. Until it ends, some scores still show the previous `rules_version`.

The rules in prose: docs/rules.md, "Adopting a rules version".
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select

from .. import clock
from ..errors import ApiError, problems_error
from ..extensions import db
from ..keys import KeyRing
from ..log.actions import Action
from ..log.services import Recorded, lock_head, record_change
from ..trace.textmask import mask_text
from . import rules as credit_rules
from .commendations import check_text, one_line
from .models import ADOPTION_REASON_MAX, RulesAdoption

TASK_KIND = "credit.recompute"
CLI_ACTOR = "cli"
# Adoptions a status view lists, newest first.
HISTORY_SHOWN = 100


@dataclass(frozen=True)
class Adopted:
    adoption: RulesAdoption
    recorded: Recorded
    task_id: int


def rules_dir() -> Path | None:
    """The folder the rules files are read from (REGISTRY_CREDIT_RULES_DIR), or None for the repository's."""
    folder = current_app.config.get("CREDIT_RULES_DIR")
    return Path(folder) if folder else None


def latest_adoption() -> RulesAdoption | None:
    return db.session.execute(select(RulesAdoption).order_by(RulesAdoption.id.desc()).limit(1)).scalar_one_or_none()


def adopted_version() -> str:
    """The version in force: the latest adoption's, else the one in code. One row by the primary key's index."""
    version = db.session.execute(
        select(RulesAdoption.version).order_by(RulesAdoption.id.desc()).limit(1)).scalar_one_or_none()
    return version or credit_rules.CURRENT_VERSION


def adopted_rules() -> credit_rules.Rules:
    """The rules scores are computed with now (see the module's docstring)."""
    return credit_rules.load(adopted_version(), rules_dir())


def refusal(e: credit_rules.RulesError) -> ApiError:
    """422 for a version that cannot be adopted: no such file (or no such name), or a file that fails its check at
    `e.key` — its `version` line included."""
    if e.key == credit_rules.NAME:
        return ApiError(422, "rules_version_unknown", "没有该版本的信用积分规则。",
                        "There are no credit rules of that version.",
                        {"version": {"en": f"{e.version}: {e.problem}.",
                                     "zh": f"{e.version}：规则目录中没有该版本的规则文件（vN.toml）。"}})
    return ApiError(422, "rules_invalid", "该版本的信用积分规则文件未通过检查，未采用。",
                    "The rules file of that version fails its check; it is not adopted.",
                    {"version": {"en": f"{e.version}.toml: {e.key}: {e.problem}",
                                 "zh": f"{e.version}.toml 未通过检查，出错的键：{e.key}（{e.problem}）"}})


def adopt(ring: KeyRing, *, actor: str, version: str, reason: str | None) -> Adopted:
    """Adopt `version` for every score from now on, and queue the task that computes every score with it.

    One `credit_rules:adopt` entry (actor: the account's ref, or "cli"); never commits.
    """
    # Public in clear (GET /api/v1/credit/rules, the log): a phone or ID number typed in by mistake is masked.
    text = one_line(reason)
    text = mask_text(text) if text else text
    problem = check_text("reason", text, ADOPTION_REASON_MAX,
                         missing=("Say why the version is adopted (the decision it follows).",
                                  "请说明采用理由（所依据的决定及文号）。"))
    if problem is not None:
        raise problems_error([problem])
    folder = rules_dir()
    try:
        credit_rules.load(version, folder)
        sha256 = credit_rules.file_sha256(version, folder)
    except credit_rules.RulesError as e:
        raise refusal(e) from None
    # Two operators adopting at once: the second waits here, then finds the first's adoption.
    lock_head()
    previous = adopted_version()
    if version == previous:
        raise ApiError(409, "rules_already_adopted", f"{version} 已是现行的信用积分规则版本。",
                       f"{version} is already the credit rules version in force.")
    from ..tasks.services import enqueue

    adoption = RulesAdoption(version=version, sha256=sha256, previous_version=previous, reason=text,
                             adopted_by=actor, adopted_dt=clock.now())
    db.session.add(adoption)
    db.session.flush()
    task = enqueue(TASK_KIND, {"adoption": adoption.id, "version": version}, actor_ref=actor)
    recorded = record_change(ring, actor=actor, action=Action.CREDIT_RULES_ADOPT, aggregate=adoption)
    return Adopted(adoption, recorded, task.id)


def run_recompute(ctx, *, batch: int) -> None:
    """The task: every worker's and then every company's score for today again (`services.rebuild`), a committed
    batch at a time with the task's progress (workers and companies done of all) and resume point (the kind and
    the last id done)."""
    from ..companies.models import Company
    from ..workers.models import Worker
    from . import services

    totals = {kind: db.session.execute(select(func.count()).select_from(model)).scalar_one()
              for kind, model in (("company", Company), ("worker", Worker))}
    cursor = ctx.cursor if isinstance(ctx.cursor, dict) else None
    start = (cursor["kind"], int(cursor["after"])) if cursor else None
    # What a resumed task has done: every subject of the kinds before its resume point's (workers come first),
    # and its kind's up to the last id done.
    done = {"worker": 0, "company": 0}
    if start is not None:
        models = {"company": Company, "worker": Worker}
        for kind in services.ORDER[:services.ORDER.index(start[0])]:
            done[kind] = totals[kind]
        model = models[start[0]]
        done[start[0]] = db.session.execute(select(func.count()).select_from(model)
                                            .where(model.id <= start[1])).scalar_one()
    version = ctx.args.get("version")

    def result() -> dict:
        return {"version": version, "companies": done["company"], "companies_total": totals["company"],
                "workers": done["worker"], "workers_total": totals["worker"]}

    def commit(kind: str, count: int, total: int, last_id: int) -> None:
        done[kind], totals[kind] = count, total
        ctx.commit_batch(sum(done.values()), sum(totals.values()), {"kind": kind, "after": last_id}, result())

    services.rebuild(clock.today(), batch=batch, start=start, commit=commit)
    ctx.commit_batch(sum(done.values()), sum(totals.values()), ctx.cursor, result())


def recompute_task():
    """The latest recompute task (the latest adoption's), or None."""
    from ..tasks.models import Task

    return db.session.execute(select(Task).where(Task.kind == TASK_KIND).order_by(Task.id.desc())
                              .limit(1)).scalar_one_or_none()


def versions_view(folder: Path | None, adopted: str) -> list[dict]:
    """Each version in the rules folder, oldest first: whether it is in force, and whether its file loads (the
    key at fault when it does not)."""
    out = []
    for version in credit_rules.versions(folder):
        try:
            credit_rules.load(version, folder)
            problem = None
        except credit_rules.RulesError as e:
            problem = f"{e.key}: {e.problem}"
        out.append({"version": version, "in_force": version == adopted, "valid": problem is None,
                    "problem": problem})
    return out


def status_view() -> dict:
    """What anyone sees of the rules: the version in force and since when, the versions available, the adoptions
    (newest first) and the latest recompute's progress. Never who adopted (an account's ref)."""
    from ..tasks.services import progress_view

    history = db.session.execute(select(RulesAdoption).order_by(RulesAdoption.id.desc())
                                 .limit(HISTORY_SHOWN)).scalars().all()
    latest = history[0] if history else None
    adopted = latest.version if latest else credit_rules.CURRENT_VERSION
    task = recompute_task()
    recompute = None
    if task is not None:
        view = progress_view(task)
        recompute = {"task_id": task.id, "version": (task.args or {}).get("version"), "state": view["state"],
                     "progress": view["progress"], "result": view["result"], "created_dt": task.created_dt,
                     "finished_dt": task.finished_dt}
    return {
        "in_force": {"version": adopted, "adopted_dt": latest.adopted_dt if latest else None,
                     "by_adoption": latest is not None},
        "code_version": credit_rules.CURRENT_VERSION,
        "versions": versions_view(rules_dir(), adopted),
        "adoptions": [{"version": a.version, "previous_version": a.previous_version, "reason": a.reason,
                       "sha256": a.sha256, "adopted_dt": a.adopted_dt} for a in history],
        "recompute": recompute,
    }
