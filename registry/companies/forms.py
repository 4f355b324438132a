"""Page forms for company sign-up, the pledge, company users and decisions."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, RadioField, SelectField, SelectMultipleField, StringField
from wtforms.validators import ValidationError

from ..accounts.forms import LoginFormat, MaxLength, OneOf, Required, SameAs, StrongPassword, lower_strip, strip
from ..accounts.roles import COMPANY_USER_CHOICES, Role
from ..errors import Msg
from . import districts
from . import uscc as uscc_mod
from .models import BUSINESS_MODELS, COMPANY_SECTORS, EMPLOYEE_CONDITIONS
from .services import CompanyProfile


class SignupForm(FlaskForm):
    uscc = StringField(validators=[Required("请填写统一社会信用代码。", "Enter the Unified Social Credit Code.")],
                       filters=[strip])
    name = StringField(validators=[Required("请填写企业登记名称。", "Enter the registered name."), MaxLength(200)],
                       filters=[strip])
    sectors = SelectMultipleField(choices=list(COMPANY_SECTORS), validate_choice=False,
                                  validators=[Required("请选择家政、物业或两者。",
                                                       "Choose housekeeping, property or both.")])
    business_model = RadioField(choices=list(BUSINESS_MODELS), validate_choice=False)
    contracts = BooleanField()
    social_insurance = BooleanField()
    minimum_wage = BooleanField()
    ongoing_training = BooleanField()
    # The four checkboxes report their errors together, under this name.
    employee_conditions = HiddenField()
    district = SelectField(choices=["", *(d.code for d in districts.DISTRICTS)],
                           validate_choice=False,
                           validators=[Required("请选择所在区（市）县。", "Choose the district or county.")])
    contact_name = StringField(validators=[Required("请填写联系人姓名。", "Enter the contact person's name."),
                                           MaxLength(50)], filters=[strip])
    contact_phone = StringField(validators=[Required("请填写联系电话。", "Enter a contact phone number."),
                                            MaxLength(20)], filters=[strip])
    admin_login = StringField(validators=[Required("请填写管理员登录名。", "Choose the admin's login."), LoginFormat()],
                              filters=[lower_strip])
    admin_name = StringField(validators=[Required("请填写管理员姓名。", "Enter the admin's name."), MaxLength(50)],
                             filters=[strip])
    admin_password = PasswordField(validators=[Required("请设置密码。", "Choose a password."), MaxLength(200),
                                               StrongPassword()])
    admin_password_confirm = PasswordField(validators=[Required("请再次输入密码。", "Repeat the password."),
                                                       SameAs("admin_password")])

    # Set by validate_uscc: the kind of check that failed ("checksum" asks for manual review).
    uscc_failure: str | None = None

    def validate_uscc(self, field):
        result = uscc_mod.validate(field.data or "")
        if not result.ok:
            self.uscc_failure = result.failure
            raise ValidationError(Msg(result.message_en, result.message_zh))

    def validate_sectors(self, field):
        if any(s not in COMPANY_SECTORS for s in field.data) or len(set(field.data)) != len(field.data):
            raise ValidationError(Msg("Choose housekeeping, property or both.", "请选择家政、物业或两者。"))

    def validate_district(self, field):
        if field.data not in districts.CODES:
            raise ValidationError(Msg("Choose one of Chengdu's districts or counties.", "请选择成都市的区（市）县。"))

    def validate_business_model(self, field):
        if "housekeeping" in (self.sectors.data or []) and field.data not in BUSINESS_MODELS:
            raise ValidationError(Msg("A housekeeping firm states its model: employee or intermediary.",
                                      "家政企业须选择经营模式：员工制或中介制。"))

    def profile(self) -> CompanyProfile:
        """The profile as the services take it; the model only counts for housekeeping."""
        housekeeping = "housekeeping" in self.sectors.data
        model = self.business_model.data if housekeeping else None
        conditions = None
        if model == "employee":
            conditions = {c: bool(self[c].data) for c in EMPLOYEE_CONDITIONS}
        elif model == "intermediary" and any(self[c].data for c in EMPLOYEE_CONDITIONS):
            conditions = {c: bool(self[c].data) for c in EMPLOYEE_CONDITIONS}
        return CompanyProfile(name=self.name.data, sectors=list(self.sectors.data), business_model=model,
                              employee_conditions=conditions, district=self.district.data,
                              contact_name=self.contact_name.data, contact_phone=self.contact_phone.data)


# Service field names → this form's fields.
SIGNUP_FIELDS = {
    "contact.name": "contact_name", "contact.phone": "contact_phone",
    "admin.login": "admin_login", "admin.name": "admin_name", "admin.password": "admin_password",
    "login": "admin_login", "password": "admin_password",
}


class PledgeForm(FlaskForm):
    version = HiddenField(validators=[Required()])
    agree = BooleanField(validators=[Required("请勾选确认您已阅读并同意承诺内容。",
                                              "Tick the box to confirm you have read and accept the pledge.")])

    def validate_version(self, field):
        if not (field.data or "").isdigit():
            raise ValidationError(Msg("Unknown pledge version.", "未知的承诺版本。"))


class CompanyUserForm(FlaskForm):
    login = StringField(validators=[Required("请填写登录名。", "Enter a login."), LoginFormat()],
                        filters=[lower_strip])
    name = StringField(validators=[Required("请填写姓名。", "Enter the person's name."), MaxLength(50)],
                       filters=[strip])
    role = SelectField(choices=[r.value for r in COMPANY_USER_CHOICES],
                       default=Role.COMPANY_USER.value, validate_choice=False,
                       validators=[OneOf(COMPANY_USER_CHOICES)])


class ServicePhoneForm(FlaskForm):
    """The company's public service line; left blank, the company shows none."""

    service_phone = StringField(validators=[MaxLength(30)], filters=[strip])


class DecisionForm(FlaskForm):
    decision = HiddenField(validators=[OneOf(("verify", "reject"))])
    note = StringField(validators=[MaxLength(2000)], filters=[strip])
    # "yes" only from the confirmation page: verifying is asked once more before it is done.
    confirmed = HiddenField()


class ChangeDecisionForm(FlaskForm):
    decision = HiddenField(validators=[OneOf(("approve", "reject"))])
    reason = StringField(validators=[MaxLength(2000)], filters=[strip])
