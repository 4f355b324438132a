"""A test database's rows saved once and put back before each test that starts from them.

Some tests start from a large world made through the real services (tests/support/api_world.py makes one with
~70 commits, each keeping its credit scores): ~3 s a test, several hundred times. Saving what that world left in
the database once a run and writing it back costs ~0.1 s instead; the rows written back are exactly the rows the
services made (raw column values, no type processing: ciphertexts, digests and log hashes stay byte for byte).

- SQLite: the rows are held in memory as the driver returns them (int, float, str, bytes, None) and inserted back.
- PostgreSQL: the rows are copied into a schema of their own on the server and copied back with `INSERT … SELECT`,
  then every serial key's sequence is set past its table's largest key.

`restore` first empties every table (as the `app` fixture does). The Python objects a world keeps are saved with
`freeze` and made anew with `thaw`: mapped rows are kept as their class and key, and fetched again from the
restored database, so no test sees another test's session; the test's factory and clock are each test's own.
`made_once` and `world_once` put it together.
"""
from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field, is_dataclass
from types import SimpleNamespace
from typing import Any, TypeVar

from sqlalchemy import inspect, text

from registry.extensions import db

T = TypeVar("T")
# made_once's: name -> (the registry's day it was made, its snapshot, what `save` kept).
_MADE: dict[str, tuple] = {}


def _tables():
    return list(db.metadata.sorted_tables)


_SERIALS: dict[str, list[tuple[str, str, str]]] = {}


