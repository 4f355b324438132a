"""Printing many cards at once: a queued task that issues what is missing, then renders one PDF.

`start_print` checks the request up front (every card number must be one of the
company's current staff, or nothing is queued) and queues the task; the task
(`run_print`) issues a card — one log entry each, committed in batches — to every
listed worker without a card that still stands, then renders one PDF with a page
per printable card and stores it for the company to download. A second run over
the same staff issues nothing new: it prints the cards they already hold.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..accounts.models import Account
from ..companies.access import require_member
from ..companies.models import Company
from ..errors import ApiError
from ..extensions import db
from ..keys import KeyRing
from ..log.services import lock_head
from ..sanctions import access as market
from ..tasks.services import enqueue
from ..workers import cardno
from ..workers.models import Employment, Worker
from ..workers.services import active_employment, status_of
from . import render, services
from .models import CardPrint

TASK_KIND = "card_print"
BATCH = 50
# One print run at most this many cards: WeasyPrint holds the whole document in memory (about 0.5 MB and 30 ms
# a card), so 500 cards take some 15 s and 250 MB in the jobs process; larger staffs print in parts by card number.
MAX_CARDS = 500
# Refused card numbers named one by one in the error, at most.
MAX_NAMED = 50

SKIP_REASONS = {
    "not_employed": ("已不在本企业任职", "No longer employed by the company"),
    "red": ("状态为红色，不能发证", "Status is red: no card can be issued"),
    "no_card": ("没有有效的服务证", "No card that still stands"),
}


def active_staff_card_nos(company: Company) -> list[str]:
    """The card numbers of the company's current staff, in the order they joined."""
    rows = db.session.execute(
        select(Worker.card_no).join(Employment, Employment.worker_id == Worker.id)
        .where(Employment.company_id == company.id, Employment.active)
        .order_by(Employment.id)).scalars()
    return list(dict.fromkeys(rows))


def _refuse(fields: dict) -> ApiError:
    return ApiError(422, "card_nos_refused", "部分卡号不是本企业在职人员的有效卡号，未排队打印。",
                    "Some card numbers are not valid numbers of the company's current staff; nothing was queued.",
                    fields)


def checked_card_nos(company: Company, raw: list[str]) -> list[str]:
    """The listed numbers normalised and de-duplicated, or a 422 naming every one that is refused."""
    if not raw:
        raise ApiError(422, "invalid_input", "输入有误。", "The input is not valid.",
                       {"card_nos": {"en": "List at least one card number.", "zh": "请至少列出一个卡号。"}})
    if len(raw) > MAX_CARDS:
        raise ApiError(422, "invalid_input", "输入有误。", "The input is not valid.",
                       {"card_nos": {"en": f"At most {MAX_CARDS} cards a print run.",
                                     "zh": f"每次最多打印 {MAX_CARDS} 张。"}})
    fields: dict = {}
    numbers: dict[str, int] = {}
    for i, value in enumerate(raw):
        result = cardno.validate(value or "")
        if not result.ok:
            fields[f"card_nos.{i}"] = {"en": result.message_en, "zh": result.message_zh}
        else:
            numbers.setdefault(result.card_no, i)
    staff = set(active_staff_card_nos(company)) if numbers else set()
    for number, i in numbers.items():
        if number not in staff:
            fields[f"card_nos.{i}"] = {"en": f"{number} is not one of your company's current staff.",
                                       "zh": f"{number} 不是本企业的在职人员。"}
    if fields:
        named = dict(sorted(fields.items(), key=lambda kv: int(kv[0].split(".")[1]))[:MAX_NAMED])
        raise _refuse(named)
    return list(numbers)


