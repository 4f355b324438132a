"""A small world of principals and the table of every API operation.

Shared by the authorisation matrix, the one-entry-per-change walk and the
bad-input walk, so that a new endpoint has to be added here once to be covered
by all three (a test fails when the OpenAPI document has an operation this
table does not know).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from registry.clock import add_years
from tests.support.sanctionutil import NOTICE_REASONS

PASSWORD = "correct horse battery"
XIAMEN = "91350203M0001QAY9B"  # genuine early code that fails its checksum
OBJECTION_PDF = b"%PDF-1.7\n% the company's evidence\n"
REPAIR_PDF = b"%PDF-1.7\n% the receipt of the fine paid\n"

# "worker" is the world's worker signed in to self-service (a worker session token, not an account's).
PRINCIPALS = ("anon", "a_admin", "a_user", "b_admin", "reg_hk", "regadmin_hk", "reg_prop", "reg_market", "operator",
              "worker")
ALL_AUTH = frozenset(PRINCIPALS) - {"anon", "worker"}
# Public operations need no credentials: a worker token is not tried on them.
EVERYONE = frozenset(PRINCIPALS) - {"worker"}
WORKER = frozenset({"worker"})
REGULATORS = frozenset({"reg_hk", "regadmin_hk", "reg_prop", "reg_market"})
# The issuing agency of the world's sanctions (housekeeping): the only regulators who change them.
ISSUER = frozenset({"reg_hk", "regadmin_hk"})


class World:
    """Two verified companies, one pending, three regulators, an operator."""

    def __init__(self, factory):
        from registry.companies import services as companies
        from registry.extensions import db

        self.f = factory
        hk = factory.agency(sector="housekeeping", code="hk")
        prop = factory.agency(sector="property", code="prop")
        market = factory.agency(sector="market", code="market")
        ops = factory.agency(kind="operator", sector=None, code="ops")
        self.accounts = {
            "reg_hk": factory.agency_user(hk).account,
            "regadmin_hk": factory.agency_user(hk, role="regulator_admin").account,
            "reg_prop": factory.agency_user(prop).account,
            "reg_market": factory.agency_user(market).account,
            "operator": factory.agency_user(ops, role="operator_admin").account,
        }
        factory._regulators = {"housekeeping": self.accounts["reg_hk"]}
        self.company_a, a_admin = factory.company()
        self.company_b, b_admin = factory.company()
        self.pending, _ = factory.company(verified=False)
        self.accounts["a_admin"] = a_admin.account
        self.accounts["b_admin"] = b_admin.account
        # Company B asks to be renamed: an open change request for its (housekeeping) regulators.
        self.change_ref = companies.update_profile(
            factory.ring, account=b_admin.account, company=self.company_b,
            profile=factory.profile(name="成都乙家政服务有限公司（更名）")).change.ref
        db.session.commit()
        # Company B has signed the credit pledge: its regulators may record it found broken.
        companies.sign_pledge(factory.ring, account=b_admin.account, company=self.company_b, version=1)
        db.session.commit()
        new = companies.add_user(factory.ring, actor=a_admin.account, company=self.company_a, login="a-user",
                                 name="张三")
        db.session.commit()
        from registry.accounts import services as accounts

        accounts.change_password(factory.ring, account=new.account, current=new.password, new=PASSWORD)
        db.session.commit()
        self.accounts["a_user"] = new.account
        self.tokens = {name: factory.token(acc) for name, acc in self.accounts.items()}
        # A second token of a_admin's, for the revoke call.
        from registry.accounts.models import ApiToken

        factory.token(self.accounts["a_admin"], name="spare")
        self.spare_token_id = db.session.query(ApiToken).filter_by(name="spare").one().id
        self.n = 0
        # A worker employed by company A.
        import random as _random

        from registry.workers import services as workers

        self.rng = _random.Random(77)
        from registry.clock import today as shanghai_today

        self.today = shanghai_today()
        person = workers.Person("陈秀英", self.new_id(), "13600001234")
        reg = workers.register_worker(
            factory.ring, account=self.accounts["a_admin"], company=self.company_a, today=self.today,
            person=person, engagement=workers.Engagement("cleaner", "labour_contract", self.today, True))
        db.session.commit()
        self.card_no = reg.worker.card_no
        # Company B has attached the same person: pending until the worker confirms, it opens nothing to B.
        attached = workers.register_worker(
            factory.ring, account=self.accounts["b_admin"], company=self.company_b, today=self.today,
            person=person, engagement=workers.Engagement("childcare", "service_agreement", self.today, False))
        db.session.commit()
        self.pending_employment_id = attached.employment.id
        # An open report about that worker's card, in the queue of company A's sector and of market supervision.
        from registry.log.services import ANONYMOUS_ACTOR
        from registry.reports.services import file_report

        self.report_ref = file_report(factory.ring, actor=ANONYMOUS_ACTOR, worker=reg.worker, reason="fake",
                                      text="照片与本人不符").report.ref
        db.session.commit()
        # An import with a bad row, so company A has a report to fetch.
        from registry.imports.services import start_import

        task = start_import(factory.ring, account=self.accounts["a_admin"], company=self.company_a,
                            filename="bad.csv", content="姓名\n张三\n".encode(), keep_good=False)
        db.session.commit()
        self.report_task_id = task.id
        from tests.support.importutil import run_queued_tasks

        run_queued_tasks(factory.app)
        # A task owned by company A, for the progress call.
        self.task_id = self.report_task_id
        # The worker holds a card (serial 1); a second worker of company A has none, for the print run to issue.
        from registry.cards import services as cards

        cards.issue_card(factory.ring, account=self.accounts["a_admin"], company=self.company_a,
                         worker=reg.worker, today=self.today)
        db.session.commit()
        uncarded = workers.register_worker(
            factory.ring, account=self.accounts["a_admin"], company=self.company_a, today=self.today,
            person=workers.Person("周桂芳", self.new_id(), "13600005678"),
            engagement=workers.Engagement("elderly_care", "labour_contract", self.today, True))
        db.session.commit()
        self.uncarded_card_no = uncarded.worker.card_no
        # A former worker of company A, employed no longer: a lawful request may erase them.
        former = workers.register_worker(
            factory.ring, account=self.accounts["a_admin"], company=self.company_a, today=self.today,
            person=workers.Person("刘淑珍", self.new_id(), "13600009012"),
            engagement=workers.Engagement("cleaner", "labour_contract", self.today, True)).worker
        db.session.commit()
        workers.end_employment(factory.ring, account=self.accounts["a_admin"], company=self.company_a,
                               worker=former, end_date=self.today, today=self.today)
        db.session.commit()
        self.former_card_no = former.card_no
        self._card_print_task_id = None
        # Sanctions by the housekeeping agency in each state an operation acts on (see _sanctions).
        self.sanction_refs = self._sanctions(factory)
        # Traceability: company A recorded a service of its worker, so the trace queries have one to answer.
        self.service_ref = self._service(factory, reg.worker)
        # Reviews: a service of the worker by company A that its customer reviewed (A replies to it), and a fresh
        # service whose code the next review spends (review_body records more when they run out).
        self._review_codes: list[tuple[str, str]] = []
        self.reviewed_reference = self._reviewed_service(factory)
        # A second reviewed service whose review company A has objected to: the regulators' step and download.
        self.review_objected = self._reviewed_service(factory)
        self.review_objection_ref = self._review_objection(factory, self.review_objected)
        self._review_codes.append(self._record_service(factory))
        # Complaints (see _complaints): about the worker (by card) and about company A (by a service's review code).
        self._complaints(factory, reg.worker)
        # A commendation of company A recorded by housekeeping (reg_hk): the recording agency's revoke.
        from registry.credit import commendations

        self.commendation_ref = commendations.record_commendation(
            factory.ring, regulator=self.accounts["reg_hk"], company=self.company_a, title="年度诚信示范企业",
            basis="成商务〔2026〕12号", commended_on=self.today, today=self.today).commendation.ref
        db.session.commit()
        # Company B's admin asked for human review of its score (an open review the regulators of its sector,
        # housekeeping, and market supervision answer); company A and the worker have none open, so they may ask.
        from registry.clock import now as _now
        from registry.credit import score_reviews

        self.score_review_ref = score_reviews.file_for_company(
            factory.ring, account=self.accounts["b_admin"], company=self.company_b, reason="表彰未计入积分。",
            now=_now()).review.ref
        db.session.commit()
        # A signed checkpoint, so the log's proofs and receipts have a tree to answer for.
        from registry.log.checkpoints import sign_if_grown

        assert sign_if_grown(factory.ring, factory.app.config["LOG_ORIGIN"]).status == "signed"
        db.session.commit()

    @classmethod
    def shared(cls, factory) -> World:
        """The world, made once a run and then written back to the database before each test (`world_once`): the
        same rows, the same attributes, with this test's factory."""
        from tests.support.snapshot import world_once

        return world_once("api_world", lambda: cls(factory), factory=factory)

    def _sanctions(self, factory) -> dict:
        """reg_hk's sanctions, by the operation each awaits (refs): a proposed listing of the worker (notify); a
        listing of the worker noticed 40 days ago, its objection window over (decide; the worker's notice); a
        listing of company A noticed then and decided today by its proposer reg_hk, so only regadmin_hk may
        approve it (company A's notice); a decided fine of the worker (publish); a criticism of company A naming
        a person (correct). Past days come from the registry's clock, pointed at a file for the while."""
        import json
        import os
        import tempfile
        from datetime import timedelta

        from registry import clock
        from registry.extensions import db
        from registry.sanctions import services as sanctions

        reg = self.accounts["reg_hk"]
        ring = factory.ring
        common = {"legal_basis": "《家政服务业信用建设指引》第十条", "facts": "经查，当事人多次违反服务合同约定。",
                  "measures": "限制从事家政上门服务"}

        def listing(**subject):
            return sanctions.record_sanction(ring, regulator=reg, today=clock.today(), kind="serious_list",
                                             severity="serious", publish_months=12, **subject, **common).sanction

        refs = {"notify": listing(subject_kind="worker", card_no=self.card_no).ref}
        db.session.commit()
        previous = clock._file
        fd, path = tempfile.mkstemp(suffix=".json")
        with os.fdopen(fd, "w") as fh:
            json.dump({"frozen": (clock.now() - timedelta(days=40)).isoformat()}, fh)
        clock.follow(path)
        try:
            decide = listing(subject_kind="worker", card_no=self.card_no)
            approve = listing(subject_kind="company", uscc=self.company_a.uscc)
            for s in (decide, approve):
                sanctions.notify_sanction(ring, regulator=reg, sanction=s, today=clock.today(), reasons=NOTICE_REASONS)
            db.session.commit()
        finally:
            clock.follow(previous)
            os.unlink(path)
        sanctions.decide_sanction(ring, regulator=reg, sanction=approve, today=clock.today(),
                                  decision_no="商务信〔2026〕7号")
        refs.update(decide=decide.ref, approve=approve.ref)
        refs["publish"] = sanctions.record_sanction(
            ring, regulator=reg, today=clock.today(), subject_kind="worker", card_no=self.card_no, kind="fine",
            severity="general", publish_months=3, decision_no="商务罚〔2026〕3号", decision_date=clock.today(),
            **common).sanction.ref
        refs["correct"] = sanctions.record_sanction(
            ring, regulator=reg, today=clock.today(), subject_kind="company", uscc=self.company_a.uscc,
            kind="criticism", severity="general", decision_no="商务罚〔2026〕4号", decision_date=clock.today(),
            persons=[{"role": "legal_representative", "name": "郑国强"}], **common).sanction.ref
        # Credit repair and withdrawal: minor warnings with a window (repairable from their decision day) of
        # company A and of the worker (apply); one of company A's with a pending application (decide); fines to
        # record a revocation of (any regulator) and to withdraw (the issuing agency).
        from registry.sanctions import repair

        def minor(**subject):
            return sanctions.record_sanction(
                ring, regulator=reg, today=clock.today(), kind="warning", severity="minor", publish_months=1,
                decision_no="商务警〔2026〕6号", decision_date=clock.today(), **subject, **common).sanction

        refs["repair_company"] = minor(subject_kind="company", uscc=self.company_a.uscc).ref
        refs["repair_worker"] = minor(subject_kind="worker", card_no=self.card_no).ref
        pending = minor(subject_kind="company", uscc=self.company_a.uscc)
        self.repair_ref = repair.apply_for_repair(
            ring, sanction=pending, applicant_kind="company", applicant=self.accounts["a_admin"].ref,
            today=clock.today(), statement="已按要求完成整改。", pledge=True,
            files=[REPAIR_PDF]).sanction.repairs[-1].ref
        refs["repair_decide"] = pending.ref
        for name, subject in (("revocation", {"subject_kind": "worker", "card_no": self.card_no}),
                              ("withdraw", {"subject_kind": "company", "uscc": self.company_a.uscc})):
            refs[name] = sanctions.record_sanction(
                ring, regulator=reg, today=clock.today(), kind="fine", severity="general", publish_months=3,
                decision_no="商务罚〔2026〕7号", decision_date=clock.today(), **subject, **common).sanction.ref
        # Objections: decided fines of company A and of the worker for their subjects to object to, and a third
        # (company A's) with an objection received, for the issuing agency's step and the document download.
        def fine(**subject):
            return sanctions.record_sanction(
                ring, regulator=reg, today=clock.today(), kind="fine", severity="general", publish_months=3,
                decision_no="商务罚〔2026〕6号", decision_date=clock.today(), **subject, **common).sanction

        refs["object_company"] = fine(subject_kind="company", uscc=self.company_a.uscc).ref
        refs["object_worker"] = fine(subject_kind="worker", card_no=self.card_no).ref
        objected = fine(subject_kind="company", uscc=self.company_a.uscc)
        db.session.commit()
        from registry.sanctions import objections

        self.objection_ref = objections.file_as_company(
            ring, account=self.accounts["a_admin"], company=self.company_a, sanction=objected,
            reasons="罚款依据有误。", files=[OBJECTION_PDF], now=clock.now()).objection.ref
        refs["objected"] = objected.ref
        db.session.commit()
        return refs

    def _service(self, factory, worker) -> str:
        from registry.extensions import db
        from registry.trace import services as trace
        from tests.support.traceutil import fields

        done = trace.record_service(factory.ring, account=self.accounts["a_admin"], company=self.company_a,
                                    worker=worker, fields=fields(WORLD_CUSTOMER_PHONE), now=_utcnow())
        db.session.commit()
        return done.service.ref
    # --- services and reviews (traceability) ---

    def _record_service(self, factory) -> tuple[str, str]:
        """Company A records a service of the world's worker: (its reference, the code its customer got)."""
        from registry.clock import now as utcnow
        from registry.extensions import db
        from registry.trace import services as trace
        from registry.workers.services import get_worker
        from tests.support.traceutil import fields, last_review_code

        self.n += 1
        trace.record_service(factory.ring, account=self.accounts["a_admin"], company=self.company_a,
                             worker=get_worker(self.card_no), now=utcnow(),
                             fields=fields(f"139{self.n:08d}", override_reason="客户指定此人"))
        db.session.commit()
        return last_review_code(factory)

    def _reviewed_service(self, factory) -> str:
        from sqlalchemy import select

        from registry.clock import now as utcnow
        from registry.extensions import db
        from registry.trace import reviews
        from registry.trace.models import ServiceRecord
        from registry.trace.services import normalise_reference, reference_of

        reference, code = self._record_service(factory)
        reviews.leave_review(factory.ring, reference=reference, code=code, rating=4, tags=["punctual"],
                             text="很准时。", now=utcnow())
        db.session.commit()
        # The company replies with the service number, never the customer's reference.
        service = db.session.execute(select(ServiceRecord).where(
            ServiceRecord.reference == normalise_reference(reference))).scalar_one()
        return reference_of(service.ref)

    def _review_objection(self, factory, number: str) -> str:
        from registry.clock import now as utcnow
        from registry.extensions import db
        from registry.trace import review_objections

        service = review_objections.by_reference(number)
        ref = review_objections.file_as_company(
            factory.ring, account=self.accounts["a_admin"], company=self.company_a, service=service,
            reasons="评价与服务记录不符。", files=[OBJECTION_PDF], now=utcnow()).objection.ref
        db.session.commit()
        return ref

    def review_body(self) -> dict:
        """A review with an unspent code (a service is recorded for it when none is left: that writes its own entry,
        so the one-entry walk, which reviews once, always finds one ready)."""
        if not self._review_codes:
            self._review_codes.append(self._record_service(self.f))
        reference, code = self._review_codes.pop()
        return {"reference": reference, "code": code, "rating": 5, "tags": ["punctual", "careful"],
                "text": "阿姨很细心。"}
    # The customer whose services company A's worker performed (the phone of the by-phone complaint).
    CUSTOMER_PHONE = "13912340077"

    def _complaints(self, factory, worker) -> None:
        """A received complaint about the world's worker, filed from the card page (its tracking code kept); one
        about company A, filed with a service's review code; a service for the by-phone complaint."""
        from registry.extensions import db
        from tests.support.complaintutil import file_card, file_code, serve

        admin = self.accounts["a_admin"]
        filed = file_card(factory, worker)
        self.complaint_ref, self.complaint_reference = filed.complaint.ref, filed.reference
        self.complaint_tracking = filed.tracking_code
        _service, reference, code = serve(factory, company=self.company_a, admin=admin, worker=worker,
                                          phone=self.CUSTOMER_PHONE)
        self.company_complaint_ref = file_code(factory, reference=reference, code=code, about="company").complaint.ref
        _service, reference, code = serve(factory, company=self.company_a, admin=admin, worker=worker,
                                          phone="13912340078")
        self._review_pair = {"reference": reference, "code": code}
        db.session.commit()
        # Objections to substantiated complaints (concluded by housekeeping): one about company A and one about
        # the worker for their subjects to object to, and one about company A with an objection received, for the
        # concluding agency's step and the document download.
        from registry.clock import now as utcnow
        from registry.complaints import objections
        from tests.support.complaintutil import walk

        reg = self.accounts["reg_hk"]

        def substantiated_about_a(phone):
            _s, ref_, code_ = serve(factory, company=self.company_a, admin=admin, worker=worker, phone=phone)
            return walk(factory, reg, file_code(factory, reference=ref_, code=code_, about="company").complaint,
                        "substantiated")

        self.objectable_company_complaint = substantiated_about_a("13912340079").ref
        self.objectable_worker_complaint = walk(factory, reg, file_card(factory, worker).complaint,
                                                "substantiated").ref
        objected = substantiated_about_a("13912340080")
        self.complaint_objection_ref = objections.file_as_company(
            factory.ring, account=admin, company=self.company_a, complaint=objected, reasons="认定有误，附服务记录。",
            files=[OBJECTION_PDF], now=utcnow()).objection.ref
        self.objected_complaint = objected.ref
        db.session.commit()

    def review_pair(self) -> dict:
        """A service of the world's worker with no complaint yet, and its review code, as the customer's message
        gives them (one complaint per service by code: a second filing answers 409)."""
        return dict(self._review_pair)

    @property
    def card_print_task_id(self) -> int:
        """A finished print run of company A's card holder: no card to issue, so it writes no log entry."""
        if self._card_print_task_id is None:
            from registry.cards.print_runs import start_print
            from registry.extensions import db
            from registry.tasks import services as tasks

            task = start_print(account=self.accounts["a_admin"], company=self.company_a, card_nos=[self.card_no])
            db.session.commit()
            task_id = task.id
            tasks.run_task(tasks.claim(task_id, "world", 60), "world")
            db.session.rollback()
            self._card_print_task_id = task_id
        return self._card_print_task_id

    @property
    def bulletin_ref(self) -> str:
        """A bulletin of last month, published citing the latest signed checkpoint (made on first use)."""
        if self.__dict__.get("_bulletin_ref") is None:
            from sqlalchemy import select

            from registry import clock
            from registry.bulletins import periods
            from registry.bulletins import services as bulletins
            from registry.extensions import db
            from registry.log.models import LogCheckpoint

            cp = db.session.execute(select(LogCheckpoint).order_by(LogCheckpoint.size.desc()).limit(1)).scalar_one()
            period = periods.previous(periods.month_of(clock.today()))
            published = bulletins.publish(
                self.f.ring, actor="system", period=period, made_at=clock.now(),
                files=[(f"jiaxin-bulletin-{period.key}-v1.pdf", "application/pdf", b"%PDF-1.7 world\n%%EOF\n")],
                checkpoint_size=cp.size, checkpoint_root=bytes(cp.root).hex(),
                origin=self.f.app.config["LOG_ORIGIN"])
            db.session.commit()
            self._bulletin_ref = published.bulletin.ref
        return self._bulletin_ref

    @property
    def service_import_task_id(self) -> int:
        """A finished service import of company A with a report (its one row names no known card; made on first
        use)."""
        if self.__dict__.get("_service_import_task_id") is None:
            from registry.extensions import db
            from registry.trace.imports import start_import
            from tests.support.importutil import run_queued_tasks

            content = ("服务证号,服务类型,客户手机号,服务区县,开始时间,结束时间\n"
                       "JX0000000000,保洁,1,锦江区,x,y\n").encode()
            task = start_import(self.f.ring, account=self.accounts["a_admin"], company=self.company_a,
                                filename="bad.csv", content=content, keep_good=False)
            db.session.commit()
            self._service_import_task_id = task.id
            run_queued_tasks(self.f.app)
        return self._service_import_task_id

    def new_id(self) -> str:
        from datetime import date

        from registry.workers import idnumber

        return idnumber.generate(self.rng, birth=date(1980 + self.rng.randrange(20), 1 + self.rng.randrange(12), 5))

    def headers(self, principal: str) -> dict:
        if principal == "anon":
            return {}
        if principal == "worker":
            return {"Authorization": f"Bearer {self.worker_token}"}
        return {"Authorization": f"Bearer {self.tokens[principal]}"}

    # --- the world's worker in self-service (made on first use: most tests never need it) ---

    WORKER_PIN = "204937"

    def activation_code(self) -> str:
        """A fresh activation code for the world's worker, sent at company A's request (ends earlier sessions)."""
        from registry.clock import now as utcnow
        from registry.extensions import db
        from registry.selfservice import services as selfservice
        from registry.workers.services import get_worker

        issued = selfservice.issue_activation_code(self.f.ring, actor=self.accounts["a_admin"],
                                                   worker=get_worker(self.card_no), now=utcnow())
        db.session.commit()
        return issued.code

    @property
    def worker_token(self) -> str:
        """A live self-service session of the world's worker (activating them once)."""
        if self.__dict__.get("_worker_token") is None:
            from registry.clock import now as utcnow
            from registry.extensions import db
            from registry.selfservice import services as selfservice

            started = selfservice.activate(self.f.ring, card_no=self.card_no, code=self.activation_code(),
                                           pin=self.WORKER_PIN, now=utcnow())
            db.session.commit()
            self._worker_token = started.token
        return self._worker_token

    def worker_pin(self) -> str:
        """The worker's PIN (activating them first if need be)."""
        assert self.worker_token
        return self.WORKER_PIN

    def consent_code(self) -> str:
        """A fresh consent code of the world's worker."""
        from registry.clock import now as utcnow
        from registry.extensions import db
        from registry.selfservice import services as selfservice
        from registry.workers.services import get_worker

        issued = selfservice.create_consent_code(self.f.ring, worker=get_worker(self.card_no), now=utcnow())
        db.session.commit()
        return issued.code

    def confirmation_code(self) -> str:
        """A fresh code for company B's pending attachment, sent at B's request, as the worker's phone got it."""
        from registry.clock import now as utcnow
        from registry.extensions import db
        from registry.workers import attach
        from registry.workers.services import get_worker
        from tests.support.attachutil import last_confirmation_code

        attach.resend_code(self.f.ring, account=self.accounts["b_admin"], company=self.company_b,
                           worker=get_worker(self.card_no), employment_id=self.pending_employment_id,
                           today=self.today, now=utcnow())
        db.session.commit()
        return last_confirmation_code(self.f, "13600001234")

    def uniq(self, stem: str) -> str:
        self.n += 1
        return f"{stem}-{self.n}"

    def profile(self, **over) -> dict:
        body = {"name": "成都新家政有限公司", "sectors": ["housekeeping"], "business_model": "intermediary",
                "employee_conditions": None, "district": "510105",
                "contact": {"name": "孙联系", "phone": "13700001111"}}
        body.update(over)
        return body