def _serial_columns(conn) -> list[tuple[str, str, str]]:
    """(table, column, sequence) of every PostgreSQL serial primary key (looked up once per database)."""
    key = conn.engine.url.render_as_string()
    if key in _SERIALS:
        return _SERIALS[key]
    out = _SERIALS[key] = []
    for t in _tables():
        for c in t.primary_key.columns:
            seq = conn.execute(text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": t.name, "c": c.name}).scalar()
            if seq:
                out.append((t.name, c.name, seq))
    return out


@dataclass
class Snapshot:
    name: str
    rows: dict[str, tuple[list[str], list[tuple]]] = field(default_factory=dict)  # SQLite only

    @property
    def _schema(self) -> str:
        return f"jx_snapshot_{self.name}"

    @classmethod
    def take(cls, name: str) -> Snapshot:
        """Save every table's committed rows under `name` (a word: letters, digits, "_")."""
        if not name.replace("_", "").isalnum():
            raise ValueError(f"a snapshot's name is a word, not {name!r}")
        snap = cls(name)
        db.session.commit()
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                script = [f'DROP SCHEMA IF EXISTS "{snap._schema}" CASCADE', f'CREATE SCHEMA "{snap._schema}"']
                script += [f'CREATE TABLE "{snap._schema}"."{t.name}" AS TABLE "{t.name}"' for t in _tables()]
                conn.exec_driver_sql("; ".join(script))
            else:
                for t in _tables():
                    cur = conn.exec_driver_sql(f'SELECT * FROM "{t.name}"')
                    snap.rows[t.name] = ([d[0] for d in cur.cursor.description], [tuple(r) for r in cur])
        return snap

    def restore(self) -> None:
        """Empty every table and write the saved rows back, in one transaction."""
        db.session.remove()
        tables = _tables()
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                script = [f'DELETE FROM "{t.name}"' for t in reversed(tables)]
                script += [f'INSERT INTO "{t.name}" SELECT * FROM "{self._schema}"."{t.name}"' for t in tables]
                script += [f"SELECT setval('{seq}', COALESCE((SELECT max(\"{col}\") FROM \"{table}\"), 0) + 1, false)"
                           for table, col, seq in _serial_columns(conn)]
                conn.exec_driver_sql("; ".join(script))
                return
            for t in reversed(tables):
                conn.exec_driver_sql(f'DELETE FROM "{t.name}"')
            for t in tables:
                columns, rows = self.rows[t.name]
                if rows:
                    names = ", ".join(f'"{c}"' for c in columns)
                    marks = ", ".join("?" for _ in columns)
                    conn.exec_driver_sql(f'INSERT INTO "{t.name}" ({names}) VALUES ({marks})', rows)

    def drop(self) -> None:
        """Forget the saved rows (on PostgreSQL, drop their schema)."""
        self.rows.clear()
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{self._schema}" CASCADE')


@dataclass(frozen=True)
class _Row:
    """A mapped object, kept as its class and primary key."""
    cls: type
    key: tuple


@dataclass(frozen=True)
class _Obj:
    """A test's own object, a dataclass or a namespace (a world, a new account and its password), kept as its class
    and frozen attributes."""
    cls: type
    attrs: dict


def _sequence(value, items):
    return type(value)(*items) if hasattr(value, "_fields") else type(value)(items)


@dataclass(frozen=True)
class _Given:
    """An object the caller gives anew on thawing (this test's factory, clock), kept by its name."""
    name: str


def freeze(value, given: dict[str, object] | None = None):
    """`value` with every mapped row in it (in dicts, lists, tuples, sets, and the tests' own objects) kept as its
    class and key, and each object of `given` (by identity) as its name; the rest copied."""
    given = given or {}
    for name, obj in given.items():
        if value is obj:
            return _Given(name)
    state = inspect(value, raiseerr=False)
    if state is not None and getattr(state, "identity", None) is not None:
        return _Row(type(value), state.identity)
    if isinstance(value, dict):
        return {k: freeze(v, given) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return _sequence(value, [freeze(v, given) for v in value])
    if hasattr(value, "__dict__") and not isinstance(value, type) and (
            type(value).__module__.startswith("tests.") or is_dataclass(value) or isinstance(value, SimpleNamespace)):
        return _Obj(type(value), {k: freeze(v, given) for k, v in vars(value).items()})
    return copy.deepcopy(value)


def thaw(value, given: dict[str, object] | None = None):
    """A `freeze`d value again, each mapped row fetched from the database and each given object this call's."""
    if isinstance(value, _Given):
        return (given or {})[value.name]
    if isinstance(value, _Row):
        return db.session.get(value.cls, value.key)
    if isinstance(value, _Obj):
        obj = value.cls.__new__(value.cls)
        vars(obj).update({k: thaw(v, given) for k, v in value.attrs.items()})
        return obj
    if isinstance(value, dict):
        return {k: thaw(v, given) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return _sequence(value, [thaw(v, given) for v in value])
    return copy.deepcopy(value)


def made_once(name: str, make: Callable[[], T], *, save: Callable[[T], Any] = copy.deepcopy,
              load: Callable[[Any], T] = copy.deepcopy) -> T:
    """What `make()` makes in the database, made once a run (again when the registry's day turns, since worlds are
    dated from it): the first call makes it, saves the database (`Snapshot`) and `save(value)`, and returns the
    value; every later call writes the saved rows back and returns `load(saved)`."""
    from registry.clock import today

    made = _MADE.get(name)
    if made is not None and made[0] == today():
        made[1].restore()
        return load(made[2])
    if made is not None:
        made[1].drop()
    day = today()
    value = make()
    _MADE[name] = (day, Snapshot.take(name), save(value))
    return value


def world_once(name: str, make: Callable[[], T], *, factory, clock=None) -> T:
    """`made_once` for a test's world (a value, dict or object of the tests' own holding mapped rows): with it are
    kept the registry clock's state (the `clock` fixture's, when given) and the factory's state (the USCCs it makes
    next, the regulators it made), both put back for each test; where the world holds the factory or the
    clock, each test's own."""
    def given():
        return {"factory": factory, "clock": clock} if clock is not None else {"factory": factory}

    def factory_state():
        return {k: v for k, v in vars(factory).items() if k not in ("app", "ring")}

    def save(value):
        return freeze(value, given()), clock.state() if clock is not None else None, freeze(factory_state())

    def load(saved):
        value, moment, factory_saved = saved
        if clock is not None:
            clock.set_state(moment)
        vars(factory).update(thaw(factory_saved))
        return thaw(value, given())

    return made_once(name, make, save=save, load=load)
