"""The move from SQLite to PostgreSQL: every table copied in committed, resumable batches, then counted and verified.

The order of a move (`flask db move --to URL`, registry/move/cli.py):

1. checks that change nothing: the source is SQLite at the code's newest migration, the target is PostgreSQL and
   holds nothing (no tables, or the migrations' own and no rows), or this very move's unfinished copy;
2. the marker set in the source (`marker`): from here every process answers writes 503 `registry_moving`;
3. the target brought to the source's migration by the project's own migrations (never `create_all`: the schema,
   its indexes and constraint names are exactly what `flask db upgrade` makes);
4. SQLite's write lock taken and held to the end, on the connection the copy reads through: in-flight writes
   finish first, and nothing writes after, whether or not it asks about the marker;
5. each table in foreign-key order, keyset-paged by its primary key: a batch read, inserted into the target, and
   its progress (rows copied, last key) updated in the same target transaction, so a move killed at any point
   resumes after its last committed batch and never copies a row twice;
6. every serial key's sequence set past its table's largest key;
7. every table counted on both sides, the latest checkpoint (size, root, note) compared, and the log verified on
   the target with the keys (`verify_local`, as `log verify`).

Values are read and written through the models' tables, so each converts: SQLite's ISO-text dates and times become
`date` and `timestamptz`, its 0/1 `boolean`. JSON and decimals go across as their stored text (`CAST(… AS json)`):
a JSON `null` stays a JSON null and SQL NULL stays NULL, which decoding and encoding again would confuse.
"""
from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Numeric,
    Table,
    Text,
    bindparam,
    cast,
    create_engine,
    func,
    inspect,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from .. import clock
from ..apps import another_app
from ..backup.services import inventory
from ..extensions import db
from .models import DbMove, DbMoveProgress

# The move's own bookkeeping, and alembic's row, which the target's migrations write themselves.
NOT_COPIED = frozenset({"alembic_version", DbMove.__tablename__, DbMoveProgress.__tablename__})
# What the migrations write into an empty database besides their schema: the log's head row (0001), which the
# source's replaces.
SEEDED = {"log_head": "size = 0"}
DEFAULT_BATCH = 2000


class MoveError(ValueError):
    """A move refused before it changed anything; `code` names why, the message is in both languages."""

    def __init__(self, code: str, zh: str, en: str):
        super().__init__(f"{zh} / {en}")
        self.code, self.zh, self.en = code, zh, en


def copied_tables() -> list[Table]:
    """The tables a move copies, parents before children (the models' foreign keys)."""
    return [t for t in db.metadata.sorted_tables if t.name not in NOT_COPIED]


def shown(url: URL) -> str:
    """A database's URL as it may be printed and stored: without its password."""
    return url.render_as_string(hide_password=True)


def target_url(raw: str) -> URL:
    """The target's URL, which must name a PostgreSQL database (psycopg 3 when no driver is named)."""
    try:
        url = make_url(raw)
    except ArgumentError:
        url = None
    if url is None or url.get_backend_name() != "postgresql" or not url.database:
        raise MoveError("target_not_postgresql", "目标必须是 PostgreSQL 数据库（postgresql+psycopg://用户@主机/库名）",
                        "The target must be a PostgreSQL database (postgresql+psycopg://user@host/name)")
    return url.set(drivername="postgresql+psycopg") if url.drivername == "postgresql" else url


def check_source(source: Engine, newest: str) -> str:
    """The source's migration, after checking it is SQLite at the code's `newest` migration with no table the code
    does not know (which the copy would leave behind)."""
    if source.dialect.name != "sqlite":
        raise MoveError("source_not_sqlite", f"只能从 SQLite 迁出，当前数据库是 {source.dialect.name}",
                        f"A move starts from SQLite; the configured database is {source.dialect.name}")
    with source.connect() as conn:
        names = set(inspect(conn).get_table_names())
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar() \
            if "alembic_version" in names else None
    if revision != newest:
        raise MoveError("schema_not_current",
                        f"源数据库的迁移版本是 {revision}，不是最新的 {newest}：请先运行 flask db upgrade",
                        f"The source is at migration {revision}, not the newest, {newest}: run `flask db upgrade` "
                        "first")
    unknown = sorted(names - NOT_COPIED - {t.name for t in copied_tables()})
    if unknown:
        raise MoveError("unknown_table", f"源数据库有程序不认识的表：{', '.join(unknown)}",
                        f"The source holds tables the code does not know: {', '.join(unknown)}")
    return revision


