"""Page forms: the sanctions list filter, recording a sanction, and each step a regulator takes on one.

The forms check presence, choices, lengths and the shape of numbers and dates;
the services check every rule again (windows by severity, dates against today,
the subject, four eyes) and their field errors go back on these forms by
`web.apply_api_error`, so each field here is named as the service names it
(a named person's fields: `persons.N.role` → `personK_role`, see `SanctionForm.persons`).
"""
from __future__ import annotations

import re

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, MultipleFileField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Optional, ValidationError

from ..accounts.forms import MaxLength, Required, strip
from ..accounts.models import SECTORS
from ..companies import districts
from ..errors import Msg
from ..workers.forms import BAD_DATE, Choice
from . import repair_rules, rules
from . import services as sanctions

# Named persons a company's sanction can carry on the page (the API takes up to services.PERSONS_MAX).
PERSON_ROWS = 3
SMALL_NUMBER = re.compile(r"^[0-9]{1,3}$")
SCOPES = ("all", "mine")
# Longest page number the list takes: far past any real list, and its offset stays small for both engines.
PAGE_MAX = 100_000


def _optional_date() -> DateField:
    return DateField(invalid_value_message=BAD_DATE, validators=[Optional()])


class SmallNumber:
    """Whole numbers of at most three digits (months, working days); the range is the service's to check."""

    def __init__(self, en: str, zh: str):
        self.message = Msg(en, zh)

    def __call__(self, form, field):
        if field.data and not SMALL_NUMBER.match(field.data):
            raise ValidationError(self.message)


def _number(text: str | None) -> int | None:
    return int(text) if text else None


class PagedFilterForm(FlaskForm):
    """A GET filter form (no CSRF token) with a page number: the lists and searches that page through results."""

    class Meta:
        csrf = False

    page = StringField(default="1", filters=[strip])

    def validate_page(self, field):
        text = field.data or "1"
        if not (text.isascii() and text.isdigit() and 1 <= int(text) <= PAGE_MAX):
            raise ValidationError(Msg(f"Give a page number from 1 to {PAGE_MAX}.",
                                      f"请填写 1 至 {PAGE_MAX} 的页码。"))

    def page_number(self) -> int:
        return int(self.page.data or "1") if not self.page.errors else 1


class SectorDistrictFilterForm(PagedFilterForm):
    """A public filter by sector and district (the listings search, the red list)."""

    sector = SelectField(choices=["", *SECTORS], default="", validate_choice=False,
                         validators=[Optional(), Choice(SECTORS, "Choose a sector from the list.",
                                                        "请从列表中选择行业。")])
    district = SelectField(choices=["", *districts.CODES], default="", validate_choice=False,
                           validators=[Optional(), Choice(districts.CODES, "Choose a district from the list.",
                                                          "请从列表中选择区县。")])


class ListFilterForm(PagedFilterForm):
    """The sanctions list's filter (a GET form: no CSRF token)."""

    state = SelectField(choices=["", *rules.STATES], default="", validate_choice=False,
                        validators=[Optional(), Choice(rules.STATES, "Choose a state from the list.",
                                                       "请从列表中选择状态。")])
    scope = SelectField(choices=list(SCOPES), default="all", validate_choice=False,
                        validators=[Choice(SCOPES, "Choose all agencies or yours.", "请选择全部机构或本机构。")])
    card_no = StringField(validators=[MaxLength(30)], filters=[strip])
    uscc = StringField(validators=[MaxLength(30)], filters=[strip])


