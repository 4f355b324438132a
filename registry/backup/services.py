"""Backups that prove themselves: a consistent copy taken while the registry serves, and a restore that checks it.

A backup is a folder of two files:

- the database: `registry.sqlite3`, SQLite's online backup (`sqlite3.Connection.backup`, one step: one read
  snapshot of the whole file while writers go on in WAL mode), or `registry.dump`, `pg_dump --format=custom` on
  PostgreSQL, taken on a snapshot this process exported (`pg_export_snapshot`) and counted in;
- `manifest.json`, written last (a folder without it is no backup): the engine, the schema's migration, every
  table's row count and the latest signed checkpoint (size, root, signed note), all read from that same snapshot,
  and the database file's SHA-256.

The keys are never in it (they are in REGISTRY_KEYS_DIR, outside the database): `flask keys export` carries them
under a passphrase, to be kept somewhere else (docs/operations.md, "Backups").

A restore goes into an empty database of the same engine (`flask db move` is the way from SQLite to PostgreSQL):
the file's digest is checked first, then the data restored (SQLite's backup API into the configured file;
`pg_restore --single-transaction`, so a failed restore leaves nothing), then every table counted against the
manifest, the latest checkpoint compared, and the log verified with the keys (`log verify`). A restore that does
not verify is reported as failed.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import URL, Connection, Engine

from .. import clock
from ..keys import KeyRing

FORMAT = "jiaxin-backup/1"
MANIFEST = "manifest.json"
FILES = {"sqlite": "registry.sqlite3", "postgresql": "registry.dump"}


class BackupError(ValueError):
    """A backup or restore refused before it changed anything; `code` names why, the message is in both languages."""

    def __init__(self, code: str, zh: str, en: str):
        super().__init__(f"{zh} / {en}")
        self.code, self.zh, self.en = code, zh, en


@dataclass
class Restored:
    manifest: dict
    counts: dict[str, int]
    # table → (in the manifest, restored), for every table whose count differs
    mismatched: dict[str, tuple[int | None, int | None]] = field(default_factory=dict)
    checkpoint_ok: bool = True
    failures: list[str] = field(default_factory=list)  # what `log verify` found

    @property
    def ok(self) -> bool:
        return not self.mismatched and self.checkpoint_ok and not self.failures


def _engine_name(engine: Engine) -> str:
    name = engine.dialect.name
    if name not in FILES:
        raise BackupError("engine_unsupported", f"不支持的数据库 {name}", f"No backups for the {name} engine")
    return name


def inventory(conn: Connection) -> dict:
    """Every table's row count, the migration and the latest signed checkpoint, as `conn`'s snapshot sees them."""
    preparer = conn.dialect.identifier_preparer
    names = sorted(inspect(conn).get_table_names())
    counts = {name: conn.execute(text(f"SELECT count(*) FROM {preparer.quote(name)}")).scalar_one()  # noqa: S608
              for name in names}
    schema = conn.execute(text("SELECT version_num FROM alembic_version")).scalar() if "alembic_version" in names \
        else None
    checkpoint = None
    if "log_checkpoints" in names:
        row = conn.execute(text("SELECT size, root, note FROM log_checkpoints ORDER BY size DESC LIMIT 1")).first()
        if row is not None:
            checkpoint = {"size": row.size, "root": bytes(row.root).hex(), "note": row.note}
    return {"schema": schema, "tables": counts, "checkpoint": checkpoint}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _libpq(url: URL) -> dict[str, str]:
    """The connection as libpq's environment (pg_dump, pg_restore): the password never on a command line."""
    env = {"PGHOST": url.host or "", "PGPORT": str(url.port or ""), "PGUSER": url.username or "",
           "PGDATABASE": url.database or "", "PGPASSWORD": url.password or ""}
    for option, variable in (("sslmode", "PGSSLMODE"), ("connect_timeout", "PGCONNECT_TIMEOUT")):
        if option in url.query:
            env[variable] = str(url.query[option])
    return {**os.environ, **{k: v for k, v in env.items() if v}}


def _run(argv: list[str], url: URL) -> None:
    if shutil.which(argv[0]) is None:
        raise BackupError("tool_missing", f"找不到 {argv[0]}（请安装 postgresql-client）",
                          f"{argv[0]} was not found (install postgresql-client)")
    done = subprocess.run(argv, env=_libpq(url), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{argv[0]}_failed", f"{argv[0]} 失败", f"{argv[0]} failed: "
                          + done.stderr.strip()[-2000:])