@dataclass
class Op:
    method: str
    template: str  # as in the OpenAPI document
    path: Callable[[World], str]
    allowed: frozenset
    body: Callable[[World], dict] | None = None
    action: str | None = None  # the log action tag of a state change
    status: int = 200
    query: dict = field(default_factory=dict)
    # A file upload (multipart) instead of a JSON body: the file's bytes.
    upload: Callable[[World], bytes] | None = None
    # The upload's multipart field and file name, and other form fields sent with it.
    upload_field: str = "file"
    upload_name: str = "s.csv"
    form: Callable[[World], dict] | None = None
    # For a queued task (202): how many entries its operations write.
    entries: int = 1
    # False for a change that is unlogged by design (codes, sessions): no entry, no log_index.
    logged: bool = True
    # A queued long task (202 with a task_id): its operations write the entries later.
    queued: bool = False
    # A POST that only reads: a search whose terms (names, phones) must stay out of URLs.
    reads: bool = False

    @property
    def changes_state(self) -> bool:
        return self.method in ("POST", "PUT", "PATCH", "DELETE") and not self.reads

    @property
    def id(self) -> str:
        return f"{self.method} {self.template}"


# The customer of the world's service (a canary: it must never come back in any answer).
WORLD_CUSTOMER_PHONE = "13912340077"