class SanctionForm(FlaskForm):
    """Record a sanction: the subject, what and why, the window, the decision (not for a listing), named persons."""

    subject_kind = RadioField(choices=list(rules.SUBJECT_KINDS), validate_choice=False,
                              validators=[Required("请选择当事人类型。", "Choose a worker or a company."),
                                          Choice(rules.SUBJECT_KINDS)])
    card_no = StringField(validators=[MaxLength(30)], filters=[strip])
    uscc = StringField(validators=[MaxLength(30)], filters=[strip])
    kind = SelectField(choices=["", *rules.KINDS], validate_choice=False,
                       validators=[Required("请选择处罚种类。", "Choose the kind of sanction."),
                                   Choice(rules.KINDS, "Choose a kind from the list.", "请从列表中选择处罚种类。")])
    severity = RadioField(choices=list(rules.SEVERITIES), validate_choice=False,
                          validators=[Required("请选择严重程度。", "Choose the severity."), Choice(rules.SEVERITIES)])
    legal_basis = TextAreaField(validators=[Required("请填写法律依据。", "Give the legal basis."),
                                            MaxLength(sanctions.BASIS_MAX)], filters=[strip])
    facts = TextAreaField(validators=[Required("请填写违法失信事实。", "Give the facts."),
                                      MaxLength(sanctions.FACTS_MAX)], filters=[strip])
    measures = TextAreaField(validators=[Required("请填写惩戒措施。", "Give the measures."),
                                         MaxLength(sanctions.MEASURES_MAX)], filters=[strip])
    bars_home_service = BooleanField()
    publish_months = StringField(filters=[strip], validators=[SmallNumber(
        "Give the window in whole months, such as 12.", "请用整月数填写公示期，例如 12。")])
    decision_no = StringField(validators=[MaxLength(sanctions.DECISION_NO_MAX)], filters=[strip])
    decision_date = _optional_date()
    origin_report = StringField(validators=[MaxLength(20)], filters=[strip])
    origin_complaint = StringField(validators=[MaxLength(20)], filters=[strip])
    person1_role = SelectField(choices=["", *rules.PERSON_ROLES], validate_choice=False)
    person1_name = StringField(validators=[MaxLength(50)], filters=[strip])
    person1_card_no = StringField(validators=[MaxLength(30)], filters=[strip])
    person2_role = SelectField(choices=["", *rules.PERSON_ROLES], validate_choice=False)
    person2_name = StringField(validators=[MaxLength(50)], filters=[strip])
    person2_card_no = StringField(validators=[MaxLength(30)], filters=[strip])
    person3_role = SelectField(choices=["", *rules.PERSON_ROLES], validate_choice=False)
    person3_name = StringField(validators=[MaxLength(50)], filters=[strip])
    person3_card_no = StringField(validators=[MaxLength(30)], filters=[strip])

    def validate_card_no(self, field):
        if self.subject_kind.data == "worker" and not field.data:
            raise ValidationError(Msg("Enter the worker's card number.", "请填写从业人员的服务证号。"))

    def validate_uscc(self, field):
        if self.subject_kind.data == "company" and not field.data:
            raise ValidationError(Msg("Enter the company's unified social credit code.",
                                      "请填写企业的统一社会信用代码。"))

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        for n in range(1, PERSON_ROWS + 1):
            role = self[f"person{n}_role"]
            if role.data and role.data not in rules.PERSON_ROLES:
                role.errors.append(Msg("Choose a role from the list.", "请从列表中选择身份。"))
                ok = False
        return ok

    @property
    def listing(self) -> bool:
        return rules.needs_four_eyes(self.kind.data or "")

    def persons(self) -> tuple[list[dict], dict[str, str]]:
        """The filled person rows for the service, and its field names (`persons.0.name`) → this form's."""
        found, names = [], {}
        for n in range(1, PERSON_ROWS + 1):
            row = {key: self[f"person{n}_{key}"].data or "" for key in ("role", "name", "card_no")}
            if not any(row.values()):
                continue
            index = len(found)
            for key in row:
                names[f"persons.{index}.{key}"] = f"person{n}_{key}"
            found.append({"role": row["role"] or None, "name": row["name"], "card_no": row["card_no"] or None})
        return found, names

    def service_args(self) -> dict:
        """The arguments of `services.record_sanction` (besides the key ring, regulator, today and persons)."""
        worker = self.subject_kind.data == "worker"
        return {
            "subject_kind": self.subject_kind.data,
            "card_no": self.card_no.data if worker else None,
            "uscc": None if worker else self.uscc.data,
            "kind": self.kind.data, "severity": self.severity.data,
            "legal_basis": self.legal_basis.data, "facts": self.facts.data, "measures": self.measures.data,
            "bars_home_service": bool(self.bars_home_service.data),
            "publish_months": _number(self.publish_months.data),
            "decision_no": self.decision_no.data or None, "decision_date": self.decision_date.data,
            "origin_report": self.origin_report.data or None,
            "origin_complaint": self.origin_complaint.data or None,
        }


