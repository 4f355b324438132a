"""Making a period's bulletin: the queued task `bulletins.generate`, what the hourly schedule queues, on demand.

A generation gathers the period's content (gather.py), renders the PDF (render.py) and the open-data files
(opendata.py: the sanctions' and the red list's full files and change files since the previous bulletin of the
same kind), then publishes them all with their signed manifest and one log entry (services.publish) in the task's
last commit. Nothing is written before that commit, so a crash or kill anywhere leaves no half-published bulletin:
the task's lease lapses, the queue gives it to the next jobs process, and that run starts again and completes it.
Two processes that both get there first cannot both publish: the second finds the period's current version (or
loses the unique insert) and ends without publishing anything.

The task reports its progress in four steps (content gathered, open data written, PDF rendered, published), so a
page or the command's bar can follow it.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from .. import clock
from ..errors import ApiError
from ..extensions import db
from ..keys import KeyRing
from ..log.checkpoints import latest_checkpoint, tree_root
from ..log.models import LogEntry
from ..log.services import log_size
from ..tasks import services as tasks
from ..tasks.models import Task
from . import follow, opendata, periods, services
from .periods import Period

TASK_KIND = "bulletins.generate"
STEPS = 4
SYSTEM_ACTOR = "system:bulletins"


def cited_checkpoint() -> tuple[int, str]:
    """The log state a bulletin cites: the latest signed checkpoint, or (none signed yet) the tree head now."""
    latest = latest_checkpoint()
    if latest is not None:
        return latest.size, latest.root.hex()
    size = log_size()
    return size, tree_root(size).hex()


def previous_lists(period: Period) -> tuple[list[dict], list[dict]]:
    """The previous period's current bulletin's full lists as published, (sanctions, red list): the records of its
    `full.jsonl` and `red-list-full.jsonl` files. A list is empty when there is no such bulletin or file: a bulletin
    made before the red list had files counts as an empty red list (its next bulletin lists every firm as added)."""
    before = services.current(periods.previous(period).key)
    if before is None:
        return [], []
    names = opendata.file_names(before.period_key, before.version)
    stored = {f.name: f for f in before.files}

    def records(part: str) -> list[dict]:
        found = stored.get(names[part])
        return [] if found is None else opendata.parse_jsonl(found.content)

    return records("full.jsonl"), records(f"{opendata.RED_LIST}-full.jsonl")


def pending_periods() -> set[str]:
    """The periods whose generation is queued or running (one statement)."""
    rows = db.session.execute(select(Task.args).where(Task.kind == TASK_KIND,
                                                      Task.state.in_(("queued", "running")))).scalars()
    return {(args or {}).get("period") for args in rows}


def pending(period_key: str) -> bool:
    """Whether a generation of this period is queued or running."""
    return period_key in pending_periods()


def period_of(text: str) -> Period:
    """The period `text` names (2026-11, 2026-W48), or a 422 `invalid_period` naming the field."""
    try:
        return periods.parse(text)
    except ValueError:
        raise ApiError(422, "invalid_period", "期间格式应为 2026-11（月）或 2026-W48（周）。",
                       'A period is a month such as "2026-11" or an ISO week such as "2026-W48".',
                       {"period": {"en": "Use 2026-11 or 2026-W48.", "zh": "请写作 2026-11 或 2026-W48。"}}) from None


def queue(period: Period, *, actor_ref: str, owner_ref: str | None = None) -> Task:
    """Queue the generation of `period`'s next version (the caller commits). A period not yet ended is a 422;
    one that has a current version or a generation under way, a 409."""
    if period.ends_at > clock.now():
        raise ApiError(422, "period_not_ended", f"{period.key} 尚未结束，不能发布公示公告。",
                       f"{period.key} has not ended yet: its bulletin cannot be made.",
                       {"period": {"en": "Not ended yet.", "zh": "尚未结束。"}})
    if services.current(period.key) is not None:
        raise ApiError(409, "bulletin_current_exists", f"{period.key} 的公示公告已发布且有效。",
                       f"The bulletin of {period.key} is published and current.",
                       {"period": {"en": "A current bulletin exists.", "zh": "已有现行公示公告。"}})
    if pending(period.key):
        raise ApiError(409, "bulletin_pending", f"{period.key} 的公示公告正在生成。",
                       f"The bulletin of {period.key} is being made.",
                       {"period": {"en": "Already being made.", "zh": "正在生成。"}})
    return tasks.enqueue(TASK_KIND, {"period": period.key}, actor_ref=actor_ref, owner_ref=owner_ref)


def registry_start() -> date | None:
    """The day (Shanghai) of the log's first entry: no period before it has anything to publish."""
    first = db.session.execute(select(LogEntry.created_dt).order_by(LogEntry.seq).limit(1)).scalar_one_or_none()
    return None if first is None else clock.local_date(first)


