"""What the domains' `flask …` commands share: answering a refused service call on the command line."""
from __future__ import annotations

import click

from .errors import ApiError


def fail(exc: ApiError):
    """Stop the command with the service's English message and the fields at fault (exit 1)."""
    fields = "; ".join(f"{k}: {v['en']}" for k, v in exc.fields.items())
    raise click.ClickException(f"{exc.en} {fields}".strip())
