"""The regulators' sanction pages and the subjects' notices, through the Flask test client.

A regulator records, notifies, (time moved) decides, a second regulator
approves, the first publishes; the proposer cannot approve; another agency's
regulator reads but has no forms and is refused a POST; the company and the
worker see their own notices only. Every bad form shows the page again (422)
with nothing stored.
"""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from registry.clock import now as utcnow
from registry.extensions import db
from registry.log.models import LogEntry
from registry.log.services import ANONYMOUS_ACTOR
from registry.notify.models import OutboxMessage
from registry.reports.services import file_report, reference_of
from registry.sanctions import services as sanctions
from registry.sanctions.models import Sanction
from registry.selfservice.services import issue_activation_code
from tests.support.cardworld import green_worker
from tests.support.sanctionutil import BASIS, FACTS, MEASURES
from tests.support.sanctionutil import NOTICE_REASONS as WHY
from tests.support.selfutil import PIN, last_activation_code
from tests.support.webutil import login, post_form, text

MON = date(2026, 6, 1)  # a Monday
PERSON = "张三丰"


class Regs:
    """Two regulators of one housekeeping agency (proposer, approver) and one of the property agency."""

    def __init__(self, factory):
        agency = factory.agency("housekeeping")
        self.a = factory.agency_user(agency)
        self.b = factory.agency_user(agency)
        self.other = factory.agency_user(factory.agency("property"))


@pytest.fixture
def world(app, factory, clock):
    clock.freeze(MON)
    return green_worker(factory), Regs(factory)


def signed_in(app, reg):
    """A browser of `reg`, signed in now (a moved clock ends the earlier session; a TOTP code counts once per
    30-second step, so the step last used is forgotten, as waiting would)."""
    db.session.rollback()
    reg.account.totp_last_step = None
    db.session.commit()
    c = app.test_client()
    resp = login(c, reg.account.login, reg.password, reg.totp_secret)
    assert resp.status_code == 302, resp.status_code
    return c


def log_size() -> int:
    db.session.rollback()
    return db.session.execute(select(func.count()).select_from(LogEntry)).scalar_one()


def all_sanctions() -> list[Sanction]:
    db.session.rollback()
    return db.session.execute(select(Sanction).order_by(Sanction.id)).scalars().all()


def actions(s: Sanction) -> list[str]:
    db.session.rollback()
    return list(db.session.execute(select(LogEntry.action).where(LogEntry.subject == s.log_ref)
                                   .order_by(LogEntry.seq)).scalars())


def listing_form(**over) -> dict:
    data = {"subject_kind": "worker", "kind": "serious_list", "severity": "serious", "legal_basis": BASIS,
            "facts": FACTS, "measures": MEASURES, "bars_home_service": "y", "publish_months": "12"}
    data.update(over)
    return data


def ref_of(resp) -> str:
    assert resp.status_code == 302, (resp.status_code, text(resp)[:2000])
    found = re.fullmatch(r"/admin/sanctions/([0-9a-f]{32})", resp.headers["Location"])
    assert found, resp.headers["Location"]
    return found.group(1)


def summary(html: str) -> str:
    found = re.search(r'<div class="alert error-summary".*?</div>', html, re.S)
    assert found, "no error summary"
    return found.group(0)


