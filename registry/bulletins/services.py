"""Publishing and withdrawing bulletins, and reading what was published.

    from registry.bulletins import services as bulletins
    bulletins.publish(ring, actor="system", period=periods.parse("2026-11"), files=[(name, media_type, data), …],
                      made_at=…, checkpoint_size=…, checkpoint_root=…, origin=…)

A period has at most one current bulletin. Its first version is 1; a later one (a correction) can be published
only once the current one is withdrawn, with a reason, and the withdrawn version stays, files and all, as the
archive of what was once public. Each version's manifest (manifest.py) lists every file's SHA-256 and is signed by
the key ring's current `bulletin` key; the log entry's digest covers the manifest's SHA-256 and each file's size and
SHA-256 (canonical.bulletin_state), so the log commits to every byte published.

`publish` and `withdraw` are the only changes; each records its entry (`bulletin:publish`, `bulletin:withdraw`) as
its last step, in the caller's transaction, and never commits. Two processes publishing the same period at once
cannot both succeed: the unique (period_key, version) makes the second insert fail, answered 409 `bulletin_exists`
(on SQLite the write lock already queues the second, which then finds the first: 409 `bulletin_current_exists`).
`integrity_problems` is what `log verify` checks beyond the digest: that the stored bytes are the ones the state
names and the manifest is signed over them.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from .. import clock
from ..errors import ApiError, not_found
from ..extensions import db
from ..keys import KeyRing
from ..log.actions import Action
from ..log.services import Recorded, record_change
from ..tlog import note
from . import manifest, periods
from .models import CURRENT, MAX_MEDIA_TYPE, MAX_REASON, WITHDRAWN, Bulletin, BulletinFile
from .periods import Period

__all__ = ["Listing", "Published", "Withdrawn", "current", "current_periods", "file", "get", "integrity_problems",
           "listing", "publish", "versions", "withdraw"]

_HEX64 = re.compile(r"[0-9a-f]{64}\Z", re.ASCII)
# A media type as `type/subtype`, optionally with parameters: printable ASCII, no spaces around the slash.
_MEDIA_TYPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*(;[ -~]*)?\Z", re.ASCII)


@dataclass(frozen=True)
class Published(Recorded):
    """The log entry `publish` wrote (its seq and digest), and the bulletin it published."""

    bulletin: Bulletin


@dataclass(frozen=True)
class Withdrawn(Recorded):
    """The log entry `withdraw` wrote, and the bulletin it withdrew."""

    bulletin: Bulletin


@dataclass(frozen=True)
class Listing:
    bulletins: list[Bulletin]
    total: int
    page: int
    page_size: int


def _invalid(problems: dict[str, tuple[str, str]]) -> ApiError:
    return ApiError(422, "invalid_input", "输入有误。", "The input is not valid.",
                    {field: {"en": en, "zh": zh} for field, (en, zh) in problems.items()})


def _check_files(files) -> tuple[str, str] | None:
    """(en, zh) of the first problem with the files to publish, or None."""
    if not isinstance(files, (list, tuple)) or not files:
        return "A bulletin publishes at least one file.", "公示公告至少要发布一个文件。"
    seen: set[str] = set()
    for item in files:
        if not isinstance(item, (list, tuple)) or len(item) != 3:
            return "Each file is (name, media type, content).", "每个文件应为（文件名，媒体类型，内容）。"
        name, media_type, data = item
        if not manifest.is_plain_name(name):
            return (f"File name {name!r} is not plain: letters, digits, '.', '_' and '-', starting with a letter or "
                    f"digit, at most {manifest.MAX_NAME}.",
                    f"文件名 {name!r} 不合规：只能由字母、数字、“.”“_”“-”组成，以字母或数字开头，"
                    f"不超过 {manifest.MAX_NAME} 个字符。")
        if name in seen:
            return f"File name {name!r} is listed twice.", f"文件名 {name!r} 重复。"
        seen.add(name)
        if not isinstance(media_type, str) or len(media_type) > MAX_MEDIA_TYPE or not _MEDIA_TYPE.match(media_type):
            return (f"The media type of {name} is not a media type such as application/pdf.",
                    f"{name} 的媒体类型无效（应如 application/pdf）。")
        if not isinstance(data, (bytes, bytearray, memoryview)):
            return f"The content of {name} must be bytes.", f"{name} 的内容必须是字节。"
    return None


def _checkpoint_problem(size, root) -> tuple[str, str] | None:
    """A bulletin cites a state of the log: `root` must be the log's tree root at `size` (at most the log's size).

    The job cites the latest signed checkpoint; any earlier tree head is as checkable by a reader, through a
    consistency proof to a later signed checkpoint (GET /api/v1/log/proofs/consistency).
    """
    from ..log.checkpoints import tree_root
    from ..log.services import log_size

    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        return "The checkpoint size must be a positive integer.", "检查点大小必须是正整数。"
    if not isinstance(root, str) or not _HEX64.match(root):
        return "The checkpoint root must be 64 lowercase hex digits.", "检查点根哈希必须是 64 位小写十六进制。"
    if size > log_size() or tree_root(size).hex() != root:
        return (f"The log's tree of size {size} does not have this root.",
                f"透明日志在大小为 {size} 时的根哈希不是此值。")
    return None


def _check_publish(period, files, made_at, checkpoint_size, checkpoint_root) -> None:
    problems: dict[str, tuple[str, str]] = {}
    if not isinstance(period, Period) or not _round_trips(period):
        problems["period"] = ("Not a bulletin period (a month such as 2026-11 or an ISO week such as 2026-W48).",
                              "不是有效的公示期（如月份 2026-11 或 ISO 周 2026-W48）。")
    problem = _check_files(files)
    if problem:
        problems["files"] = problem
    if not isinstance(made_at, datetime) or made_at.tzinfo is None or made_at.utcoffset() is None:
        problems["made_at"] = ("The time made must be a timezone-aware datetime.", "制作时间必须带时区。")
    elif "period" not in problems and made_at < period.ends_at:
        problems["made_at"] = (f"The period {period.key} has not ended when the bulletin was made: it ends at "
                               f"{period.ends_at.isoformat()}.",
                               f"公示期 {period.key} 尚未结束（结束于 {period.ends_at.isoformat()}），"
                               "不能制作公示公告。")
    problem = _checkpoint_problem(checkpoint_size, checkpoint_root)
    if problem:
        problems["checkpoint"] = problem
    if problems:
        raise _invalid(problems)


def _round_trips(period: Period) -> bool:
    try:
        return periods.parse(period.key) == period
    except ValueError:
        return False


def publish(ring: KeyRing, *, actor: str, period: Period, files: Sequence[tuple[str, str, bytes]],
            made_at: datetime, checkpoint_size: int, checkpoint_root: str, origin: str) -> Published:
    """Publish the next version of `period`'s bulletin: its files, its signed manifest, one `bulletin:publish` entry.

    `files` are (name, media type, content); `checkpoint_size` and `checkpoint_root` (hex) name the log checkpoint
    the bulletin cites (the latest signed one, normally; the root must be the log's at that size); `origin` is the
    log's origin (the manifest's key name is `{origin}/bulletins`).
    A bad argument is 422 `invalid_input` naming each field; a period whose current bulletin is not withdrawn,
    409 `bulletin_current_exists`; the same version published meanwhile by another process, 409 `bulletin_exists`.
    """
    _check_publish(period, files, made_at, checkpoint_size, checkpoint_root)
    found = versions(period.key)
    if any(b.state == CURRENT for b in found):
        raise ApiError(409, "bulletin_current_exists",
                       f"{period.key} 的公示公告已发布且有效；发布新版本前须先撤回现行版本。",
                       f"The bulletin of {period.key} is published and current; withdraw it before publishing "
                       "a new version.", {"period": {"en": "A current bulletin exists.", "zh": "已有现行公示公告。"}})
    version = max((b.version for b in found), default=0) + 1
    key = ring.current("bulletin")
    name = manifest.key_name(origin)
    text = manifest.manifest_text(origin, period.key, version, [(n, bytes(data)) for n, _t, data in files])
    bulletin = Bulletin(period_kind=period.kind, period_key=period.key, version=version, state=CURRENT,
                        made_at=made_at, checkpoint_size=checkpoint_size, checkpoint_root=checkpoint_root,
                        key_id=note.key_id(name, key.public_bytes).hex(),
                        manifest=manifest.sign(text, name, key.private_key), created_by=actor)
    try:
        # A savepoint: the loser of a race gets its 409 and the transaction stays usable.
        with db.session.begin_nested():
            db.session.add(bulletin)
            db.session.flush()
    except IntegrityError:
        raise ApiError(409, "bulletin_exists", f"{period.key} 第 {version} 版公示公告已由另一进程发布。",
                       f"Version {version} of the bulletin of {period.key} was published by another process.",
                       {"period": {"en": "Already published.", "zh": "已发布。"}}) from None
    for file_name, media_type, data in sorted(files, key=lambda f: f[0]):
        data = bytes(data)
        bulletin.files.append(BulletinFile(name=file_name, media_type=media_type, size=len(data),
                                           sha256=hashlib.sha256(data).hexdigest(), content=data))
    recorded = record_change(ring, actor=actor, action=Action.BULLETIN_PUBLISH, aggregate=bulletin)
    return Published(recorded.seq, recorded.digest, bulletin)


def withdraw(ring: KeyRing, *, actor: str, bulletin: Bulletin, reason: str) -> Withdrawn:
    """Withdraw a current bulletin, saying why; one `bulletin:withdraw` entry. Its files stay, as the archive.

    A missing or over-long reason (at most 500 characters) is 422 `invalid_input`; a bulletin already withdrawn,
    409 `bulletin_withdrawn`.
    """
    text = reason.strip() if isinstance(reason, str) else ""
    if not text or len(text) > MAX_REASON:
        raise _invalid({"reason": (f"Say why the bulletin is withdrawn, in at most {MAX_REASON} characters.",
                                   f"请说明撤回原因，不超过 {MAX_REASON} 个字符。")})
    # The row as it stands, locked (PostgreSQL): of two withdrawals at once, the second finds the first's.
    bulletin = db.session.execute(
        select(Bulletin).where(Bulletin.id == bulletin.id).with_for_update()
        .execution_options(populate_existing=True)).scalar_one()
    if bulletin.state == WITHDRAWN:
        raise ApiError(409, "bulletin_withdrawn", "该公示公告已撤回。", "This bulletin is already withdrawn.")
    bulletin.state = WITHDRAWN
    bulletin.withdrawn_reason = text
    bulletin.withdrawn_by = actor
    bulletin.withdrawn_at = clock.now()
    recorded = record_change(ring, actor=actor, action=Action.BULLETIN_WITHDRAW, aggregate=bulletin)
    return Withdrawn(recorded.seq, recorded.digest, bulletin)


# --- reading ----------------------------------------------------------------------------------------------------


def current(period_key: str) -> Bulletin | None:
    """The period's current bulletin, or None (none published, or the last one withdrawn)."""
    return db.session.execute(
        select(Bulletin).where(Bulletin.period_key == period_key, Bulletin.state == CURRENT)
        .order_by(Bulletin.version.desc()).limit(1)).scalar_one_or_none()


