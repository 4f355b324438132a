"""What the objection handlers of the three kinds share, API and pages: a filing's larger body, its documents, the
answer to a filing, the lists, a document's download. The handlers stay thin and each kind's own: who may read,
which record, which service function; these are only the lines they would otherwise repeat."""
from __future__ import annotations

from collections.abc import Callable, Iterable

from flask import Response, request

from .. import clock
from ..accounts.auth import bearer_account
from ..api_util import commit
from ..attachments import rules as attachment_rules
from ..attachments import services as attachments
from ..calendar import services as calendar
from ..companies import services as companies
from ..companies.access import require_member
from ..keys import keyring
from .core import Filed


def allow_documents(blueprint, endpoints: Iterable[str]) -> None:
    """Let the filings' bodies (`endpoints`) carry five documents of the full 5 MiB (MAX_CONTENT_LENGTH is
    smaller): set before anything reads the form, the pages' CSRF check included."""
    endpoints = tuple(endpoints)

    @blueprint.url_value_preprocessor
    def _body_limit(endpoint, _values):
        if endpoint in endpoints:
            request.max_content_length = attachment_rules.body_limit()


def uploaded() -> list[bytes]:
    """The API request's `documents` parts' bytes (each read to one byte past the limit: a larger file is refused
    by size)."""
    return [f.read(attachment_rules.MAX_BYTES + 1) for f in request.files.getlist("documents")]


def company_member(uscc: str):
    """The bearer account and its company: 404 for an unknown company, 403 for anyone not its member."""
    account = bearer_account()
    company = companies.get_company(uscc)
    require_member(account, company)
    return account, company


def filed_answer(filed: Filed) -> dict:
    """A filing's answer — its log_index, the objection's ref and state — after committing it."""
    out = {"log_index": filed.recorded.seq, "ref": filed.objection.ref, "state": filed.objection.state}
    commit()
    return out


def views(view: Callable[..., dict], objections) -> list[dict]:
    """Each objection as `view` shows it today, deadlines on one read of the calendar."""
    ring, day, using = keyring(), clock.today(), calendar.schedule()
    return [view(ring, o, day, using=using) for o in objections]


def download(row, position: int) -> Response:
    """A document as a download, never cached, never sniffed into something a browser would run."""
    return Response(attachments.open_content(keyring(), row), mimetype=row.content_type, headers={
        "Content-Disposition": f'attachment; filename="objection-{position}"', "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff"})