def test_a_serious_listing_through_the_pages(world, factory, clock, app):
    w, regs = world
    a = signed_in(app, regs.a)
    assert a.get("/admin/sanctions/new").status_code == 200
    before = log_size()
    # Nothing filled in: the form again, each field named, nothing stored.
    resp = post_form(a, "/admin/sanctions/new", {})
    assert resp.status_code == 422
    box = summary(text(resp))
    for field in ("subject_kind", "kind", "severity", "legal_basis", "facts", "measures"):
        assert f'href="#{field}"' in box, field
    assert log_size() == before and all_sanctions() == []

    resp = post_form(a, "/admin/sanctions/new", listing_form(card_no=w.card_no))
    ref = ref_of(resp)
    (s,) = all_sanctions()
    assert (s.ref, s.state, s.kind, s.bars_home_service, s.publish_months) == (ref, "proposed", "serious_list",
                                                                                True, 12)
    assert log_size() == before + 1
    page = text(a.get(f"/admin/sanctions/{ref}"))
    assert FACTS in page and 'id="step-notify"' in page and 'id="four-eyes"' not in page
    # The notice by text message (the worker's phone is a mobile).
    resp = post_form(a, f"/admin/sanctions/{ref}/notify",
                     {"reasons": WHY, "objection_days": "5", "delivery_method": "sms"},
                     page=f"/admin/sanctions/{ref}")
    assert resp.status_code == 302
    assert db.session.execute(select(func.count()).select_from(OutboxMessage)
                              .where(OutboxMessage.kind == "notice")).scalar_one() == 1
    until = sanctions.objection_until(all_sanctions()[0])
    page = text(a.get(f"/admin/sanctions/{ref}"))
    assert 'id="objection-open"' in page and 'id="decide-submit"' not in page
    assert f'datetime="{until.day.isoformat()}"' in page.split('id="objection-until"')[1].split("</dd>")[0]
    # Deciding inside the window is refused, nothing stored.
    size = log_size()
    resp = post_form(a, f"/admin/sanctions/{ref}/decide", {"decision_no": "商务信〔2026〕9号"},
                     page=f"/admin/sanctions/{ref}")
    assert resp.status_code == 409 and 'data-code="objection_window_open"' in text(resp)
    assert log_size() == size and all_sanctions()[0].state == "notified"

    # The window ends; the proposer decides.
    day = until.day + timedelta(days=1)
    clock.freeze(day)
    a = signed_in(app, regs.a)
    resp = post_form(a, f"/admin/sanctions/{ref}/decide", {"decision_no": ""}, page=f"/admin/sanctions/{ref}")
    assert resp.status_code == 422 and 'href="#decide-decision_no"' in summary(text(resp))
    resp = post_form(a, f"/admin/sanctions/{ref}/decide", {"decision_no": "商务信〔2026〕9号"},
                     page=f"/admin/sanctions/{ref}")
    assert resp.status_code == 302
    assert all_sanctions()[0].state == "decided" and all_sanctions()[0].decision_date == day
    # The proposer sees why they cannot approve, and is refused.
    page = text(a.get(f"/admin/sanctions/{ref}"))
    assert 'id="four-eyes"' in page and "您提出了该列入" in page and 'id="approve-submit"' not in page
    size = log_size()
    resp = post_form(a, f"/admin/sanctions/{ref}/approve", {}, page=f"/admin/sanctions/{ref}")
    assert resp.status_code == 403 and 'data-code="four_eyes"' in text(resp)
    assert log_size() == size

    # Another agency's regulator reads it, with no forms, and is refused every step.
    other = signed_in(app, regs.other)
    page = text(other.get(f"/admin/sanctions/{ref}"))
    assert FACTS in page and 'id="not-issuer"' in page and 'id="steps"' not in page
    # Its one form: recording that the decision was revoked (any regulator may; the issuer withdraws).
    assert re.findall(r'<form method="post" action="(/admin/sanctions[^"]*)"', page) == [
        f"/admin/sanctions/{ref}/revocation"]
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    for step in ("approve", "publish", "notify", "decide", "correct"):
        resp = other.post(f"/admin/sanctions/{ref}/{step}", data={"csrf_token": token, "reason": "x"})
        assert resp.status_code == 403, step
        assert 'data-code="not_issuing_agency"' in text(resp) or "not_issuing_agency" in text(resp)
    assert log_size() == size

    # A second regulator of the agency approves; the proposer publishes.
    b = signed_in(app, regs.b)
    page = text(b.get(f"/admin/sanctions/{ref}"))
    assert 'id="approve-submit"' in page
    assert post_form(b, f"/admin/sanctions/{ref}/approve", {}, page=f"/admin/sanctions/{ref}").status_code == 302
    a = signed_in(app, regs.a)
    page = text(a.get(f"/admin/sanctions/{ref}"))
    assert 'id="publish-submit"' in page and regs.b.account.login in page.split('id="history"')[1]
    assert post_form(a, f"/admin/sanctions/{ref}/publish", {}, page=f"/admin/sanctions/{ref}").status_code == 302
    (s,) = all_sanctions()
    assert s.state == "published" and s.is_public(day)
    assert actions(s) == ["sanction:record", "sanction:notify", "sanction:decide", "sanction:approve",
                          "sanction:publish"]
    page = text(a.get(f"/admin/sanctions/{ref}"))
    assert 'id="no-step"' in page and 'id="is-public"' in page