def _utcnow():
    from registry.clock import now

    return now()


def _service_body(w: World) -> dict:
    from datetime import timedelta

    start = _utcnow().replace(microsecond=0) - timedelta(hours=4)
    return {"card_no": w.card_no, "service_type": "cleaning", "phone": WORLD_CUSTOMER_PHONE, "district": "锦江区",
            "start": start.isoformat(), "end": (start + timedelta(hours=3)).isoformat(), "override_reason": None}


def _a(w): return w.company_a.uscc
def _p(w): return w.pending.uscc
def _b(w): return w.company_b.uscc


OPS = [
    Op("GET", "/api/v1/me", lambda w: "/api/v1/me", ALL_AUTH),
    Op("POST", "/api/v1/me/password", lambda w: "/api/v1/me/password", ALL_AUTH,
       lambda w: {"current_password": PASSWORD, "new_password": "another good passphrase"},
       "account:password:change"),
    Op("GET", "/api/v1/tokens", lambda w: "/api/v1/tokens", ALL_AUTH),
    Op("POST", "/api/v1/tokens", lambda w: "/api/v1/tokens", ALL_AUTH, lambda w: {"name": "ci"},
       "account:token:issue", 201),
    Op("DELETE", "/api/v1/tokens/{token_id}", lambda w: f"/api/v1/tokens/{w.spare_token_id}",
       frozenset({"a_admin"}), None, "account:token:revoke"),
    Op("GET", "/api/v1/agencies", lambda w: "/api/v1/agencies", EVERYONE),
    Op("POST", "/api/v1/agencies", lambda w: "/api/v1/agencies", frozenset({"operator"}),
       lambda w: {"code": w.uniq("new"), "name_zh": "新机构", "name_en": "New agency", "kind": "regulator",
                  "sector": "market"}, "agency:create", 201),
    Op("GET", "/api/v1/agencies/{code}/users", lambda w: "/api/v1/agencies/hk/users",
       frozenset({"regadmin_hk", "operator"})),
    Op("POST", "/api/v1/agencies/{code}/users", lambda w: "/api/v1/agencies/hk/users",
       frozenset({"regadmin_hk", "operator"}),
       lambda w: {"login": w.uniq("new-reg"), "name": "钱新人", "role": "regulator"}, "agency:user:add", 201),
    Op("POST", "/api/v1/accounts/{ref}/password-reset",
       lambda w: f"/api/v1/accounts/{w.accounts['a_user'].ref}/password-reset",
       frozenset({"a_admin", "operator"}), None, "account:password:reset"),
    Op("POST", "/api/v1/accounts/{ref}/totp-reset",
       lambda w: f"/api/v1/accounts/{w.accounts['reg_hk'].ref}/totp-reset",
       frozenset({"regadmin_hk", "operator"}), None, "account:totp:reset"),
    Op("PUT", "/api/v1/accounts/{ref}/disabled",
       lambda w: f"/api/v1/accounts/{w.accounts['a_user'].ref}/disabled",
       frozenset({"a_admin", "operator"}), lambda w: {"disabled": True}, "account:disable"),
    Op("GET", "/api/v1/companies", lambda w: "/api/v1/companies", REGULATORS),
    Op("POST", "/api/v1/companies", lambda w: "/api/v1/companies", EVERYONE,
       lambda w: {**w.profile(), "uscc": w.f.uscc(),
                  "admin": {"login": w.uniq("signup"), "name": "孙联系", "password": "a good long password"}},
       "company:register", 201),
    Op("POST", "/api/v1/companies/reviewed", lambda w: "/api/v1/companies/reviewed",
       frozenset({"reg_hk", "regadmin_hk"}),
       lambda w: {**w.profile(), "uscc": XIAMEN, "note": "核对营业执照原件，代码真实。",
                  "admin": {"login": w.uniq("reviewed"), "name": "孙联系"}},
       "company:register:reviewed", 201),
    Op("GET", "/api/v1/companies/{uscc}", lambda w: f"/api/v1/companies/{_a(w)}", EVERYONE),
    Op("GET", "/api/v1/companies/{uscc}/profile", lambda w: f"/api/v1/companies/{_a(w)}/profile",
       frozenset({"a_admin", "a_user", "reg_hk", "regadmin_hk"})),
    # Company A is verified: a new name is a change request for its regulators (202), not a change of name.
    Op("PUT", "/api/v1/companies/{uscc}/profile", lambda w: f"/api/v1/companies/{_a(w)}/profile",
       frozenset({"a_admin"}), lambda w: w.profile(name="成都安心家政服务有限公司（新）"), "company:change:request",
       202),
    Op("GET", "/api/v1/company-changes", lambda w: "/api/v1/company-changes", REGULATORS),
    Op("POST", "/api/v1/company-changes/{ref}/decision", lambda w: f"/api/v1/company-changes/{w.change_ref}/decision",
       frozenset({"reg_hk", "regadmin_hk"}), lambda w: {"decision": "reject", "reason": "名称与营业执照不符"},
       "company:change:reject"),
    Op("POST", "/api/v1/company-changes/{ref}/withdraw", lambda w: f"/api/v1/company-changes/{w.change_ref}/withdraw",
       frozenset({"b_admin"}), None, "company:change:withdraw"),
    Op("POST", "/api/v1/companies/{uscc}/decision", lambda w: f"/api/v1/companies/{_p(w)}/decision",
       frozenset({"reg_hk", "regadmin_hk"}), lambda w: {"decision": "verify"}, "company:verify"),
    Op("POST", "/api/v1/companies/{uscc}/pledge", lambda w: f"/api/v1/companies/{_a(w)}/pledge",
       frozenset({"a_admin"}), lambda w: {"version": 1}, "company:pledge:sign"),
    # Company B's pledge found broken: by the regulators of its sector (housekeeping) or market supervision.
    Op("POST", "/api/v1/companies/{uscc}/pledge/breach", lambda w: f"/api/v1/companies/{_b(w)}/pledge/breach",
       frozenset({"reg_hk", "regadmin_hk", "reg_market"}),
       lambda w: {"found_on": w.today.isoformat(), "basis": "成商务信〔2026〕5号认定书"}, "company:pledge:break"),
    Op("GET", "/api/v1/companies/{uscc}/users", lambda w: f"/api/v1/companies/{_a(w)}/users",
       frozenset({"a_admin", "a_user"})),
    Op("POST", "/api/v1/companies/{uscc}/users", lambda w: f"/api/v1/companies/{_a(w)}/users",
       frozenset({"a_admin"}), lambda w: {"login": w.uniq("staff"), "name": "周员工"}, "company:user:add", 201),
    Op("GET", "/api/v1/pledge", lambda w: "/api/v1/pledge", EVERYONE),
    Op("GET", "/api/v1/districts", lambda w: "/api/v1/districts", EVERYONE),
    Op("GET", "/api/v1/outbox", lambda w: "/api/v1/outbox", frozenset({"operator"})),
    Op("GET", "/api/v1/companies/{uscc}/workers", lambda w: f"/api/v1/companies/{_a(w)}/workers",
       frozenset({"a_admin", "a_user"})),
    Op("POST", "/api/v1/companies/{uscc}/workers/search", lambda w: f"/api/v1/companies/{_a(w)}/workers/search",
       frozenset({"a_admin", "a_user"}), lambda w: {"name": "陈秀英", "phone": "13600001234"}, reads=True),
    Op("POST", "/api/v1/companies/{uscc}/workers", lambda w: f"/api/v1/companies/{_a(w)}/workers",
       frozenset({"a_admin", "a_user"}),
       lambda w: {"name": "刘桂兰", "id_number": w.new_id(), "phone": "13512345678", "occupation": "childcare",
                  "employment_kind": "service_agreement", "start_date": w.today.isoformat(),
                  "social_insurance": False}, "worker:register", 201),
    # Current employers open the detail directly; regulators say why, through the search.
    Op("GET", "/api/v1/workers/{card_no}", lambda w: f"/api/v1/workers/{w.card_no}",
       frozenset({"a_admin", "a_user"})),
    # Regulators of the employer's sector, and market supervision, open the detail with a purpose (a read: unlogged).
    Op("POST", "/api/v1/workers/search", lambda w: "/api/v1/workers/search",
       frozenset({"reg_hk", "regadmin_hk", "reg_market"}), lambda w: {"card_no": w.card_no, "purpose": "inspection"},
       logged=False),
    Op("POST", "/api/v1/workers/{card_no}/employment-end", lambda w: f"/api/v1/workers/{w.card_no}/employment-end",
       frozenset({"a_admin", "a_user"}), lambda w: {"end_date": w.today.isoformat()}, "worker:employment:end"),
    Op("POST", "/api/v1/workers/{card_no}/records", lambda w: f"/api/v1/workers/{w.card_no}/records",
       frozenset({"a_admin", "a_user"}),
       lambda w: {"kind": "health", "result": "passed", "checked_on": w.today.isoformat(),
                  "valid_until": add_years(w.today, 1).isoformat()}, "worker:record:add", 201),
    Op("POST", "/api/v1/companies/{uscc}/imports", lambda w: f"/api/v1/companies/{_a(w)}/imports",
       frozenset({"a_admin", "a_user"}), None, "worker:register", 202,
       upload=lambda w: _staff_csv(w, 3), entries=3, queued=True),
    Op("GET", "/api/v1/companies/{uscc}/imports/{task_id}/report",
       lambda w: f"/api/v1/companies/{_a(w)}/imports/{w.report_task_id}/report", frozenset({"a_admin", "a_user"})),
    Op("GET", "/api/v1/imports/template.csv", lambda w: "/api/v1/imports/template.csv", EVERYONE),
    Op("GET", "/api/v1/imports/template.xlsx", lambda w: "/api/v1/imports/template.xlsx", EVERYONE),
    # Service records by file (追溯): the company's members upload and follow; each row is one service:record.
    Op("POST", "/api/v1/companies/{uscc}/services/imports", lambda w: f"/api/v1/companies/{_a(w)}/services/imports",
       frozenset({"a_admin", "a_user"}), None, "service:record", 202, upload=lambda w: _service_csv(w, 3), entries=3,
       queued=True),
    Op("GET", "/api/v1/companies/{uscc}/services/imports/{task_id}",
       lambda w: f"/api/v1/companies/{_a(w)}/services/imports/{w.service_import_task_id}",
       frozenset({"a_admin", "a_user"})),
    Op("GET", "/api/v1/companies/{uscc}/services/imports/{task_id}/report",
       lambda w: f"/api/v1/companies/{_a(w)}/services/imports/{w.service_import_task_id}/report",
       frozenset({"a_admin", "a_user"})),
    Op("GET", "/api/v1/services/imports/template.csv", lambda w: "/api/v1/services/imports/template.csv", EVERYONE),
    Op("GET", "/api/v1/vocab/occupations", lambda w: "/api/v1/vocab/occupations", EVERYONE),
    Op("GET", "/api/v1/vocab/employment-kinds", lambda w: "/api/v1/vocab/employment-kinds", EVERYONE),
    Op("GET", "/api/v1/vocab/record-kinds", lambda w: "/api/v1/vocab/record-kinds", EVERYONE),
    Op("GET", "/api/v1/tasks/{task_id}", lambda w: f"/api/v1/tasks/{w.task_id}",
       frozenset({"a_admin", "a_user", "operator"})),
    # The public transparency log (never rate limited) and a company's own canonical states.
    Op("GET", "/api/v1/log/checkpoint", lambda w: "/api/v1/log/checkpoint", EVERYONE),
    Op("GET", "/api/v1/log/key", lambda w: "/api/v1/log/key", EVERYONE),
    Op("GET", "/api/v1/log/entries/{index}", lambda w: "/api/v1/log/entries/0", EVERYONE),
    Op("GET", "/api/v1/log/proofs/inclusion", lambda w: "/api/v1/log/proofs/inclusion?index=0&size=2", EVERYONE),
    Op("GET", "/api/v1/log/proofs/consistency", lambda w: "/api/v1/log/proofs/consistency?from=1&to=2",
       EVERYONE),
    Op("GET", "/api/v1/log/checkpoints", lambda w: "/api/v1/log/checkpoints", EVERYONE),
    Op("GET", "/api/v1/log/receipts/{index}", lambda w: "/api/v1/log/receipts/0", EVERYONE),
    Op("GET", "/api/v1/companies/{uscc}/states", lambda w: f"/api/v1/companies/{_a(w)}/states",
       frozenset({"a_admin", "a_user"})),
    # Cards: the public keys; issuing, printing and the photo for the current employer only.
    Op("GET", "/api/v1/cards/keys", lambda w: "/api/v1/cards/keys", EVERYONE),
    # Bulletins: every version published, and the public keys their manifests are signed with (never rate limited).
    Op("GET", "/api/v1/bulletins", lambda w: "/api/v1/bulletins", EVERYONE),
    Op("GET", "/api/v1/bulletins/{ref}", lambda w: f"/api/v1/bulletins/{w.bulletin_ref}", EVERYONE),
    Op("GET", "/api/v1/bulletins/keys", lambda w: "/api/v1/bulletins/keys", EVERYONE),
    Op("GET", "/api/v1/cards/{card_no}", lambda w: f"/api/v1/cards/{w.card_no}", EVERYONE),
    Op("POST", "/api/v1/workers/{card_no}/cards", lambda w: f"/api/v1/workers/{w.card_no}/cards",
       frozenset({"a_admin", "a_user"}), None, "card:issue", 201),
    Op("GET", "/api/v1/workers/{card_no}/card", lambda w: f"/api/v1/workers/{w.card_no}/card?format=html",
       frozenset({"a_admin", "a_user"})),
    Op("POST", "/api/v1/companies/{uscc}/card-prints", lambda w: f"/api/v1/companies/{_a(w)}/card-prints",
       frozenset({"a_admin", "a_user"}), lambda w: {"card_nos": [w.uncarded_card_no]}, "card:issue", 202,
       queued=True),
    Op("GET", "/api/v1/companies/{uscc}/card-prints/{task_id}/pdf",
       lambda w: f"/api/v1/companies/{_a(w)}/card-prints/{w.card_print_task_id}/pdf", frozenset({"a_admin", "a_user"})),
    Op("PUT", "/api/v1/workers/{card_no}/photo", lambda w: f"/api/v1/workers/{w.card_no}/photo",
       frozenset({"a_admin", "a_user"}), None, "worker:photo:set", upload=lambda w: _png(), upload_field="photo",
       upload_name="photo.png", form=lambda w: {"consent_on": w.today.isoformat()}),
    # Reports about a card: anyone files one; the regulators who handle it (the employer's sector, market) close it.
    Op("POST", "/api/v1/cards/{card_no}/reports", lambda w: f"/api/v1/cards/{w.card_no}/reports", EVERYONE,
       lambda w: {"reason": "not_holder", "text": "照片与来人不符", "q": None}, "report:file", 201),
    Op("GET", "/api/v1/reports", lambda w: "/api/v1/reports", REGULATORS),
    Op("POST", "/api/v1/reports/{ref}/close", lambda w: f"/api/v1/reports/{w.report_ref}/close",
       frozenset({"reg_hk", "regadmin_hk", "reg_market"}), lambda w: {"note": "已联系企业核实处理。"}, "report:close"),
    # Worker self-service (unlogged: codes, PINs and sessions are credentials). Employers and the regulators who
    # may view the worker send activation codes; /self/* takes only a worker session token.
    Op("POST", "/api/v1/workers/{card_no}/activation-code", lambda w: f"/api/v1/workers/{w.card_no}/activation-code",
       frozenset({"a_admin", "a_user", "reg_hk", "regadmin_hk", "reg_market"}), logged=False),
    Op("POST", "/api/v1/self/activate", lambda w: "/api/v1/self/activate", EVERYONE,
       lambda w: {"card_no": w.card_no, "code": w.activation_code(), "pin": w.WORKER_PIN}, logged=False),
    Op("POST", "/api/v1/self/login", lambda w: "/api/v1/self/login", EVERYONE,
       lambda w: {"card_no": w.card_no, "pin": w.worker_pin()}, logged=False),
    Op("POST", "/api/v1/self/logout", lambda w: "/api/v1/self/logout", WORKER, logged=False),
    Op("GET", "/api/v1/self", lambda w: "/api/v1/self", WORKER),
    Op("GET", "/api/v1/self/access", lambda w: "/api/v1/self/access", WORKER),
    Op("GET", "/api/v1/self/state", lambda w: "/api/v1/self/state", WORKER),
    Op("POST", "/api/v1/self/consent-codes", lambda w: "/api/v1/self/consent-codes", WORKER, status=201,
       logged=False),
    # Attaching an existing worker: only the attaching company enters the code the worker gave it, or has a new
    # one sent (unlogged: a credential); the worker confirms or refuses in self-service.
    Op("POST", "/api/v1/workers/{card_no}/employments/{employment_id}/confirm",
       lambda w: f"/api/v1/workers/{w.card_no}/employments/{w.pending_employment_id}/confirm",
       frozenset({"b_admin"}), lambda w: {"code": w.confirmation_code()}, "worker:employ:confirm"),
    Op("POST", "/api/v1/workers/{card_no}/employments/{employment_id}/confirmation-code",
       lambda w: f"/api/v1/workers/{w.card_no}/employments/{w.pending_employment_id}/confirmation-code",
       frozenset({"b_admin"}), logged=False),
    Op("POST", "/api/v1/self/employments/{employment_id}/confirm",
       lambda w: f"/api/v1/self/employments/{w.pending_employment_id}/confirm", WORKER,
       action="worker:employ:confirm"),
    Op("POST", "/api/v1/self/employments/{employment_id}/decline",
       lambda w: f"/api/v1/self/employments/{w.pending_employment_id}/decline", WORKER,
       action="worker:employment:end"),
    # Sanctions: any regulator records and reads every one; only the issuing agency's (reg_hk, regadmin_hk) change
    # one; the listing awaiting approval was proposed and decided by reg_hk, so only regadmin_hk approves (four eyes).
    Op("GET", "/api/v1/sanctions", lambda w: "/api/v1/sanctions", REGULATORS),
    Op("POST", "/api/v1/sanctions", lambda w: "/api/v1/sanctions", REGULATORS,
       lambda w: {"subject_kind": "worker", "card_no": w.card_no, "kind": "warning", "severity": "minor",
                  "legal_basis": "《家政服务业信用建设指引》第十条", "facts": "服务迟到且未告知。", "measures": "警告",
                  "bars_home_service": False, "publish_months": 1, "decision_no": "商务罚〔2026〕5号",
                  "decision_date": w.today.isoformat()}, "sanction:record", 201),
    Op("GET", "/api/v1/sanctions/{ref}", lambda w: f"/api/v1/sanctions/{w.sanction_refs['approve']}", REGULATORS),
    Op("POST", "/api/v1/sanctions/{ref}/notify", lambda w: f"/api/v1/sanctions/{w.sanction_refs['notify']}/notify",
       ISSUER, lambda w: {"reasons": NOTICE_REASONS, "objection_days": 5}, "sanction:notify"),
    Op("POST", "/api/v1/sanctions/{ref}/decide", lambda w: f"/api/v1/sanctions/{w.sanction_refs['decide']}/decide",
       ISSUER, lambda w: {"decision_no": "商务信〔2026〕8号"}, "sanction:decide"),
    Op("POST", "/api/v1/sanctions/{ref}/approve",
       lambda w: f"/api/v1/sanctions/{w.sanction_refs['approve']}/approve", frozenset({"regadmin_hk"}), None,
       "sanction:approve"),
    Op("POST", "/api/v1/sanctions/{ref}/publish",
       lambda w: f"/api/v1/sanctions/{w.sanction_refs['publish']}/publish", ISSUER, None, "sanction:publish"),
    Op("POST", "/api/v1/sanctions/{ref}/correct",
       lambda w: f"/api/v1/sanctions/{w.sanction_refs['correct']}/correct", ISSUER,
       lambda w: {"legal_basis": "《家政服务业信用建设指引》第十一条", "reason": "援引条文有误"}, "sanction:correct"),
    # Credit repair: the subject applies (company A's members; the worker in self-service) and reads its own
    # sanctions; the issuing agency decides. A revoked decision: any regulator records the revocation; the issuing
    # agency withdraws it.
    Op("GET", "/api/v1/companies/{uscc}/sanctions", lambda w: f"/api/v1/companies/{_a(w)}/sanctions",
       frozenset({"a_admin", "a_user"})),
    Op("POST", "/api/v1/companies/{uscc}/sanctions/{ref}/repairs",
       lambda w: f"/api/v1/companies/{_a(w)}/sanctions/{w.sanction_refs['repair_company']}/repairs",
       frozenset({"a_admin", "a_user"}), None, "sanction:repair:apply", 201, upload=lambda w: REPAIR_PDF,
       upload_field="documents", upload_name="receipt.pdf",
       form=lambda w: {"statement": "已缴纳罚款并完成整改。", "pledge": "true"}),
    Op("GET", "/api/v1/self/sanctions", lambda w: "/api/v1/self/sanctions", WORKER),
    Op("POST", "/api/v1/self/sanctions/{ref}/repairs",
       lambda w: f"/api/v1/self/sanctions/{w.sanction_refs['repair_worker']}/repairs", WORKER, None,
       "sanction:repair:apply", 201, upload=lambda w: REPAIR_PDF, upload_field="documents",
       upload_name="receipt.pdf", form=lambda w: {"statement": "已按要求整改并赔偿客户损失。", "pledge": "true"}),
    Op("POST", "/api/v1/sanctions/{ref}/repairs/{repair_ref}/decide",
       lambda w: f"/api/v1/sanctions/{w.sanction_refs['repair_decide']}/repairs/{w.repair_ref}/decide", ISSUER,
       lambda w: {"decision": "approve", "reason": "义务已履行。"}, "sanction:repair:approve"),
    # A repair application's documents: only the issuing agency, which decides it, opens them.
    Op("GET", "/api/v1/sanctions/{ref}/repairs/{repair_ref}/documents/{position}",
       lambda w: f"/api/v1/sanctions/{w.sanction_refs['repair_decide']}/repairs/{w.repair_ref}/documents/0",
       ISSUER),
    Op("POST", "/api/v1/sanctions/{ref}/revocation",
       lambda w: f"/api/v1/sanctions/{w.sanction_refs['revocation']}/revocation", REGULATORS,
       lambda w: {"authority": "review", "revoked_on": w.today.isoformat(), "reason": "行政复议决定撤销原处罚决定。"},
       "sanction:revocation"),
    Op("POST", "/api/v1/sanctions/{ref}/withdraw",
       lambda w: f"/api/v1/sanctions/{w.sanction_refs['withdraw']}/withdraw", ISSUER,
       lambda w: {"authority": "court", "revoked_on": w.today.isoformat(), "reason": "人民法院判决撤销原处罚决定。"},
       "sanction:withdraw"),
    # The public search of published listings; the batch check for companies and regulators (a POST that reads).
    Op("GET", "/api/v1/listings", lambda w: "/api/v1/listings", EVERYONE),
    Op("POST", "/api/v1/listings/check", lambda w: "/api/v1/listings/check",
       frozenset({"a_admin", "a_user", "b_admin"}) | REGULATORS, lambda w: {"items": [_a(w), w.card_no]}, reads=True),
    # The subjects' notices: a company's members, the worker in self-service; each only their own.
    Op("GET", "/api/v1/companies/{uscc}/notices", lambda w: f"/api/v1/companies/{_a(w)}/notices",
       frozenset({"a_admin", "a_user"})),
    Op("GET", "/api/v1/self/notices", lambda w: "/api/v1/self/notices", WORKER),
    # What the subject was told at each step of its objections, repairs and withdrawals; each only their own.
    Op("GET", "/api/v1/companies/{uscc}/notifications", lambda w: f"/api/v1/companies/{_a(w)}/notifications",
       frozenset({"a_admin", "a_user"})),
    Op("GET", "/api/v1/self/notifications", lambda w: "/api/v1/self/notifications", WORKER),
    # Objections (异议): the subject files one with documents (company A's members for its fine; the worker in
    # self-service for theirs); every regulator reads them; only the issuing agency steps and opens the documents.
    Op("POST", "/api/v1/companies/{uscc}/sanctions/{ref}/objections",
       lambda w: f"/api/v1/companies/{_a(w)}/sanctions/{w.sanction_refs['object_company']}/objections",
       frozenset({"a_admin", "a_user"}), None, "sanction:objection:file", 201, upload=lambda w: OBJECTION_PDF,
       upload_field="documents", upload_name="evidence.pdf", form=lambda w: {"reasons": "事实认定有误，附证据。"}),
    Op("GET", "/api/v1/companies/{uscc}/objections", lambda w: f"/api/v1/companies/{_a(w)}/objections",
       frozenset({"a_admin", "a_user"})),
    Op("POST", "/api/v1/self/sanctions/{ref}/objections",
       lambda w: f"/api/v1/self/sanctions/{w.sanction_refs['object_worker']}/objections", WORKER, None,
       "sanction:objection:file", 201, upload=lambda w: OBJECTION_PDF, upload_field="documents",
       upload_name="evidence.pdf", form=lambda w: {"reasons": "当天我不在该户服务。"}),
    Op("GET", "/api/v1/self/objections", lambda w: "/api/v1/self/objections", WORKER),
    Op("GET", "/api/v1/sanctions/{ref}/objections",
       lambda w: f"/api/v1/sanctions/{w.sanction_refs['objected']}/objections", REGULATORS),
    Op("POST", "/api/v1/sanctions/{ref}/objections/{objection_ref}/steps",
       lambda w: f"/api/v1/sanctions/{w.sanction_refs['objected']}/objections/{w.objection_ref}/steps", ISSUER,
       lambda w: {"step": "accept", "reason": None, "outcome": None, "changes": None}, "sanction:objection:accept"),
    Op("GET", "/api/v1/sanctions/{ref}/objections/{objection_ref}/documents/{position}",
       lambda w: f"/api/v1/sanctions/{w.sanction_refs['objected']}/objections/{w.objection_ref}/documents/0",
       ISSUER),
    # --- traceability (追溯): recording a service; a company's, a worker's and a household's services ---
    Op("POST", "/api/v1/companies/{uscc}/services", lambda w: f"/api/v1/companies/{_a(w)}/services",
       frozenset({"a_admin", "a_user"}), _service_body, "service:record", 201),
    Op("GET", "/api/v1/companies/{uscc}/services", lambda w: f"/api/v1/companies/{_a(w)}/services",
       frozenset({"a_admin", "a_user"})),
    # The recording company (B has only a pending attachment and recorded nothing: 404); regulators by the
    # detailed record's rule (the employer's sector housekeeping, and market supervision).
    Op("GET", "/api/v1/workers/{card_no}/services", lambda w: f"/api/v1/workers/{w.card_no}/services",
       frozenset({"a_admin", "a_user", "reg_hk", "regadmin_hk", "reg_market"})),
    # Any regulator queries a household by phone (in the body); the query record is unlogged by design.
    Op("POST", "/api/v1/households/services", lambda w: "/api/v1/households/services", REGULATORS,
       lambda w: {"phone": WORLD_CUSTOMER_PHONE, "purpose": "complaint", "note": "12345 工单 2026-001"},
       logged=False),
    Op("GET", "/api/v1/household-queries", lambda w: "/api/v1/household-queries",
       frozenset({"regadmin_hk", "operator"})),
    # Reviews: anyone holding a service's review code reviews it (no account: the anonymous principal, and any
    # account alike); company A's members reply once to a review of their service and list their reviews.
    Op("POST", "/api/v1/reviews", lambda w: "/api/v1/reviews", EVERYONE, lambda w: w.review_body(), "service:review",
       201),
    Op("POST", "/api/v1/companies/{uscc}/services/{reference}/reply",
       lambda w: f"/api/v1/companies/{_a(w)}/services/{w.reviewed_reference}/reply", frozenset({"a_admin", "a_user"}),
       lambda w: {"text": "感谢您的评价！"}, "service:reply", 201),
    Op("GET", "/api/v1/companies/{uscc}/reviews", lambda w: f"/api/v1/companies/{_a(w)}/reviews",
       frozenset({"a_admin", "a_user"})),
    Op("GET", "/api/v1/self/reviews", lambda w: "/api/v1/self/reviews", WORKER),
    # Complaints (投诉): anyone files (three ways) and follows one with its tracking code (a POST that reads); the
    # regulators who handle the subject (the employer's sector: housekeeping; market: all) read and step; the subject
    # responds: the worker in self-service, company A's members.
    Op("POST", "/api/v1/complaints/by-code", lambda w: "/api/v1/complaints/by-code", EVERYONE,
       lambda w: {**w.review_pair(), "about": "worker", "category": "quality", "text": "迟到两小时且未告知",
                  "contact": {"name": "王先生", "phone": "13900001111"}}, "complaint:file", 201),
    Op("POST", "/api/v1/cards/{card_no}/complaints", lambda w: f"/api/v1/cards/{w.card_no}/complaints", EVERYONE,
       lambda w: {"category": "abuse", "text": "服务时言语辱骂老人", "contact": None}, "complaint:file", 201),
    Op("POST", "/api/v1/cards/{card_no}/complaints/by-phone",
       lambda w: f"/api/v1/cards/{w.card_no}/complaints/by-phone", EVERYONE,
       lambda w: {"phone": w.CUSTOMER_PHONE, "category": "theft", "text": "服务后家中现金不见了"},
       "complaint:file", 201),
    Op("POST", "/api/v1/complaints/track", lambda w: "/api/v1/complaints/track", EVERYONE,
       lambda w: {"reference": w.complaint_reference, "tracking_code": w.complaint_tracking}, reads=True),
    Op("GET", "/api/v1/complaints", lambda w: "/api/v1/complaints", REGULATORS),
    Op("GET", "/api/v1/complaints/{ref}", lambda w: f"/api/v1/complaints/{w.complaint_ref}",
       frozenset({"reg_hk", "regadmin_hk", "reg_market"})),
    Op("POST", "/api/v1/complaints/{ref}/steps", lambda w: f"/api/v1/complaints/{w.complaint_ref}/steps",
       frozenset({"reg_hk", "regadmin_hk", "reg_market"}),
       lambda w: {"step": "accept", "reason": "属于管辖范围，予以受理。"}, "complaint:accept"),
    Op("GET", "/api/v1/self/complaints", lambda w: "/api/v1/self/complaints", WORKER),
    Op("POST", "/api/v1/self/complaints/{ref}/responses",
       lambda w: f"/api/v1/self/complaints/{w.complaint_ref}/responses", WORKER,
       lambda w: {"text": "当天我按约定时间到达，有签到记录。"}, "complaint:respond", 201),
    Op("GET", "/api/v1/companies/{uscc}/complaints", lambda w: f"/api/v1/companies/{_a(w)}/complaints",
       frozenset({"a_admin", "a_user"})),
    Op("POST", "/api/v1/companies/{uscc}/complaints/{ref}/responses",
       lambda w: f"/api/v1/companies/{_a(w)}/complaints/{w.company_complaint_ref}/responses",
       frozenset({"a_admin", "a_user"}), lambda w: {"text": "已核实，当天服务按合同完成。"}, "complaint:respond", 201),
    # Objections (异议) to substantiated complaints: the subject files one with documents (company A's members; the
    # worker in self-service) and reads them; the regulators who handle the complaint read them; only the agency
    # that concluded it (housekeeping) steps and opens the documents.
    Op("POST", "/api/v1/companies/{uscc}/complaints/{ref}/objections",
       lambda w: f"/api/v1/companies/{_a(w)}/complaints/{w.objectable_company_complaint}/objections",
       frozenset({"a_admin", "a_user"}), None, "complaint:objection:file", 201, upload=lambda w: OBJECTION_PDF,
       upload_field="documents", upload_name="evidence.pdf", form=lambda w: {"reasons": "认定有误，附服务记录。"}),
    Op("GET", "/api/v1/companies/{uscc}/complaints/{ref}/objections",
       lambda w: f"/api/v1/companies/{_a(w)}/complaints/{w.objected_complaint}/objections",
       frozenset({"a_admin", "a_user"})),
    Op("POST", "/api/v1/self/complaints/{ref}/objections",
       lambda w: f"/api/v1/self/complaints/{w.objectable_worker_complaint}/objections", WORKER, None,
       "complaint:objection:file", 201, upload=lambda w: OBJECTION_PDF, upload_field="documents",
       upload_name="evidence.pdf", form=lambda w: {"reasons": "当天我不在该户服务。"}),
    Op("GET", "/api/v1/self/complaints/{ref}/objections",
       lambda w: f"/api/v1/self/complaints/{w.objectable_worker_complaint}/objections", WORKER),
    Op("GET", "/api/v1/complaints/{ref}/objections", lambda w: f"/api/v1/complaints/{w.objected_complaint}/objections",
       frozenset({"reg_hk", "regadmin_hk", "reg_market"})),
    Op("POST", "/api/v1/complaints/{ref}/objections/{objection_ref}/steps",
       lambda w: f"/api/v1/complaints/{w.objected_complaint}/objections/{w.complaint_objection_ref}/steps", ISSUER,
       lambda w: {"step": "accept", "reason": None, "outcome": None, "category": None},
       "complaint:objection:accept"),
    Op("GET", "/api/v1/complaints/{ref}/objections/{objection_ref}/documents/{position}",
       lambda w: f"/api/v1/complaints/{w.objected_complaint}/objections/{w.complaint_objection_ref}/documents/0",
       ISSUER),
    # Objections (异议) to a review: company A's members (the recording company) or the worker in self-service file
    # and read them; the regulators of company A's sector (housekeeping) and market supervision read and answer.
    Op("POST", "/api/v1/companies/{uscc}/services/{reference}/review/objections",
       lambda w: f"/api/v1/companies/{_a(w)}/services/{w.reviewed_reference}/review/objections",
       frozenset({"a_admin", "a_user"}), None, "service:objection:file", 201, upload=lambda w: OBJECTION_PDF,
       upload_field="documents", upload_name="evidence.pdf", form=lambda w: {"reasons": "评价与服务记录不符。"}),
    Op("GET", "/api/v1/companies/{uscc}/services/{reference}/review/objections",
       lambda w: f"/api/v1/companies/{_a(w)}/services/{w.review_objected}/review/objections",
       frozenset({"a_admin", "a_user"})),
    Op("POST", "/api/v1/self/services/{reference}/review/objections",
       lambda w: f"/api/v1/self/services/{w.reviewed_reference}/review/objections", WORKER, None,
       "service:objection:file", 201, upload=lambda w: OBJECTION_PDF, upload_field="documents",
       upload_name="evidence.pdf", form=lambda w: {"reasons": "当天服务按约完成。"}),
    Op("GET", "/api/v1/self/services/{reference}/review/objections",
       lambda w: f"/api/v1/self/services/{w.review_objected}/review/objections", WORKER),
    Op("GET", "/api/v1/services/{reference}/review/objections",
       lambda w: f"/api/v1/services/{w.review_objected}/review/objections",
       frozenset({"reg_hk", "regadmin_hk", "reg_market"})),
    Op("POST", "/api/v1/services/{reference}/review/objections/{objection_ref}/steps",
       lambda w: f"/api/v1/services/{w.review_objected}/review/objections/{w.review_objection_ref}/steps",
       frozenset({"reg_hk", "regadmin_hk", "reg_market"}),
       lambda w: {"step": "accept", "reason": None, "outcome": None}, "service:objection:accept"),
    Op("GET", "/api/v1/services/{reference}/review/objections/{objection_ref}/documents/{position}",
       lambda w: f"/api/v1/services/{w.review_objected}/review/objections/{w.review_objection_ref}/documents/0",
       frozenset({"reg_hk", "regadmin_hk", "reg_market"})),
    # Commendations (表彰): anyone reads a company's in force; the regulators of company A's sector (housekeeping)
    # and market supervision record one; only the recording agency (housekeeping) revokes the world's.
    Op("GET", "/api/v1/companies/{uscc}/commendations", lambda w: f"/api/v1/companies/{_a(w)}/commendations",
       EVERYONE),
    Op("POST", "/api/v1/companies/{uscc}/commendations", lambda w: f"/api/v1/companies/{_a(w)}/commendations",
       frozenset({"reg_hk", "regadmin_hk", "reg_market"}),
       lambda w: {"title": "守信激励示范企业", "basis": "成市监〔2026〕8号", "commended_on": w.today.isoformat(),
                  "valid_until": None}, "commendation:record", 201),
    # The red list (守信激励): public, under the look-up rate limit.
    Op("GET", "/api/v1/red-list", lambda w: "/api/v1/red-list", EVERYONE),
    Op("POST", "/api/v1/commendations/{ref}/revoke", lambda w: f"/api/v1/commendations/{w.commendation_ref}/revoke",
       ISSUER, lambda w: {"reason": "登记有误：表彰对象不是本企业。"}, "commendation:revoke"),
    # Credit rules: anyone reads the versions and the adoptions; an operator admin adopts one (the world's folder
    # holds v1, in force, and v2), which queues the recompute of every score.
    Op("GET", "/api/v1/credit/rules", lambda w: "/api/v1/credit/rules", EVERYONE),
    Op("POST", "/api/v1/credit/rules/adoptions", lambda w: "/api/v1/credit/rules/adoptions", frozenset({"operator"}),
       lambda w: {"version": "v2", "reason": "成市监信〔2026〕9号：信用积分规则第二版"}, "credit_rules:adopt", 201),
    # Credit scores explained and human review (PIPL art. 24): company A's members and the regulators of its sector
    # (housekeeping) and market supervision read its score; the worker reads their own. Company A's admin and the
    # worker ask for review and read theirs; the regulators list those they may answer, and housekeeping and market
    # supervision answer company B's.
    Op("GET", "/api/v1/companies/{uscc}/score", lambda w: f"/api/v1/companies/{_a(w)}/score",
       frozenset({"a_admin", "a_user", "reg_hk", "regadmin_hk", "reg_market"})),
    Op("GET", "/api/v1/self/score", lambda w: "/api/v1/self/score", WORKER),
    Op("POST", "/api/v1/companies/{uscc}/score-reviews", lambda w: f"/api/v1/companies/{_a(w)}/score-reviews",
       frozenset({"a_admin"}), lambda w: {"reason": "最新的表彰没有计入积分。", "disputed": None},
       "score_review:file", 201),
    Op("GET", "/api/v1/companies/{uscc}/score-reviews", lambda w: f"/api/v1/companies/{_a(w)}/score-reviews",
       frozenset({"a_admin", "a_user"})),
    Op("POST", "/api/v1/self/score-reviews", lambda w: "/api/v1/self/score-reviews", WORKER,
       lambda w: {"reason": "体检合格记录没有计入。", "disputed": None}, "score_review:file", 201),
    Op("GET", "/api/v1/self/score-reviews", lambda w: "/api/v1/self/score-reviews", WORKER),
    Op("GET", "/api/v1/score-reviews", lambda w: "/api/v1/score-reviews", REGULATORS),
    Op("POST", "/api/v1/score-reviews/{ref}/answer", lambda w: f"/api/v1/score-reviews/{w.score_review_ref}/answer",
       frozenset({"reg_hk", "regadmin_hk", "reg_market"}),
       lambda w: {"note": "经核查，表彰已计入。", "correction_points": 5, "correction_until": None},
       "score_review:answer"),
    # Erasure on a lawful request (PIPL art. 47): operators, and regulators who oversee the worker (a former worker:
    # market supervision only).
    Op("POST", "/api/v1/workers/{card_no}/erasure", lambda w: f"/api/v1/workers/{w.former_card_no}/erasure",
       frozenset({"operator", "reg_market"}),
       lambda w: {"basis": "subject_request", "reference": "成市监删〔2027〕1号"}, "worker:erase"),
    # A resident at the door: anyone with a consent code the worker gave.
    Op("POST", "/api/v1/cards/{card_no}/detail", lambda w: f"/api/v1/cards/{w.card_no}/detail", EVERYONE,
       lambda w: {"consent_code": w.consent_code()}, logged=False),
]


