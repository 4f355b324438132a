"""The worker pages: staff list, registration, the detailed record, records, corrections, ending."""
from __future__ import annotations

import random
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from registry.clock import today
from registry.extensions import db
from registry.log.models import LogEntry
from registry.workers import idnumber
from registry.workers.models import AccessRecord, Employment, Worker, WorkerRecord
from tests.support.attachutil import confirmation_texts, last_confirmation_code
from tests.support.webutil import count, csrf, log_actions, login, post_form, session_of, text

PASSWORD = "correct horse battery"
RNG = random.Random(4321)


def new_id(birth: date = date(1985, 3, 5)) -> str:
    return idnumber.generate(RNG, birth=birth)


def worker_data(**over) -> dict:
    data = {"name": "陈秀英", "id_number": new_id(), "phone": "13600001234", "occupation": "cleaner",
            "employment_kind": "labour_contract", "start_date": today().isoformat(), "social_insurance": "y"}
    data.update(over)
    return data


def register(client, **over):
    data = worker_data(**over)
    resp = post_form(client, "/company/workers/new", data)
    return resp, data


def card_of(resp) -> str:
    assert resp.status_code == 302, (resp.status_code, text(resp)[:2000])
    found = re.fullmatch(r"/workers/(JX[0-9A-Z]{11})", resp.headers["Location"])
    assert found, resp.headers["Location"]
    return found.group(1)


def company_client(app, factory, *, verified=True):
    """A signed-in client for a new company's admin."""
    company, admin = factory.company(verified=verified)
    c = app.test_client()
    assert login(c, admin.account.login, admin.password).status_code == 302
    return c, company, admin


def company_user_client(app, factory, company, admin, login_name="clerk-1"):
    """A signed-in client for a company_user (not an admin) of `company`."""
    from registry.accounts import services as accounts
    from registry.companies import services as companies

    new = companies.add_user(factory.ring, actor=admin.account, company=company, login=login_name, name="张三")
    db.session.commit()
    accounts.change_password(factory.ring, account=new.account, current=new.password, new=PASSWORD)
    db.session.commit()
    c = app.test_client()
    assert login(c, login_name, PASSWORD).status_code == 302
    return c


def regulator_client(app, factory):
    reg = factory.agency_user(factory.agency("housekeeping"))
    c = app.test_client()
    assert login(c, reg.account.login, reg.password, totp_secret=reg.totp_secret).status_code == 302
    return c


def add_record(client, card_no, kind, **fields):
    return post_form(client, f"/workers/{card_no}/records", {"kind": kind, **fields}, page=f"/workers/{card_no}")


def add_health(client, card_no, valid_until, checked_on=None, **extra):
    return add_record(client, card_no, "health", result="passed",
                      checked_on=(checked_on or today()).isoformat(), valid_until=valid_until.isoformat(), **extra)


def counts():
    return count(Worker), count(Employment), count(LogEntry)


def records_of(card_no) -> list[WorkerRecord]:
    db.session.rollback()
    worker = db.session.execute(select(Worker).where(Worker.card_no == card_no)).scalar_one()
    return list(worker.records)


# --- registration, the list and the detailed record -----------------------------------------

def test_register_list_masks_and_detail_shows_and_records_each_view(app, factory, caplog):
    c, company, _admin = company_client(app, factory)
    page = c.get("/company/workers/new")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert 'name="id_number"' in text(page) and "登记从业人员" in text(page)
    with caplog.at_level("DEBUG"):
        resp, data = register(c)
        card_no = card_of(resp)
        assert data["id_number"] not in resp.headers["Location"] and "13600001234" not in resp.headers["Location"]
        detail = c.get(f"/workers/{card_no}")
        listing = c.get("/company/workers")
    # Nothing personal in the log lines, the flash (kept in the session cookie) or any URL.
    for secret in (data["id_number"], "13600001234", "陈秀英"):
        assert secret not in caplog.text
        assert secret not in str(session_of(c))
    assert log_actions()[-1] == "worker:register"

    body = text(detail)
    assert detail.status_code == 200 and detail.headers["Cache-Control"] == "no-store"
    assert "陈秀英" in body and data["id_number"] in body and "+8613600001234" in body
    assert f"发放终身卡号 {card_no}" in body  # the flash
    assert "访问记录" in body
    # For the employer: the record forms and the end form.
    assert f'action="/workers/{card_no}/records"' in body and f'action="/workers/{card_no}/end"' in body

    rows = db.session.execute(select(AccessRecord)).scalars().all()
    assert len(rows) == 1 and rows[0].purpose == "employer_view" and rows[0].accessor_kind == "company"
    assert rows[0].organisation == company.name
    c.get(f"/workers/{card_no}")
    assert count(AccessRecord) == 2

    body = text(listing)
    assert listing.status_code == 200 and listing.headers["Cache-Control"] == "no-store"
    assert "陈**" in body and card_no in body and "保洁" in body and "劳动合同" in body
    assert "陈秀英" not in body and data["id_number"] not in body and "13600001234" not in body
    assert "badge-yellow" in body and "尚未进行身份核验" in body
    # The list reads no personal data: no access record for it.
    assert count(AccessRecord) == 2


