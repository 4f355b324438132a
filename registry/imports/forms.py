"""The page form for uploading a staff file.

The form checks only that a file was chosen; `services.start_import` checks
the rest (empty, too large, company verified) and its field errors are put
back on the `file` field by `web.apply_api_error`. What the file holds is the
import task's to judge, row by row.
"""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from werkzeug.datastructures import FileStorage
from wtforms import BooleanField
from wtforms.validators import StopValidation

from ..errors import Msg

# What the file input offers (the import tells CSV from .xlsx by content, not by name).
ACCEPT = ".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class FileChosen:
    """A file must have been uploaded (a browser sends an empty part when none was chosen)."""

    field_flags = {"required": True}

    def __init__(self):
        self.message = Msg("Choose a CSV or .xlsx file.", "请选择 CSV 或 .xlsx 文件。")

    def __call__(self, form, field):
        data = field.data
        if not isinstance(data, FileStorage) or not data.filename:
            field.errors[:] = []
            raise StopValidation(self.message)


class UploadForm(FlaskForm):
    file = FileField(validators=[FileChosen()])
    keep_good = BooleanField(default=False)
