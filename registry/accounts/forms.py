"""Page forms for signing in, passwords, tokens and agency users.

Validators raise `Msg` (English text carrying its Chinese) so the pages can
show each error in the chosen language. The services check everything again;
their field errors are put back on these forms by `web.apply_api_error`.
"""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import StopValidation, ValidationError

from ..errors import Msg
from . import secrets as sec


class Required:
    """A value must be given (after trimming)."""

    field_flags = {"required": True}

    def __init__(self, zh: str = "此项为必填项。", en: str = "This field is required."):
        self.message = Msg(en, zh)

    def __call__(self, form, field):
        data = field.data
        empty = data is None or data is False or (isinstance(data, str) and not data.strip()) or (
            isinstance(data, (list, tuple)) and not data)
        if empty:
            field.errors[:] = []
            raise StopValidation(self.message)


class MaxLength:
    def __init__(self, limit: int):
        self.limit = limit

    def __call__(self, form, field):
        if field.data and len(field.data) > self.limit:
            raise ValidationError(Msg(f"Use at most {self.limit} characters.", f"最多 {self.limit} 个字符。"))


class LoginFormat:
    """3–64 lower-case letters, digits, '.', '_' or '-' (as the services require)."""

    def __call__(self, form, field):
        if field.data and not sec.LOGIN_RE.match(field.data.strip()):
            raise ValidationError(Msg("Use 3–64 lower-case letters, digits, '.', '_' or '-'.",
                                      "登录名须为 3–64 位小写字母、数字或 . _ -。"))


class StrongPassword:
    def __call__(self, form, field):
        problem = sec.password_problem(field.data or "")
        if problem:
            raise ValidationError(Msg(*problem))


class SameAs:
    """This field repeats `other` (a password confirmation)."""

    def __init__(self, other: str):
        self.other = other

    def __call__(self, form, field):
        if field.data != form[self.other].data:
            raise ValidationError(Msg("The two passwords differ.", "两次输入的密码不一致。"))


class OneOf:
    def __init__(self, values):
        self.values = tuple(values)

    def __call__(self, form, field):
        if field.data not in self.values:
            raise StopValidation(Msg("Choose one of the options.", "请从选项中选择。"))


def strip(value):
    return value.strip() if isinstance(value, str) else value


def lower_strip(value):
    return value.strip().lower() if isinstance(value, str) else value


class LoginForm(FlaskForm):
    login = StringField(validators=[Required("请填写登录名。", "Enter your login."), MaxLength(64)],
                        filters=[lower_strip])
    password = PasswordField(validators=[Required("请填写密码。", "Enter your password."), MaxLength(200)])


class TotpForm(FlaskForm):
    code = StringField(validators=[Required("请填写 6 位动态验证码。", "Enter the 6-digit code.")],
                       filters=[lambda v: v.replace(" ", "").strip() if isinstance(v, str) else v])

    def validate_code(self, field):
        if not (field.data.isdigit() and len(field.data) == 6):
            raise ValidationError(Msg("The code has 6 digits.", "验证码为 6 位数字。"))


class PasswordForm(FlaskForm):
    current_password = PasswordField(validators=[Required("请填写当前密码。", "Enter your current password."),
                                                 MaxLength(200)])
    new_password = PasswordField(validators=[Required("请填写新密码。", "Enter a new password."), MaxLength(200),
                                             StrongPassword()])
    confirm_password = PasswordField(validators=[Required("请再次输入新密码。", "Repeat the new password."),
                                                 SameAs("new_password")])


class TokenForm(FlaskForm):
    name = StringField(validators=[Required("请为令牌命名。", "Name the token."), MaxLength(100)], filters=[strip])


class AgencyUserForm(FlaskForm):
    login = StringField(validators=[Required("请填写登录名。", "Enter a login."), LoginFormat()],
                        filters=[lower_strip])
    name = StringField(validators=[Required("请填写姓名。", "Enter the person's name."), MaxLength(50)],
                       filters=[strip])
    # Choices depend on the agency (regulator or operator): set by the view.
    role = SelectField(validate_choice=False, validators=[Required("请选择角色。", "Choose a role.")])

    def __init__(self, *args, roles: tuple[str, ...] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = list(roles)
        self.role.validators = [*self.role.validators, OneOf(roles)]