def test_list_and_detail_in_english(app, factory):
    c, _company, _admin = company_client(app, factory)
    card_no = card_of(register(c)[0])
    body = text(c.get("/company/workers?lang=en"))
    assert "Register a worker" in body and "Cleaner" in body and "Identity not yet checked" in body
    body = text(c.get(f"/workers/{card_no}"))
    assert "Employment history" in body and "Labour contract" in body


def test_navigation_links_to_the_staff_list(app, factory):
    c, _company, _admin = company_client(app, factory)
    body = text(c.get("/company"))
    assert 'href="/company/workers"' in body and 'id="staff-link"' in body


def test_same_person_from_a_second_company_gets_an_employment(app, factory):
    a, company_a, _ = company_client(app, factory)
    b, company_b, _ = company_client(app, factory)
    resp, data = register(a)
    card_no = card_of(resp)
    resp, _ = register(b, id_number=data["id_number"], phone="13700005678", occupation="elderly_care",
                       employment_kind="service_agreement", social_insurance="")
    # An existing person: back to the staff list, where the attachment waits for the worker's confirmation.
    assert resp.status_code == 302 and resp.headers["Location"] == f"/company/workers#awaiting-{card_no}"
    assert count(Worker) == 1 and count(Employment) == 2
    assert log_actions()[-2:] == ["worker:register", "worker:employ:pending"]
    staff = text(b.get("/company/workers"))
    assert "待本人确认" in staff and "确认码" in staff and f'href="/workers/{card_no}"' not in staff
    assert b.get(f"/workers/{card_no}").status_code == 404
    # The code went to the phone registered first, not the one company B typed.
    assert confirmation_texts(factory, "13700005678") == []
    code = last_confirmation_code(factory, data["phone"])
    employment_id = db.session.execute(select(Employment.id).where(Employment.company_id == company_b.id)).scalar_one()
    wrong = post_form(b, f"/company/workers/{card_no}/employments/{employment_id}/confirm",
                      {"code": "2222-2222"}, page="/company/workers")
    assert wrong.status_code == 302 and b.get(f"/workers/{card_no}").status_code == 404
    resp = post_form(b, f"/company/workers/{card_no}/employments/{employment_id}/confirm", {"code": code},
                     page="/company/workers")
    assert card_of(resp) == card_no
    assert log_actions()[-1] == "worker:employ:confirm"
    body = text(b.get(f"/workers/{card_no}"))
    assert "已确认" in body
    assert company_a.name in body and company_b.name in body and "养老护理员" in body
    # Both companies list the worker.
    assert card_no in text(a.get("/company/workers")) and card_no in text(b.get("/company/workers"))


def test_a_company_user_registers_too(app, factory):
    _a, company, admin = company_client(app, factory)
    c = company_user_client(app, factory, company, admin)
    card_no = card_of(register(c)[0])
    assert c.get(f"/workers/{card_no}").status_code == 200


def _wrong_check(number: str) -> str:
    return number[:-1] + next(ch for ch in "0123456789X" if ch != number[-1])