def test_a_company_listing_names_persons_masked_and_a_landline_needs_the_delivery(world, factory, app):
    _w, regs = world
    company, admin = factory.company(contact_phone="028-85123456")
    rival, rival_admin = factory.company()
    a = signed_in(app, regs.a)
    resp = post_form(a, "/admin/sanctions/new", listing_form(
        subject_kind="company", uscc=company.uscc, card_no="ignored for a company",
        person1_role="legal_representative", person1_name=PERSON))
    ref = ref_of(resp)
    page = text(a.get(f"/admin/sanctions/{ref}"))
    assert "张**" in page and PERSON not in page
    assert 'id="landline"' in page
    # No text message can reach a landline: the regulator says how and when.
    before = log_size()
    resp = post_form(a, f"/admin/sanctions/{ref}/notify",
                     {"reasons": WHY, "objection_days": "5", "delivery_method": "sms"},
                     page=f"/admin/sanctions/{ref}")
    assert resp.status_code == 422 and 'href="#notify-delivery_method"' in summary(text(resp))
    resp = post_form(a, f"/admin/sanctions/{ref}/notify",
                     {"reasons": WHY, "objection_days": "5", "delivery_method": "post"},
                     page=f"/admin/sanctions/{ref}")
    assert resp.status_code == 422 and 'href="#notify-delivered_on"' in summary(text(resp))
    resp = post_form(a, f"/admin/sanctions/{ref}/notify",
                     {"reasons": WHY, "objection_days": "99", "delivery_method": "post",
                                                           "delivered_on": MON.isoformat()},
                     page=f"/admin/sanctions/{ref}")
    assert resp.status_code == 422 and 'href="#notify-objection_days"' in summary(text(resp))
    assert log_size() == before
    resp = post_form(a, f"/admin/sanctions/{ref}/notify",
                     {"reasons": WHY, "objection_days": "", "delivery_method": "post",
                                                           "delivered_on": MON.isoformat()},
                     page=f"/admin/sanctions/{ref}")
    assert resp.status_code == 302 and log_size() == before + 1
    (s,) = all_sanctions()
    assert s.notice.objection_days == app.config["OBJECTION_WORKING_DAYS"]
    until = sanctions.objection_until(s).day

    # The company's members see the notice in their portal.
    c = app.test_client()
    login(c, admin.account.login, "correct horse battery")
    home = text(c.get("/company"))
    assert 'id="notices"' in home and 'href="/company/notices"' in home
    notices = text(c.get("/company/notices"))
    item = notices.split(f'id="notice-{ref}"')[1].split("</article>")[0]
    assert WHY in item and BASIS in item and MEASURES in item and "您有权在异议期内" in item
    # The case's facts name the complainant: they stay with the regulators.
    assert FACTS not in item and "13912345678" not in item
    assert f'datetime="{until.isoformat()}"' in item
    assert PERSON not in notices
    # Another company sees none of it.
    r = app.test_client()
    login(r, rival_admin.account.login, "correct horse battery")
    assert 'id="notices"' not in text(r.get("/company"))
    theirs = text(r.get("/company/notices"))
    assert 'id="no-notices"' in theirs and ref not in theirs and FACTS not in theirs
    # The notices page is the companies' own: a regulator has none.
    assert a.get("/company/notices").status_code == 403


def test_the_worker_reads_their_own_notice_on_their_record(world, factory, app):
    w, regs = world
    other = green_worker(factory, name="李四", seed=21)
    a = signed_in(app, regs.a)
    ref = ref_of(post_form(a, "/admin/sanctions/new", listing_form(card_no=w.card_no)))
    assert post_form(a, f"/admin/sanctions/{ref}/notify", {"reasons": WHY, "delivery_method": "sms"},
                     page=f"/admin/sanctions/{ref}").status_code == 302

    def me(world_):
        issue_activation_code(factory.ring, actor=world_.admin, worker=world_.worker, now=utcnow())
        db.session.commit()
        code = last_activation_code(factory, phone="13800005678")
        c = app.test_client()
        resp = post_form(c, "/me/activate", {"card_no": world_.card_no, "code": code, "pin": PIN, "pin2": PIN})
        assert resp.status_code == 302, text(resp)[:1000]
        return text(c.get("/me"))

    page = me(w)
    item = page.split(f'id="notice-{ref}"')[1].split("</article>")[0]
    assert WHY in item and BASIS in item and "您有权在异议期内" in item and 'class="objection-until"' in item
    assert FACTS not in item and "13912345678" not in item
    page = me(other)
    assert 'id="notices"' not in page and ref not in page and FACTS not in page


