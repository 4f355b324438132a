"""Page forms of the regulators' bulletin page: make a period's bulletin now, withdraw a version with a reason.

The forms check presence and length; the services check the rest (the period's shape and end, a current version,
a generation under way) and their field errors go back on these forms by `web.apply_api_error`.
"""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField

from ..accounts.forms import MaxLength, Required, strip
from .models import MAX_REASON


class GenerateForm(FlaskForm):
    period = StringField(filters=[strip], validators=[Required(), MaxLength(8)])


class WithdrawForm(FlaskForm):
    reason = TextAreaField(filters=[strip], validators=[Required(), MaxLength(MAX_REASON)])
