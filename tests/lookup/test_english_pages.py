"""The English pages a resident and a worker read read as English: counted nouns agree with their number, dates
stand where English puts them, no Chinese punctuation inside English sentences, and dates are marked up so they
never break across lines on a phone."""
from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

from registry.clock import now
from registry.extensions import db
from registry.selfservice import services
from registry.web import plural
from registry.workers import services as workers
from tests.support.cardworld import green_worker, issue
from tests.support.selfutil import PIN, last_activation_code
from tests.support.webutil import post_form, text

CJK_PUNCTUATION = re.compile(r"[，。：；、（）！？【】]")
BAD_FORMS = ("1 courses", "1 hours", "1 exams", "Valid valid until", "issued, valid until", "valid until  ",
             "courses, ", "hours; exams passed")


def _main(html: str) -> str:
    return html[html.index('<main class="content"'):html.index("</main>")]


def _prose(html: str, *data: str) -> str:
    """The page's visible text without tags and without the records' own data (company names are Chinese)."""
    body = re.sub(r"<[^>]+>", " ", _main(html))
    for value in data:
        body = body.replace(value, " ")
    return body


def test_plural_agrees_with_the_number():
    assert (plural(1, "course"), plural(2, "course"), plural(0, "course")) == ("course", "courses", "courses")
    assert plural("1.0", "hour") == "hour" and plural("24.0", "hour") == "hours"
    assert plural(1, "row is", "rows are") == "row is" and plural(3, "row is", "rows are") == "rows are"


def test_the_english_card_page_reads_as_english(app, client, factory):
    from registry.cards import services as cards

    world = green_worker(factory)
    card = issue(factory, world)
    scanned = urlsplit(cards.qr_payload(factory.ring, world.worker, card, app.config["PUBLIC_URL"]))
    # Opened at the official address, as the QR says: the verdict then reads genuine.
    html = text(client.get(f"{scanned.path}?{scanned.query}&lang=en", base_url=app.config["PUBLIC_URL"]))
    assert '<html lang="en">' in html
    for bad in BAD_FORMS:
        assert bad not in html, bad
    issued, until = card.issued_on.isoformat(), card.valid_until.isoformat()
    card_issue = re.search(r'<dd id="card-issue">(.*?)</dd>', html, re.S).group(1)
    assert card_issue == f"Serial 1, issued <time>{issued}</time>, valid until <time>{until}</time>"
    training = re.search(r'<dd id="training">(.*?)</dd>', html, re.S).group(1)
    assert training.strip() == "1 course, 24.0 hours; 1 exam passed"
    assert f"Scanned card: serial 1, valid until <time>{until}</time>" in html
    assert f"(Cleaner, since <time>{world.today - timedelta(days=40)}</time>)" in html
    assert not CJK_PUNCTUATION.findall(_prose(html, world.company.name, world.worker.name_masked))
    # In Chinese the same facts keep their Chinese order and punctuation.
    zh = text(client.get(f"/c/{world.card_no}?lang=zh"))
    assert f"第 1 张，<time>{issued}</time> 发证，有效期至 <time>{until}</time>" in zh
    assert "1 门课程，共 24.0 学时；考核通过 1" in zh


def test_two_courses_are_courses(client, factory):
    world = green_worker(factory)
    workers.add_record(factory.ring, account=world.admin, company=world.company, worker=world.worker,
                       kind="training", data={"course": "母婴护理", "hours": "16", "exam_passed": False,
                                              "trained_on": world.today - timedelta(days=5), "issuer": "成都家政学院"},
                       today=world.today)
    db.session.commit()
    html = text(client.get(f"/c/{world.card_no}?lang=en"))
    training = re.search(r'<dd id="training">(.*?)</dd>', html, re.S).group(1)
    assert training.strip() == "2 courses, 40.0 hours; 1 exam passed"


def test_the_residents_detailed_view_says_valid_until_once(app, factory):
    world = green_worker(factory)
    worker_phone = app.test_client()
    # The card world's worker has a phone of their own: the code is read from the outbox for that number.
    services.issue_activation_code(factory.ring, actor=world.admin, worker=world.worker, now=now())
    db.session.commit()
    code = last_activation_code(factory, phone="13800005678")
    resp = post_form(worker_phone, "/me/activate", {"card_no": world.card_no, "code": code, "pin": PIN, "pin2": PIN})
    assert resp.status_code == 302
    made = post_form(worker_phone, "/me/consent-codes", page="/me")
    assert made.status_code == 303  # the code is shown by the page it redirects to
    consent = re.search(r'data-code="([0-9A-Z]{8})"', text(worker_phone.get(made.headers["Location"]))).group(1)
    resident = app.test_client()
    resident.get("/?lang=en")
    spent = post_form(resident, f"/c/{world.card_no}/detail", {"consent_code": consent})
    assert spent.status_code == 303
    shown = resident.get(spent.headers["Location"])
    html = text(shown)
    assert shown.status_code == 200 and '<html lang="en">' in html
    assert "Valid valid until" not in html
    health = re.search(r'<dd id="health">(.*?)</dd>', html, re.S).group(1)
    assert re.sub(r"<[^>]+>|\s+", " ", health).split() == ["Valid", "until", str(world.today + timedelta(days=300))]
    assert "24.0 hours" in html
