"""Page forms: filing a complaint (card page or review code), following it, a regulator's step, a response.

The services check every rule again; their field errors go back on these forms by `web.apply_api_error`
(`contact.name` → `contact_name`).
"""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, StringField, TextAreaField

from ..accounts.forms import MaxLength, OneOf, Required, strip
from . import rules


class _ComplaintForm(FlaskForm):
    category = RadioField(choices=list(rules.CATEGORIES), validate_choice=False,
                          validators=[Required("请选择投诉类别。", "Choose a category."), OneOf(rules.CATEGORIES)])
    text = TextAreaField(validators=[Required("请说明投诉事由。", "Say what happened."), MaxLength(rules.TEXT_MAX)],
                         filters=[strip])
    contact_name = StringField(validators=[MaxLength(rules.CONTACT_NAME_MAX)], filters=[strip])
    contact_phone = StringField(validators=[MaxLength(30)], filters=[strip])


class CardComplaintForm(_ComplaintForm):
    """From the card page; with `phone` (the number the service was booked with) it is filed by that phone."""

    phone = StringField(validators=[MaxLength(30)], filters=[strip])


class CodeComplaintForm(_ComplaintForm):
    reference = StringField(validators=[Required("请填写服务编号。", "Enter the service reference."), MaxLength(20)],
                            filters=[strip])
    code = StringField(validators=[Required("请填写评价码。", "Enter the review code."), MaxLength(20)],
                       filters=[strip])
    about = RadioField(choices=list(rules.SUBJECT_KINDS), validate_choice=False,
                       validators=[Required("请选择投诉对象。", "Choose whom the complaint is about."),
                                   OneOf(rules.SUBJECT_KINDS)])


class TrackForm(FlaskForm):
    reference = StringField(validators=[Required("请填写投诉编号。", "Enter the complaint's reference."),
                                        MaxLength(20)], filters=[strip])
    tracking_code = StringField(validators=[Required("请填写查询码。", "Enter the tracking code."), MaxLength(20)],
                                filters=[strip])


class StepForm(FlaskForm):
    step = HiddenField(validators=[Required("请选择操作。", "Choose a step."), OneOf(rules.STEPS)])
    reason = TextAreaField(validators=[Required("请填写理由。", "Give the reason for this step."),
                                       MaxLength(rules.REASON_MAX)], filters=[strip])


class ResponseForm(FlaskForm):
    text = TextAreaField(validators=[Required("请填写答复内容。", "Write your response."),
                                     MaxLength(rules.RESPONSE_MAX)], filters=[strip])


class QueueFilterForm(FlaskForm):
    """The queue's filter (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    state = StringField(default="", validators=[OneOf(("", None, *rules.STATES))], filters=[strip])
    reference = StringField(validators=[MaxLength(20)], filters=[strip])