def check_target(target: Engine, revision: str, move_id: str | None) -> str:
    """What the target holds: "empty" (no tables), "migrated" (the source's schema and no rows but the migrations'
    own) or "resume" (this move's unfinished copy). Anything else is refused: another registry's data, another
    move's copy, another migration."""
    with target.connect() as conn:
        names = set(inspect(conn).get_table_names())
        if not names:
            return "empty"
        found = conn.execute(text("SELECT version_num FROM alembic_version")).scalar() \
            if "alembic_version" in names else None
        if found != revision:
            raise MoveError("schema_mismatch", f"目标数据库的迁移版本是 {found}，与源数据库的 {revision} 不同",
                            f"The target is at migration {found}, the source at {revision}")
        moves = set(conn.execute(select(DbMoveProgress.move_id).distinct()).scalars())
        if moves and moves == {move_id}:
            return "resume"
        holding = moves and "db_move_progress" or next(
            (t.name for t in copied_tables() if conn.execute(text(
                f'SELECT 1 FROM "{t.name}"'  # noqa: S608 — our own table names
                + (f" WHERE NOT ({SEEDED[t.name]})" if t.name in SEEDED else "") + " LIMIT 1")).first()), None)
    if holding:
        raise MoveError("target_not_empty",
                        f"目标数据库已有数据（{holding}），未做任何改动：请用一个新建的空数据库",
                        f"The target already holds data ({holding}); nothing was changed. Move into a new, empty "
                        "database")
    return "migrated"


def set_marker(source: Engine, url: URL) -> str:
    """Mark the source as moving to `url` (committed); the move's id."""
    from ..database import write_intent
    from ..models import new_ref

    move_id = new_ref()
    with write_intent(), source.begin() as conn:
        conn.execute(DbMove.__table__.insert().values(move_id=move_id, target=shown(url), state="moving",
                                                      started_dt=clock.now()))
    return move_id


def abandon(source: Engine) -> str | None:
    """Remove an unfinished move's marker, so the source takes writes again; the target it named (None: no move).
    A finished move is not undone: the registry runs on its target, and writes here would fork it."""
    from ..database import write_intent
    from .marker import read

    found = read(source)
    if found is None:
        return None
    if found.state == "moved":
        raise MoveError("move_finished",
                        f"迁移已完成（{found.target}）：登记系统已在新数据库上运行，不能再向旧库写入",
                        f"The move to {found.target} finished: the registry runs there now, and writing here again "
                        "would fork it")
    with write_intent(), source.begin() as conn:
        conn.execute(DbMove.__table__.delete())
    return found.target


@contextlib.contextmanager
def holding_still(source: Engine) -> Iterator[Connection]:
    """A connection to the source in a transaction holding SQLite's write lock: in-flight writes finish first (up
    to the busy timeout), none begins until the block ends. The block commits what it wrote (the marker's state)."""
    from ..database import write_intent

    with write_intent():
        conn = source.connect()
        try:
            try:
                transaction = conn.begin()
            except OperationalError:
                raise MoveError("source_busy", "源数据库一直有写入在进行，无法开始迁移，请稍后重试",
                                "The source stayed busy with a write past the busy timeout; try the move again") \
                    from None
            try:
                yield conn
                transaction.commit()
            except BaseException:
                transaction.rollback()
                raise
        finally:
            conn.close()


def _encode(values) -> list:
    return [v.isoformat() if isinstance(v, date | datetime) else v for v in values]


def _decode(values: list | None, table: Table) -> tuple | None:
    if values is None:
        return None
    out = []
    for column, value in zip(table.primary_key.columns, values, strict=True):
        python = column.type.python_type
        out.append(python.fromisoformat(value) if python in (date, datetime) and value is not None else value)
    return tuple(out)


def _as_text(column) -> bool:
    """Columns that go across as their stored text (see the module's docstring)."""
    return isinstance(column.type, JSON | Numeric)


def _reader(table: Table):
    return select(*[cast(c, Text).label(c.name) if _as_text(c) else c for c in table.columns])


def _writer(table: Table):
    return table.insert().values({
        c.name: cast(bindparam(f"v{i}", type_=Text), c.type) if _as_text(c) else bindparam(f"v{i}", type_=c.type)
        for i, c in enumerate(table.columns)})


def begin_copy(source_conn: Connection, target: Engine, move_id: str) -> dict[str, int]:
    """Record a new move's progress in the target (every table's row count, nothing copied yet) and drop the rows the
    migrations seeded, in one transaction; the counts."""
    tables = copied_tables()
    counts = {t.name: source_conn.execute(select(func.count()).select_from(t)).scalar_one() for t in tables}
    now = clock.now()
    with target.begin() as conn:
        for name in SEEDED:
            conn.execute(text(f'DELETE FROM "{name}"'))  # noqa: S608 — our own table name
        conn.execute(DbMoveProgress.__table__.insert(), [
            {"move_id": move_id, "table_name": t.name, "position": i, "total": counts[t.name], "copied": 0,
             "last_key": None, "done": False, "updated_dt": now} for i, t in enumerate(tables)])
    return counts


@dataclass
class Progress:
    totals: dict[str, int]
    copied: dict[str, int]
    done: set[str]
    last_keys: dict[str, list | None]

    @property
    def total(self) -> int:
        return sum(self.totals.values())

    @property
    def rows_copied(self) -> int:
        return sum(self.copied.values())


def progress(target: Engine, move_id: str) -> Progress:
    with target.connect() as conn:
        rows = conn.execute(select(DbMoveProgress).where(DbMoveProgress.move_id == move_id)).all()
    return Progress({r.table_name: r.total for r in rows}, {r.table_name: r.copied for r in rows},
                    {r.table_name for r in rows if r.done}, {r.table_name: r.last_key for r in rows})


