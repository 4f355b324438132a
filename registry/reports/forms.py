"""Page forms: a resident's report about a card, and a regulator's closing note.

The services check every rule again; their field errors go back on these
forms by `web.apply_api_error`, so the fields are named as the services name them.
"""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, StringField, TextAreaField

from ..accounts.forms import MaxLength, OneOf, Required, strip
from .models import REPORT_REASONS
from .services import NOTE_MAX, TEXT_MAX


class ReportForm(FlaskForm):
    reason = RadioField(choices=list(REPORT_REASONS), validate_choice=False,
                        validators=[Required("请选择举报原因。", "Choose a reason."), OneOf(REPORT_REASONS)])
    text = TextAreaField(validators=[MaxLength(TEXT_MAX)], filters=[strip])
    # The scanned QR's q, carried from the card page so the report records its verdict.
    # Not length-checked here (the resident cannot see it): the service reads an over-long q as "altered".
    q = HiddenField()


class CloseReportForm(FlaskForm):
    note = StringField(validators=[Required("请填写处理结果。", "Say what was done about the report."),
                                   MaxLength(NOTE_MAX)], filters=[strip])


class QueueFilterForm(FlaskForm):
    """The queue's filter (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    state = HiddenField(default="open", validators=[OneOf(("open", "closed"))])
    reference = StringField(validators=[MaxLength(20)], filters=[strip])