@pytest.mark.parametrize("over, status, expected", [
    ({"id_number": _wrong_check(new_id())}, 422,
     ("证件号码有一位输错了", "One character of the ID number is mistyped", "id_number_checksum")),
    ({"id_number": new_id(birth=date(today().year - 15, 1, 1))}, 422,
     ("年满16周岁方可登记", "The person must be at least 16 years old.", "id_number_too_young")),
    ({"phone": "12345"}, 422, ("请填写有效的手机号码", "Give a mainland mobile number", "invalid_input")),
    ({"occupation": "astronaut"}, 400, ("请从列表中选择工种", "Choose an occupation from the list.", "invalid_input")),
    ({"employment_kind": "slavery"}, 400, ("请从选项中选择", "Choose one of the options.", "invalid_input")),
    ({"start_date": "2024-13-45"}, 400,
     ("请按 年-月-日 填写日期", "Write the date as year-month-day", "invalid_input")),
    ({"name": ""}, 400, ("请填写真实姓名", "Enter the real name.", "invalid_input")),
    ({"start_date": (today() + timedelta(days=40)).isoformat()}, 422,
     ("入职日期最多可提前 31 天登记", "The start date can be at most 31 days ahead.", "invalid_input")),
])
def test_bad_registration_input_is_refused_and_nothing_stored(app, factory, over, status, expected):
    c, _company, _admin = company_client(app, factory)
    before = counts()
    resp, _data = register(c, **over)
    assert resp.status_code == status
    body = text(resp)
    zh, en, code = expected
    # The page speaks its own language only; the stable code is at most the small support code.
    assert zh in body and en not in body
    if code != "invalid_input":
        assert f'<p class="support-code">支持代码: <span>{code}</span></p>' in body
    assert 'class="field-error"' in body and 'id="register-form"' in body
    assert counts() == before


def test_registration_without_csrf_is_refused(app, factory):
    c, _company, _admin = company_client(app, factory)
    before = counts()
    resp = c.post("/company/workers/new", data=worker_data())
    assert resp.status_code == 400
    body = text(resp)
    assert "csrf_failed" in body and "安全令牌" in body and "CSRF token" not in body
    assert counts() == before


def test_a_pending_company_is_refused(app, factory):
    c, _company, _admin = company_client(app, factory, verified=False)
    assert "尚未通过核验" in text(c.get("/company/workers/new"))
    assert "通过监管部门核验后才能登记从业人员" in text(c.get("/company/workers"))
    before = counts()
    resp, _ = register(c)
    assert resp.status_code == 403
    body = text(resp)
    assert "company_not_verified" in body and "暂不能登记从业人员" in body and "cannot register staff" not in body
    assert counts() == before


def test_registering_an_employed_person_again_is_a_conflict(app, factory):
    c, _company, _admin = company_client(app, factory)
    resp, data = register(c)
    card_of(resp)
    before = counts()
    resp, _ = register(c, id_number=data["id_number"])
    assert resp.status_code == 409 and "already_employed" in text(resp)
    resp, _ = register(c, id_number=data["id_number"], name="陈秀兰")
    assert resp.status_code == 422 and "identity_mismatch" in text(resp) and "姓名与该证件号码" in text(resp)
    assert counts() == before


# --- records ----------------------------------------------------------------------------

def test_add_health_check_and_training_records(app, factory):
    _a, company, admin = company_client(app, factory)
    c = company_user_client(app, factory, company, admin)
    card_no = card_of(register(c)[0])
    before = len(log_actions())
    resp = add_health(c, card_no, today() + timedelta(days=200))
    assert resp.status_code == 302 and resp.headers["Location"] == f"/workers/{card_no}#records-health"
    assert log_actions()[before:] == ["worker:record:add"]
    resp = add_record(c, card_no, "training", course="母婴护理初级", hours="40.5", exam_passed="yes",
                      trained_on=today().isoformat(), issuer="成都市家政服务协会")
    assert resp.status_code == 302
    assert log_actions()[before:] == ["worker:record:add", "worker:record:add"]
    body = text(c.get(f"/workers/{card_no}"))
    assert "已添加培训记录" in body and "母婴护理初级" in body and "40.5" in body and "成都市家政服务协会" in body
    assert str(today() + timedelta(days=200)) in body
    # The staff list shows the health check's valid-until date.
    assert str(today() + timedelta(days=200)) in text(c.get("/company/workers"))


