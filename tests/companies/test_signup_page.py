"""Company sign-up through the page: the happy path and bad input."""
from sqlalchemy import select

from registry.accounts.models import Account
from registry.companies.models import Company
from registry.extensions import db
from registry.log.models import LogEntry
from tests.support.webutil import count, csrf, log_actions, post_form, text

CHECKSUM_FAILS = "91350203M0001QAY9B"  # a real-looking code whose check character is wrong


def signup_data(factory, **over):
    data = {
        "uscc": factory.uscc(), "name": "成都安心家政服务有限公司", "sectors": ["housekeeping"],
        "business_model": "employee", "contracts": "y", "social_insurance": "y", "minimum_wage": "y",
        "ongoing_training": "y", "district": "510107", "contact_name": "欧阳娜娜", "contact_phone": "13912345678",
        "admin_login": "anxin-admin", "admin_name": "欧阳娜娜", "admin_password": "a long enough password",
        "admin_password_confirm": "a long enough password",
    }
    data.update(over)
    return {k: v for k, v in data.items() if v is not None}


def assert_nothing_stored():
    assert count(Company) == 0
    assert count(Account) == 0
    assert count(LogEntry) == 0


def test_signup_page_lists_districts_and_conditions(client):
    body = text(client.get("/signup"))
    assert "锦江区" in body and "简阳市" in body
    assert "员工制" in body and "中介制" in body and "缴纳社会保险" in body


def test_signup_registers_a_pending_company_and_signs_the_admin_in(client, factory):
    data = signup_data(factory)
    resp = post_form(client, "/signup", data)
    assert resp.status_code == 302 and resp.headers["Location"] == "/company"
    company = db.session.execute(select(Company)).scalar_one()
    assert company.status == "pending" and company.uscc == data["uscc"]
    assert company.business_model == "employee" and company.district == "510107"
    assert [a.login for a in company.accounts] == ["anxin-admin"]
    assert company.accounts[0].last_login_dt is not None
    assert log_actions() == ["company:register"]
    page = client.get("/company")
    body = text(page)
    assert page.status_code == 200
    assert "待审核" in body and "监管部门核验" in body  # the flash and the badge
    # The contact shows masked only.
    assert "13912345678" not in body and "139****5678" in body
    assert "欧阳**" in body


def test_property_only_firm_needs_no_business_model(client, factory):
    data = signup_data(factory, sectors=["property"], business_model="employee", contracts=None,
                       social_insurance=None, minimum_wage=None, ongoing_training=None)
    resp = post_form(client, "/signup", data)
    assert resp.status_code == 302
    company = db.session.execute(select(Company)).scalar_one()
    assert company.sectors == ["property"] and company.business_model is None


def test_bad_uscc_checksum_rerenders_with_field_error(client, factory):
    resp = post_form(client, "/signup", signup_data(factory, uscc=CHECKSUM_FAILS))
    assert 400 <= resp.status_code < 500
    body = text(resp)
    assert "校验码错误" in body and "人工审核" in body
    # The form keeps what was typed (but never the password).
    assert "成都安心家政服务有限公司" in body and "a long enough password" not in body
    assert_nothing_stored()


def test_missing_district_rerenders_with_field_error(client, factory):
    resp = post_form(client, "/signup", signup_data(factory, district=""))
    assert resp.status_code == 400
    assert "请选择所在区（市）县" in text(resp)
    assert_nothing_stored()


def test_unknown_district_is_refused(client, factory):
    resp = post_form(client, "/signup", signup_data(factory, district="110101"))
    assert resp.status_code == 400
    assert "请选择成都市的区（市）县" in text(resp)
    assert_nothing_stored()


def test_weak_password_rerenders_with_field_error(client, factory):
    resp = post_form(client, "/signup", signup_data(factory, admin_password="short", admin_password_confirm="short"))
    assert resp.status_code == 400
    assert "密码至少 10 个字符" in text(resp)
    assert_nothing_stored()


def test_mismatched_password_confirmation(client, factory):
    resp = post_form(client, "/signup", signup_data(factory, admin_password_confirm="another long password"))
    assert resp.status_code == 400
    assert "两次输入的密码不一致" in text(resp)
    assert_nothing_stored()