def test_a_fine_is_recorded_with_its_decision_and_published(world, factory, app):
    w, regs = world
    a = signed_in(app, regs.a)
    form = {"subject_kind": "worker", "card_no": w.card_no, "kind": "fine", "severity": "general",
            "legal_basis": BASIS, "facts": FACTS, "measures": MEASURES, "publish_months": "3"}
    # A decision needs its number and date.
    resp = post_form(a, "/admin/sanctions/new", form)
    assert resp.status_code == 422
    assert 'href="#decision_no"' in summary(text(resp)) and 'href="#decision_date"' in summary(text(resp))
    assert all_sanctions() == []
    ref = ref_of(post_form(a, "/admin/sanctions/new", {**form, "decision_no": "商务罚〔2026〕7号",
                                                       "decision_date": MON.isoformat()}))
    page = text(a.get(f"/admin/sanctions/{ref}"))
    deadline = sanctions.publication_deadline(all_sanctions()[0])
    assert f'datetime="{deadline.day.isoformat()}"' in page.split('id="publication-deadline"')[1].split("</dd>")[0]
    assert 'id="publish-submit"' in page
    assert post_form(a, f"/admin/sanctions/{ref}/publish", {}, page=f"/admin/sanctions/{ref}").status_code == 302
    assert actions(all_sanctions()[0]) == ["sanction:record", "sanction:publish"]
    # Publishing twice is a conflict shown on the page, not a second entry.
    size = log_size()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', text(a.get(f"/admin/sanctions/{ref}"))).group(1)
    resp = a.post(f"/admin/sanctions/{ref}/publish", data={"csrf_token": token})
    assert resp.status_code == 409 and log_size() == size


def test_a_serious_listing_form_hides_the_decision_fields(world, app):
    _w, regs = world
    a = signed_in(app, regs.a)
    resp = post_form(a, "/admin/sanctions/new", listing_form(card_no="", legal_basis=""))
    assert resp.status_code == 422
    assert re.search(r'<fieldset id="decision-fields" data-not-for-listing hidden disabled>', text(resp))
    assert 'href="#card_no"' in summary(text(resp))
    # Given anyway (no script to hide them), the service explains.
    resp = post_form(a, "/admin/sanctions/new", listing_form(card_no="JX0000000000Q", decision_no="x",
                                                              decision_date=MON.isoformat()))
    assert resp.status_code == 422 and "异议期满后再作决定" in text(resp)
    assert all_sanctions() == []


def test_the_report_queue_links_to_a_sanction_form_filled_in(world, factory, app):
    w, regs = world
    report = file_report(factory.ring, actor=ANONYMOUS_ACTOR, worker=w.worker, reason="fake", text=None).report
    db.session.commit()
    reference = reference_of(report)
    a = signed_in(app, regs.a)
    queue = text(a.get("/admin/reports"))
    item = queue.split(f'id="report-{report.ref}"')[1].split("</article>")[0]
    link = re.search(r'class="report-sanction" href="([^"]+)"', item).group(1).replace("&amp;", "&")
    form = text(a.get(link))
    assert f'value="{w.card_no}"' in form and f'value="{reference}"' in form
    assert re.search(r'name="subject_kind" value="worker" id="subject_kind-worker"\s+checked', form)
    ref = ref_of(post_form(a, "/admin/sanctions/new", {
        "subject_kind": "worker", "card_no": w.card_no, "origin_report": reference, "kind": "warning",
        "severity": "minor", "legal_basis": BASIS, "facts": FACTS, "measures": MEASURES,
        "decision_no": "商务警〔2026〕1号", "decision_date": MON.isoformat()}))
    page = text(a.get(f"/admin/sanctions/{ref}"))
    assert f'<code id="origin-report">{reference}</code>' in page
    # A minor warning without a window is not published: the page says how to publish it.
    assert 'id="not-published"' in page and 'id="publish-submit"' not in page
    # An unknown reference is the field's error.
    resp = post_form(a, "/admin/sanctions/new", {
        "subject_kind": "worker", "card_no": w.card_no, "origin_report": "0000-0000-0000", "kind": "warning",
        "severity": "minor", "legal_basis": BASIS, "facts": FACTS, "measures": MEASURES,
        "decision_no": "1", "decision_date": MON.isoformat()})
    assert resp.status_code == 422 and 'href="#origin_report"' in summary(text(resp))