def _png() -> bytes:
    """A small real PNG picture (a worker's photo stand-in)."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (24, 32), (200, 160, 120)).save(out, "PNG")
    return out.getvalue()


def _staff_csv(w: World, n: int) -> bytes:
    from tests.support.importutil import csv_bytes, person_rows

    w.n += 1
    return csv_bytes(person_rows(n, today=w.today, seed=1000 + w.n))


def _service_csv(w: World, n: int) -> bytes:
    """`n` services of the world's worker by company A, with a reason in case the worker no longer qualifies
    (another operation may have ended the employment or listed the worker)."""
    from registry.clock import now as utcnow
    from tests.support.serviceimportutil import service_csv, service_rows

    w.n += 1
    return service_csv(service_rows(n, [w.card_no], now=utcnow(), seed=2000 + w.n, override_reason="合同约定的服务"))


def call(client, world: World, op: Op, principal: str, body=None):
    kwargs = {"headers": world.headers(principal)}
    if op.upload is not None and body is None:
        import io

        from werkzeug.datastructures import FileStorage
        from werkzeug.test import encode_multipart

        fields = {op.upload_field: FileStorage(io.BytesIO(op.upload(world)), filename=op.upload_name)}
        fields.update(op.form(world) if op.form else {})
        boundary, data = encode_multipart(fields)
        return client.open(op.path(world), method=op.method, data=data,
                           content_type=f"multipart/form-data; boundary={boundary}", **kwargs)
    payload = op.body(world) if body is None and op.body else body
    if payload is not None:
        kwargs["json"] = payload
    return client.open(op.path(world), method=op.method, **kwargs)
