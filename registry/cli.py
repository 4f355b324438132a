"""Flask commands: keys, demo data, agencies and accounts, tokens, outbox, tasks."""
from __future__ import annotations

import json
import sys

import click
from flask import Flask, current_app
from sqlalchemy import select

from .accounts.roles import AGENCY_KINDS, AGENCY_ROLES, in_order
from .errors import ApiError


def _ring():
    from . import keyring

    return keyring()


def _fail(exc: ApiError):
    fields = "; ".join(f"{k}: {v['en']}" for k, v in exc.fields.items())
    raise click.ClickException(f"{exc.en} {fields}".strip())


def _account(login: str):
    from .accounts.models import Account
    from .extensions import db

    account = db.session.execute(select(Account).where(Account.login == login)).scalar_one_or_none()
    if account is None:
        raise click.ClickException(f"no account {login!r}")
    return account


def register(app: Flask) -> None:
    @app.cli.group("keys")
    def keys_group():
        """Manage the keys in REGISTRY_KEYS_DIR."""

    @keys_group.command("init")
    def keys_init():
        """Create every missing key."""
        made = _ring().ensure_all()
        click.echo(f"keys in {current_app.config['KEYS_DIR']}: created {', '.join(made) or 'none'}", err=True)

    @keys_group.command("rotate")
    @click.argument("purpose")
    @click.option("--queue", is_flag=True, help="Leave the re-encryption to the jobs process instead of running it here.")
    def keys_rotate(purpose, queue):
        """Start using a new key for PURPOSE and move every value to it (resumable)."""
        from .extensions import db
        from .rotation import start_rotation
        from .tasks.progress import run_here

        try:
            key, task = start_rotation(_ring(), purpose, actor="system")
        except ApiError as exc:
            _fail(exc)
        task_id = task.id if task else None
        db.session.commit()
        click.echo(f"{purpose}: new current key {key.id}", err=True)
        if task_id is None:
            click.echo(f"{purpose}: earlier keys stay published to verify what they signed", err=True)
            return
        if queue:
            click.echo(f"queued as task {task_id}; follow it with `flask --app wsgi tasks show {task_id}`", err=True)
            return
        view = run_here(current_app._get_current_object(), task_id, f"re-keying {purpose}")
        result = view["result"] or {}
        click.echo(f"{purpose}: {view['state']}; moved {result.get('moved', 0)} values, "
                   f"retired {', '.join(result.get('retired', [])) or 'none'}", err=True)
        if view["state"] != "done" or result.get("left"):
            raise SystemExit(1)

    @keys_group.command("list")
    def keys_list():
        """List every purpose's keys (ids and states, never the keys)."""
        from .keys import PURPOSES

        ring = _ring()
        for purpose in PURPOSES:
            for key in ring.keys(purpose, fresh=True):
                click.echo(f"{purpose}\t{key.id}\t{key.state}\t{key.created}")

    @app.cli.command("demo")
    @click.option("--json", "as_json", is_flag=True, help="Print the demo accounts and companies; each account gets a fresh token, its earlier demo tokens revoked.")
    @click.option("--if-empty", is_flag=True, help="Seed only when the database holds no agency or company yet.")
    @click.option("--logins", is_flag=True, help="Print the demo accounts as JSON, without issuing tokens.")
    def demo(as_json, if_empty, logins):
        """Make sure the demo data exists (and print it with --json)."""
        from .demo import database_is_empty, demo_json, ensure_demo

        ring = _ring()
        ring.ensure_all()
        if if_empty and not database_is_empty():
            click.echo("database not empty: demo data not seeded", err=True)
        else:
            made = ensure_demo(ring)
            click.echo("demo data " + ("created" if made else "already present"), err=True)
        if as_json or logins:
            sys.stdout.write(json.dumps(demo_json(ring, with_tokens=as_json), ensure_ascii=False) + "\n")

    @app.cli.group("agencies")
    def agencies_group():
        """Regulators and the operator, and their users."""

    @agencies_group.command("create")
    @click.argument("code")
    @click.option("--name-zh", required=True)
    @click.option("--name-en", required=True)
    @click.option("--kind", type=click.Choice(AGENCY_KINDS), required=True)
    @click.option("--sector", type=click.Choice(["housekeeping", "property", "market"]))
    def agencies_create(code, name_zh, name_en, kind, sector):
        """Create an agency."""
        from .accounts import services
        from .extensions import db

        try:
            _agency, recorded = services.create_agency(_ring(), actor="system", code=code, name_zh=name_zh,
                                                       name_en=name_en, kind=kind, sector=sector)
        except ApiError as exc:
            _fail(exc)
        db.session.commit()
        click.echo(f"agency {code} created (log index {recorded.seq})")

    @agencies_group.command("add-user")
    @click.argument("agency_code")
    @click.argument("login")
    @click.option("--name", required=True, help="The person's real name (stored encrypted).")
    @click.option("--role", type=click.Choice([r.value for r in in_order(AGENCY_ROLES)]), required=True)
    def agencies_add_user(agency_code, login, name, role):
        """Create a regulator, regulator admin or operator admin; prints the one-time secrets."""
        from .accounts import services
        from .accounts.models import Agency
        from .extensions import db

        agency = db.session.execute(select(Agency).where(Agency.code == agency_code)).scalar_one_or_none()
        if agency is None:
            raise click.ClickException(f"no agency {agency_code!r}")
        try:
            new = services.add_agency_user(_ring(), actor=None, agency=agency, login=login, name=name, role=role)
        except ApiError as exc:
            _fail(exc)
        db.session.commit()
        click.echo(json.dumps({"login": login, "role": role, "temporary_password": new.password,
                               "totp_secret": new.totp_secret, "log_index": new.recorded.seq}))

    @app.cli.group("tokens")
    def tokens_group():
        """API tokens."""

    @tokens_group.command("issue")
    @click.argument("login")
    @click.argument("name")
    def tokens_issue(login, name):
        """Issue a named token for an account and print it (shown once)."""
        from .accounts import services
        from .extensions import db

        try:
            token, raw, _rec = services.issue_token(_ring(), account=_account(login), name=name)
        except ApiError as exc:
            _fail(exc)
        db.session.commit()
        click.echo(raw)

    @tokens_group.command("list")
    @click.argument("login", required=False)
    def tokens_list(login):
        """List the tokens of LOGIN, or of every account: id, prefix, name, account, created, state, last use.

        Only what identifies a token is shown; the token itself is never stored.
        """
        from .accounts.models import Account, ApiToken
        from .extensions import db

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

    @tokens_group.command("revoke")
    @click.argument("login")
    @click.argument("token_id", type=int)
    def tokens_revoke(login, token_id):
        """Revoke one of an account's tokens."""
        from .accounts import services
        from .extensions import db

        try:
            recorded = services.revoke_token(_ring(), account=_account(login), token_id=token_id)
        except ApiError as exc:
            _fail(exc)
        db.session.commit()
        click.echo(f"revoked (log index {recorded.seq})")

    @app.cli.group("outbox")
    def outbox_group():
        """The development outbox of the notification interface."""

    @outbox_group.command("list")
    @click.option("--limit", default=20, show_default=True)
    def outbox_list(limit):
        """Print the newest messages."""
        from .notify.services import read_outbox

        for m in read_outbox(_ring(), limit):
            click.echo(f"{m['created_dt']:%Y-%m-%d %H:%M:%S}\t{m['kind']}\t{m['recipient']}\t{m['text']}")

    from .imports.cli import register_cli as register_imports_cli
    from .tasks.cli import register_cli

    register_cli(app)
    register_imports_cli(app)
