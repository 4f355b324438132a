"""The company page (details, pledge, users) and the regulators' queue."""
import re

from sqlalchemy import select

from registry.accounts.models import Account
from registry.companies.models import Company, ContactRead
from registry.extensions import db
from registry.log.models import LogEntry
from tests.support.webutil import count, log_actions, login, post_form, session_of, text


def test_company_page_shows_details_but_no_raw_contact(client, factory):
    company, admin = factory.company()
    login(client, admin.account.login, admin.password)
    body = text(client.get("/company"))
    assert company.name in body and company.uscc in body and "已核验" in body
    assert "锦江区" in body and "员工制" in body
    assert "13800138000" not in body and "李联系" not in body
    assert "138****8000" in body and "李*" in body
    # The pledge is not signed yet: its text and the sign form show.
    assert "本企业郑重承诺" in body and "签署信用承诺" in body


def test_admin_signs_the_pledge(client, factory):
    _company, admin = factory.company()
    login(client, admin.account.login, admin.password)
    before = count(LogEntry)
    # Without ticking the box: refused, nothing stored.
    resp = post_form(client, "/company/pledge", {"version": "1"}, page="/company")
    assert resp.status_code == 400 and "请勾选确认" in text(resp)
    assert count(LogEntry) == before
    resp = post_form(client, "/company/pledge", {"version": "1", "agree": "y"}, page="/company")
    assert resp.status_code == 302
    assert log_actions()[-1] == "company:pledge:sign"
    body = text(client.get("/company"))
    assert 'id="pledge-signed"' in body and "已签署第 1 版信用承诺" in body
    assert 'action="/company/pledge"' not in body
    # Signing twice is refused.
    resp = post_form(client, "/company/pledge", {"version": "1", "agree": "y"}, page="/company")
    assert resp.status_code == 409
    assert count(LogEntry) == before + 1


def test_stale_pledge_version_is_refused(client, factory):
    _company, admin = factory.company()
    login(client, admin.account.login, admin.password)
    resp = post_form(client, "/company/pledge", {"version": "7", "agree": "y"}, page="/company")
    assert resp.status_code == 422 and "请签署当前版本" in text(resp)


def test_admin_adds_a_user_and_sees_the_password_once(client, factory, caplog):
    _company, admin = factory.company()
    login(client, admin.account.login, admin.password)
    with caplog.at_level("DEBUG"):
        resp = post_form(client, "/company/users", {"login": "clerk-1", "name": "张三", "role": "company_user"},
                         page="/company")
    assert resp.status_code == 201
    assert resp.headers["Cache-Control"] == "no-store"
    temp = re.search(r'id="temporary-password">([^<]+)<', text(resp)).group(1)
    assert len(temp) == 16
    assert temp not in caplog.text
    assert log_actions()[-1] == "company:user:add"
    body = text(client.get("/company"))
    assert "clerk-1" in body and temp not in body
    # Not kept in the (signed, readable) session cookie either.
    assert temp not in str(session_of(client))


def test_add_user_bad_input_rerenders(client, factory):
    _company, admin = factory.company()
    login(client, admin.account.login, admin.password)
    before = count(Account)
    resp = post_form(client, "/company/users", {"login": "Bad Login", "name": "", "role": "company_user"},
                     page="/company")
    assert resp.status_code == 400
    body = text(resp)
    assert "登录名须为" in body and "请填写姓名" in body
    resp = post_form(client, "/company/users", {"login": admin.account.login, "name": "张三",
                                                "role": "company_user"}, page="/company")
    assert resp.status_code == 409 and "该登录名已被使用" in text(resp)
    assert count(Account) == before


def test_admin_resets_disables_and_enables_a_user(client, factory):
    company, admin = factory.company()
    login(client, admin.account.login, admin.password)
    resp = post_form(client, "/company/users", {"login": "clerk-2", "name": "王五", "role": "company_user"},
                     page="/company")
    assert resp.status_code == 201
    clerk = db.session.execute(select(Account).where(Account.login == "clerk-2")).scalar_one()
    resp = post_form(client, f"/accounts/{clerk.ref}/reset-password", page="/company")
    assert resp.status_code == 200 and 'id="temporary-password"' in text(resp)
    resp = post_form(client, f"/accounts/{clerk.ref}/disable", page="/company")
    assert resp.status_code == 302
    assert "已停用" in text(client.get("/company"))
    resp = post_form(client, f"/accounts/{clerk.ref}/enable", page="/company")
    assert resp.status_code == 302
    assert log_actions()[-3:] == ["account:password:reset", "account:disable", "account:enable"]


