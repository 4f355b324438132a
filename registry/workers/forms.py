"""Page forms for the staff list filter, worker registration, dated records and ending an employment.

The forms check presence, choices and date formats; the services check every
rule again (ID number, age, phone, dates against today) and their field errors
are put back on these forms by `web.apply_api_error`, so each field here is
named as the service names it.
"""
from __future__ import annotations

import re

from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, DateField, HiddenField, IntegerField, RadioField, SelectField, StringField
from wtforms.validators import NumberRange, Optional, StopValidation, ValidationError

from schemas.common import INT_MAX

from ..accounts.forms import MaxLength, Required, strip
from ..errors import Msg
from .vocab import EMPLOYMENT_KINDS, OCCUPATIONS, RECORD_KINDS, REGULATOR_PURPOSES, RESULTS

HOURS_RE = re.compile(r"^[0-9]{1,6}(?:\.[0-9]{1,6})?$")
BAD_DATE = Msg("Write the date as year-month-day, for example 2026-03-01 (YYYY-MM-DD).",
               "请按 年-月-日 填写日期，例如 2026-03-01。")

RESULT_LABELS = {
    "verified": ("已核验", "Verified"),
    "failed": ("未通过", "Failed"),
    "passed": ("通过", "Passed"),
    "pending": ("审查中", "Pending"),
}
YES_NO = {"yes": ("通过", "Passed"), "no": ("未通过", "Not passed")}


class Choice:
    """The value is one of `values` (codes); an empty value is left to `Required`."""

    def __init__(self, values, en: str = "Choose one of the options.", zh: str = "请从选项中选择。"):
        self.values = tuple(values)
        self.message = Msg(en, zh)

    def __call__(self, form, field):
        if field.data not in self.values:
            raise StopValidation(self.message)


class DateRequired(Required):
    """A date must be given, and be a date: a value that does not parse says so (not "required")."""

    def __call__(self, form, field):
        if field.data is None:
            given = " ".join(field.raw_data or []).strip()
            field.errors[:] = []
            raise StopValidation(BAD_DATE if given else self.message)


def date_field(zh: str, en: str) -> DateField:
    return DateField(invalid_value_message=BAD_DATE, validators=[DateRequired(zh, en)])


def _ids(form: FlaskForm, prefix: str | None) -> None:
    """Give each field a page-unique HTML id (several of these forms share one page)."""
    if prefix:
        for field in form:
            if field.name != "csrf_token":
                field.id = f"{prefix}-{field.name}"


# --- the staff list filter (a GET form: no CSRF token) -------------------------------

class StaffFilterForm(FlaskForm):
    class Meta:
        csrf = False

    occupation = SelectField(choices=["", *OCCUPATIONS], default="", validate_choice=False)
    status = SelectField(choices=["", "green", "yellow", "red"], default="", validate_choice=False)
    expiring = SelectField(choices=["", "health", "insurance", "any"], default="", validate_choice=False)
    employment = SelectField(choices=["active", "ended", "all"], default="active", validate_choice=False)

    def validate_occupation(self, field):
        if field.data and field.data not in OCCUPATIONS:
            raise ValidationError(Msg("Choose an occupation from the list.", "请从列表中选择工种。"))

    def validate_status(self, field):
        if field.data and field.data not in ("green", "yellow", "red"):
            raise ValidationError(Msg("Choose green, yellow or red.", "请选择绿、黄或红。"))

    def validate_expiring(self, field):
        if field.data and field.data not in ("health", "insurance", "any"):
            raise ValidationError(Msg("Choose health check, insurance or either.", "请选择体检、保险或任一项。"))

    def validate_employment(self, field):
        if field.data not in ("active", "ended", "all"):
            raise ValidationError(Msg("Choose current, ended or all.", "请选择在职、已离职或全部。"))

    def filters(self) -> dict:
        """The arguments of `services.staff` (empty choices mean no filter)."""
        return {"occupation": self.occupation.data or None, "status": self.status.data or None,
                "expiring": self.expiring.data or None, "employment": self.employment.data or "active"}


