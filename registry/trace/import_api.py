"""/api/v1: upload a service file (202 and a task), follow its import, read its report; the template.

Only members of the uploading company see an import; for anyone else it does
not exist (404). The report names rows, columns and rules, never a cell (so
never a customer's phone).
"""
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
from ..imports.api import QueuedSchema
from ..keys import keyring
from ..tasks.api import ProgressSchema
from ..tasks.services import progress_view
from . import service_file
from .imports import MAX_BYTES

blp = api_blueprint("service_imports", __name__,
                    "Service records by file (追溯): CSV or .xlsx uploads imported by queued tasks.")


class ServiceImportArgs(Schema):
    """multipart/form-data: the file part `file` and the field `keep_good`."""

    file = Upload(required=True, metadata={"description": "The service file: CSV (UTF-8 or GB18030) or .xlsx."})
    keep_good = FormBoolean(load_default=False, metadata={
        "description": "true: store exactly the good rows of a file with errors (default false: store nothing)."})


class ServiceImportSchema(Schema):
    """A service import as its company sees it: the task's state and progress, and what is left of the file."""

    task_id = fields.Integer()
    state = fields.String(metadata={"description": "queued, running, done or failed"})
    progress = fields.Nested(ProgressSchema)
    result = fields.Raw(allow_none=True, metadata={
        "description": "phase (validate, store, done), rows, errors, stored, keep_good, report (whether one exists)"})
    error = fields.Raw(allow_none=True)
    filename = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    file_deleted = fields.Boolean(metadata={"description": "true once the task ended: the content is deleted"})
    created_dt = fields.String()
    finished_dt = fields.String(allow_none=True)


def _member_company(uscc: str):
    account = bearer_account()
    return account, companies.member_company(account, uscc)


@blp.route("/companies/<uscc:uscc>/services/imports")
class ServiceImports(MethodView):
    @require(*COMPANY_ROLES)
    @blp.arguments(ServiceImportArgs, location="multipart")
    @blp.response(202, QueuedSchema)
    @blp.alt_response(403, schema=ERRORS)
    @blp.alt_response(404, schema=ERRORS)
    @blp.alt_response(413, schema=ERRORS)
    def post(self, form, uscc):
        """Upload a service file (CSV in UTF-8 or GB18030, or .xlsx); a task imports it. Poll the import.

        Every row is checked first; by default a file with any bad row stores nothing, with `keep_good` exactly
        the good rows are stored. Each stored row is one service record, one `service:record` entry and one
        review code sent to the customer. The file is deleted when its task ends.
        """
        from .imports import start_import

        account, company = _member_company(uscc)
        upload = form["file"]
        if not hasattr(upload, "read"):
            raise field_error("file", "Upload the file as multipart/form-data.", "请以 multipart/form-data 上传文件。")
        content = upload.read(MAX_BYTES + 1)
        task = start_import(keyring(), account=account, company=company, filename=upload.filename or "",
                            content=content, keep_good=form["keep_good"])
        task_id = task.id
        commit()
        return {"task_id": task_id}


@blp.route("/companies/<uscc:uscc>/services/imports/<int:task_id>")
class ServiceImportItem(MethodView):
    @require(*COMPANY_ROLES)
    @blp.response(200, ServiceImportSchema)
    @blp.alt_response(404, schema=ERRORS)
    def get(self, uscc, task_id):
        """The import's state, progress and counts."""
        from .imports import company_import

        _account, company = _member_company(uscc)
        f, task = company_import(company.id, task_id)
        view = progress_view(task)
        return {"task_id": task.id, "state": view["state"], "progress": view["progress"], "result": view["result"],
                "error": view["error"], "filename": f.filename, "size": f.size, "sha256": f.sha256,
                "file_deleted": f.deleted_dt is not None, "created_dt": view["created_dt"],
                "finished_dt": view["finished_dt"]}


@blp.route("/companies/<uscc:uscc>/services/imports/<int:task_id>/report")
class ServiceImportReport(MethodView):
    @require(*COMPANY_ROLES)
    @blp.response(200, content_type="text/csv")
    @blp.alt_response(404, schema=ERRORS)
    def get(self, uscc, task_id):
        """The import's per-row report (row, column, reason in Chinese and English) as CSV; it quotes no cell."""
        from .imports import import_report

        _account, company = _member_company(uscc)
        report = import_report(company.id, task_id)
        return Response(report, mimetype="text/csv",
                        headers={"Content-Disposition":
                                 f'attachment; filename="services-import-{task_id}-report.csv"'})


@blp.route("/services/imports/template.csv")
class ServiceTemplateCsv(MethodView):
    @blp.response(200, content_type="text/csv")
    def get(self):
        """The service file template (CSV, UTF-8 with BOM): the column headers only."""
        return Response(service_file.template_csv(), mimetype="text/csv",
                        headers={"Content-Disposition": 'attachment; filename="jiaxin-services-template.csv"'})
