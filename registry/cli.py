"""Flask commands: keys, demo data, accounts, tokens, tasks."""
import click
from flask import Flask, current_app


def register(app: Flask) -> None:
    @app.cli.group("keys")
    def keys_group():
        """Manage the keys in REGISTRY_KEYS_DIR."""

    @keys_group.command("init")
    def keys_init():
        """Create every missing key."""
        from . import keyring

        made = keyring().ensure_all()
        click.echo(f"keys in {current_app.config['KEYS_DIR']}: created {', '.join(made) or 'none'}", err=True)
