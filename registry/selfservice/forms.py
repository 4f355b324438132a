"""Page forms for activation, PIN sign-in and the resident's consent code.

They check presence and the PIN repeat; the services judge everything else
(card number, code shape, PIN rules) and their field errors are put back on
these forms by `web.apply_api_error`, so each field is named as the service
names it.
"""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import ValidationError

from ..accounts.forms import MaxLength, Required, strip
from ..errors import Msg


class _SamePin:
    """The repeat of the new PIN."""

    def __call__(self, form, field):
        if field.data != form.pin.data:
            raise ValidationError(Msg("The two PINs differ.", "两次输入的 PIN 不一致。"))


def _card_no():
    return StringField(validators=[Required("请填写卡号。", "Enter the card number."), MaxLength(40)], filters=[strip])


class ActivateForm(FlaskForm):
    card_no = _card_no()
    code = StringField(validators=[Required("请填写短信中的激活码。",
                                            "Enter the activation code from the text message."),
                                   MaxLength(40)], filters=[strip])
    pin = PasswordField(validators=[Required("请设置 PIN。", "Choose a PIN."), MaxLength(40)])
    pin2 = PasswordField(validators=[Required("请再次输入 PIN。", "Repeat the PIN."), _SamePin()])


class SignInForm(FlaskForm):
    card_no = _card_no()
    pin = PasswordField(validators=[Required("请填写 PIN。", "Enter your PIN."), MaxLength(40)])


class ConsentForm(FlaskForm):
    consent_code = StringField(validators=[Required("请填写从业人员给您的同意码。",
                                                    "Enter the consent code the worker gave you."), MaxLength(40)],
                               filters=[strip])