def test_several_errors_show_at_once_in_english(client, factory):
    client.get("/signup?lang=en")
    resp = post_form(client, "/signup", signup_data(factory, district="", contact_name="", admin_login="X!"))
    assert resp.status_code == 400
    body = text(resp)
    assert "Choose the district or county." in body
    assert "Enter the contact person&#39;s name." in body
    assert "lower-case letters" in body
    assert_nothing_stored()


def test_employee_model_needs_all_four_conditions(client, factory):
    resp = post_form(client, "/signup", signup_data(factory, minimum_wage=None))
    assert resp.status_code == 422
    assert "员工制须同时满足四项" in text(resp)
    assert_nothing_stored()


def test_service_errors_map_to_fields(client, factory):
    resp = post_form(client, "/signup", signup_data(factory, contact_phone="12345"))
    assert resp.status_code == 422
    assert "请填写有效的手机或座机号码" in text(resp)
    assert 'id="contact_phone-error"' in text(resp)
    assert_nothing_stored()


def test_taken_login_and_uscc_are_refused(client, factory):
    company, admin = factory.company()
    before = count(LogEntry)
    resp = post_form(client, "/signup", signup_data(factory, admin_login=admin.account.login))
    assert resp.status_code == 409 and "该登录名已被使用" in text(resp)
    resp = post_form(client, "/signup", signup_data(factory, uscc=company.uscc))
    assert resp.status_code == 409 and "已登记" in text(resp)
    assert count(Company) == 1 and count(LogEntry) == before


def test_post_without_csrf_token_is_refused_and_stores_nothing(client, factory):
    csrf(client, "/signup")  # a session exists, but the form lacks the token
    resp = client.post("/signup", data=signup_data(factory))
    assert resp.status_code == 400
    assert "csrf_failed" in text(resp)
    resp = client.post("/signup", data={**signup_data(factory), "csrf_token": "forged"})
    assert resp.status_code == 400
    assert_nothing_stored()


def test_after_signup_next_steps_say_who_reviews_how_long_and_the_pledge(app, client, factory, monkeypatch):
    agency = factory.agency("housekeeping")
    factory.agency("property")  # another sector's regulator does not review a housekeeping firm
    monkeypatch.setitem(app.config, "REVIEW_WORKING_DAYS", 3)  # REGISTRY_REVIEW_WORKING_DAYS
    resp = post_form(client, "/signup", signup_data(factory))
    assert resp.status_code == 302
    body = text(client.get("/company"))
    assert 'id="next-steps"' in body
    review = body[body.index('id="next-review"'):body.index('id="next-pledge"')]
    assert agency.name_zh in review and "约 3 个工作日" in review
    assert 'href="/company#pledge"' in body
    english = text(client.get("/company?lang=en"))
    assert agency.name_en in english and "about 3 working days" in english
    # Signing the pledge ticks that step off; the review step stays until a regulator decides.
    assert post_form(client, "/company/pledge", {"version": "1", "agree": "y"}, page="/company").status_code == 302
    body = text(client.get("/company?lang=zh"))
    assert 'id="next-steps"' in body and "信用承诺已签署" in body and 'href="/company#pledge"' not in body


def test_next_steps_name_every_sector_and_default_to_five_days(client, factory):
    # No agency registered yet (a fresh installation): the authority of each sector is named.
    resp = post_form(client, "/signup", signup_data(factory, sectors=["housekeeping", "property"]))
    assert resp.status_code == 302
    body = text(client.get("/company"))
    review = body[body.index('id="next-review"'):body.index('id="next-pledge"')]
    assert "商务主管部门" in review and "住房和城乡建设主管部门" in review and "约 5 个工作日" in review


def test_a_verified_company_has_no_next_steps(app, factory):
    from tests.support.webutil import login

    _company, admin = factory.company(verified=True)
    c = app.test_client()
    assert login(c, admin.account.login, admin.password).status_code == 302
    assert 'id="next-steps"' not in text(c.get("/company"))