def queue_ended(now: datetime) -> list[str]:
    """Queue every ended month and week since the registry began that has no current bulletin and no generation
    under way (the hourly schedule). Returns the periods queued; the caller commits."""
    since = registry_start()
    if since is None:
        return []
    # Two statements, however many periods have ended: those with a current version, those under way.
    skip = services.current_periods() | pending_periods()
    queued = []
    for kind in periods.KINDS:
        for period in periods.ended(kind, now, since):
            if period.key not in skip:
                tasks.enqueue(TASK_KIND, {"period": period.key}, actor_ref=SYSTEM_ACTOR)
                queued.append(period.key)
    return queued


MEDIA_TYPES = {".pdf": "application/pdf", ".csv": "text/csv; charset=utf-8", ".jsonl": "application/jsonl"}


def make_files(content, previous: list[dict], previous_red_list: list[dict],
               progress=lambda done: None) -> list[tuple[str, str, bytes]]:
    """Every file of one bulletin, (name, media type, bytes): the open data (full files and the changes since
    `previous` and `previous_red_list`, the previous bulletin's full lists), step 2, then the PDF, step 3."""
    from . import render

    made = opendata.files(content, previous, previous_red_list)
    progress(2)
    made[opendata.file_names(content.period.key, content.version)["pdf"]] = render.pdf(content)
    progress(3)
    return [(name, MEDIA_TYPES[name[name.rindex("."):]], data) for name, data in sorted(made.items())]


def generate(ring: KeyRing, period: Period, *, origin: str, public_url: str, issuer: tuple[str, str],
             progress=lambda done: None, actor: str = SYSTEM_ACTOR):
    """Make and publish `period`'s next version now (in the caller's transaction); `progress(step)` after each
    step. Returns the publication, or None when a current version already exists."""
    from . import gather

    if services.current(period.key) is not None:
        return None
    version = max((b.version for b in services.versions(period.key)), default=0) + 1
    size, root = cited_checkpoint()
    made_at = clock.now()
    content = gather.gather(period, version=version, issuer_zh=issuer[0], issuer_en=issuer[1], made_at=made_at,
                            checkpoint_size=size, checkpoint_root=root,
                            verify_url=f"{public_url.rstrip('/')}/bulletins/verify")
    previous, previous_red_list = previous_lists(period)
    progress(1)
    files = make_files(content, previous, previous_red_list, progress)
    published = services.publish(ring, actor=actor, period=period, files=files, made_at=made_at,
                                 checkpoint_size=size, checkpoint_root=root, origin=origin)
    follow.index(published.bulletin.id, follow.carried_refs(content, previous))
    return published


def run_generation(ring: KeyRing, ctx, *, origin: str, public_url: str, issuer: tuple[str, str]) -> None:
    """The task: generate the period in `ctx.args`, committing its progress after each step and its publication
    with the last; a period another process published first ends the task with nothing published."""
    period = periods.parse(ctx.args["period"])

    def progress(done: int) -> None:
        # Nothing is written before the publication: end the read (on SQLite a snapshot held through the render
        # could not become the progress's write once another connection has written) and record the step.
        db.session.rollback()
        ctx.commit_batch(done, STEPS, {"step": done})

    progress(0)
    try:
        published = generate(ring, period, origin=origin, public_url=public_url, issuer=issuer, progress=progress)
    except ApiError as exc:
        if exc.code not in ("bulletin_exists", "bulletin_current_exists"):
            raise
        db.session.rollback()
        published = None
    result = {"period": period.key, "published": None}
    if published is not None:
        b = published.bulletin
        result["published"] = {"ref": b.ref, "version": b.version, "log_index": published.seq}
    ctx.commit_batch(STEPS, STEPS, {"step": STEPS}, result=result)
