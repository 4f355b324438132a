"""Pages: a worker's card (see, print, issue or reissue), the photo upload, and printing all staff's cards.

Only the worker's current employer reaches these pages; for anyone else the
worker does not exist (404). The card shows nothing personal (the masked name),
so viewing it writes no access record. The photo goes in and never comes back
out: these pages say only whether one is on file.

The bulk print runs as a queued task; its page reloads itself every two seconds
(a meta refresh: the CSP allows no inline script) until the PDF is ready.
"""
from __future__ import annotations

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for

from ..accounts.roles import COMPANY_ROLES
from ..clock import today
from ..errors import ApiError, Msg, not_found
from ..extensions import db
from ..keys import keyring
from ..tasks.models import Task
from ..tasks.services import progress_view
from ..web import account, apply_api_error, flash_msg, role_required, t
from ..workers import photos
from ..workers import services as workers
from . import print_runs, render, services
from .forms import ACCEPT, ActionForm, PhotoForm

bp = Blueprint("cards_web", __name__)

REFRESH_SECONDS = 2
CORRECT_FIELDS = Msg("Please correct the marked fields.", "请修改标出的内容。")
# The photo upload's body: the photo's limit and room for the multipart framing and the other fields.
PHOTO_BODY_LIMIT = photos.MAX_BYTES + 64 * 1024
STATES = {"queued": ("排队中", "Queued"), "running": ("进行中", "Running"), "done": ("已完成", "Done"),
          "failed": ("失败", "Failed")}


@bp.url_value_preprocessor
def _photo_body_limit(endpoint, _values):
    """A photo a little over the limit reaches the service, which names the field (instead of a bare 413)."""
    if endpoint == "cards_web.photo":
        request.max_content_length = PHOTO_BODY_LIMIT