def test_a_correction_records_its_reason_and_changes_only_what_differs(world, factory, app):
    w, regs = world
    a = signed_in(app, regs.a)
    ref = ref_of(post_form(a, "/admin/sanctions/new", {
        "subject_kind": "worker", "card_no": w.card_no, "kind": "warning", "severity": "minor",
        "legal_basis": BASIS, "facts": FACTS, "measures": MEASURES, "decision_no": "商务警〔2026〕2号",
        "decision_date": MON.isoformat()}))
    page = text(a.get(f"/admin/sanctions/{ref}"))
    current = {"legal_basis": BASIS, "facts": FACTS.replace("\n", "\r\n"), "measures": MEASURES,
               "bars_home_service": "no", "severity": "minor", "publish_months": "",
               "decision_no": "商务警〔2026〕2号", "decision_date": MON.isoformat()}
    assert f'value="{MON.isoformat()}"' in page.split('id="step-correct"')[1]
    size = log_size()
    resp = post_form(a, f"/admin/sanctions/{ref}/correct", {**current, "publish_months": "2"},
                     page=f"/admin/sanctions/{ref}")
    assert resp.status_code == 422 and 'href="#correct-reason"' in summary(text(resp))
    assert 'id="step-correct" open' in text(resp)
    resp = post_form(a, f"/admin/sanctions/{ref}/correct", {**current, "reason": "没有变化"},
                     page=f"/admin/sanctions/{ref}")
    assert resp.status_code == 409 and 'data-code="nothing_changed"' in text(resp)
    resp = post_form(a, f"/admin/sanctions/{ref}/correct", {**current, "publish_months": "9", "reason": "延长"},
                     page=f"/admin/sanctions/{ref}")
    assert resp.status_code == 422 and 'href="#correct-publish_months"' in summary(text(resp))
    assert log_size() == size
    resp = post_form(a, f"/admin/sanctions/{ref}/correct", {**current, "publish_months": "2",
                                                            "reason": "当事人拒不改正，决定公示"},
                     page=f"/admin/sanctions/{ref}")
    assert resp.status_code == 302 and log_size() == size + 1
    (s,) = all_sanctions()
    assert s.publish_months == 2 and [c.fields for c in s.corrections] == ["publish_months"]
    page = text(a.get(f"/admin/sanctions/{ref}"))
    corrections = page.split('id="corrections"')[1].split("</ul>")[0]
    assert "当事人拒不改正，决定公示" in corrections and "更正：公示期" in corrections
    assert "publish_months" not in corrections and 'id="publish-submit"' in page


def test_the_list_filters_by_state_agency_and_subject(world, factory, app):
    w, regs = world
    company, _admin = factory.company()
    a = signed_in(app, regs.a)
    on_worker = ref_of(post_form(a, "/admin/sanctions/new", listing_form(card_no=w.card_no)))
    other = signed_in(app, regs.other)
    on_company = ref_of(post_form(other, "/admin/sanctions/new", {
        "subject_kind": "company", "uscc": company.uscc, "kind": "fine", "severity": "general",
        "legal_basis": BASIS, "facts": FACTS, "measures": MEASURES, "decision_no": "住建罚〔2026〕3号",
        "decision_date": MON.isoformat()}))

    def listed(query: str) -> set[str]:
        page = text(a.get(f"/admin/sanctions{query}"))
        return set(re.findall(r'id="sanction-([0-9a-f]{32})"', page))

    assert listed("") == {on_worker, on_company}
    assert listed("?scope=mine") == {on_worker}
    assert listed("?state=decided") == {on_company}
    assert listed(f"?card_no={w.card_no}") == {on_worker}
    assert listed(f"?uscc={company.uscc.lower()}") == {on_company}
    # Another agency's sanction shows masked persons and no facts in the list.
    assert FACTS not in text(a.get("/admin/sanctions"))
    for query, field in (("?card_no=JX123", "card_no"), ("?state=bogus", "state"), ("?scope=theirs", "scope"),
                         ("?page=0", "page"), ("?page=99999999999999999999", "page")):
        resp = a.get(f"/admin/sanctions{query}")
        assert resp.status_code == 422, query
        assert f'<p class="field-error" id="{field}-error">' in text(resp), query


