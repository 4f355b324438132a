"""/api/v1: upload a staff file (202 and a task), its report, and the template files."""
from __future__ import annotations

from flask import Response
from flask.views import MethodView
from flask_smorest.fields import Upload
from marshmallow import Schema, fields

from schemas.common import FormBoolean

from ..accounts.auth import bearer_account, require
from ..accounts.roles import COMPANY_ROLES
from ..api_util import ERRORS, api_blueprint, commit
from ..companies import services as companies
from ..errors import field_error
from ..keys import keyring
from . import staff_file

blp = api_blueprint("imports", __name__, "Bulk staff imports from CSV or .xlsx, run as queued tasks.")


class ImportArgs(Schema):
    """multipart/form-data: the file part `file` and the field `keep_good`."""

    file = Upload(required=True, metadata={"description": "The staff file: CSV (UTF-8 or GB18030) or .xlsx."})
    keep_good = FormBoolean(load_default=False, metadata={
        "description": "true: store exactly the valid rows of a file with errors (default false: store nothing)."})


class QueuedSchema(Schema):
    task_id = fields.Integer(required=True)


def _member_company(uscc: str):
    account = bearer_account()
    return account, companies.member_company(account, uscc)


@blp.route("/companies/<uscc:uscc>/imports")
class Imports(MethodView):
    @require(*COMPANY_ROLES)
    @blp.arguments(ImportArgs, location="multipart")
    @blp.response(202, QueuedSchema)
    @blp.alt_response(403, schema=ERRORS)
    @blp.alt_response(404, schema=ERRORS)
    def post(self, form, uscc):
        """Upload a staff file (CSV in UTF-8 or GB18030, or .xlsx); a task imports it. Poll /tasks/{task_id}.

        A company on the serious-dishonesty list answers 403 `company_listed`. A listing that takes effect while
        the import runs stops it: the batches stored before stay, no later row is stored, and the task's result
        carries `refused` (`company_listed`) and its report a line saying so.
        """
        from .services import start_import

        account, company = _member_company(uscc)
        upload = form["file"]
        if not hasattr(upload, "read"):
            raise field_error("file", "Upload the file as multipart/form-data.", "请以 multipart/form-data 上传文件。")
        content = upload.read(staff_file.MAX_BYTES + 1)
        task = start_import(keyring(), account=account, company=company, filename=upload.filename or "",
                            content=content, keep_good=form["keep_good"])
        task_id = task.id
        commit()
        return {"task_id": task_id}


@blp.route("/companies/<uscc:uscc>/imports/<int:task_id>/report")
class ImportReport(MethodView):
    @require(*COMPANY_ROLES)
    @blp.response(200, content_type="text/csv")
    @blp.alt_response(404, schema=ERRORS)
    def get(self, uscc, task_id):
        """The import's per-row report (row, column, reason in Chinese and English) as CSV."""
        from .services import import_report

        _account, company = _member_company(uscc)
        report = import_report(company.id, task_id)
        return Response(report, mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="import-{task_id}-report.csv"'})


@blp.route("/imports/template.csv")
class TemplateCsv(MethodView):
    @blp.response(200, content_type="text/csv")
    def get(self):
        """The staff file template (CSV, UTF-8 with BOM): headers and one example row."""
        return Response(staff_file.template_csv(), mimetype="text/csv",
                        headers={"Content-Disposition": 'attachment; filename="jiaxin-staff-template.csv"'})


@blp.route("/imports/template.xlsx")
class TemplateXlsx(MethodView):
    @blp.response(200, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    def get(self):
        """The staff file template (.xlsx): headers and one example row."""
        return Response(staff_file.template_xlsx(),
                        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": 'attachment; filename="jiaxin-staff-template.xlsx"'})
