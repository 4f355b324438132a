"""A worker's serious listing from its notice to its repair, and the bulletin that carried it, in a real browser
(issue #15, item 7): the worker reads the notice in self-service and objects inside the window with a PDF; the
regulator accepts the objection and dismisses it within its deadline; the listing is decided, approved by a
second regulator and published; the card reads red and the public search finds it; the month's bulletin carries
it. A year later the worker applies for credit repair, the issuing agency approves it, the search no longer finds
the record and the card's colour no longer counts it; the old bulletin's files answer 410 at once, and the
month's bulletin is reissued without the record. Every step a person takes goes through the pages; the world,
the notice (recorded and sent as in test_sanction_journey) and the jobs (the hourly bulletin schedule and the
generation task) run through their code in this process. Time moves with the `clock` fixture (the live server
follows it).
"""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from tests.support.browserutil import PHONE, Journey
from tests.support.browserutil import TotpAgent as Regulator

pytestmark = pytest.mark.browser

# Monday 13 April 2026, 10:00 in Shanghai (decisions are recorded from 1 April 2026, rules.RULES_IN_FORCE): after
# Qingming, before Labour Day, so the objection window is plain working days.
START = datetime(2026, 4, 13, 2, 0, tzinfo=UTC)
WORKER_PHONE = "13800005678"  # tests.support.cardworld.green_worker's
PIN = "582016"
NOTICE_REASONS = "您在 2026 年 1 月至 2 月间三次未按合同提供服务且拒不退费，经查属实，拟列入严重失信主体名单。"
OBJECTION = "其中两次是客户临时取消，我有客户的微信记录和退款凭证，请核实。"
DISMISSAL = "经核查，所附凭证只涉及一次退费，另两次违约事实清楚，异议不成立。"
DECISION_NO = "成商务信〔2026〕21号"
STATEMENT = "已向三位客户全额退费，并参加了家政服务诚信培训，此后未再违约。"
# A valid enough PDF: the registry judges a document by its first bytes.
PDF = b"%PDF-1.7\n% refund receipts and the customers' messages\n"


