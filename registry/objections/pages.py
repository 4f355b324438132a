"""What every objection page does, whatever it objects to (a sanction, a complaint, a review): take the subject's
filing form (reasons and up to 5 documents) or the regulator's step form, run the kind's operation, commit, and
go back to the page with a message. A refusal stores nothing and the page says why, field by field. (The larger
body of a filing and a document's download: `handlers.allow_documents`, `handlers.download`.)
"""
from __future__ import annotations

from collections.abc import Callable

from flask import redirect

from ..attachments import rules as attachment_rules
from ..errors import ApiError
from ..extensions import db
from ..sanctions.forms import ObjectionForm, ObjectionStepForm
from ..web import flash_msg

HANDLED = ("已办理该异议，并记录了理由。", "The objection is handled; the reason is recorded.")


def expired() -> ApiError:
    return ApiError(400, "invalid_form", "表单已过期，请重试。", "The form expired: please try again.")


def files_of(form: ObjectionForm) -> list[bytes]:
    """The uploaded documents' bytes, each read one byte past the limit so the service can refuse it."""
    return [f.read(attachment_rules.MAX_BYTES + 1) for f in (form.documents.data or []) if getattr(f, "filename", "")]


def flash_error(exc: ApiError) -> None:
    """Nothing of the refused operation stays; the page says why, field by field."""
    db.session.rollback()
    flash_msg(exc.zh, exc.en, "error")
    for text in (exc.fields or {}).values():
        flash_msg(text["zh"], text["en"], "error")


def file_then_back(run: Callable[[str | None, list[bytes]], object], back: str, filed: tuple[str, str]):
    """The subject's filing: `run(reasons, files)` is the kind's `file_as_*`; back to `back` either way."""
    form = ObjectionForm()
    try:
        if not form.validate():
            raise expired()
        run(form.reasons.data, files_of(form))
    except ApiError as exc:
        flash_error(exc)
        return redirect(back)
    db.session.commit()
    flash_msg(*filed, "success")
    return redirect(back)


def step_then_back(run: Callable[[str, str | None], object], back: str):
    """The regulator's step from the page: `run(step, reason)` is the kind's `take_step` (the page upholds only by
    withdrawing; a correction is the API's)."""
    form = ObjectionStepForm()
    step = form.step.data if form.validate() else None
    try:
        if step is None:
            raise expired()
        run(step, form.reason.data or None)
    except ApiError as exc:
        flash_error(exc)
        return redirect(back)
    db.session.commit()
    flash_msg(*HANDLED, "success")
    return redirect(back)