def start_print(*, account: Account, company: Company, card_nos: list[str] | None = None,
                all_active: bool = False):
    """Queue a print run for the listed staff (or all current staff); return the task. No log entry."""
    require_member(account, company)
    if all_active:
        numbers = active_staff_card_nos(company)
        if not numbers:
            raise ApiError(409, "no_active_staff", "本企业没有在职人员，无需打印。",
                           "The company has no current staff to print cards for.")
        if len(numbers) > MAX_CARDS:
            raise ApiError(422, "too_many_cards", f"在职人员超过 {MAX_CARDS} 人，请按卡号分批打印。",
                           f"More than {MAX_CARDS} current staff: print them in parts by card number.",
                           {"all_active": {"en": f"At most {MAX_CARDS} cards a print run.",
                                           "zh": f"每次最多打印 {MAX_CARDS} 张。"}})
    else:
        numbers = checked_card_nos(company, card_nos or [])
    return enqueue(TASK_KIND, {"company_id": company.id, "account_id": account.id, "card_nos": numbers},
                   actor_ref=account.ref, owner_ref=company.log_ref)


def _workers(numbers: list[str]) -> dict[str, Worker]:
    rows = db.session.execute(
        select(Worker).where(Worker.card_no.in_(numbers))
        .options(selectinload(Worker.employments), selectinload(Worker.records))).scalars()
    return {w.card_no: w for w in rows}


def _employed(worker: Worker | None, company: Company) -> bool:
    return worker is not None and active_employment(worker, company) is not None


def run_print(ring: KeyRing, ctx, *, today: date, public_url: str, batch: int = BATCH) -> None:
    """Issue the missing cards batch by batch (resumable), then render and store the one PDF."""
    company = db.session.get(Company, ctx.args["company_id"])
    account = db.session.get(Account, ctx.args["account_id"])
    numbers: list[str] = ctx.args["card_nos"]
    cursor = ctx.cursor or {"next": 0, "issued": 0, "today": today.isoformat()}
    if cursor.get("printed"):
        return  # stopped right after its last commit: the PDF is stored
    # A resumed run judges cards as of the day it started.
    today = date.fromisoformat(cursor["today"])
    total = len(numbers)
    for start in range(cursor["next"], total, batch):
        chunk = numbers[start:start + batch]
        # The head's lock before reading: a card another run (or a page) issued meanwhile is seen, not doubled.
        lock_head()
        workers = _workers(chunk)
        listed = market.serious_listed_workers((w.id for w in workers.values()), today)
        issued = 0
        for number in chunk:
            worker = workers.get(number)
            if not _employed(worker, company) or services.current_card(worker, today) is not None:
                continue
            if status_of(worker, today, listed=worker.id in listed).colour == "red":
                continue
            services.issue_card(ring, account=account, company=company, worker=worker, today=today)
            issued += 1
        cursor = {**cursor, "next": start + len(chunk), "issued": cursor["issued"] + issued}
        ctx.commit_batch(cursor["next"], total, cursor,
                         result={"phase": "issue", "issued": cursor["issued"], "cards": 0, "skipped": []})
    views, skipped = [], []
    workers = _workers(numbers)
    # Read again for the printing: a listing that took effect since the batches were issued stops its cards.
    listed = market.serious_listed_workers((w.id for w in workers.values()), today)
    for number in numbers:
        worker = workers.get(number)
        if not _employed(worker, company):
            skipped.append({"card_no": number, "reason": "not_employed"})
            continue
        card = services.current_card(worker, today)
        if status_of(worker, today, listed=worker.id in listed).colour == "red":
            # Never print a red worker's card, even one issued before the status turned.
            skipped.append({"card_no": number, "reason": "red"})
            continue
        if card is None:
            skipped.append({"card_no": number, "reason": "no_card"})
            continue
        views.append(render.card_view(ring, worker, card, public_url))
    if views:
        db.session.add(CardPrint(task_id=ctx.task_id, company_id=company.id, cards=len(views),
                                 pdf=render.render_pdf(views)))
    ctx.commit_batch(total, total, {**cursor, "next": total, "printed": True},
                     result={"phase": "done", "issued": cursor["issued"], "cards": len(views), "skipped": skipped})


def print_file(company: Company, task_id: int) -> CardPrint | None:
    """The finished print run's PDF, if the task is the company's and has finished."""
    return db.session.execute(
        select(CardPrint).where(CardPrint.task_id == task_id, CardPrint.company_id == company.id)
    ).scalar_one_or_none()