def test_a_listed_worker_objects_is_listed_repairs_and_the_bulletin_is_reissued_without_it(
        app, factory, clock, live_server, browser, tmp_path, monkeypatch):
    from playwright.sync_api import expect

    from registry import clock as registry_clock
    from registry.bulletins import follow, generate, opendata, periods
    from registry.extensions import db
    from registry.keys import keyring
    from registry.notify.services import read_outbox
    from registry.sanctions import services as sanctions
    from registry.selfservice import services as selfservice
    from tests.support import sanctionutil
    from tests.support.cardworld import REAL_NAME, green_worker
    from tests.support.importutil import run_queued_tasks
    from tests.support.selfutil import last_activation_code

    # --- the world, through the services ----------------------------------------------------------------------
    # The registry's public address is the live server's, as in a deployment: the bulletin archive's links are
    # absolute under it (bulletins/views_model.absolute).
    monkeypatch.setitem(app.config, "PUBLIC_URL", live_server)
    clock.freeze(START)
    world = green_worker(factory)
    card_no = world.card_no
    agency = factory.agency("housekeeping", code="cd-commerce-repair")
    first_user = factory.agency_user(agency)
    first = Regulator(first_user)
    second = Regulator(factory.agency_user(agency))
    # The worker has self-service, activated with the code their employer had sent.
    now = registry_clock.now()
    selfservice.issue_activation_code(factory.ring, actor=world.admin, worker=world.worker, now=now)
    db.session.commit()
    selfservice.activate(factory.ring, card_no=card_no, code=last_activation_code(factory, WORKER_PHONE), pin=PIN,
                         now=now)
    db.session.commit()
    # The first regulator records the proposed listing (36 months: still public when repair becomes possible a
    # year after the decision) and notifies the worker, by text message and in self-service (the pages of these
    # two steps are driven in test_sanction_journey).
    listing = sanctionutil.record(factory, first_user.account, worker=world.worker, kind="serious_list",
                                  severity="serious", months=36, today=START.date(), bars_home_service=True)
    sanctions.notify_sanction(factory.ring, regulator=first_user.account, sanction=listing, today=START.date(),
                              reasons=NOTICE_REASONS)
    db.session.commit()
    ref = listing.ref
    until = sanctions.objection_until(listing).day
    # Five working days from Monday 13 April: 14 to 17 and 20 April.
    assert until == date(2026, 4, 20), until
    # The text message to the worker's mobile phone says so.
    texts = [m["text"] for m in read_outbox(factory.ring, limit=20)
             if m["kind"] == "notice" and m["recipient"] == "+86" + WORKER_PHONE]
    assert len(texts) == 1 and until.isoformat() in texts[0], texts

    journey = Journey(browser, tmp_path, "repair-journey")
    open_page, shot, csp_errors = journey.open_page, journey.shot, journey.csp_errors

    def regulator_signs_in(regulator: Regulator):
        page = open_page()
        page.goto(f"{live_server}/login")
        page.fill("#login", regulator.login)
        page.fill("#password", regulator.password)
        page.click("form[action^='/login'] button[type=submit]")
        page.wait_for_url(f"{live_server}/login/totp")
        page.fill("#code", regulator.code())
        page.click("form[action='/login/totp'] button[type=submit]")
        page.wait_for_url(f"{live_server}/regulator")  # their worklist
        return page

    def worker_signs_in():
        page = open_page()
        page.goto(f"{live_server}/me/login")
        page.fill("#card_no", card_no)
        page.fill("#pin", PIN)
        page.click("#worker-login form button[type=submit]")
        page.wait_for_url(f"{live_server}/me")
        return page

    def search_card_number(page) -> None:
        """The public search page, through its form, by the worker's card number."""
        response = page.goto(f"{live_server}/listings")
        assert response is not None and response.ok, f"/listings answered {response and response.status}"
        box = page.locator("form input[name='q']")
        box.fill(card_no)
        with page.expect_navigation():
            box.press("Enter")

    def bulletin_job(month) -> None:
        """The hourly schedule's two calls (jobs.housekeeping.queue_bulletins): withdraw the current versions that
        carry a changed record, then queue the generation of the ended periods without a current version — here
        only the month this journey is about (the real job would also queue every ended week since the log's
        first entry, which this journey does not look at); then the jobs process runs the generation task."""
        db.session.rollback()  # no read snapshot from before the server's writes (on SQLite a write would fail)
        follow.withdraw_affected(keyring())
        generate.queue(month, actor_ref="system:bulletins")
        db.session.commit()
        assert run_queued_tasks(app) == 1

    # 1. The worker signs in to self-service and reads the notice: the reasons and the window's last day.
    clock.freeze(START + timedelta(days=1))  # Tuesday 14 April
    page = worker_signs_in()
    expect(page.locator("#notices .count")).to_have_text("1")
    notice = page.locator(f"#notice-{ref}")
    expect(notice).to_contain_text("拟将您列入严重失信主体名单")
    expect(notice.locator(".notice-reasons")).to_have_text(NOTICE_REASONS)
    expect(notice.locator(".objection-until time")).to_have_attribute("datetime", until.isoformat())
    expect(notice.locator(".notice-rights")).to_contain_text("异议")
    # The case's facts name the complainant: they stay with the regulators.
    expect(page.locator("body")).not_to_contain_text("王建国")
    shot(page, "1-notice")

    # 2. It objects inside the window, with a PDF document chosen through the file input.
    page.click("#objections-link")
    page.wait_for_url(f"{live_server}/me/objections")
    objectable = page.locator(f"#objectable-{ref}")
    objectable.locator(f"#reasons-{ref}").fill(OBJECTION)
    receipt = tmp_path / "refund-receipts.pdf"
    receipt.write_bytes(PDF)
    objectable.locator(f"#documents-{ref}").set_input_files(str(receipt))
    shot(page, "2-object")
    objectable.get_by_role("button", name="提交异议").click()
    page.wait_for_url(f"{live_server}/me/objections")
    expect(page.locator(".flash")).to_contain_text("异议已提交")
    expect(objectable.locator(".objection-pending")).to_contain_text("正在处理中")
    filed = page.locator("#my-objections article.objection")
    expect(filed).to_have_count(1)
    expect(filed.locator("[data-state]")).to_have_attribute("data-state", "received")
    expect(filed).to_contain_text(OBJECTION)
    expect(filed.locator("dd").nth(1)).to_have_text("1")  # one document
    objection_ref = (filed.get_attribute("id") or "").removeprefix("objection-")
    assert objection_ref, filed.get_attribute("id")
    shot(page, "2-filed")

    # 3. The next day the first regulator finds it on the worklist, opens the document, accepts the objection,
    #    then dismisses it with reasons before its answer deadline.
    clock.freeze(START + timedelta(days=2))  # Wednesday 15 April
    page = regulator_signs_in(first)
    due = page.locator(f"#worklist-objection-{objection_ref}")
    expect(due).to_be_visible()
    due.locator("a").click()
    page.wait_for_url(re.compile(rf"/admin/sanctions/{ref}#objections$"))
    sanction_url = f"{live_server}/admin/sanctions/{ref}"
    objection = page.locator(f"#objection-{objection_ref}")
    expect(objection.locator(".objection-reasons")).to_have_text(OBJECTION)
    # Filed in the window: the listing may be decided only after the answer.
    expect(objection).to_contain_text("异议期内提出：答复前不得作出决定")
    document = objection.get_by_role("link", name="材料 1")
    fetched = page.request.get(f"{live_server}{document.get_attribute('href')}")
    assert fetched.status == 200 and fetched.body() == PDF
    objection.get_by_role("button", name="受理", exact=True).click()
    page.wait_for_url(f"{sanction_url}#objections")
    expect(page.locator(".flash")).to_contain_text("已办理该异议")
    expect(objection.locator("[data-state]")).to_have_attribute("data-state", "accepted")
    answer_by = date.fromisoformat(objection.locator("time.deadline").get_attribute("datetime"))
    # Ten working days from the acceptance (on the official calendar).
    assert answer_by > registry_clock.today() + timedelta(days=10), answer_by
    expect(objection.locator(".overdue")).to_have_count(0)
    objection.locator(f"#objection-reason-{objection_ref}").fill(DISMISSAL)
    objection.get_by_role("button", name="认定异议不成立").click()
    page.wait_for_url(f"{sanction_url}#objections")
    expect(objection.locator("[data-state]")).to_have_attribute("data-state", "dismissed")
    expect(objection).to_contain_text(DISMISSAL)
    assert registry_clock.today() <= answer_by
    shot(page, "3-dismissed")

    # 4. The worker reads the answer in self-service.
    page = worker_signs_in()
    page.click("#objections-link")
    page.wait_for_url(f"{live_server}/me/objections")
    answered = page.locator(f"#objection-{objection_ref}")
    expect(answered.locator("[data-state]")).to_have_attribute("data-state", "dismissed")
    expect(answered.locator(".objection-answer")).to_have_text(DISMISSAL)

    # 5. After the window the first regulator decides; the second approves and publishes.
    decided_on = until + timedelta(days=1)  # Tuesday 21 April
    clock.freeze(decided_on)
    page = regulator_signs_in(first)
    ready = page.locator(f"#ready-{ref}")
    expect(ready).to_be_visible()
    ready.locator("a").click()
    page.wait_for_url(sanction_url)
    page.fill("#decide-decision_no", DECISION_NO)
    page.click("#decide-submit")
    page.wait_for_url(sanction_url)
    expect(page.locator(".state")).to_have_attribute("data-state", "decided")
    expect(page.locator("#decision")).to_contain_text(f"{DECISION_NO} · {decided_on.isoformat()}")
    expect(page.locator("#approve-submit")).to_have_count(0)
    page = regulator_signs_in(second)
    page.locator(f"#approval-{ref} a").click()
    page.wait_for_url(sanction_url)
    page.click("#approve-submit")
    page.wait_for_url(sanction_url)
    expect(page.locator(".state")).to_have_attribute("data-state", "approved")
    page.click("#publish-submit")
    page.wait_for_url(sanction_url)
    expect(page.locator(".flash")).to_contain_text("已公示")
    expect(page.locator(".state")).to_have_attribute("data-state", "published")
    expect(page.locator("#is-public")).to_have_text("正在公示")
    shot(page, "5-published")

    # 6. The card reads red with the listing as its reason; the public search finds it by the card number.
    page = open_page()
    page.goto(f"{live_server}/c/{card_no}")
    status = page.locator("#status")
    expect(status).to_have_attribute("data-colour", "red")
    expect(status.locator("#reasons li[data-code='serious_listing']")).to_have_text("被列入严重失信主体名单")
    expect(page.locator("#sanction-list li[data-kind='serious_list']")).to_have_count(1)
    shot(page, "6-card-red")
    search_card_number(page)
    expect(page.locator(f"#listing-results li.listing[data-ref='{ref}']")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text(REAL_NAME)  # persons are shown masked

    # 7. After April ends, the month's bulletin is made (the schedule's work) and carries the listing.
    april = periods.parse("2026-04")
    clock.freeze(datetime(2026, 5, 6, 2, 0, tzinfo=UTC))
    bulletin_job(april)
    v1_names = opendata.file_names(april.key, 1)
    page = open_page()
    page.goto(f"{live_server}/bulletins?year=2026")
    v1 = page.locator("article.bulletin", has=page.locator(f"tr[data-name='{v1_names['pdf']}']"))
    expect(v1).to_have_attribute("data-state", "current")
    with page.expect_download() as got:
        v1.locator(f"tr[data-name='{v1_names['full.jsonl']}'] a").click()
    assert ref in {r["ref"] for r in opendata.parse_jsonl(Path(got.value.path()).read_bytes())}
    v1_pdf_href = v1.locator(f"tr[data-name='{v1_names['pdf']}'] a").get_attribute("href")
    shot(page, "7-bulletin")

    # 8. A year after the decision the worker may apply for repair, and does, signing the credit pledge.
    repair_from = date(2027, 4, 22)  # the day after the least publication period of a serious listing (1 year)
    clock.freeze(datetime(2027, 4, 26, 2, 0, tzinfo=UTC))  # Monday
    page = worker_signs_in()
    page.click("#sanctions-link")
    page.wait_for_url(f"{live_server}/me/sanctions")
    own = page.locator(f"#sanction-{ref}")
    expect(own).to_have_attribute("data-state", "published")
    expect(own.locator(".repair-from")).to_have_text(repair_from.isoformat())
    own.locator(f"#statement-{ref}").fill(STATEMENT)
    own.locator(f"#pledge-{ref}").check()
    shot(page, "8-apply")
    own.get_by_role("button", name="申请信用修复").click()
    page.wait_for_url(f"{live_server}/me/sanctions")
    expect(page.locator(".flash")).to_contain_text("已提交信用修复申请")
    expect(own.locator("li.repair")).to_have_attribute("data-state", "pending")
    expect(own.locator("form.repair-apply")).to_have_count(0)

    # 9. The second regulator (of the issuing agency) approves it from the worklist.
    page = regulator_signs_in(second)
    pending = page.locator("#repairs-pending li[id^='repair-']")
    expect(pending).to_have_count(1)
    repair_ref = (pending.get_attribute("id") or "").removeprefix("repair-")
    pending.locator("a").click()
    page.wait_for_url(sanction_url)
    application = page.locator(f"#repairs #repair-{repair_ref}")
    expect(application.locator(".repair-statement")).to_have_text(STATEMENT)
    application.locator("#repair-decide-decision-approve").check()
    shot(page, "9-approve")
    page.click("#repair-decide-submit")
    page.wait_for_url(sanction_url)
    expect(page.locator(".flash")).to_contain_text("已审核信用修复申请")
    expect(page.locator(".state")).to_have_attribute("data-state", "repaired")
    expect(page.locator(f"#repairs #repair-{repair_ref}")).to_have_attribute("data-state", "approved")
    expect(page.locator("#is-public")).to_have_text("未公示")

    # 10. The search no longer finds the record; the card's colour no longer counts it.
    page = open_page()
    search_card_number(page)
    expect(page.locator("#no-listings")).to_be_visible()
    expect(page.locator(f"li.listing[data-ref='{ref}']")).to_have_count(0)
    page.goto(f"{live_server}/c/{card_no}")
    status = page.locator("#status")
    # A year on, its health check and insurance have lapsed: yellow for those alone, the listing no longer counts.
    expect(status).to_have_attribute("data-colour", "yellow")
    expect(status.locator("#reasons li")).to_have_text(["体检已过期", "保险已过期"])
    expect(status.locator("#reasons li[data-code='serious_listing']")).to_have_count(0)
    expect(page.locator("#sanction-list li[data-kind='serious_list']")).to_have_count(0)
    card = shot(page, "10-card")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # 11. At once, before any job runs, the old bulletin's files are withheld.
    withheld = page.goto(v1_pdf_href)
    assert withheld is not None and withheld.status == 410, withheld and withheld.status
    expect(page.locator("body")).to_contain_text("停止公示")

    # 12. The hourly schedule withdraws April's bulletin and its next version is made without the record.
    clock.freeze(datetime(2027, 4, 26, 3, 0, tzinfo=UTC))
    bulletin_job(april)
    v2_names = opendata.file_names(april.key, 2)
    page = open_page()
    page.goto(f"{live_server}/bulletins?year=2026")
    old = page.locator("article.bulletin", has=page.locator(f"tr[data-name='{v1_names['pdf']}']"))
    expect(old).to_have_attribute("data-state", "withdrawn")
    expect(old.locator(".withdrawn-reason")).to_contain_text("1 条记录已信用修复")
    expect(old.locator(".withdrawn-reason")).not_to_contain_text(ref)
    expect(old.locator(".replaced-by")).to_contain_text("第 2 版")
    new = page.locator("article.bulletin", has=page.locator(f"tr[data-name='{v2_names['pdf']}']"))
    expect(new).to_have_attribute("data-state", "current")
    with page.expect_download() as got:
        new.locator(f"tr[data-name='{v2_names['full.jsonl']}'] a").click()
    assert ref not in {r["ref"] for r in opendata.parse_jsonl(Path(got.value.path()).read_bytes())}
    with page.expect_download() as got:
        new.locator(f"tr[data-name='{v2_names['pdf']}'] a").click()
    assert Path(got.value.path()).read_bytes().startswith(b"%PDF")
    shot(page, "12-reissued")

    assert card.stat().st_size > 10_000
    assert not csp_errors, csp_errors
    journey.close()
