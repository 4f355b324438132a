"""Company operations: registration, verification, profile and its change requests, pledge (signed, found broken),
users."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, insert, select
from sqlalchemy.orm import selectinload

from .. import clock
from ..accounts.models import Account, Agency
from ..accounts.roles import COMPANY_ROLES, REGULATOR_ROLES, Role
from ..accounts.services import NewAccount, build_account
from ..errors import ApiError, field_error, forbidden, not_found, problems_error
from ..extensions import db
from ..keys import KeyRing
from ..keys.crypto import aad, seal, state_hmac, unseal
from ..log.actions import Action
from ..log.services import Recorded, record_change
from . import changes as change_rules
from . import districts, phones, pledge, search
from . import uscc as uscc_mod
from .access import is_member, require_member
from .models import (
    BREACH_BASIS_MAX,
    BUSINESS_MODELS,
    COMPANY_SECTORS,
    EMPLOYEE_CONDITIONS,
    Company,
    CompanyChange,
    Pledge,
)

PHONE_RE = re.compile(r"^(?:\+?86)?1[3-9]\d{9}$|^0\d{2,3}-?\d{7,8}$")


@dataclass
class CompanyProfile:
    """What a company states about itself (validated by `check_profile`)."""

    name: str
    sectors: list[str]
    business_model: str | None
    employee_conditions: dict | None
    district: str
    contact_name: str
    contact_phone: str
    # The public service line; None or blank: none.
    service_phone: str | None = None


def normalise_phone(raw: str) -> str:
    return re.sub(r"[\s()]", "", raw or "")


def check_profile(p: CompanyProfile) -> None:
    """Raise a field error naming the first rule the profile breaks."""
    if not (p.name or "").strip() or len(p.name) > 200:
        raise field_error("name", "Give the registered name (1–200 characters).",
                          "请填写企业登记名称（1–200 个字符）。")
    if not p.sectors or any(s not in COMPANY_SECTORS for s in p.sectors) or len(set(p.sectors)) != len(p.sectors):
        raise field_error("sectors", "Choose housekeeping, property or both.", "请选择家政、物业或两者。")
    if "housekeeping" in p.sectors:
        if p.business_model not in BUSINESS_MODELS:
            raise field_error("business_model", "A housekeeping firm states its model: employee or intermediary.",
                              "家政企业须选择经营模式：员工制或中介制。")
        if p.business_model == "employee":
            conds = p.employee_conditions or {}
            missing = [c for c in EMPLOYEE_CONDITIONS if conds.get(c) is not True]
            if missing or set(conds) - set(EMPLOYEE_CONDITIONS):
                raise field_error(
                    "employee_conditions",
                    "The employee model (员工制) needs all four: contracts, social_insurance, minimum_wage, "
                    "ongoing_training.",
                    "员工制须同时满足四项：签订合同、缴纳社保、工资不低于最低工资、持续培训。")
        elif p.employee_conditions:
            raise field_error("employee_conditions", "Only the employee model records these conditions.",
                              "只有员工制企业填写这四项条件。")
    elif p.business_model or p.employee_conditions:
        raise field_error("business_model", "Only housekeeping firms state a business model.",
                          "只有家政企业选择经营模式。")
    if p.district not in districts.CODES:
        raise field_error("district", "Choose one of Chengdu's districts or counties.", "请选择成都市的区（市）县。")
    if not (p.contact_name or "").strip() or len(p.contact_name) > 50:
        raise field_error("contact.name", "Give the contact person's name.", "请填写联系人姓名。")
    if not PHONE_RE.match(normalise_phone(p.contact_phone)):
        raise field_error("contact.phone", "Give a mainland mobile or landline number.", "请填写有效的手机或座机号码。")
    check_service_phone(p.service_phone)


def check_service_phone(raw: str | None) -> str | None:
    """The normalised public service phone (None when blank), or a field error."""
    if raw is None or not raw.strip():
        return None
    number = phones.normalise(raw)
    if number is None:
        raise field_error("service_phone",
                          "Give the company's service line: a mobile, a landline with its area code "
                          "(028-12345678) or a 400/800 number.",
                          "请填写企业的服务电话：手机、带区号的座机（如 028-12345678）或 400/800 电话。")
    return number


def _apply_material(company: Company, values: dict) -> None:
    """Name, sectors, business model and conditions: what regulators verify (and the name's search keys)."""
    for field, value in values.items():
        setattr(company, field, value)
    if "name" in values:
        search.index_name(company)


def _material_of(p: CompanyProfile) -> dict:
    return change_rules.normalised(p.name, p.sectors, p.business_model)


def _apply_profile(ring: KeyRing, company: Company, p: CompanyProfile) -> None:
    _apply_material(company, _material_of(p))
    _apply_details(ring, company, p)


def _apply_details(ring: KeyRing, company: Company, p: CompanyProfile) -> None:
    """District, contact and service phone: what a company changes on its own word, verified or not."""
    company.district = p.district
    company.service_phone = check_service_phone(p.service_phone)
    name = p.contact_name.strip()
    phone = normalise_phone(p.contact_phone)
    company.contact_name_enc = seal(ring, name, aad("companies", "contact_name", company.log_ref))
    company.contact_name_state = state_hmac(ring, "contact_name", name)
    company.contact_phone_enc = seal(ring, phone, aad("companies", "contact_phone", company.log_ref))
    company.contact_phone_state = state_hmac(ring, "contact_phone", phone)


def contact(ring: KeyRing, company: Company) -> dict:
    return {
        "name": unseal(ring, company.contact_name_enc, aad("companies", "contact_name", company.log_ref)),
        "phone": unseal(ring, company.contact_phone_enc, aad("companies", "contact_phone", company.log_ref)),
    }


CONTACT_READ_PURPOSES = ("verification",)


def note_contact_reads(*, companies: list[Company], account: Account, purpose: str) -> None:
    """Record, before they are opened, that `account` reads these companies' contact persons in clear.

    The contact person is not a worker, so the rows go to `company_contact_reads`,
    not to a worker's access record. One short write transaction of its own (as
    `workers.services.note_access`): the page that follows may only read, and the
    rows must exist even if rendering fails.
    """
    from ..database import write_intent
    from .models import ContactRead

    if purpose not in CONTACT_READ_PURPOSES:
        raise ValueError(purpose)
    if not companies:
        return
    from ..move.marker import refuse_if_moving

    refuse_if_moving()  # not shown unrecorded (as `workers.services.note_access`)
    org = account.agency.name_zh if account.agency_id else (account.company.name if account.company_id else None)
    at = clock.now()
    with write_intent(), db.engine.begin() as conn:
        conn.execute(insert(ContactRead), [{"company_id": c.id, "accessor_ref": account.ref, "organisation": org,
                                            "purpose": purpose, "created_dt": at} for c in companies])


def _check_uscc_free(code: str) -> None:
    if db.session.execute(select(Company.id).where(Company.uscc == code)).first():
        raise ApiError(409, "company_exists", "该统一社会信用代码已登记。", "A company with this USCC is registered.",
                       {"uscc": {"en": "Already registered.", "zh": "已登记。"}})


def _new_company(ring: KeyRing, code: str, profile: CompanyProfile) -> Company:
    from ..models import new_ref

    company = Company(uscc=code, log_ref=new_ref(), salt=new_ref(), status="pending")
    _apply_profile(ring, company, profile)
    return company


def register_company(ring: KeyRing, *, uscc: str, profile: CompanyProfile, admin_login: str, admin_name: str,
                     admin_password: str) -> tuple[Company, NewAccount]:
    """Self-registration: a pending company and its first (admin) user."""
    result = uscc_mod.validate(uscc or "")
    if not result.ok:
        if result.failure in ("checksum", "org_code"):
            raise ApiError(422, "uscc_checksum",
                           "统一社会信用代码校验未通过。如确为早期颁发的真实代码，请联系监管部门人工审核登记。",
                           "The USCC fails its check. If it is a genuine early code, ask a regulator to register "
                           "it through manual review.",
                           {"uscc": {"en": result.message_en, "zh": result.message_zh}})
        raise field_error("uscc", result.message_en, result.message_zh, code="invalid_uscc")
    check_profile(profile)
    _check_uscc_free(result.code)
    company = _new_company(ring, result.code, profile)
    admin = build_account(ring, login=admin_login, name=admin_name, role=Role.COMPANY_ADMIN, password=admin_password,
                          login_field="admin.login", password_field="admin.password")  # noqa: S106 — field names
    company.accounts.append(admin.account)
    db.session.add(company)
    admin.recorded = record_change(ring, actor=admin.account.ref, action=Action.COMPANY_REGISTER, aggregate=company)
    return company, admin


def register_reviewed(ring: KeyRing, *, regulator: Account, uscc: str, profile: CompanyProfile, note: str,
                      admin_login: str, admin_name: str) -> tuple[Company, NewAccount]:
    """Manual review: a regulator admits a genuine code that fails its check."""
    if regulator.role not in REGULATOR_ROLES or regulator.agency.sector not in profile.sectors:
        raise forbidden()
    result = uscc_mod.validate(uscc or "")
    if result.ok:
        raise field_error("uscc", "This code passes its check: the company registers itself.",
                          "该代码校验通过，请企业自行注册。", code="review_not_needed")
    if result.failure not in ("checksum", "org_code"):
        raise field_error("uscc", result.message_en, result.message_zh, code="invalid_uscc")
    if not (note or "").strip():
        raise field_error("note", "Say what the review established.", "请填写人工审核说明。")
    check_profile(profile)
    _check_uscc_free(result.code)
    company = _new_company(ring, result.code, profile)
    company.checksum_flagged = True
    company.review_note = note.strip()
    company.status = "verified"
    company.decided_by = regulator.ref
    company.decided_dt = clock.now()
    admin = build_account(ring, login=admin_login, name=admin_name, role=Role.COMPANY_ADMIN, password=None,
                          login_field="admin.login")
    company.accounts.append(admin.account)
    db.session.add(company)
    admin.recorded = record_change(ring, actor=regulator.ref, action=Action.COMPANY_REGISTER_REVIEWED,
                                   aggregate=company)
    return company, admin


def get_company(code: str) -> Company:
    company = db.session.execute(
        select(Company).where(Company.uscc == uscc_mod.normalise(code or ""))
    ).scalar_one_or_none()
    if company is None:
        raise not_found("company", "企业")
    return company


def get_public_company(code: str) -> Company:
    """A company anyone may see: verified only. Anything else answers as an unknown USCC does.

    A pending or rejected company is 404 exactly like a code never registered,
    so the public look-up does not tell whether a registration is waiting. A
    code that is not registered and fails its check answers with the check's
    words instead (most likely a typo); a genuine early code that fails the
    checksum and was admitted by manual review is found first, so it is shown.
    """
    norm = uscc_mod.normalise(code or "")
    company = db.session.execute(
        select(Company).where(Company.uscc == norm, Company.status == "verified")
    ).scalar_one_or_none()
    if company is not None:
        return company
    result = uscc_mod.validate(norm)
    if not result.ok:
        field = {"uscc": {"en": result.message_en, "zh": result.message_zh}}
        if result.failure in ("checksum", "org_code"):
            raise ApiError(422, "uscc_typo", "统一社会信用代码校验未通过，可能输入有误，请核对。",
                           "The USCC fails its check: probably a typo. Check the code.", field)
        raise ApiError(422, "invalid_uscc", "统一社会信用代码格式不正确。", "This is not a USCC.", field)
    raise not_found("company", "企业")


def staff_by_occupation(company: Company) -> list[tuple[str, int]]:
    """(occupation, number of people) of the company's current staff, in the vocabulary's order: one GROUP BY."""
    from ..workers.models import Employment
    from ..workers.vocab import OCCUPATIONS

    rows = db.session.execute(
        select(Employment.occupation, func.count(func.distinct(Employment.worker_id)))
        .where(Employment.company_id == company.id, Employment.active)
        .group_by(Employment.occupation)
    ).all()
    order = {code: i for i, code in enumerate(OCCUPATIONS)}
    return sorted(((occ, n) for occ, n in rows), key=lambda r: (order.get(r[0], len(order)), r[0]))


# Who verifies a company of each sector when no agency of it is registered yet (a fresh installation).
SECTOR_REGULATORS = {"housekeeping": ("商务主管部门", "the commerce authority"),
                     "property": ("住房和城乡建设主管部门", "the housing and construction authority")}


def reviewers(company: Company) -> list[tuple[str, str]]:
    """The regulators that verify the company, by name (zh, en): the agencies of its sectors."""
    agencies = db.session.execute(select(Agency).where(Agency.kind == "regulator",
                                                       Agency.sector.in_(company.sectors))
                                  .order_by(Agency.id)).scalars().all()
    named = {a.sector for a in agencies}
    return [(a.name_zh, a.name_en) for a in agencies] + [
        SECTOR_REGULATORS[s] for s in company.sectors if s not in named and s in SECTOR_REGULATORS]


def regulates(account: Account, company: Company) -> bool:
    """Is `account` a regulator of one of the company's sectors?"""
    return (account.role in REGULATOR_ROLES and account.agency is not None
            and account.agency.sector in company.sectors)


def member_company(account: Account, uscc: str) -> Company:
    """The company, of which the account must be a member; anyone else: not found."""
    company = get_company(uscc)
    if not is_member(account, company):
        raise not_found("company", "企业")
    return company


def decide(ring: KeyRing, *, regulator: Account, company: Company, verify: bool, note: str | None) -> Recorded:
    """A regulator of the company's sector verifies or rejects it."""
    if not regulates(regulator, company):
        raise forbidden()
    if company.status != "pending":
        raise ApiError(409, "not_pending", "该企业不在待审核状态。", "The company is not pending.")
    if not verify and not (note or "").strip():
        raise field_error("note", "Say why the registration is rejected.", "请说明驳回理由。")
    company.status = "verified" if verify else "rejected"
    company.decided_by = regulator.ref
    company.decided_dt = clock.now()
    company.decision_note = (note or "").strip() or None
    return record_change(ring, actor=regulator.ref, aggregate=company,
                         action=Action.COMPANY_VERIFY if verify else Action.COMPANY_REJECT)


@dataclass
class ProfileUpdate:
    recorded: Recorded
    # The open change request this update made, when it touched what regulators verified.
    change: CompanyChange | None = None


def update_profile(ring: KeyRing, *, account: Account, company: Company, profile: CompanyProfile) -> ProfileUpdate:
    """Apply a profile; for a verified company a new name, sectors or business model become a change request.

    A company not (yet) verified applies everything at once, as nobody has
    vouched for it. A verified one keeps its verified values — on its public
    page and for which regulators see it and its workers — until a regulator
    of an old or a new sector approves; its district and contact apply at once.
    A new request replaces (withdraws) the open one; one that leaves the
    verified values as they are leaves an open request alone.
    """
    require_member(account, company, (Role.COMPANY_ADMIN,))
    check_profile(profile)
    if company.status != "verified":
        _apply_profile(ring, company, profile)
        return ProfileUpdate(record_change(ring, actor=account.ref, action=Action.COMPANY_UPDATE, aggregate=company))
    proposed = _material_of(profile)
    _apply_details(ring, company, profile)
    if not change_rules.differences(change_rules.values_of(company), proposed):
        return ProfileUpdate(record_change(ring, actor=account.ref, action=Action.COMPANY_UPDATE, aggregate=company))
    _lock(company)
    now = clock.now()
    old = open_change(company)
    if old is not None:
        old.status, old.decided_by, old.decided_dt = "withdrawn", account.ref, now
    change = CompanyChange(company_id=company.id, requested_by=account.ref, requested_dt=now, status="open",
                           **proposed)
    db.session.add(change)
    recorded = record_change(ring, actor=account.ref, action=Action.COMPANY_CHANGE_REQUEST, aggregate=company)
    return ProfileUpdate(recorded, change)


def set_service_phone(ring: KeyRing, *, account: Account, company: Company, phone: str | None) -> Recorded:
    """The company's admin sets (or, blank, removes) its public service phone; it applies at once."""
    require_member(account, company, (Role.COMPANY_ADMIN,))
    company.service_phone = check_service_phone(phone)
    return record_change(ring, actor=account.ref, action=Action.COMPANY_UPDATE, aggregate=company)


def _lock(company: Company) -> None:
    """Serialise the change requests of one company (PostgreSQL; SQLite's IMMEDIATE transaction already does),
    so two requests or decisions at once never leave two open requests or decide one twice."""
    db.session.execute(select(Company.id).where(Company.id == company.id).with_for_update())


def open_change(company: Company) -> CompanyChange | None:
    """The company's open change request, read afresh (after `_lock`, the committed truth)."""
    return db.session.execute(
        select(CompanyChange).where(CompanyChange.company_id == company.id, CompanyChange.status == "open")
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()


def oversees_change(account: Account, change: CompanyChange) -> bool:
    """Is `account` a regulator of one of the company's current sectors or of the proposed ones?"""
    return (account.role in REGULATOR_ROLES and account.agency is not None
            and account.agency.sector in change_rules.concerned_sectors(change.company.sectors, change.sectors))


def get_change(ref: str) -> CompanyChange:
    change = db.session.execute(select(CompanyChange).where(CompanyChange.ref == (ref or ""))).scalar_one_or_none()
    if change is None:
        raise not_found("change request", "变更申请")
    return change


def _refresh_open(change: CompanyChange) -> None:
    _lock(change.company)
    db.session.refresh(change)
    if change.status != "open":
        raise ApiError(409, "change_not_open", "该变更申请已处理或已撤回。",
                       "This change request is no longer open.")


def decide_change(ring: KeyRing, *, regulator: Account, change: CompanyChange, approve: bool,
                  reason: str | None) -> Recorded:
    """A regulator of an old or a new sector approves (the values apply) or rejects (with a reason)."""
    if not oversees_change(regulator, change):
        raise forbidden()
    _refresh_open(change)
    if not approve and not (reason or "").strip():
        raise field_error("reason", "Say why the change is rejected.", "请说明驳回理由。")
    company = change.company
    if approve:
        _apply_material(company, change_rules.values_of(change))
    change.status = "approved" if approve else "rejected"
    change.decided_by = regulator.ref
    change.decided_dt = clock.now()
    change.reason = (reason or "").strip() or None
    return record_change(ring, actor=regulator.ref, aggregate=company,
                         action=Action.COMPANY_CHANGE_APPROVE if approve else Action.COMPANY_CHANGE_REJECT)


def withdraw_change(ring: KeyRing, *, account: Account, change: CompanyChange) -> Recorded:
    """The company's admin withdraws its open request; the verified values stay."""
    require_member(account, change.company, (Role.COMPANY_ADMIN,))
    _refresh_open(change)
    change.status = "withdrawn"
    change.decided_by = account.ref
    change.decided_dt = clock.now()
    return record_change(ring, actor=account.ref, aggregate=change.company, action=Action.COMPANY_CHANGE_WITHDRAW)


def changes_for(regulator: Account) -> list[CompanyChange]:
    """The open change requests a regulator oversees, oldest first."""
    rows = db.session.execute(
        select(CompanyChange).where(CompanyChange.status == "open").order_by(CompanyChange.id)
        .options(selectinload(CompanyChange.company))).scalars()
    return [c for c in rows if oversees_change(regulator, c)]


def _pledges_afresh(company: Company) -> list[Pledge]:
    """The company's pledges in signing order, read again under the company's row lock (`_lock`): two signings, or
    a signing and a breach, at once never both act on what the other has just changed."""
    _lock(company)
    db.session.execute(select(Pledge).where(Pledge.company_id == company.id)
                       .execution_options(populate_existing=True))
    db.session.refresh(company, ["pledges"])
    return list(company.pledges)


def sign_pledge(ring: KeyRing, *, account: Account, company: Company, version: int) -> Recorded:
    """The company's admin signs the current pledge. Refused while a kept pledge of that version stands; a company
    whose pledge was found broken signs it again, as a new pledge (docs/rules.md, "Credit pledges found broken")."""
    require_member(account, company, (Role.COMPANY_ADMIN,))
    if version != pledge.CURRENT_VERSION:
        raise field_error("version", f"Sign the current pledge, version {pledge.CURRENT_VERSION}.",
                          f"请签署当前版本（第 {pledge.CURRENT_VERSION} 版）的信用承诺。", code="stale_pledge")
    if any(p.version == version and p.state == "kept" for p in _pledges_afresh(company)):
        raise ApiError(409, "pledge_signed", "本企业已签署该版本的信用承诺。", "This pledge version is already signed.")
    company.pledges.append(Pledge(version=version, text_sha256=pledge.text_digest(version), accepted_by=account.ref))
    return record_change(ring, actor=account.ref, action=Action.COMPANY_PLEDGE_SIGN, aggregate=company)


def require_pledge_overseer(account: Account | None, company: Company) -> Account:
    """Who records a broken pledge: a regulator of one of the company's sectors, or market supervision — the rule
    of who answers the company's score reviews (`credit.commendations.may_commend`). 403 `forbidden` for anyone not
    a regulator, 403 `not_subject_regulator` for another sector's regulator."""
    from ..credit.commendations import is_regulator, may_commend

    if not is_regulator(account):
        raise forbidden()
    if not may_commend(account, company):
        raise ApiError(403, "not_subject_regulator",
                       "只有该企业所属行业的监管部门或市场监管部门可以记录其违背信用承诺。",
                       "Only a regulator of the company's sectors, or market supervision, records that its pledge was "
                       "broken.")
    return account


def record_pledge_breach(ring: KeyRing, *, regulator: Account, company: Company, found_on: date | None,
                         basis: str | None, today: date) -> Recorded:
    """A regulator who oversees the company records that its current pledge was found broken: the day found (not
    after `today`, not before the pledge was signed, in Asia/Shanghai) and the basis (the finding or decision
    number: one line, public facts only). One `company:pledge:break` entry; the company's score follows in the same
    commit (a bad record for a year from `found_on`: credit/keeping.py). Checks: who (403), the input (422), the
    pledge (409 `no_pledge`, `pledge_broken`), then the day against its signing (422). Nothing here commits."""
    from ..credit.commendations import Problem, check_text, one_line

    require_pledge_overseer(regulator, company)
    text = one_line(basis)
    problems = [p for p in (check_text("basis", text, BREACH_BASIS_MAX, missing=(
        "Give the basis: the finding or decision number.", "请填写认定依据（认定或决定文书及文号）。")),) if p]
    if found_on is None:
        problems.append(Problem("found_on", "found_on_missing", "Give the day the pledge was found broken.",
                                "请填写认定违背承诺的日期。"))
    elif found_on > today:
        problems.append(Problem("found_on", "found_on_future",
                                "A breach is recorded once it has been found: the day cannot be in the future.",
                                "认定之后才能记录，认定日期不能晚于今天。"))
    if problems:
        raise problems_error(problems)
    pledges = _pledges_afresh(company)
    current = pledges[-1] if pledges else None
    if current is None:
        raise ApiError(409, "no_pledge", "该企业尚未签署信用承诺。", "The company has not signed a credit pledge.")
    if current.state != "kept":
        raise ApiError(409, "pledge_broken", "该企业当前的信用承诺已记录为违背。",
                       "The company's current pledge is already recorded as broken.")
    signed_on = clock.local_date(current.accepted_dt)
    if found_on < signed_on:
        raise problems_error([Problem(
            "found_on", "found_on_before_signed",
            f"The pledge was signed on {signed_on.isoformat()}: it cannot have been found broken before that.",
            f"该信用承诺签署于 {signed_on.isoformat()}，认定日期不能早于签署日期。")])
    current.state = "broken"
    current.broken_on = found_on
    current.broken_basis = text
    current.broken_by = regulator.ref
    return record_change(ring, actor=regulator.ref, action=Action.COMPANY_PLEDGE_BREAK, aggregate=company)


def add_user(ring: KeyRing, *, actor: Account, company: Company, login: str, name: str,
             role: str = Role.COMPANY_USER) -> NewAccount:
    """The company's admin adds a user, who gets a temporary password."""
    require_member(actor, company, (Role.COMPANY_ADMIN,))
    if role not in COMPANY_ROLES:
        raise field_error("role", "Role must be company_user or company_admin.", "角色必须是企业用户或企业管理员。")
    new = build_account(ring, login=login, name=name, role=role, password=None)
    company.accounts.append(new.account)
    new.recorded = record_change(ring, actor=actor.ref, action=Action.COMPANY_USER_ADD, aggregate=company)
    return new


def companies_for(regulator: Account, status: str) -> list[Company]:
    """The companies of a regulator's sector in one status, oldest first."""
    rows = db.session.execute(select(Company).where(Company.status == status).order_by(Company.id)).scalars()
    return [c for c in rows if regulates(regulator, c)]
