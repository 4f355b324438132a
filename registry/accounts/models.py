"""Agencies, accounts and API tokens.

Accounts are not aggregates of their own: a company's users sit inside the
company aggregate and a regulator's (or the operator's) inside its agency's,
so adding a user, resetting a password or issuing a token changes exactly one
aggregate and writes one log entry.
"""
from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import clock
from ..extensions import db
from ..models import LoggedAggregate, UTCDateTime, new_ref
from .roles import TOTP_ROLES

SECTORS = ("housekeeping", "property", "market")


class Agency(LoggedAggregate, db.Model):
    """A regulator (商务, 住建, 市场监管) or the registry operator."""

    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    name_zh: Mapped[str] = mapped_column(String(200), nullable=False)
    name_en: Mapped[str] = mapped_column(String(200), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    # None for the operator; the sector whose companies this regulator oversees.
    sector: Mapped[str | None] = mapped_column(String(16))
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=clock.now)

    accounts: Mapped[list[Account]] = relationship(back_populates="agency", order_by="Account.id")


class Account(UserMixin, db.Model):
    """A person who signs in: a company user, a regulator or an operator."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The opaque reference the log names as `actor`.
    ref: Mapped[str] = mapped_column(String(32), unique=True, nullable=False, default=new_ref)
    login: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    role: Mapped[str] = mapped_column(String(24), nullable=False)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), index=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    # The person's real name: personal data, sealed, with its state HMAC.
    name_enc: Mapped[str] = mapped_column(Text, nullable=False)
    name_state: Mapped[str] = mapped_column(String(64), nullable=False)
    password_hash: Mapped[str] = mapped_column(Text, nullable=False)
    must_change_password: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    totp_enc: Mapped[str | None] = mapped_column(Text)
    totp_state: Mapped[str | None] = mapped_column(String(64))
    # The last TOTP time step accepted, so a code cannot be replayed (not in the canonical state).
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    disabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=clock.now)
    # Sign-ins are not state changes: kept out of the canonical state.
    last_login_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    agency: Mapped[Agency | None] = relationship(back_populates="accounts")
    company = relationship("Company", back_populates="accounts")
    tokens: Mapped[list[ApiToken]] = relationship(back_populates="account", order_by="ApiToken.id")

    @property
    def is_active(self) -> bool:  # Flask-Login
        return not self.disabled

    def get_id(self) -> str:
        # The session names the account by its ref, never by a guessable id.
        return self.ref

    @property
    def needs_totp(self) -> bool:
        return self.role in TOTP_ROLES

    @property
    def aggregate(self):
        """The aggregate this account belongs to (company or agency)."""
        return self.company if self.company_id else self.agency


class ApiToken(db.Model):
    """A named bearer token; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    prefix: Mapped[str] = mapped_column(String(12), nullable=False)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=clock.now)
    revoked_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Use is not a state change: kept out of the canonical state.
    last_used_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    account: Mapped[Account] = relationship(back_populates="tokens")


class AccountSession(db.Model):
    """A signed-in browser: the SHA-256 of the random id its (signed) session cookie holds, never the id.

    A session lives while its row does and is within the idle and absolute
    lifetimes: signing out deletes the row; a password change or reset, a TOTP
    reset and disabling the account delete every row of the account. Unlogged,
    like worker sessions: a sign-in is a credential, not business state.
    """

    __tablename__ = "account_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), nullable=False, index=True)
    # Password checked, TOTP not yet: such a row signs nobody in; it only lets the TOTP step finish.
    pending: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # Wrong TOTP codes entered for a pending row. Counted here, not in the cookie, so replaying an older
    # copy of the cookie does not reset the count.
    wrong_codes: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=clock.now)
    last_seen_dt: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=clock.now)