@pytest.mark.parametrize("kind, fields, status, expected", [
    ("health", {"result": "passed", "checked_on": "TODAY", "valid_until": "YESTERDAY"}, 422, "有效期不能早于体检日期"),
    ("health", {"result": "passed", "checked_on": "TOMORROW", "valid_until": "TOMORROW"}, 422, "体检日期不能晚于今天"),
    ("health", {"result": "maybe", "checked_on": "TODAY", "valid_until": "TODAY"}, 400, "请从选项中选择"),
    ("health", {"checked_on": "TODAY", "valid_until": "TODAY"}, 400, "请选择结果"),
    ("training", {"course": "保洁", "hours": "abc", "exam_passed": "yes", "trained_on": "TODAY", "issuer": "协会"},
     400, "学时须在 0.1 到 2000 之间"),
    ("training", {"course": "保洁", "hours": "8", "trained_on": "TODAY", "issuer": "协会"}, 400, "请说明考核是否通过"),
    ("training", {"course": "保洁", "hours": "NaN", "exam_passed": "yes", "trained_on": "TODAY", "issuer": "协会"},
     400, "学时须在 0.1 到 2000 之间"),
    ("training", {"course": "保洁", "hours": "8.25", "exam_passed": "no", "trained_on": "TODAY", "issuer": "协会"},
     422, "学时须在 0.1 到 2000 之间"),
    ("insurance", {"insurer": "", "valid_from": "TODAY", "valid_until": "TODAY"}, 400, "请填写保险公司"),
    ("background", {"result": "passed", "checked_on": "TODAY", "authority": "x" * 101}, 400, "最多 100 个字符"),
    ("identity", {"result": "verified", "checked_on": "not a date"}, 400, "请按 年-月-日 填写日期"),
])
def test_bad_records_are_refused_and_nothing_stored(app, factory, kind, fields, status, expected):
    c, _company, _admin = company_client(app, factory)
    card_no = card_of(register(c)[0])
    days = {"TODAY": today(), "YESTERDAY": today() - timedelta(days=1), "TOMORROW": today() + timedelta(days=1)}
    fields = {k: days[v].isoformat() if v in days else v for k, v in fields.items()}
    before = counts() + (count(WorkerRecord),)
    resp = add_record(c, card_no, kind, **fields)
    assert resp.status_code == status
    body = text(resp)
    assert expected in body and 'class="field-error"' in body
    # The failing form is shown open, with its errors, on the detailed record (whose view is recorded).
    assert f'id="add-{kind}" class="add" open' in body and "陈秀英" in body
    assert counts() + (count(WorkerRecord),) == before


def test_unknown_record_kind_is_refused(app, factory):
    c, _company, _admin = company_client(app, factory)
    card_no = card_of(register(c)[0])
    before = counts()
    resp = add_record(c, card_no, "horoscope", result="passed")
    assert resp.status_code == 422 and "未知的记录类型" in text(resp)
    assert counts() == before


def test_correcting_a_record_supersedes_it(app, factory):
    c, _company, _admin = company_client(app, factory)
    card_no = card_of(register(c)[0])
    add_health(c, card_no, today() + timedelta(days=100))
    (old,) = records_of(card_no)
    body = text(c.get(f"/workers/{card_no}"))
    assert f'id="correct-{old.id}"' in body and f'id="fix-{old.id}-valid_until"' in body
    resp = add_health(c, card_no, today() + timedelta(days=365), supersedes=str(old.id))
    assert resp.status_code == 302
    assert log_actions()[-1] == "worker:record:correct"
    records = records_of(card_no)
    assert len(records) == 2 and records[1].supersedes_id == old.id
    body = text(c.get(f"/workers/{card_no}"))
    assert "已更正体检记录" in body
    assert f'class="record superseded" id="record-{old.id}"' in body and "已被更正" in body
    assert f"更正 #{old.id}" in body
    # The old one is still shown, but can no longer be corrected; the new one can.
    assert str(today() + timedelta(days=100)) in body
    assert f'id="correct-{old.id}"' not in body and f'id="correct-{records[1].id}"' in body
    before = counts()
    resp = add_health(c, card_no, today() + timedelta(days=30), supersedes=str(old.id))
    body = text(resp)
    assert resp.status_code == 422 and "cannot_supersede" in body and "只能更正本企业所做的同类现行记录" in body
    assert counts() == before


def test_a_correction_error_reopens_that_correction_form(app, factory):
    c, _company, _admin = company_client(app, factory)
    card_no = card_of(register(c)[0])
    add_health(c, card_no, today() + timedelta(days=100))
    (old,) = records_of(card_no)
    resp = add_health(c, card_no, today() - timedelta(days=1), supersedes=str(old.id))
    assert resp.status_code == 422
    body = text(resp)
    assert f'id="correct-{old.id}" class="correct" open' in body and "有效期不能早于体检日期" in body
    assert len(records_of(card_no)) == 1


