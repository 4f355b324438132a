"""Pages: upload a service file, follow its import, read and download its report.

As the staff import's pages (`registry/imports/views.py`), whose form, report
reading and progress polling (a meta refresh every two seconds while the task
runs: the CSP allows no script) these reuse. Only the uploading company sees
an import; for anyone else it does not exist (404).
"""
from __future__ import annotations

from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask_login import current_user

from ..accounts.roles import COMPANY_ROLES
from ..companies import views_model as company_views
from ..errors import ApiError, Msg, error_body, not_found, respond
from ..extensions import db
from ..imports.forms import ACCEPT, UploadForm
from ..imports.staff_file import MAX_ROWS
from ..imports.views import PHASES, REFRESH_SECONDS, REPORT_LINES, STATES
from ..keys import keyring
from ..tasks.services import progress_view
from ..web import account, apply_api_error, flash_msg, role_required, t
from . import service_file
from .imports import MAX_BYTES, company_import, recent_imports, start_import
from .vocab import SERVICE_TYPES

bp = Blueprint("trace_import_web", __name__)

RECENT = 20
CORRECT_FIELDS = Msg("Please correct the marked fields.", "请修改标出的内容。")
TOO_LARGE = Msg(f"The file is larger than {MAX_BYTES // 1_000_000} MB; split it into smaller files.",
                f"文件超过 {MAX_BYTES // 1_000_000} MB，请拆分后分批导入。")
VOCAB = {"state": STATES, "phase": PHASES}
UPLOAD_BODY_LIMIT = MAX_BYTES + 64 * 1024


@bp.url_value_preprocessor
def _upload_body_limit(endpoint, _values):
    """Let the upload's body be as large as an importable file (set before the CSRF check reads the form)."""
    if endpoint == "trace_import_web.upload_post":
        request.max_content_length = UPLOAD_BODY_LIMIT


@bp.context_processor
def _vocab():
    def vocab(kind: str, code) -> str:
        pair = VOCAB.get(kind, {}).get(code)
        return t(*pair) if pair else (code or "")

    return {"vocab": vocab}


def _recent(company) -> list[dict]:
    out = []
    for f, task, login in recent_imports(company.id, RECENT):
        view = progress_view(task) if task is not None else None
        out.append({"task_id": f.task_id, "filename": f.filename, "size": f.size, "created_dt": f.created_dt,
                    "keep_good": f.keep_good, "uploaded_by": login, "view": view,
                    "result": (view or {}).get("result") or {}, "deleted": f.deleted_dt is not None})
    return out


def _upload_page(form: UploadForm, status: int = 200, **extra):
    company = account().company
    review = None if company.status == "verified" else company_views.review_view(company)
    return render_template("web/trace/import_upload.html", form=form, company=company, imports=_recent(company),
                           review=review, accept=ACCEPT, max_mb=MAX_BYTES // 1_000_000, max_rows=MAX_ROWS,
                           columns=service_file.COLUMNS, service_types=SERVICE_TYPES, **extra), status


@bp.get("/company/services/import")
@role_required(*COMPANY_ROLES)
def upload():
    return _upload_page(UploadForm(formdata=None))


@bp.post("/company/services/import")
@role_required(*COMPANY_ROLES)
def upload_post():
    user = account()
    form = UploadForm()
    if not form.validate():
        return _upload_page(form, 400, error=CORRECT_FIELDS)
    chosen = form.file.data
    content = chosen.read(MAX_BYTES + 1)
    filename = chosen.filename.replace("\\", "/").rsplit("/", 1)[-1]
    try:
        task = start_import(keyring(), account=user, company=user.company, filename=filename, content=content,
                            keep_good=bool(form.keep_good.data))
    except ApiError as exc:
        error, extra = apply_api_error(form, exc)
        return _upload_page(form, exc.status, error=error, extra=extra)
    task_id = task.id
    db.session.commit()
    flash_msg("文件已上传，正在排队导入。", "The file is uploaded and queued for import.", "success")
    return redirect(url_for(".progress", task_id=task_id))


@bp.errorhandler(413)
def _too_large(_exc):
    """A body over UPLOAD_BODY_LIMIT is refused before the view runs: show the form again."""
    if not current_user.is_authenticated or current_user.role not in COMPANY_ROLES:
        return respond(413, error_body("too_large", TOO_LARGE.zh, str(TOO_LARGE)))
    db.session.rollback()
    form = UploadForm(formdata=None)
    form.file.errors = [TOO_LARGE]
    error = Msg("The file was not accepted.", "文件未被接受。")
    error.code = "too_large"
    return _upload_page(form, 413, error=error)


@bp.get("/company/services/import/<int:task_id>")
@role_required(*COMPANY_ROLES)
def progress(task_id: int):
    f, task = company_import(account().company_id, task_id)
    view = progress_view(task)
    result = view["result"] or {}
    active = task.state in ("queued", "running")
    phase = result.get("phase") or ("validate" if task.state == "running" else None)
    lines, line_count = service_file.report_lines(f.report_csv, REPORT_LINES)
    return render_template("web/trace/import_progress.html", f=f, task=task, view=view, result=result, phase=phase,
                           active=active, refresh=REFRESH_SECONDS, has_report=f.report_csv is not None,
                           lines=lines, line_count=line_count, shown=REPORT_LINES)


@bp.get("/company/services/import/<int:task_id>/report.csv")
@role_required(*COMPANY_ROLES)
def report(task_id: int):
    f, _task = company_import(account().company_id, task_id)
    if f.report_csv is None:
        raise not_found("report", "报告")
    return Response(f.report_csv, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="services-import-{task_id}-report.csv"'})
