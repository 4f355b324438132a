"""Page forms: a customer's review (reference, code, stars, tags, text) and a company's reply.

The service judges everything again (review_rules.py); its field errors go
back on these forms by `web.apply_api_error`, under the same field names.
"""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ..accounts.forms import MaxLength, Required, strip
from ..errors import Msg
from . import review_rules
from .vocab import REVIEW_TAGS


def _stars(form, field):
    if field.data not in [str(n) for n in range(review_rules.RATING_MIN, review_rules.RATING_MAX + 1)]:
        raise ValidationError(Msg("Give 1 to 5 stars.", "请选择 1 到 5 星。"))


def _tags(form, field):
    problem = next((p for p in review_rules.check_review(review_rules.RATING_MAX, field.data or [], None)[1]), None)
    if problem is not None:
        raise ValidationError(Msg(problem.en, problem.zh))


class ReviewForm(FlaskForm):
    reference = StringField(validators=[Required("请填写短信中的服务编号。", "Give the service reference from the text "
                                                                        "message."), MaxLength(40)], filters=[strip])
    code = StringField(validators=[Required("请填写短信中的评价码。", "Give the review code from the text message."),
                                   MaxLength(40)], filters=[strip])
    # The rules are review_rules' (the service judges again), so the page names every field at fault at once.
    rating = RadioField(choices=[str(n) for n in range(5, 0, -1)], validate_choice=False,
                        validators=[Required("请选择星级。", "Choose 1 to 5 stars."), _stars])
    tags = SelectMultipleField(choices=list(REVIEW_TAGS), validate_choice=False, validators=[_tags],
                               option_widget=CheckboxInput(), widget=ListWidget(prefix_label=False))
    text = TextAreaField(validators=[MaxLength(review_rules.TEXT_MAX)], filters=[strip])

    def rating_value(self):
        """The stars as an integer, or the raw text (the service refuses it)."""
        raw = self.rating.data
        return int(raw) if isinstance(raw, str) and raw.isdigit() and len(raw) == 1 else raw


class ReplyForm(FlaskForm):
    text = TextAreaField(validators=[Required("请填写回复内容。", "Write the reply."),
                                     MaxLength(review_rules.TEXT_MAX)], filters=[strip])
