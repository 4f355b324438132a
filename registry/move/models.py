"""The move's two tables (migration 0037): its marker in the database moved from, its progress in the one moved to.

Both are bookkeeping of the move itself, never copied by it (`services.NOT_COPIED`) and in no aggregate.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..models import UTCDateTime


class DbMove(db.Model):
    """The marker: while a row is here, the database takes no writes (a move is under way, or was done and the
    registry now runs on its target). Set before the copy, kept after it; removed only by `db move --abandon`."""

    __tablename__ = "db_moves"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    move_id: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)
    # The target's URL without its password: a second `db move` to another database is refused while this stands.
    target: Mapped[str] = mapped_column(String(500), nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False)  # moving | moved
    started_dt: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    finished_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DbMoveProgress(db.Model):
    """One table's progress in a move, in the target: its rows copied so far and the last key among them, written in
    the transaction that copies the batch, so a resumed move starts right after it and copies no row twice."""

    __tablename__ = "db_move_progress"

    move_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    table_name: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, nullable=False)  # in foreign-key order
    total: Mapped[int] = mapped_column(BigInteger, nullable=False)  # the source's rows, counted when the move began
    copied: Mapped[int] = mapped_column(BigInteger, nullable=False)
    last_key: Mapped[list | None] = mapped_column(JSON)  # the primary key's values, JSON-able (dates as ISO text)
    done: Mapped[bool] = mapped_column(Boolean, nullable=False)
    updated_dt: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
