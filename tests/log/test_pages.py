"""The public "how to verify" page (zh/en, worked example) and the operators' log page."""
from __future__ import annotations

import base64
import html
import re

import pyotp
from sqlalchemy import select

from registry.extensions import db
from registry.log.models import LogAlarm, LogEntry
from registry.tlog import merkle
from tests.support.logutil import ORIGIN, append_synthetic, sign, sql

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def page(client, url: str) -> str:
    resp = client.get(url)
    assert resp.status_code == 200, (url, resp.status_code)
    return resp.get_data(as_text=True)


def no_inline_script_or_style(body: str) -> None:
    assert "<script" not in body and "<style" not in body and " style=" not in body
    assert " onclick=" not in body and "javascript:" not in body


def test_the_page_explains_and_works_an_example_in_both_languages(client, app, factory):
    factory.company()  # a few real entries
    sign(factory.ring)
    append_synthetic(factory.ring, 9)
    sign(factory.ring)
    zh = page(client, "/log")
    en = page(client, "/log?lang=en")
    no_inline_script_or_style(zh)
    no_inline_script_or_style(en)
    assert "如何验证家信的透明日志" in zh and "实例：验证第 0 号条目" in zh
    assert "How to verify Jiaxin's transparency log" in html.unescape(en) and "Worked example: verifying entry 0" in en
    entry = db.session.get(LogEntry, 0)
    cp_note = client.get("/api/v1/log/checkpoint").get_data(as_text=True)
    for body in (zh, en):
        text = html.unescape(body)
        assert cp_note in text
        assert entry.body.decode() in text
        assert base64.b64encode(entry.leaf_hash).decode() in text
        assert client.get("/api/v1/log/key").get_data(as_text=True).strip() in text
    # The steps end at the checkpoint's root.
    size = int(cp_note.split("\n")[1])
    root = base64.b64encode(merkle.root_from_leaves(
        [bytes(h) for h in db.session.scalars(select(LogEntry.leaf_hash).order_by(LogEntry.seq))][:size])).decode()
    steps = re.search(r'<table id="example-steps">(.*?)</table>', en, re.S).group(1)
    assert re.findall(r"<td><code>([^<]+)</code></td></tr>", steps)[-1] == root
    assert 'id="example-consistency"' in en  # a previous checkpoint exists
    assert "c2sp.org/tlog-proof@v1" in html.unescape(en)


def test_the_page_before_any_checkpoint(client, app):
    body = page(client, "/log?lang=en")
    assert "no signed checkpoint yet" in body and ORIGIN in body


def login_operator(app, factory):
    operator = factory.agency(kind="operator", sector=None, code="ops")
    admin = factory.agency_user(operator, role="operator_admin")
    c = app.test_client()
    token = CSRF_RE.search(page(c, "/login")).group(1)
    resp = c.post("/login", data={"login": admin.account.login, "password": admin.password, "csrf_token": token})
    assert resp.status_code == 302
    token = CSRF_RE.search(page(c, "/login/totp")).group(1)
    resp = c.post("/login/totp", data={"code": pyotp.TOTP(admin.totp_secret).now(), "csrf_token": token})
    assert resp.status_code == 302
    return c


def test_operators_see_alarms_and_checkpoints_and_acknowledge(app, factory):
    append_synthetic(factory.ring, 3)
    sign(factory.ring)
    append_synthetic(factory.ring, 2)
    sql("UPDATE log_entries SET hmac = :h WHERE seq = 4", h="0" * 64)
    assert sign(factory.ring).status == "refused"
    c = login_operator(app, factory)
    body = page(c, "/admin/log?lang=en")
    no_inline_script_or_style(body)
    assert "entry 4: HMAC does not verify" in body and "checkpoint_refused" in body
    alarm_id = db.session.scalars(select(LogAlarm)).one().id
    token = CSRF_RE.search(body).group(1)
    assert c.post(f"/admin/log/alarms/{alarm_id}/acknowledge").status_code == 400, "CSRF required"
    resp = c.post(f"/admin/log/alarms/{alarm_id}/acknowledge", data={"csrf_token": token})
    assert resp.status_code == 302
    db.session.rollback()
    assert db.session.get(LogAlarm, alarm_id).acknowledged
    assert "Acknowledged" in page(c, "/admin/log?lang=en")


def test_the_operators_page_is_for_operators(app, client, factory):
    assert client.get("/admin/log").status_code in (302, 401)
    company, admin = factory.company()
    c = app.test_client()
    token = CSRF_RE.search(page(c, "/login")).group(1)
    c.post("/login", data={"login": admin.account.login, "password": admin.password, "csrf_token": token})
    assert c.get("/admin/log").status_code == 403