class StaffSearchForm(StaffFilterForm):
    """The filter plus the search terms and the page.

    The page posts it (with a CSRF token), so a typed name or phone travels in
    the body and never in a URL; a GET of the list (links, redirects) reads the
    card number and page from the query string and never a name or phone.
    """

    class Meta:
        csrf = True

    card_no = StringField(validators=[MaxLength(30)], filters=[strip])
    name = StringField(validators=[MaxLength(50)], filters=[strip])
    phone = StringField(validators=[MaxLength(20)], filters=[strip])
    page = IntegerField(default=1, validators=[Optional(), NumberRange(min=1, max=INT_MAX, message=Msg(
        "Give a page number from 1.", "请填写从 1 开始的页码。"))])

    @classmethod
    def from_query(cls, args) -> StaffSearchForm:
        """From a URL's query string: the filters, card number and page; a name or phone there is ignored."""
        keep = MultiDict([(k, v) for k, v in args.items(multi=True) if k not in ("name", "phone")])
        return cls(formdata=keep, meta={"csrf": False})

    def search_terms(self) -> dict:
        return {"card_no": self.card_no.data or None, "name": self.name.data or None,
                "phone": self.phone.data or None}


# --- registration --------------------------------------------------------------------

class RegisterForm(FlaskForm):
    name = StringField(validators=[Required("请填写真实姓名。", "Enter the real name."), MaxLength(50)],
                       filters=[strip])
    id_number = StringField(validators=[Required("请填写证件号码。", "Enter the ID number."), MaxLength(30)],
                            filters=[strip])
    phone = StringField(validators=[Required("请填写手机号码。", "Enter the mobile number."), MaxLength(20)],
                        filters=[strip])
    occupation = SelectField(choices=["", *OCCUPATIONS], validate_choice=False,
                             validators=[Required("请选择工种。", "Choose an occupation."),
                                         Choice(OCCUPATIONS, "Choose an occupation from the list.",
                                                "请从列表中选择工种。")])
    employment_kind = RadioField(choices=list(EMPLOYMENT_KINDS), validate_choice=False,
                                 validators=[Required("请选择用工形式。", "Choose the kind of employment."),
                                             Choice(EMPLOYMENT_KINDS)])
    start_date = date_field("请填写入职日期。", "Enter the start date.")
    social_insurance = BooleanField()


# --- dated records -----------------------------------------------------------------------