def current_periods() -> set[str]:
    """The keys of the periods that have a current bulletin."""
    return set(db.session.execute(select(Bulletin.period_key).where(Bulletin.state == CURRENT)).scalars())


def versions(period_key: str) -> list[Bulletin]:
    """Every version of the period's bulletin, withdrawn ones included, oldest first."""
    return list(db.session.execute(
        select(Bulletin).where(Bulletin.period_key == period_key).order_by(Bulletin.version)).scalars())


def _missing() -> ApiError:
    return not_found("bulletin", "公示公告")


def get(ref: str) -> Bulletin:
    """The bulletin with this public ref; 404 `not_found` if none."""
    found = None
    if isinstance(ref, str):
        found = db.session.execute(select(Bulletin).where(Bulletin.ref == ref)).scalar_one_or_none()
    if found is None:
        raise _missing()
    return found


def file(ref_or_id: str | int | Bulletin, name: str) -> BulletinFile:
    """One file of a bulletin (given as its ref, its id or itself), content included; 404 `not_found` if none."""
    if isinstance(ref_or_id, Bulletin):
        bulletin_id = ref_or_id.id
    elif isinstance(ref_or_id, int) and not isinstance(ref_or_id, bool):
        bulletin_id = ref_or_id
    else:
        bulletin_id = get(ref_or_id).id
    found = db.session.execute(
        select(BulletinFile).where(BulletinFile.bulletin_id == bulletin_id, BulletinFile.name == name)
        .options(_with_content())).scalar_one_or_none()
    if found is None:
        raise not_found("file", "文件")
    return found