def _ids(form: FlaskForm, prefix: str) -> None:
    """Page-unique HTML ids: the sanction page carries several forms."""
    for field in form:
        if field.name != "csrf_token":
            field.id = f"{prefix}-{field.name}"


class NotifyForm(FlaskForm):
    reasons = TextAreaField(validators=[Required("请填写告知事由。", "Give the reasons the subject is to read."),
                                        MaxLength(rules.NOTICE_REASONS_MAX)], filters=[strip])
    objection_days = StringField(filters=[strip], validators=[SmallNumber(
        "Give the objection window in whole working days, such as 5.", "请用整数个工作日填写异议期，例如 5。")])
    delivery_method = RadioField(choices=list(rules.DELIVERY_METHODS), validate_choice=False, default="sms",
                                 validators=[Required("请选择送达方式。", "Choose how the notice is delivered."),
                                             Choice(rules.DELIVERY_METHODS)])
    delivered_on = _optional_date()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _ids(self, "notify")


class DecideForm(FlaskForm):
    decision_no = StringField(validators=[Required("请填写决定书文号。", "Give the decision number."),
                                          MaxLength(sanctions.DECISION_NO_MAX)], filters=[strip])
    decision_date = _optional_date()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _ids(self, "decide")


class StepForm(FlaskForm):
    """A step that takes nothing but the regulator's say-so (approve, publish): the CSRF token only."""


YES_NO = ("yes", "no")


class CorrectForm(FlaskForm):
    """Correct a recorded sanction: the page fills in the current values; the reason is required."""

    legal_basis = TextAreaField(validators=[Required("请填写法律依据。", "Give the legal basis."),
                                            MaxLength(sanctions.BASIS_MAX)], filters=[strip])
    facts = TextAreaField(validators=[Required("请填写违法失信事实。", "Give the facts."),
                                      MaxLength(sanctions.FACTS_MAX)], filters=[strip])
    measures = TextAreaField(validators=[Required("请填写惩戒措施。", "Give the measures."),
                                         MaxLength(sanctions.MEASURES_MAX)], filters=[strip])
    bars_home_service = RadioField(choices=list(YES_NO), validate_choice=False,
                                   validators=[Required("请说明是否限制从事家政上门服务。",
                                                        "Say whether home-service work is barred."),
                                               Choice(YES_NO)])
    severity = RadioField(choices=list(rules.SEVERITIES), validate_choice=False,
                          validators=[Required("请选择严重程度。", "Choose the severity."), Choice(rules.SEVERITIES)])
    publish_months = StringField(filters=[strip], validators=[SmallNumber(
        "Give the window in whole months, such as 12.", "请用整月数填写公示期，例如 12。")])
    decision_no = StringField(validators=[MaxLength(sanctions.DECISION_NO_MAX)], filters=[strip])
    decision_date = _optional_date()
    reason = StringField(validators=[Required("请填写更正理由。", "Give the reason for the correction."),
                                     MaxLength(sanctions.REASON_MAX)], filters=[strip])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _ids(self, "correct")

    @classmethod
    def current(cls, sanction, facts: str) -> CorrectForm:
        """The form filled in with the sanction as recorded (nothing posted)."""
        decision = sanction.decision
        return cls(formdata=None, legal_basis=sanction.legal_basis, facts=facts, measures=sanction.measures,
                   bars_home_service="yes" if sanction.bars_home_service else "no", severity=sanction.severity,
                   publish_months=str(sanction.publish_months) if sanction.publish_months else "",
                   decision_no=decision.decision_no if decision else "",
                   decision_date=decision.decision_date if decision else None)

    def changes(self, sanction) -> dict:
        """What the form says, for `services.correct_sanction` (which keeps only what differs).

        A blank window or decision field means "unchanged"; the decision's
        fields go only to a sanction that has a decision.
        """
        changes = {"legal_basis": self.legal_basis.data, "facts": self.facts.data, "measures": self.measures.data,
                   "bars_home_service": self.bars_home_service.data == "yes", "severity": self.severity.data}
        if self.publish_months.data:
            changes["publish_months"] = int(self.publish_months.data)
        if sanction.decision is not None:
            if self.decision_no.data:
                changes["decision_no"] = self.decision_no.data
            if self.decision_date.data is not None:
                changes["decision_date"] = self.decision_date.data
        return changes