def create(engine: Engine, directory: Path) -> dict:
    """Take a backup of `engine`'s database into `directory` (new or empty) while it serves; its manifest."""
    name = _engine_name(engine)
    directory = Path(directory)
    if directory.exists() and any(directory.iterdir()):
        raise BackupError("backup_dir_not_empty", f"备份目录 {directory} 不为空",
                          f"The folder {directory} is not empty")
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / FILES[name]
    if name == "sqlite":
        raw = engine.raw_connection()
        try:
            copy = sqlite3.connect(target)
            try:
                raw.driver_connection.backup(copy)  # one step: one read snapshot of the whole database
            finally:
                copy.close()
        finally:
            raw.close()
        copied = create_engine(f"sqlite:///{target}")
        try:
            with copied.connect() as conn:
                found = inventory(conn)
        finally:
            copied.dispose()
    else:
        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
                found = inventory(conn)
                _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot}",
                      f"--file={target}"], engine.url)
    manifest = {"format": FORMAT, "created": clock.now().strftime("%Y-%m-%dT%H:%M:%SZ"), "engine": name, **found,
                "file": {"name": target.name, "bytes": target.stat().st_size, "sha256": _sha256(target)}}
    partial = directory / f".{MANIFEST}.partial"
    partial.write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n")
    os.replace(partial, directory / MANIFEST)
    return manifest


def read_manifest(directory: Path) -> dict:
    path = Path(directory) / MANIFEST
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError):
        raise BackupError("not_a_backup", f"{directory} 不是完整的家信备份（缺少 manifest.json）",
                          f"{directory} is no complete Jiaxin backup (no readable manifest.json)") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or manifest.get("engine") not in FILES:
        raise BackupError("not_a_backup", f"{directory} 不是家信备份", f"{directory} is no Jiaxin backup")
    return manifest


def _is_empty(engine: Engine) -> bool:
    if engine.dialect.name == "sqlite":
        path = engine.url.database
        if not path or path == ":memory:" or not Path(path).exists():
            return True
    with engine.connect() as conn:
        return not inspect(conn).get_table_names()


def restore(engine: Engine, directory: Path, ring: KeyRing, origin: str) -> Restored:
    """Restore the backup in `directory` into `engine`'s empty database, then count, compare and verify it.

    Must run in an app context whose database is `engine`'s (the verification reads through the session)."""
    directory = Path(directory)
    manifest = read_manifest(directory)
    name = _engine_name(engine)
    if manifest["engine"] != name:
        raise BackupError("engine_mismatch",
                          f"这是 {manifest['engine']} 的备份，目标数据库是 {name}（换数据库请用 db move）",
                          f"A {manifest['engine']} backup cannot restore into {name} (`flask db move` moves engines)")
    source = directory / manifest["file"]["name"]
    if not source.is_file() or _sha256(source) != manifest["file"]["sha256"]:
        raise BackupError("backup_damaged", f"备份文件 {source.name} 缺失或已损坏（摘要不符）",
                          f"The backup's file {source.name} is missing or damaged (its SHA-256 differs)")
    if not _is_empty(engine):
        raise BackupError("database_not_empty", "目标数据库不为空，未恢复任何内容",
                          "The target database is not empty: nothing was restored")
    engine.dispose()
    if name == "sqlite":
        origin_db = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        target = sqlite3.connect(engine.url.database)
        try:
            origin_db.backup(target)
        finally:
            target.close()
            origin_db.close()
    else:
        _run(["pg_restore", "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error",
              f"--dbname={engine.url.database}", str(source)], engine.url)
    return check(engine, manifest, ring, origin)


def check(engine: Engine, manifest: dict, ring: KeyRing, origin: str) -> Restored:
    """Count `engine`'s tables against `manifest`, compare the latest checkpoint, and verify the log."""
    from ..extensions import db
    from ..log.verify import verify_local

    with engine.connect() as conn:
        found = inventory(conn)
    wanted, got = manifest["tables"], found["tables"]
    restored = Restored(manifest=manifest, counts=got)
    restored.mismatched = {t: (wanted.get(t), got.get(t)) for t in sorted(set(wanted) | set(got))
                           if wanted.get(t) != got.get(t)}
    restored.checkpoint_ok = found["checkpoint"] == manifest["checkpoint"]
    db.session.remove()
    report = verify_local(ring, origin)
    db.session.rollback()
    restored.failures = list(report.failures)
    return restored