def test_company_user_sees_no_admin_forms_and_cannot_post_them(client, factory):
    company, admin = factory.company()
    from registry.companies.services import add_user

    new = add_user(factory.ring, actor=admin.account, company=company, login="clerk-3", name="赵六")
    db.session.commit()
    login(client, "clerk-3", new.password)
    post_form(client, "/account/password", {"current_password": new.password, "new_password": "clerk three pass",
                                            "confirm_password": "clerk three pass"})
    body = text(client.get("/company"))
    assert "clerk-3" in body and 'action="/company/users"' not in body and 'action="/company/pledge"' not in body
    before = count(LogEntry)
    assert post_form(client, "/company/users", {"login": "x-user", "name": "某"}, page="/company").status_code == 403
    assert post_form(client, "/company/pledge", {"version": "1", "agree": "y"}, page="/company").status_code == 403
    resp = post_form(client, f"/accounts/{admin.account.ref}/reset-password", page="/company")
    assert resp.status_code == 403
    assert count(LogEntry) == before


def test_admin_cannot_touch_another_companys_user(client, factory):
    _c1, admin1 = factory.company()
    _c2, admin2 = factory.company()
    login(client, admin1.account.login, admin1.password)
    resp = post_form(client, f"/accounts/{admin2.account.ref}/disable", page="/company")
    assert resp.status_code == 404


def regulator_client(app, factory, sector="housekeeping"):
    reg = factory.agency_user(factory.agency(sector))
    c = app.test_client()
    resp = login(c, reg.account.login, reg.password, totp_secret=reg.totp_secret)
    assert resp.status_code == 302
    return c, reg


def contact_reads(company) -> list[tuple[str, str]]:
    db.session.rollback()
    return [(r.accessor_ref, r.purpose) for r in db.session.execute(
        select(ContactRead).where(ContactRead.company_id == company.id).order_by(ContactRead.id)).scalars()]


def test_regulator_verifies_from_the_queue(app, client, factory):
    company, _admin = factory.company(verified=False)
    done, _ = factory.company()
    c, reg = regulator_client(app, factory)
    assert contact_reads(company) == []
    body = text(c.get("/regulator/companies"))
    pending_part, verified_part = body.split('id="verified"')
    assert company.name in pending_part and done.name in verified_part
    # The verifying regulator sees the contact person in clear, and that read is recorded.
    item = pending_part.split(f'id="company-{company.uscc}"')[1]
    assert "李联系" in item and "13800138000" in item
    assert contact_reads(company) == [(reg.account.ref, "verification")]
    # Nobody's contact is opened for the verified companies listed below.
    assert "13800138000" not in verified_part and contact_reads(done) == []
    # The pledge status and each 员工制 answer are shown.
    assert "尚未签署" in item
    assert all(f'class="condition-{code}" data-met="yes"' in item
               for code in ("contracts", "social_insurance", "minimum_wage", "ongoing_training"))
    before = count(LogEntry)
    # Verifying asks for confirmation first: nothing changes yet.
    resp = post_form(c, f"/regulator/companies/{company.uscc}/decision", {"decision": "verify"},
                     page="/regulator/companies")
    confirm = text(resp)
    assert resp.status_code == 200 and 'id="confirm-verify"' in confirm and "李联系" in confirm
    assert count(LogEntry) == before
    db.session.refresh(company)
    assert company.status == "pending"
    resp = post_form(c, f"/regulator/companies/{company.uscc}/decision", {"decision": "verify", "confirmed": "yes"},
                     page="/regulator/companies")
    assert resp.status_code == 302
    entries = db.session.execute(select(LogEntry).where(LogEntry.seq >= before)).scalars().all()
    assert [e.action for e in entries] == ["company:verify"]
    assert entries[0].subject == company.log_ref
    db.session.refresh(company)
    assert company.status == "verified"
    body = text(c.get("/regulator/companies"))
    assert "没有待审核的企业" in body and company.name in body.split('id="verified"')[1]