def test_a_persons_card_number_typo_is_that_persons_field(world, factory, app):
    w, regs = world
    company, _admin = factory.company()
    a = signed_in(app, regs.a)
    typo = w.card_no[:-1] + next(c for c in "0123456789" if c != w.card_no[-1])
    resp = post_form(a, "/admin/sanctions/new", listing_form(
        subject_kind="company", uscc=company.uscc, person2_role="responsible", person2_name="王五",
        person2_card_no=typo))
    assert resp.status_code == 422
    box = summary(text(resp))
    assert 'href="#person2_card_no"' in box and 'href="#card_no"' not in box
    assert all_sanctions() == []
    # Named by a good card number, the person is that worker.
    ref = ref_of(post_form(a, "/admin/sanctions/new", listing_form(
        subject_kind="company", uscc=company.uscc, person2_role="responsible", person2_name="王五",
        person2_card_no=w.card_no)))
    assert w.card_no in text(a.get(f"/admin/sanctions/{ref}")).split('id="persons"')[1].split("</ul>")[0]


@pytest.mark.parametrize("over, field", [
    ({"publish_months": "twelve"}, "publish_months"),
    ({"publish_months": "-1"}, "publish_months"),
    ({"publish_months": "99"}, "publish_months"),
    ({"decision_date": "2026-13-01"}, "decision_date"),
    ({"kind": "death"}, "kind"),
    ({"severity": "extreme"}, "severity"),
    ({"subject_kind": "household"}, "subject_kind"),
    ({"person1_role": "boss", "person1_name": "王五"}, "person1_role"),
    ({"person1_role": "responsible", "person1_name": "x1"}, "person1_name"),
    ({"facts": "字" * 2001}, "facts"),
    ({"card_no": "JX" + "1" * 40}, "card_no"),
])
def test_bad_input_is_named_never_stored_never_a_500(world, app, over, field):
    w, regs = world
    a = signed_in(app, regs.a)
    form = {"subject_kind": "worker", "card_no": w.card_no, "kind": "fine", "severity": "general",
            "legal_basis": BASIS, "facts": FACTS, "measures": MEASURES, "decision_no": "商务罚〔2026〕8号",
            "decision_date": MON.isoformat(), "publish_months": "3"}
    if over.get("subject_kind") == "household":
        form.pop("card_no")
    if any(key.startswith("person") for key in over):
        form.update(subject_kind="company", uscc=w.company.uscc)
    resp = post_form(a, "/admin/sanctions/new", {**form, **over})
    assert resp.status_code == 422, (over, resp.status_code)
    assert f'href="#{field}"' in summary(text(resp)), over
    assert all_sanctions() == []


def test_the_pages_are_for_regulators(world, factory, client, app):
    w, regs = world
    assert client.get("/admin/sanctions").headers["Location"] == "/login?next=/admin/sanctions"
    assert client.get("/regulator").headers["Location"] == "/login?next=/regulator"
    login(client, w.admin.login, "correct horse battery")
    for path in ("/regulator", "/admin/sanctions", "/admin/sanctions/new", f"/admin/sanctions/{'0' * 32}"):
        assert client.get(path).status_code == 403, path
    a = signed_in(app, regs.a)
    for ref in ("0" * 32, "nope", "A" * 32):
        assert a.get(f"/admin/sanctions/{ref}").status_code == 404


def test_a_nul_in_a_sanction_form_is_bad_input_not_a_database_error(world, app):
    w, regs = world
    a = signed_in(app, regs.a)
    resp = post_form(a, "/admin/sanctions/new", listing_form(card_no=w.card_no, facts="经查\x00属实"))
    assert resp.status_code == 422 and "不能包含空字符" in text(resp)
    assert all_sanctions() == []
