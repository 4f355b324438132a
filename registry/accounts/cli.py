"""`flask --app wsgi agencies …` and `flask --app wsgi tokens …`: agencies and their users, API tokens."""
from __future__ import annotations

import json

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from ..cli_util import fail
from ..errors import ApiError
from ..extensions import db
from ..keys import keyring
from ..log.services import SYSTEM_ACTOR
from . import services
from .models import Account, Agency, ApiToken
from .roles import AGENCY_KINDS, AGENCY_ROLES, in_order

agencies_cli = AppGroup("agencies", help="Regulators and the operator, and their users.")
tokens_cli = AppGroup("tokens", help="API tokens.")


def _account(login: str) -> Account:
    account = db.session.execute(select(Account).where(Account.login == login)).scalar_one_or_none()
    if account is None:
        raise click.ClickException(f"no account {login!r}")
    return account


@agencies_cli.command("create")
@click.argument("code")
@click.option("--name-zh", required=True)
@click.option("--name-en", required=True)
@click.option("--kind", type=click.Choice(AGENCY_KINDS), required=True)
@click.option("--sector", type=click.Choice(["housekeeping", "property", "market"]))
def agencies_create(code, name_zh, name_en, kind, sector):
    """Create an agency."""
    try:
        _agency, recorded = services.create_agency(keyring(), actor=SYSTEM_ACTOR, code=code, name_zh=name_zh,
                                                   name_en=name_en, kind=kind, sector=sector)
    except ApiError as exc:
        fail(exc)
    db.session.commit()
    click.echo(f"agency {code} created (log index {recorded.seq})")


@agencies_cli.command("add-user")
@click.argument("agency_code")
@click.argument("login")
@click.option("--name", required=True, help="The person's real name (stored encrypted).")
@click.option("--role", type=click.Choice([r.value for r in in_order(AGENCY_ROLES)]), required=True)
def agencies_add_user(agency_code, login, name, role):
    """Create a regulator, regulator admin or operator admin; prints the one-time secrets."""
    agency = db.session.execute(select(Agency).where(Agency.code == agency_code)).scalar_one_or_none()
    if agency is None:
        raise click.ClickException(f"no agency {agency_code!r}")
    try:
        new = services.add_agency_user(keyring(), actor=None, agency=agency, login=login, name=name, role=role)
    except ApiError as exc:
        fail(exc)
    db.session.commit()
    click.echo(json.dumps({"login": login, "role": role, "temporary_password": new.password,
                           "totp_secret": new.totp_secret, "log_index": new.recorded.seq}))


@tokens_cli.command("issue")
@click.argument("login")
@click.argument("name")
def tokens_issue(login, name):
    """Issue a named token for an account and print it (shown once)."""
    try:
        _token, raw, _rec = services.issue_token(keyring(), account=_account(login), name=name)
    except ApiError as exc:
        fail(exc)
    db.session.commit()
    click.echo(raw)


@tokens_cli.command("list")
@click.argument("login", required=False)
def tokens_list(login):
    """List the tokens of LOGIN, or of every account: id, prefix, name, account, created, state, last use.

    Only what identifies a token is shown; the token itself is never stored.
    """
    query = select(ApiToken, Account.login).join(Account, Account.id == ApiToken.account_id).order_by(ApiToken.id)
    if login is not None:
        query = query.where(ApiToken.account_id == _account(login).id)
    rows = db.session.execute(query).all()
    if not rows:
        click.echo("no tokens / 没有令牌", err=True)
    for t, owner in rows:
        state = f"revoked {t.revoked_dt:%Y-%m-%d %H:%M}" if t.revoked_dt else "active"
        used = f"{t.last_used_dt:%Y-%m-%d %H:%M}" if t.last_used_dt else "never"
        click.echo(f"{t.id}\t{t.prefix}…\t{t.name}\t{owner}\tcreated {t.created_dt:%Y-%m-%d %H:%M}\t{state}"
                   f"\tlast used {used}")


@tokens_cli.command("revoke")
@click.argument("login")
@click.argument("token_id", type=int)
def tokens_revoke(login, token_id):
    """Revoke one of an account's tokens."""
    try:
        recorded = services.revoke_token(keyring(), account=_account(login), token_id=token_id)
    except ApiError as exc:
        fail(exc)
    db.session.commit()
    click.echo(f"revoked (log index {recorded.seq})")


def register_cli(app: Flask) -> None:
    """Add the `agencies` and `tokens` command groups to the app."""
    app.cli.add_command(agencies_cli)
    app.cli.add_command(tokens_cli)