# --- the staff list's filters and ending an employment ------------------------------------------

def test_thirty_day_expiry_filter(app, factory):
    c, _company, _admin = company_client(app, factory)
    soon = card_of(register(c, name="王芳")[0])
    later = card_of(register(c, name="欧阳娜娜")[0])
    none = card_of(register(c, name="李娟")[0])
    add_health(c, soon, today() + timedelta(days=10))
    add_health(c, later, today() + timedelta(days=60))
    body = text(c.get("/company/workers?expiring=health"))
    assert soon in body and "王*" in body
    assert later not in body and none not in body
    body = text(c.get("/company/workers?expiring=any"))
    assert soon in body and later not in body
    body = text(c.get("/company/workers?expiring=insurance"))
    assert soon not in body and 'id="no-staff"' in body
    body = text(c.get("/company/workers"))
    assert soon in body and later in body and none in body and "欧阳**" in body
    body = text(c.get("/company/workers?occupation=childcare"))
    assert 'id="no-staff"' in body
    body = text(c.get("/company/workers?status=yellow&occupation=cleaner"))
    assert soon in body and later in body
    assert 'id="no-staff"' in text(c.get("/company/workers?status=green"))


def test_bad_filter_is_a_400(app, factory):
    c, _company, _admin = company_client(app, factory)
    resp = c.get("/company/workers?expiring=tomorrow&status=purple")
    assert resp.status_code == 400
    body = text(resp)
    assert "请选择体检、保险或任一项" in body and "Choose green, yellow or red." not in body


def test_end_employment_moves_the_worker_to_ended(app, factory):
    c, _company, _admin = company_client(app, factory)
    card_no = card_of(register(c)[0])
    # An end date before the start is refused, nothing stored.
    before = counts()
    resp = post_form(c, f"/workers/{card_no}/end", {"end_date": (today() - timedelta(days=1)).isoformat()},
                     page=f"/workers/{card_no}")
    assert resp.status_code == 422 and "离职日期早于入职日期" in text(resp)
    assert counts() == before
    # The first post states the consequence and changes nothing; the confirmation ends it.
    resp = post_form(c, f"/workers/{card_no}/end", {"end_date": today().isoformat()}, page=f"/workers/{card_no}")
    page = text(resp)
    assert resp.status_code == 200 and 'id="consequence"' in page and 'name="confirmed" value="yes"' in page
    assert "从本企业的在职名单中移出" in page and "服务证随即失效" in page
    assert f'href="/workers/{card_no}"' in page  # cancel: back to the record
    assert counts() == before and log_actions()[-1] != "worker:employment:end"
    resp = post_form(c, f"/workers/{card_no}/end", {"end_date": today().isoformat(), "confirmed": "yes"},
                     page=f"/workers/{card_no}")
    assert resp.status_code == 302 and resp.headers["Location"] == "/company/workers?employment=ended"
    assert log_actions()[-1] == "worker:employment:end"
    body = text(c.get(resp.headers["Location"]))
    assert card_no in body and "用工已结束" in body
    assert card_no not in text(c.get("/company/workers"))
    assert card_no in text(c.get("/company/workers?employment=all"))
    # A former employer no longer opens the detailed record.
    assert c.get(f"/workers/{card_no}").status_code == 404


# --- access -------------------------------------------------------------------------------

def test_another_company_gets_404(app, factory):
    a, _company, _admin = company_client(app, factory)
    card_no = card_of(register(a)[0])
    b, _other, _ = company_client(app, factory)
    before = count(AccessRecord)
    resp = b.get(f"/workers/{card_no}")
    assert resp.status_code == 404 and "陈秀英" not in text(resp)
    token = csrf(b, "/company/workers")
    resp = b.post(f"/workers/{card_no}/records", data={"csrf_token": token, "kind": "health", "result": "passed",
                                                       "checked_on": today().isoformat(),
                                                       "valid_until": today().isoformat()})
    assert resp.status_code == 404
    resp = b.post(f"/workers/{card_no}/end", data={"csrf_token": token, "end_date": today().isoformat()})
    assert resp.status_code == 404
    assert count(AccessRecord) == before