def card_section(worker) -> dict:
    """The card and photo section of the worker's detailed page, which the workers pages render and pass in."""
    return {**services.card_summary(worker, today()), "issue_form": ActionForm(formdata=None),
            "photo_form": PhotoForm(formdata=None, consent_on=today()), "accept": ACCEPT,
            "max_mb": photos.MAX_BYTES // 2**20}


def _employer(card_no: str):
    """The worker and the user's company, which must employ them today."""
    user = account()
    company, worker = workers.employed_by(user, card_no)
    return user, company, worker


def _card_page(worker, status: int = 200, *, photo_form: PhotoForm | None = None, error: Msg | None = None,
               extra: list | None = None, failed: str | None = None):
    summary = services.card_summary(worker, today())
    latest = summary["latest"]
    view = render.card_view(keyring(), worker, latest, current_app.config["PUBLIC_URL"]) if latest else None
    html = render_template("web/cards/card.html", worker=worker, card=view, summary=summary,
                           issue_form=ActionForm(formdata=None),
                           photo_form=photo_form or PhotoForm(formdata=None, consent_on=today()),
                           accept=ACCEPT, max_mb=photos.MAX_BYTES // 2**20, error=error, extra=extra or [],
                           failed=failed)
    return html, status


@bp.get("/company/workers/<card_no>/card")
@role_required(*COMPANY_ROLES)
def card(card_no: str):
    _user, _company, worker = _employer(card_no)
    if card_no != worker.card_no:
        return redirect(url_for(".card", card_no=worker.card_no))
    return _card_page(worker)


@bp.get("/company/workers/<card_no>/card.pdf")
@role_required(*COMPANY_ROLES)
def card_pdf(card_no: str):
    _user, _company, worker = _employer(card_no)
    latest = services.printable_card(worker, today())
    view = render.card_view(keyring(), worker, latest, current_app.config["PUBLIC_URL"])
    return Response(render.render_pdf([view]), mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="card-{worker.card_no}-{latest.serial}.pdf"'})


@bp.post("/company/workers/<card_no>/card/issue")
@role_required(*COMPANY_ROLES)
def issue(card_no: str):
    user, company, worker = _employer(card_no)
    form = ActionForm()
    if not form.validate():
        return _card_page(worker, 400, error=CORRECT_FIELDS, failed="issue")
    latest = services.latest_card(worker.id)
    reissue = latest is not None
    if reissue and request.form.get("confirmed") != "yes":
        # Replacing the card the worker carries is not undone: say so, then a second post with `confirmed`.
        return _reissue_confirmation(worker, latest)
    try:
        issued = services.issue_card(keyring(), account=user, company=company, worker=worker, today=today())
    except ApiError as exc:
        error, extra = apply_api_error(None, exc)
        return _card_page(worker, exc.status, error=error, extra=extra, failed="issue")
    serial, number = issued.card.serial, worker.card_no
    db.session.commit()
    if reissue:
        flash_msg(f"已补发服务证（第 {serial} 张），此前的证件扫码将显示“已换发新证”。",
                  f"Card reissued (serial {serial}); earlier cards now scan as replaced.", "success")
    else:
        flash_msg("已发放服务证，可以打印。", "The card is issued and ready to print.", "success")
    return redirect(url_for(".card", card_no=number))


def _reissue_confirmation(worker, latest):
    masked, number, serial = worker.name_masked, worker.card_no, latest.serial
    return render_template(
        "web/confirm.html", title=t("确认补发服务证", "Confirm reissuing the card"),
        subject=t(f"{masked}（{number}）", f"{masked} ({number})"),
        consequences=[
            t(f"发放第 {serial + 1} 张服务证，卡号不变。", f"A new card, serial {serial + 1}, is issued; the card "
              "number stays the same."),
            t(f"此前的第 {serial} 张证件不再是现行证件：上门扫码将显示“已换发新证”，请收回或销毁旧证。",
              f"The earlier card, serial {serial}, stops being the current card: at the door it scans as "
              "replaced. Take the old card back or destroy it."),
        ],
        action=url_for(".issue", card_no=number), hidden={},
        confirm_label=t("补发服务证", "Reissue the card"), cancel=url_for(".card", card_no=number))


@bp.post("/company/workers/<card_no>/photo")
@role_required(*COMPANY_ROLES)
def photo(card_no: str):
    user, company, worker = _employer(card_no)
    form = PhotoForm()
    if not form.validate():
        return _card_page(worker, 400, photo_form=form, error=CORRECT_FIELDS, failed="photo")
    data = form.photo.data.read(photos.MAX_BYTES + 1)
    try:
        photos.set_photo(keyring(), account=user, company=company, worker=worker, data=data,
                         consent_on=form.consent_on.data, today=today())
    except ApiError as exc:
        error, extra = apply_api_error(form, exc)
        return _card_page(worker, exc.status, photo_form=form, error=error, extra=extra, failed="photo")
    number = worker.card_no
    db.session.commit()
    flash_msg("照片已加密保存，仅在居民经本人同意查看详情时显示。",
              "The photo is stored encrypted; it is shown only in the detailed view a resident opens with the "
              "worker's consent.", "success")
    return redirect(url_for(".card", card_no=number))


@bp.errorhandler(413)
def _too_large(_exc):
    """A body far over the photo's limit is refused before the view runs: say so on the card page."""
    from flask_login import current_user

    from ..errors import error_body, respond

    db.session.rollback()
    if not current_user.is_authenticated or current_user.role not in COMPANY_ROLES:
        return respond(413, error_body("photo_too_large", "照片超过 2 MiB。", "The photo is larger than 2 MiB."))
    card_no = (request.view_args or {}).get("card_no", "")
    try:
        _user, _company, worker = _employer(card_no)
    except ApiError:  # not this company's worker, or no worker at all: the plain answer
        return respond(413, error_body("photo_too_large", "照片超过 2 MiB。", "The photo is larger than 2 MiB."))
    form = PhotoForm(formdata=None, consent_on=today())
    message = Msg("The photo is larger than 2 MiB.", "照片超过 2 MiB。")
    form.photo.errors = [message]
    error = Msg("The photo was not accepted.", "照片未被接受。")
    error.code = "photo_too_large"
    return _card_page(worker, 413, photo_form=form, error=error, failed="photo")


# --- printing all current staff's cards -------------------------------------------------

@bp.post("/company/workers/cards/print")
@role_required(*COMPANY_ROLES)
def print_all():
    user = account()
    form = ActionForm()
    if not form.validate():
        flash_msg("表单已过期，请重试。", "The form expired; try again.", "error")
        return redirect(url_for("workers_web.staff"))
    try:
        task = print_runs.start_print(account=user, company=user.company, all_active=True)
    except ApiError as exc:
        db.session.rollback()
        flash_msg(exc.zh, exc.en, "error")
        return redirect(url_for("workers_web.staff"))
    task_id = task.id
    db.session.commit()
    flash_msg("已排队打印全部在职人员的服务证。", "Printing the cards of all current staff is queued.", "success")
    return redirect(url_for(".print_progress", task_id=task_id))


def _own_print(task_id: int) -> Task:
    user = account()
    task = db.session.get(Task, task_id)
    if task is None or task.kind != print_runs.TASK_KIND or task.owner_ref != user.company.log_ref:
        raise not_found("print run", "打印任务")
    return task


@bp.get("/company/workers/cards/print/<int:task_id>")
@role_required(*COMPANY_ROLES)
def print_progress(task_id: int):
    task = _own_print(task_id)
    view = progress_view(task)
    result = view["result"] or {}
    ready = print_runs.print_file(account().company, task_id) is not None
    return render_template("web/cards/print.html", task=task, view=view, result=result, ready=ready,
                           active=task.state in ("queued", "running"), refresh=REFRESH_SECONDS,
                           state_label=t(*STATES.get(task.state, (task.state, task.state))),
                           reasons=print_runs.SKIP_REASONS)


@bp.get("/company/workers/cards/print/<int:task_id>.pdf")
@role_required(*COMPANY_ROLES)
def print_pdf(task_id: int):
    _own_print(task_id)
    found = print_runs.print_file(account().company, task_id)
    if found is None:
        raise not_found("print run", "打印任务")
    return Response(found.pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="cards-{task_id}.pdf"'})