def _with_content():
    from sqlalchemy.orm import undefer

    return undefer(BulletinFile.content)


def listing(page: int = 1, page_size: int = 20) -> Listing:
    """One page of every bulletin version, withdrawn ones included, newest made first."""
    page, page_size = max(1, int(page)), max(1, int(page_size))
    total = db.session.execute(select(func.count()).select_from(Bulletin)).scalar_one()
    rows = db.session.execute(
        select(Bulletin).order_by(Bulletin.made_at.desc(), Bulletin.id.desc())
        .offset((page - 1) * page_size).limit(page_size)).scalars().all()
    return Listing(list(rows), total, page, page_size)


# --- what `log verify` checks beyond the digest -----------------------------------------------------------------


def integrity_problems(ring: KeyRing, bulletin: Bulletin, origin: str | None = None) -> list[str]:
    """What does not hold between a bulletin's stored bytes, its columns and its signed manifest.

    The canonical state names each file's size and SHA-256 but not its content, and the manifest only by its
    SHA-256: so each stored content must have that size and SHA-256, and the manifest must open under one of the
    ring's `bulletin` keys (retired ones too: they vouch for what they signed), name this bulletin's period and
    version (and `origin`, when given), and list exactly these files with these SHA-256.
    """
    out = []
    f = BulletinFile.__table__.c
    rows = db.session.connection().execute(
        select(f.name, f.size, f.sha256, f.content).where(f.bulletin_id == bulletin.id).order_by(f.id)
        .execution_options(yield_per=4))
    listed: dict[str, str] = {}
    for name, size, sha256, content in rows:
        data = bytes(content)
        if len(data) != size:
            out.append(f"file {name}: content is {len(data)} bytes, not the {size} its row names")
        if hashlib.sha256(data).hexdigest() != sha256:
            out.append(f"file {name}: content does not match its SHA-256")
        listed[name] = sha256
    try:
        if origin is None:  # the origin the manifest names (its signature is checked all the same)
            origin = manifest.parse_manifest(bulletin.manifest[: bulletin.manifest.rindex("\n\n") + 1]).origin
        key_name = manifest.key_name(origin)
        # Only the key the row names: the manifest must carry that key's valid signature.
        named = [note.new_verifier(key_name, k.public_bytes) for k in ring.keys("bulletin")
                 if note.key_id(key_name, k.public_bytes).hex() == bulletin.key_id]
        if not named:
            return [*out, f"manifest: key {bulletin.key_id}, the key its row names, is no bulletin key of the ring"]
        opened = manifest.open_manifest(bulletin.manifest, named, origin)
    except ValueError as exc:  # ManifestError, or a note too malformed to parse
        return [*out, f"manifest does not verify ({exc})"]
    if (opened.period, opened.version) != (bulletin.period_key, bulletin.version):
        out.append(f"manifest names {opened.period} v{opened.version}, not this bulletin")
    if opened.files != listed:
        out.append("manifest does not list exactly the stored files and their SHA-256")
    return out