class ListingSearchForm(SectorDistrictFilterForm):
    """The public search of published listings, /listings (a GET form: no CSRF token)."""

    q = StringField(validators=[MaxLength(200)], filters=[strip])
    kind = SelectField(choices=["", *rules.KINDS], default="", validate_choice=False,
                       validators=[Optional(), Choice(rules.KINDS, "Choose a kind from the list.",
                                                      "请从列表中选择处罚种类。")])
    severity = SelectField(choices=["", *rules.SEVERITIES], default="", validate_choice=False,
                           validators=[Optional(), Choice(rules.SEVERITIES, "Choose a severity from the list.",
                                                          "请从列表中选择严重程度。")])
    decided_from = _optional_date()
    decided_to = _optional_date()

    def validate_decided_to(self, field):
        if field.data and self.decided_from.data and field.data < self.decided_from.data:
            raise ValidationError(Msg("The end of the range must not be before its start.",
                                      "结束日期不能早于开始日期。"))


# --- credit repair and withdrawal (repair.py) ---------------------------------------------------------------------

class RepairApplyForm(FlaskForm):
    """The subject's application: the obligations met (and documents), the credit pledge signed (the box ticked)."""

    statement = TextAreaField(validators=[Required("请说明已履行的义务和整改情况。",
                                                   "Say which obligations were met and what was corrected."),
                                          MaxLength(repair_rules.STATEMENT_MAX)], filters=[strip])
    pledge = BooleanField()
    # Up to 5 documents proving the obligations met (the service judges the files).
    documents = MultipleFileField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _ids(self, "repair")


class RepairDecideForm(FlaskForm):
    """The issuing agency's answer to an application: approve, or reject with reasons (the service checks)."""

    decision = RadioField(choices=["approve", "reject"], validate_choice=False,
                          validators=[Required("请选择通过或不予修复。", "Choose approve or reject."),
                                      Choice(("approve", "reject"))])
    reason = TextAreaField(validators=[MaxLength(repair_rules.REPAIR_REASON_MAX)], filters=[strip])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _ids(self, "repair-decide")


class RevocationForm(FlaskForm):
    """A revoked decision: who revoked it, when, why (all required by the service)."""

    authority = RadioField(choices=list(repair_rules.AUTHORITIES), validate_choice=False,
                           validators=[Optional(), Choice(repair_rules.AUTHORITIES)])
    revoked_on = _optional_date()
    reason = TextAreaField(validators=[MaxLength(repair_rules.WITHDRAW_REASON_MAX)], filters=[strip])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _ids(self, "revocation")

    def service_args(self) -> dict:
        return {"authority": self.authority.data or None, "revoked_on": self.revoked_on.data,
                "reason": self.reason.data or None}


class WithdrawForm(RevocationForm):
    """The issuing agency's withdrawal: with a revocation recorded nothing is needed, else the same three fields."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _ids(self, "withdraw")


class ObjectionForm(FlaskForm):
    """The subject's objection: reasons and up to 5 documents (the service judges the files and the reasons)."""

    reasons = TextAreaField(filters=[strip])
    documents = MultipleFileField()


class ObjectionStepForm(FlaskForm):
    """The issuing agency's step on an objection; the page upholds only by withdrawing (a correction: the API)."""

    step = StringField()
    reason = TextAreaField(filters=[strip])
