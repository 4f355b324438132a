"""Page forms: issuing a card, printing all staff's cards (CSRF only), and uploading the worker's photo.

The photo form checks that a file was chosen and that the consent date is a
date; `workers.photos.set_photo` checks the rest (type by content, size, the
date not in the future) and its field errors land on these fields.
"""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from werkzeug.datastructures import FileStorage
from wtforms.validators import StopValidation

from ..errors import Msg
from ..workers.forms import date_field

# What the file input offers; the upload is judged by its content, not by its name.
ACCEPT = ".jpg,.jpeg,.png,image/jpeg,image/png"


class PhotoChosen:
    """A file must have been chosen (a browser sends an empty part when none was)."""

    field_flags = {"required": True}

    def __init__(self):
        self.message = Msg("Choose a JPEG or PNG photo.", "请选择 JPEG 或 PNG 格式的照片。")

    def __call__(self, form, field):
        if not isinstance(field.data, FileStorage) or not field.data.filename:
            field.errors[:] = []
            raise StopValidation(self.message)


class PhotoForm(FlaskForm):
    photo = FileField(validators=[PhotoChosen()])
    consent_on = date_field("请填写本人同意的日期。", "Give the date the worker consented.")


class ActionForm(FlaskForm):
    """A button that changes state: only the CSRF token."""