class RecordForm(FlaskForm):
    """One kind of dated record; `supersedes` (a record id) makes it a correction."""

    KIND = ""
    # The fields passed to the service, in the order the page shows them.
    FIELDS: tuple[str, ...] = ()

    kind = HiddenField()
    supersedes = HiddenField()

    def __init__(self, *args, id_prefix: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.data = self.KIND
        _ids(self, id_prefix)

    def validate_supersedes(self, field):
        if field.data and not field.data.isdigit():
            raise ValidationError(Msg("Correct a current record of this kind that your company made.",
                                      "只能更正本企业所做的同类现行记录。"))

    def supersedes_id(self) -> int | None:
        return int(self.supersedes.data) if self.supersedes.data else None

    def record_data(self) -> dict:
        return {name: self[name].data for name in self.FIELDS}

    @staticmethod
    def prefill(record: dict) -> dict:
        """A form's data from a record as `views_model.records_view` shows it (for corrections)."""
        return {}


def _result(kind: str) -> RadioField:
    return RadioField(choices=list(RESULTS[kind]), validate_choice=False,
                      validators=[Required("请选择结果。", "Choose the result."), Choice(RESULTS[kind])])


class IdentityForm(RecordForm):
    KIND = "identity"
    FIELDS = ("result", "checked_on")
    result = _result("identity")
    checked_on = date_field("请填写核验日期。", "Enter the check date.")

    @staticmethod
    def prefill(record):
        return {"result": record["result"], "checked_on": record["on_date"]}


class TrainingForm(RecordForm):
    KIND = "training"
    FIELDS = ("course", "hours", "exam_passed", "trained_on", "issuer")
    course = StringField(validators=[Required("请填写课程名称。", "Enter the course."), MaxLength(100)],
                         filters=[strip])
    # Checked (range, tenths) by the rules, which name the field in their error.
    hours = StringField(validators=[Required("请填写学时。", "Enter the hours."), MaxLength(10)], filters=[strip])
    exam_passed = RadioField(choices=list(YES_NO), validate_choice=False,
                             validators=[Required("请说明考核是否通过。", "Say whether the exam was passed."),
                                         Choice(YES_NO)])
    trained_on = date_field("请填写培训日期。", "Enter the training date.")
    issuer = StringField(validators=[Required("请填写发证机构。", "Enter the issuer."), MaxLength(100)],
                         filters=[strip])

    def validate_hours(self, field):
        # Plain numbers only ("NaN" or "1e3" never reach the rules); range and tenths are the rules' to check.
        if not HOURS_RE.match(field.data or ""):
            raise ValidationError(Msg("Hours must be between 0.1 and 2000, in tenths.",
                                      "学时须在 0.1 到 2000 之间，最多一位小数。"))

    def record_data(self):
        data = super().record_data()
        data["exam_passed"] = {"yes": True, "no": False}.get(data["exam_passed"])
        return data

    @staticmethod
    def prefill(record):
        return {"course": record["course"], "hours": str(record["hours"]) if record["hours"] is not None else "",
                "exam_passed": "yes" if record["exam_passed"] else "no", "trained_on": record["on_date"],
                "issuer": record["issuer"]}


class HealthForm(RecordForm):
    KIND = "health"
    FIELDS = ("result", "checked_on", "valid_until")
    result = _result("health")
    checked_on = date_field("请填写体检日期。", "Enter the check date.")
    valid_until = date_field("请填写有效期截止日期。", "Enter the valid-until date.")

    @staticmethod
    def prefill(record):
        return {"result": record["result"], "checked_on": record["on_date"], "valid_until": record["valid_until"]}


class InsuranceForm(RecordForm):
    KIND = "insurance"
    FIELDS = ("insurer", "valid_from", "valid_until")
    insurer = StringField(validators=[Required("请填写保险公司。", "Enter the insurer."), MaxLength(100)],
                          filters=[strip])
    valid_from = date_field("请填写保险起始日期。", "Enter the start date.")
    valid_until = date_field("请填写有效期截止日期。", "Enter the valid-until date.")

    @staticmethod
    def prefill(record):
        return {"insurer": record["issuer"], "valid_from": record["on_date"], "valid_until": record["valid_until"]}


class BackgroundForm(RecordForm):
    KIND = "background"
    FIELDS = ("result", "checked_on", "authority")
    result = _result("background")
    checked_on = date_field("请填写审查日期。", "Enter the check date.")
    authority = StringField(validators=[Required("请填写审查机关。", "Enter the authority."), MaxLength(100)],
                            filters=[strip])

    @staticmethod
    def prefill(record):
        return {"result": record["result"], "checked_on": record["on_date"], "authority": record["issuer"]}


RECORD_FORMS: dict[str, type[RecordForm]] = {
    f.KIND: f for f in (IdentityForm, TrainingForm, HealthForm, InsuranceForm, BackgroundForm)}
if set(RECORD_FORMS) != set(RECORD_KINDS):
    raise RuntimeError("a record kind has no form, or a form no record kind")

# Field labels of the record forms (one name means the same thing in every kind).
RECORD_LABELS = {
    "result": ("结果", "Result"),
    "checked_on": ("检查日期", "Checked on"),
    "valid_until": ("有效期至", "Valid until"),
    "valid_from": ("有效期自", "Valid from"),
    "course": ("课程名称", "Course"),
    "hours": ("学时", "Hours"),
    "exam_passed": ("考核", "Exam"),
    "trained_on": ("培训日期", "Trained on"),
    "issuer": ("发证机构", "Issuer"),
    "insurer": ("保险公司", "Insurer"),
    "authority": ("审查机关", "Authority"),
}


class EndForm(FlaskForm):
    end_date = date_field("请填写离职日期。", "Enter the end date.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _ids(self, "end")


class SearchForm(FlaskForm):
    """A regulator's search: a card number or an ID number, and why the record is opened.

    The ID number travels only in this POST body; the service checks it and
    the rest again (`workers.search`).
    """

    card_no = StringField(validators=[MaxLength(30)], filters=[strip])
    id_number = StringField(validators=[MaxLength(30)], filters=[strip])
    purpose = RadioField(choices=list(REGULATOR_PURPOSES), validate_choice=False,
                         validators=[Required("请选择查看用途。", "Choose why you open this record."),
                                     Choice(REGULATOR_PURPOSES)])
    note = StringField(validators=[MaxLength(200)], filters=[strip])

    def validate_card_no(self, field):
        if bool(field.data) == bool(self.id_number.data):
            raise ValidationError(Msg("Give the card number or the ID number (one of them).",
                                      "请填写服务证号或证件号码（二选一）。"))