def test_card_number_typo_and_unknown_card(app, factory):
    c, _company, _admin = company_client(app, factory)
    card_no = card_of(register(c)[0])
    typo = card_no[:-1] + next(ch for ch in "0123456789" if ch != card_no[-1])
    resp = c.get(f"/workers/{typo}")
    assert resp.status_code == 422 and "card_no_typo" in text(resp)
    assert c.get("/workers/NOTACARD").status_code == 404
    # Lower case finds the card, at its one address.
    resp = c.get(f"/workers/{card_no.lower()}")
    assert resp.status_code == 302 and resp.headers["Location"] == f"/workers/{card_no}"


def test_a_regulator_sees_the_detail_read_only(app, factory):
    c, _company, _admin = company_client(app, factory)
    resp, data = register(c)
    card_no = card_of(resp)
    add_health(c, card_no, today() + timedelta(days=100))
    r = regulator_client(app, factory)
    before_reads = count(AccessRecord)
    # Nothing personal opens on a plain GET: the regulator is asked why first.
    resp = r.get(f"/workers/{card_no}")
    assert resp.status_code == 302 and resp.headers["Location"] == f"/regulator/workers?card_no={card_no}"
    assert count(AccessRecord) == before_reads
    resp = post_form(r, "/regulator/workers", {"card_no": card_no, "purpose": "inspection"},
                     page=f"/regulator/workers?card_no={card_no}")
    body = text(resp)
    assert resp.status_code == 200 and "陈秀英" in body and data["id_number"] in body
    assert "/records" not in body and f"/workers/{card_no}/end" not in body and 'id="read-only"' in body
    assert "correct-" not in body
    row = db.session.execute(select(AccessRecord).order_by(AccessRecord.id.desc())).scalars().first()
    assert row.purpose == "regulator_view:inspection" and row.accessor_kind == "regulator"
    # Regulators have no staff list and cannot write.
    assert r.get("/company/workers").status_code == 403
    token = csrf(r, "/regulator/workers")
    before = counts()
    assert r.post(f"/workers/{card_no}/records", data={"csrf_token": token, "kind": "health"}).status_code == 403
    assert counts() == before


def test_signed_out_users_are_sent_to_log_in(client):
    resp = client.get("/company/workers")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    resp = client.get("/workers/JX0000000000")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


# --- finding someone on the staff list -----------------------------------------------------

def search(client, **fields):
    """Post the staff list's search form (its terms travel in the body)."""
    return post_form(client, "/company/workers", {"employment": "active", **fields})


def staff_cards(body: str) -> list[str]:
    return re.findall(r'class="staff-row[^"]*" data-card="(JX[0-9A-Z]{11})"', body)


