"""Page forms: the verify page (a file to upload, or a SHA-256 pasted, to learn whether Jiaxin published it), and the
regulators' page (make a period's bulletin now, withdraw a version with a reason).

The verify form checks only the shape (a file chosen or 64 hex digits pasted); the look-up is archive.find's, the
upload's size the view's (it hashes the stream in chunks, never holding the file). The regulators' forms check
presence and length; the services check the rest (the period's shape and end, a current version, a generation
under way) and their field errors go back on these forms by `web.apply_api_error`.
"""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from werkzeug.datastructures import FileStorage
from wtforms import StringField, TextAreaField
from wtforms.validators import ValidationError

from ..accounts.forms import MaxLength, Required, strip
from ..errors import Msg
from .archive import normalise_digest
from .models import MAX_REASON

NOTHING_GIVEN = Msg("Choose a file, or paste its SHA-256.", "请选择文件，或粘贴其 SHA-256。")
BAD_DIGEST = Msg("A SHA-256 is 64 hexadecimal digits (0–9, a–f), as sha256sum prints it.",
                 "SHA-256 应为 64 位十六进制数字（0–9、a–f），与 sha256sum 输出的相同。")


class VerifyForm(FlaskForm):
    file = FileField()
    sha256 = StringField(validators=[MaxLength(200)], filters=[strip])

    def chosen(self) -> FileStorage | None:
        data = self.file.data
        return data if isinstance(data, FileStorage) and data.filename else None

    def digest(self) -> str | None:
        """The pasted SHA-256, normalised (64 lowercase hex), or None if none was pasted."""
        return normalise_digest(self.sha256.data) if self.sha256.data else None

    def validate_sha256(self, field):
        if field.data and normalise_digest(field.data) is None:
            raise ValidationError(BAD_DIGEST)

    def validate_file(self, field):
        if self.chosen() is None and not self.sha256.data:
            raise ValidationError(NOTHING_GIVEN)


class GenerateForm(FlaskForm):
    period = StringField(filters=[strip], validators=[Required(), MaxLength(8)])


class WithdrawForm(FlaskForm):
    reason = TextAreaField(filters=[strip], validators=[Required(), MaxLength(MAX_REASON)])