def check_unchanged(source_conn: Connection, found: Progress) -> None:
    """A resumed move's source must hold what it held when the move began (something that ignored the marker may
    have written while no move held the lock)."""
    changed = [t.name for t in copied_tables()
               if source_conn.execute(select(func.count()).select_from(t)).scalar_one() != found.totals.get(t.name)]
    if changed:
        raise MoveError("source_changed",
                        f"迁移中断后源数据库有了变化（{', '.join(changed)}）：请用 --abandon 放弃，"
                        "换一个新的空库重新迁移",
                        f"The source changed while the move was interrupted ({', '.join(changed)}): abandon it "
                        "(--abandon) and move again into a new, empty database")


def copy_tables(source_conn: Connection, target: Engine, move_id: str, *, batch: int = DEFAULT_BATCH,
                on_batch: Callable[[str, int], None] = lambda _t, _n: None, pause: float = 0.0) -> None:
    """Copy every table not yet done, after its last committed key, `batch` rows a target transaction; each batch's
    progress is written in its transaction. `on_batch(table, rows)` after each commit."""
    found = progress(target, move_id)
    for table in copied_tables():
        if table.name in found.done:
            continue
        key_columns = list(table.primary_key.columns)
        key = _decode(found.last_keys.get(table.name), table)
        reader, writer = _reader(table).order_by(*key_columns).limit(batch), _writer(table)
        names = [c.name for c in table.columns]
        while True:
            query = reader if key is None else reader.where(tuple_(*key_columns) > tuple_(*key))
            rows = source_conn.execute(query).all()
            if rows:
                position = {name: i for i, name in enumerate(names)}
                key = tuple(rows[-1][position[c.name]] for c in key_columns)
            finished = len(rows) < batch
            with target.begin() as conn:
                if rows:
                    conn.execute(writer, [{f"v{i}": value for i, value in enumerate(row)} for row in rows])
                conn.execute(update(DbMoveProgress).where(DbMoveProgress.move_id == move_id,
                                                          DbMoveProgress.table_name == table.name)
                             .values(copied=DbMoveProgress.copied + len(rows),
                                     last_key=_encode(key) if key is not None else None, done=finished,
                                     updated_dt=clock.now()))
            on_batch(table.name, len(rows))
            if finished:
                break
            if pause:
                time.sleep(pause)


def set_sequences(target: Engine) -> int:
    """Set every serial key's sequence past its table's largest key (the next insert must not collide with a copied
    row); how many."""
    done = 0
    with target.begin() as conn:
        for table in copied_tables():
            for column in table.primary_key.columns:
                sequence = conn.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                        {"t": table.name, "c": column.name}).scalar()
                if sequence is None:
                    continue
                largest = f'(SELECT max("{column.name}") FROM "{table.name}")'  # noqa: S608 — our own names
                conn.execute(text(f"SELECT setval(:s, COALESCE({largest}, 1), {largest} IS NOT NULL)"),
                             {"s": sequence})
                done += 1
    return done


@dataclass
class Compared:
    source: dict  # inventory(): schema, tables, checkpoint
    target: dict
    # table → (source rows, target rows), for every table whose count differs
    mismatched: dict[str, tuple[int | None, int | None]] = field(default_factory=dict)
    checkpoint_ok: bool = True
    failures: list[str] = field(default_factory=list)  # what `log verify` found on the target

    @property
    def ok(self) -> bool:
        return not self.mismatched and self.checkpoint_ok and not self.failures


def compare(source_conn: Connection, target: Engine) -> Compared:
    """Every copied table's row count and the latest checkpoint (size, root, note), on both sides."""
    mine = inventory(source_conn)
    with target.connect() as conn:
        theirs = inventory(conn)
    wanted = {t: n for t, n in mine["tables"].items() if t not in NOT_COPIED}
    got = {t: n for t, n in theirs["tables"].items() if t not in NOT_COPIED}
    return Compared(mine, theirs, {t: (wanted.get(t), got.get(t)) for t in sorted(set(wanted) | set(got))
                                   if wanted.get(t) != got.get(t)},
                    checkpoint_ok=mine["checkpoint"] == theirs["checkpoint"] and mine["schema"] == theirs["schema"])


def finish(source_conn: Connection) -> None:
    """Mark the move done in the source (within the held transaction; committed with it). The marker stays: the
    registry runs on the target now, and this file must take no more writes."""
    source_conn.execute(update(DbMove).values(state="moved", finished_dt=clock.now()))


@contextlib.contextmanager
def app_on(base_config: dict, url: URL) -> Iterator:
    """This registry's application on another database (for the target's migrations and `log verify`)."""
    with another_app({**base_config, "SQLALCHEMY_DATABASE_URI": url.render_as_string(hide_password=False)}) as app:
        yield app


def target_engine(url: URL) -> Engine:
    return create_engine(url, pool_pre_ping=True)