def test_search_by_card_number_exact_name_and_phone(app, factory, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    c, _company, _admin = company_client(app, factory)
    wang = card_of(register(c, name="王芳", phone="13611112222")[0])
    ouyang = card_of(register(c, name="欧阳娜娜", phone="13633334444")[0])
    namesake = card_of(register(c, name="王芳", phone="13655556666")[0])
    other, _, _ = company_client(app, factory)
    outsider = card_of(register(other, name="王芳", phone="13611112222")[0])

    # The exact name, as registration normalises it (surrounding spaces dropped): both namesakes, nobody else's.
    resp = search(c, name="  王芳 ")
    assert resp.status_code == 200
    assert sorted(staff_cards(text(resp))) == sorted([wang, namesake]) and outsider not in text(resp)
    # Exact, not a prefix or a part.
    assert staff_cards(text(search(c, name="王"))) == []
    assert 'id="no-staff"' in text(search(c, name="欧阳娜"))
    # The phone in any usual spelling finds the one person registered with it.
    assert staff_cards(text(search(c, phone="136-3333-4444"))) == [ouyang]
    assert staff_cards(text(search(c, phone="+86 136 1111 2222"))) == [wang]
    # Name and phone together must both match.
    assert staff_cards(text(search(c, name="王芳", phone="13655556666"))) == [namesake]
    assert staff_cards(text(search(c, name="欧阳娜娜", phone="13655556666"))) == []
    # The card number, typed in lower case, by the form or in a link.
    assert staff_cards(text(search(c, card_no=ouyang.lower()))) == [ouyang]
    assert staff_cards(text(c.get(f"/company/workers?card_no={wang}"))) == [wang]
    # Another company's worker is never found, even by card number.
    assert 'id="no-staff"' in text(search(c, card_no=outsider))
    # Search and filters combine.
    assert staff_cards(text(search(c, name="王芳", occupation="childcare"))) == []
    # The typed name and phone reach neither the application log nor any address.
    logged = caplog.text
    for typed in ("王芳", "欧阳娜娜", "13633334444", "136-3333-4444", "+8613633334444", "13611112222"):
        assert typed not in logged


def test_a_name_or_phone_in_an_address_is_ignored(app, factory):
    c, _company, _admin = company_client(app, factory)
    first = card_of(register(c, name="王芳")[0])
    second = card_of(register(c, name="李娟", phone="13677778888")[0])
    # The list never searches by what a URL carries: a shared or logged link cannot name a person.
    body = text(c.get("/company/workers?name=王芳&phone=13677778888"))
    assert sorted(staff_cards(body)) == sorted([first, second])
    assert 'value="王芳"' not in body and 'value="13677778888"' not in body
    # The page's own form posts, so the browser never puts the terms in the address either.
    assert '<form method="post" action="/company/workers" class="card filters" id="filters"' in body


def test_search_terms_that_cannot_match_are_field_errors(app, factory):
    c, _company, _admin = company_client(app, factory)
    resp = search(c, phone="12345", name="王芳")
    assert resp.status_code == 422
    body = text(resp)
    assert 'id="phone-error"' in body and "请填写有效的手机号码" in body
    resp = search(c, card_no="JX123")
    assert resp.status_code == 422
    assert 'id="card_no-error"' in text(resp)
    resp = search(c, name="王芳<script>")
    assert resp.status_code == 422 and 'id="name-error"' in text(resp)
    # Without its CSRF token the search is refused like any form.
    assert c.post("/company/workers", data={"name": "王芳"}).status_code == 400


def _register_many(factory, company, admin, n: int) -> list[str]:
    from registry.workers import services

    cards = []
    for i in range(n):
        reg = services.register_worker(
            factory.ring, account=admin.account, company=company, today=today(),
            person=services.Person(f"员工{chr(0x4E00 + i)}", new_id(date(1980, 1, 1) + timedelta(days=i)),
                                   f"1360000{i:04d}"),
            engagement=services.Engagement("cleaner", "labour_contract", today(), True))
        db.session.flush()
        cards.append(reg.worker.card_no)
    db.session.commit()
    return cards


def test_the_staff_list_shows_fifty_a_page(app, factory):
    c, company, admin = company_client(app, factory)
    cards = _register_many(factory, company, admin, 53)
    first = text(c.get("/company/workers"))
    assert staff_cards(first) == cards[:50]
    assert 'id="staff-count">53<' in first and "第 1 页，共 2 页" in first
    assert 'id="page-next"' in first and 'id="page-previous"' not in first
    # The pager's buttons post the search form, so a search's terms stay out of the address.
    assert re.search(r'<button type="submit" form="filters" name="page" value="2"', first)
    second = text(search(c, page="2"))
    assert staff_cards(second) == cards[50:] and 'id="page-previous"' in second and 'id="page-next"' not in second
    assert staff_cards(text(c.get("/company/workers?page=2"))) == cards[50:]
    # Past the end: nobody, no error.
    assert 'id="no-staff"' in text(c.get("/company/workers?page=9"))
    for bad in ("0", "-1", "x", str(2**31)):
        assert c.get(f"/company/workers?page={bad}").status_code == 400, bad


# --- a pending company sees no form it cannot use ----------------------------------------

def test_a_pending_company_sees_why_and_no_forms(app, factory):
    factory.agency("housekeeping", code="cd-commerce-test")
    c, _company, _admin = company_client(app, factory, verified=False)
    staff = text(c.get("/company/workers"))
    for form_id in ('id="register-worker"', 'id="import-workers"', 'id="print-all-cards"'):
        assert form_id not in staff
    assert 'id="not-verified"' in staff and "约 5 个工作日" in staff
    register_page = text(c.get("/company/workers/new"))
    assert 'id="register-form"' not in register_page and 'id="not-verified"' in register_page
    upload = text(c.get("/company/workers/import"))
    assert 'id="upload-form"' not in upload and 'id="not-verified"' in upload
    english = text(c.get("/company/workers?lang=en"))
    assert "waiting for" in english and "about 5 working days" in english
