"""Page forms: recording a service, the services filter, and the regulators' household query.

The forms check presence, choices and the shape of times; the services judge
every rule again (`rules.check_service`, `queries.household_services`) and
their field errors go back on these forms by `web.apply_api_error`, so each
field is named as the services name it. A customer's phone travels only in a
POST body (both forms post), and a page never shows it back.
"""
from __future__ import annotations

from datetime import datetime

from flask_wtf import FlaskForm
from wtforms import DateField, DateTimeLocalField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import NumberRange, Optional, StopValidation

from schemas.common import INT_MAX

from ..accounts.forms import MaxLength, OneOf, Required, strip
from ..errors import Msg
from ..web import LOCAL_TZ
from . import rules
from .queries import NOTE_MAX
from .vocab import QUERY_PURPOSES, SERVICE_TYPES

BAD_TIME = Msg("Give the date and time, for example 2026-03-01 09:30.", "请填写日期和时间，例如 2026-03-01 09:30。")
BAD_DATE = Msg("Write the date as year-month-day, for example 2026-03-01.", "请按 年-月-日 填写日期，例如 2026-03-01。")


class TimeRequired(Required):
    """A time must be given, and be a time: a value that does not parse says so (not "required")."""

    def __call__(self, form, field):
        if field.data is None:
            given = " ".join(field.raw_data or []).strip()
            field.errors[:] = []
            raise StopValidation(BAD_TIME if given else self.message)


def _local(moment: datetime | None) -> datetime | None:
    """A time typed on the page: the wall clock in Shanghai."""
    return moment.replace(tzinfo=LOCAL_TZ) if moment is not None else None


class RecordServiceForm(FlaskForm):
    card_no = StringField(validators=[Required("请填写服务证号。", "Enter the card number."), MaxLength(30)],
                          filters=[strip])
    service_type = SelectField(choices=["", *SERVICE_TYPES], validate_choice=False,
                               validators=[Required("请选择服务类型。", "Choose the service type."),
                                           OneOf(SERVICE_TYPES)])
    phone = StringField(validators=[Required("请填写客户的手机号码。", "Enter the customer's mobile number."),
                                    MaxLength(30)], filters=[strip])
    district = StringField(validators=[Required("请填写服务所在区县。", "Enter the district served."),
                                       MaxLength(rules.DISTRICT_MAX)], filters=[strip])
    start = DateTimeLocalField(format=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
                               validators=[TimeRequired("请填写服务开始时间。", "Enter when the service began.")])
    end = DateTimeLocalField(format=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
                             validators=[TimeRequired("请填写服务结束时间。", "Enter when the service ended.")])
    override_reason = TextAreaField(validators=[MaxLength(rules.OVERRIDE_REASON_MAX)], filters=[strip])

    def service_fields(self) -> rules.ServiceFields:
        return rules.ServiceFields(service_type=self.service_type.data, phone=self.phone.data,
                                   district=self.district.data, start=_local(self.start.data),
                                   end=_local(self.end.data), override_reason=self.override_reason.data or None)


class ServicesFilterForm(FlaskForm):
    """The services list's filter (a GET form: no CSRF token, and nothing personal in it)."""

    class Meta:
        csrf = False

    card_no = StringField(validators=[MaxLength(30)], filters=[strip])
    start_from = DateField(validators=[Optional()], invalid_value_message=BAD_DATE)
    start_to = DateField(validators=[Optional()], invalid_value_message=BAD_DATE)
    page = IntegerField(default=1, validators=[Optional(), NumberRange(min=1, max=INT_MAX, message=Msg(
        "Give a page number from 1.", "请填写从 1 开始的页码。"))])

    def window(self) -> tuple[datetime | None, datetime | None]:
        """[from, to] as whole Shanghai days: from the start of the first to the end of the last."""
        from datetime import time, timedelta

        def day(value, after: int):
            # A day outside the years a filter takes goes on unmoved: company_services refuses it with its field.
            if value is None:
                return None
            moment = datetime.combine(value, time(), LOCAL_TZ)
            return moment + timedelta(days=after) if value.year < 9999 else moment

        first, last = day(self.start_from.data, 0), day(self.start_to.data, 1)
        return first, last


class HouseholdForm(FlaskForm):
    phone = StringField(validators=[Required("请填写住户的手机号码。", "Enter the household's mobile number."),
                                    MaxLength(30)], filters=[strip])
    purpose = RadioField(choices=list(QUERY_PURPOSES), validate_choice=False,
                         validators=[Required("请选择查询用途。", "Choose why you query."), OneOf(QUERY_PURPOSES)])
    note = StringField(validators=[MaxLength(NOTE_MAX)], filters=[strip])