def test_reject_needs_a_note(app, factory):
    company, _admin = factory.company(verified=False)
    c, _reg = regulator_client(app, factory)
    before = count(LogEntry)
    resp = post_form(c, f"/regulator/companies/{company.uscc}/decision", {"decision": "reject", "note": ""},
                     page="/regulator/companies")
    assert resp.status_code == 422 and "请说明驳回理由" in text(resp)
    assert count(LogEntry) == before
    resp = post_form(c, f"/regulator/companies/{company.uscc}/decision",
                     {"decision": "reject", "note": "营业执照与名称不符"}, page="/regulator/companies")
    assert resp.status_code == 302
    assert log_actions()[-1] == "company:reject"
    db.session.refresh(company)
    assert company.status == "rejected" and company.decision_note == "营业执照与名称不符"


def test_other_sector_regulator_sees_nothing_and_gets_404(app, factory):
    company, _admin = factory.company(verified=False)
    c, _reg = regulator_client(app, factory, sector="property")
    assert company.name not in text(c.get("/regulator/companies"))
    resp = post_form(c, f"/regulator/companies/{company.uscc}/decision", {"decision": "verify"},
                     page="/regulator/companies")
    assert resp.status_code == 404
    assert db.session.execute(select(Company.status)).scalar_one() == "pending"


def _request_change(factory, company, admin, **over):
    """The company's admin asks, through the service, for new verified values; returns the request."""
    from registry.companies.services import update_profile

    fields = dict(name=company.name, sectors=list(company.sectors), business_model=company.business_model,
                  employee_conditions=company.employee_conditions)
    fields.update(over)
    change = update_profile(factory.ring, account=admin.account, company=company,
                            profile=factory.profile(**fields)).change
    db.session.commit()
    return change


def test_company_page_shows_the_pending_change_and_the_admin_withdraws_it(client, factory):
    company, admin = factory.company()
    change = _request_change(factory, company, admin, name="成都更名家政服务有限公司")
    login(client, admin.account.login, admin.password)
    body = text(client.get("/company"))
    section = body.split('id="change-request"')[1]
    assert "成都更名家政服务有限公司" in section and company.name in section
    # The page's title is still the verified name.
    assert f"<h1>{company.name}</h1>" in body
    resp = post_form(client, f"/company/changes/{change.ref}/withdraw", page="/company")
    assert resp.status_code == 302
    assert log_actions()[-1] == "company:change:withdraw"
    assert 'id="change-request"' not in text(client.get("/company"))


def test_regulator_of_the_new_sector_approves_from_the_queue(app, factory):
    company, admin = factory.company()
    change = _request_change(factory, company, admin, sectors=["property"], business_model=None,
                             employee_conditions=None)
    c, _reg = regulator_client(app, factory, sector="property")
    body = text(c.get("/regulator/companies"))
    changes_part = body.split('id="changes"')[1].split('id="verified"')[0]
    assert company.name in changes_part and f'id="change-{change.ref}"' in changes_part
    before = count(LogEntry)
    resp = post_form(c, f"/regulator/company-changes/{change.ref}/decision", {"decision": "approve"},
                     page="/regulator/companies")
    assert resp.status_code == 302
    entries = db.session.execute(select(LogEntry).where(LogEntry.seq >= before)).scalars().all()
    assert [(e.action, e.subject) for e in entries] == [("company:change:approve", company.log_ref)]
    db.session.refresh(company)
    assert company.sectors == ["property"]
    # Now a property company: it is listed among this regulator's verified companies.
    assert company.name in text(c.get("/regulator/companies")).split('id="verified"')[1]


def test_rejecting_a_change_needs_a_reason_and_others_get_404(app, factory):
    company, admin = factory.company()
    old_name = company.name
    change = _request_change(factory, company, admin, name="成都无关名称有限公司")
    other, _ = regulator_client(app, factory, sector="property")
    assert "成都无关名称有限公司" not in text(other.get("/regulator/companies"))
    resp = post_form(other, f"/regulator/company-changes/{change.ref}/decision", {"decision": "approve"},
                     page="/regulator/companies")
    assert resp.status_code == 404
    c, _reg = regulator_client(app, factory)
    before = count(LogEntry)
    resp = post_form(c, f"/regulator/company-changes/{change.ref}/decision", {"decision": "reject", "reason": ""},
                     page="/regulator/companies")
    assert resp.status_code == 422 and "请说明驳回理由" in text(resp)
    assert count(LogEntry) == before
    resp = post_form(c, f"/regulator/company-changes/{change.ref}/decision",
                     {"decision": "reject", "reason": "名称未经核准"}, page="/regulator/companies")
    assert resp.status_code == 302
    assert log_actions()[-1] == "company:change:reject"
    db.session.refresh(company)
    assert company.name == old_name
    assert "没有待审批的变更申请" in text(c.get("/regulator/companies"))
