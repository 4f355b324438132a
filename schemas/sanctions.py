"""Sanctions: what the public sees of a published one, a search result, the subject's notice, the regulator's view."""
from marshmallow import Schema, fields, validate

from registry.sanctions.rules import (
    BASIS_MAX,
    DECISION_NO_MAX,
    DELIVERY_METHODS,
    FACTS_MAX,
    KINDS,
    MEASURES_MAX,
    NOTICE_REASONS_MAX,
    PERSON_ROLES,
    PERSONS_MAX,
    REASON_MAX,
    SEVERITIES,
    STATES,
    SUBJECT_KINDS,
)

from .common import BoundedInteger, ChangeSchema, FormBoolean, MessageSchema, StrictBoolean

CARD_NO_MAX = 30
USCC_MAX = 30
NAME_MAX = 50


class SanctionAgencySchema(Schema):
    code = fields.String()
    name_zh = fields.String()
    name_en = fields.String()
    sector = fields.String(metadata={"description": "housekeeping, property or market."})


class PublishedSanctionSchema(Schema):
    """A published sanction as the card view, the company view and the search show it (双公示 fields)."""

    ref = fields.String(metadata={"description": "The sanction's public reference."})
    kind = fields.String(metadata={"description": "warning, criticism, fine, rectification, watch_list, serious_list."})
    kind_label = fields.Nested(MessageSchema)
    severity = fields.String(metadata={"description": "minor, general or serious."})
    severity_label = fields.Nested(MessageSchema)
    decision_no = fields.String(allow_none=True)
    decision_date = fields.Date(allow_none=True)
    legal_basis = fields.String()
    agency = fields.Nested(SanctionAgencySchema, metadata={"description": "The issuing agency."})
    window_end = fields.Date(allow_none=True, metadata={"description": "The last day it is published."})
    objection_pending = fields.Boolean(metadata={
        "description": "True while an objection of its subject is being handled (received or accepted)."})


# ---- the regulators' API and the subjects' notices ----

class SanctionDeadlineSchema(Schema):
    day = fields.Date(metadata={"description": "The last day (inclusive)."})
    provisional = fields.Boolean(metadata={"description": "Counted without the official calendar of that year: "
                                                          "it may move when the State Council's schedule is loaded."})


class SanctionSubjectSchema(Schema):
    """A worker by card number and masked name, or a company by USCC and name."""

    kind = fields.String(metadata={"description": "worker or company."})
    card_no = fields.String(metadata={"description": "A worker's card number."})
    name_masked = fields.String(metadata={"description": "A worker's masked name."})
    uscc = fields.String(metadata={"description": "A company's unified social credit code."})
    name = fields.String(metadata={"description": "A company's name."})


class SanctionPersonSchema(Schema):
    """A person a company's sanction names: never the real name, only its masked form."""

    role = fields.String(metadata={"description": "legal_representative or responsible."})
    role_label = fields.Nested(MessageSchema)
    name_masked = fields.String()
    card_no = fields.String(allow_none=True, metadata={"description": "When the person is a registered worker."})


class SanctionNoticeSchema(PublishedSanctionSchema):
    """What the subject sees of a listing noticed to it: reasons, basis, measures, rights, the objection window."""

    subject = fields.Nested(SanctionSubjectSchema)
    state = fields.String(metadata={"description": "proposed, notified, decided, approved, published, expired, "
                                                   "repaired or withdrawn."})
    state_label = fields.Nested(MessageSchema)
    reasons = fields.String(allow_none=True, metadata={"description": "The notice's statement of reasons "
                                                                    "(none before the notice)."})
    measures = fields.String(metadata={"description": "The measures it brings."})
    rights = fields.Nested(MessageSchema, metadata={"description": "The subject's rights: objection, review, suit."})
    delivery_method = fields.String(allow_none=True, metadata={"description": "sms, phone_call, post or in_person."})
    delivered_on = fields.Date(allow_none=True)
    objection_days = fields.Integer(allow_none=True, metadata={"description": "Working days to object."})
    objection_until = fields.Nested(SanctionDeadlineSchema, allow_none=True,
                                    metadata={"description": "The objection window's last day."})


class SanctionCorrectionSchema(Schema):
    fields_ = fields.List(fields.String(), data_key="fields", attribute="fields")
    reason = fields.String()
    corrected_by = fields.String(metadata={"description": "The regulator's account reference."})
    corrected_dt = fields.DateTime()


class RepairDocumentSchema(Schema):
    """A document of a repair application, without its bytes (the issuing agency downloads it by position)."""

    ref = fields.String()
    position = fields.Integer(metadata={"description": "0 to 4, in the order handed in; the download's number."})
    content_type = fields.String()
    size = fields.Integer()
    created_dt = fields.DateTime()


class RepairDeadlineSchema(Schema):
    day = fields.Date()
    provisional = fields.Boolean(metadata={"description": "Counted across a year without the official calendar."})


class SanctionRepairSchema(Schema):
    """A credit repair application: the obligations met, the pledge signed, the issuing agency's answer."""

    ref = fields.String(metadata={"description": "The application's reference."})
    applicant_kind = fields.String(metadata={"description": "company (a member) or worker (self-service)."})
    statement = fields.String(metadata={"description": "The obligations met, as the applicant stated them."})
    pledge = fields.String(metadata={"description": "The credit pledge as signed."})
    applied_dt = fields.DateTime()
    state = fields.String(metadata={"description": "pending, approved or rejected."})
    state_label = fields.Nested(MessageSchema)
    decided_dt = fields.DateTime(allow_none=True)
    reason = fields.String(allow_none=True, metadata={"description": "The issuing agency's reasons."})
    answer_by = fields.Nested(RepairDeadlineSchema, allow_none=True, metadata={
        "description": "While pending: the last day for the issuing agency's answer (working days; null once "
                       "answered)."})
    documents = fields.List(fields.Nested(RepairDocumentSchema), metadata={
        "description": "The documents proving the obligations met (none for an application without)."})


class SanctionWithdrawalSchema(Schema):
    """A revoked decision: who revoked it, when, why; withdrawn (or pending) against its 3-day limit."""

    authority = fields.String(metadata={"description": "review, court or agency."})
    authority_label = fields.Nested(MessageSchema)
    revoked_on = fields.Date()
    reason = fields.String()
    withdraw_by = fields.Date(metadata={"description": "The last day to withdraw it (3 days after the revocation)."})
    withdrawn_dt = fields.DateTime(allow_none=True, metadata={"description": "None: still pending."})
    late = fields.Boolean(metadata={"description": "Withdrawn after its last day."})


class RegulatorSanctionSchema(SanctionNoticeSchema):
    """Everything a regulator of any agency sees: facts, persons (masked), states, deadlines and corrections."""

    facts = fields.String()
    bars_home_service = fields.Boolean()
    publish_months = fields.Integer(allow_none=True, metadata={"description": "None: not published (minor)."})
    persons = fields.List(fields.Nested(SanctionPersonSchema))
    origin_report = fields.String(allow_none=True, metadata={"description": "The card report's reference."})
    origin_complaint = fields.String(allow_none=True, metadata={
        "description": "The reference of the substantiated complaint the case came from."})
    proposed_by = fields.String(metadata={"description": "Account references, here and below."})
    decided_by = fields.String(allow_none=True)
    approved_by = fields.List(fields.String())
    published_dt = fields.DateTime(allow_none=True)
    expired_dt = fields.DateTime(allow_none=True)
    public = fields.Boolean(metadata={"description": "Shown to the public today."})
    in_effect = fields.Boolean(metadata={"description": "Binding today."})
    publication_deadline = fields.Nested(SanctionDeadlineSchema, allow_none=True,
                                         metadata={"description": "The 7th working day after the decision."})
    corrections = fields.List(fields.Nested(SanctionCorrectionSchema))
    repairs = fields.List(fields.Nested(SanctionRepairSchema))
    withdrawal = fields.Nested(SanctionWithdrawalSchema, allow_none=True)
    created_dt = fields.DateTime()


def _text(limit: int, description: str, *, required: bool = True, **kwargs):
    if required:
        return fields.String(required=True, validate=validate.Length(min=1, max=limit),
                             metadata={"description": description}, **kwargs)
    return fields.String(load_default=None, allow_none=True, validate=validate.Length(max=limit),
                         metadata={"description": description}, **kwargs)


class SanctionPersonArgs(Schema):
    role = fields.String(required=True, validate=validate.OneOf(list(PERSON_ROLES)),
                         metadata={"description": "legal_representative or responsible."})
    name = _text(NAME_MAX, "The full real name (stored sealed; shown masked).")
    card_no = _text(CARD_NO_MAX, "The person's card number, when they are a registered worker.", required=False)


class RecordSanctionArgs(Schema):
    """A sanction against a worker (`card_no`) or a company (`uscc`)."""

    subject_kind = fields.String(required=True, validate=validate.OneOf(list(SUBJECT_KINDS)),
                                 metadata={"description": "worker (give `card_no`) or company (give `uscc`)."})
    card_no = _text(CARD_NO_MAX, "The worker's card number.", required=False)
    uscc = _text(USCC_MAX, "The company's unified social credit code.", required=False)
    kind = fields.String(required=True, validate=validate.OneOf(list(KINDS)),
                         metadata={"description": "warning, criticism, fine, rectification, watch_list or "
                                                  "serious_list (a listing: noticed first, decided later)."})
    severity = fields.String(required=True, validate=validate.OneOf(list(SEVERITIES)),
                             metadata={"description": "minor, general or serious."})
    legal_basis = _text(BASIS_MAX, "The legal basis.")
    facts = _text(FACTS_MAX, "The facts (stored sealed; the subject reads them in its notice).")
    measures = _text(MEASURES_MAX, "The measures.")
    bars_home_service = StrictBoolean(load_default=False,
                                      metadata={"description": "The measures bar home-service work."})
    publish_months = BoundedInteger(load_default=None, allow_none=True, maximum=36,
                                    metadata={"description": "The publicity window in months (minor: 1–3 or none; "
                                                             "general: 3–12; serious: 12–36). Default: the least."})
    decision_no = _text(DECISION_NO_MAX, "The decision number (not for a serious listing: it is decided later).",
                        required=False)
    decision_date = fields.Date(load_default=None, allow_none=True,
                                metadata={"description": "The decision date (not for a serious listing)."})
    persons = fields.List(fields.Nested(SanctionPersonArgs), load_default=list,
                          validate=validate.Length(max=PERSONS_MAX),
                          metadata={"description": "A company's legal representative and responsible persons."})
    origin_report = _text(30, "The reference of the card report the case came from.", required=False)
    origin_complaint = _text(30, "The reference of the substantiated complaint about this subject the case came "
                                 "from.", required=False)


class SanctionRecordedSchema(ChangeSchema):
    ref = fields.String(metadata={"description": "The sanction's reference in the regulators' API."})
    state = fields.String(metadata={"description": "proposed (a serious listing) or decided."})


class SanctionChangedSchema(ChangeSchema):
    state = fields.String()


class SanctionListArgs(Schema):
    state = fields.String(validate=validate.OneOf(list(STATES)))
    card_no = fields.String(validate=validate.Length(min=1, max=CARD_NO_MAX),
                            metadata={"description": "Sanctions against this worker."})
    uscc = fields.String(validate=validate.Length(min=1, max=USCC_MAX),
                         metadata={"description": "Sanctions against this company."})
    agency = fields.String(validate=validate.Length(min=1, max=32),
                           metadata={"description": "Issued by the agency with this code."})
    mine = FormBoolean(load_default=False, metadata={"description": "true: issued by your agency only."})
    limit = BoundedInteger(load_default=100, minimum=1, maximum=500)
    offset = BoundedInteger(load_default=0)


class NotifySanctionArgs(Schema):
    reasons = _text(NOTICE_REASONS_MAX, "The notice's statement of reasons, written for the subject (the case's facts "
                                        "stay with the regulators).")
    objection_days = BoundedInteger(load_default=None, allow_none=True, minimum=1, maximum=30,
                                    metadata={"description": "Working days to object (default: the registry's, 5)."})
    delivery_method = fields.String(load_default=None, allow_none=True,
                                    validate=validate.OneOf(list(DELIVERY_METHODS)),
                                    metadata={"description": "sms (default: sent now to the mobile on record; "
                                                             "422 for a company's landline, and `worker_erased` "
                                                             "for a worker whose phone was erased), "
                                                             "phone_call, post or in_person."})
    delivered_on = fields.Date(load_default=None, allow_none=True,
                               metadata={"description": "When it was delivered (required unless sms)."})


class DecideSanctionArgs(Schema):
    decision_no = _text(DECISION_NO_MAX, "The decision number.")
    decision_date = fields.Date(load_default=None, allow_none=True,
                                metadata={"description": "Default today; after the objection window."})


class CorrectSanctionArgs(Schema):
    """The fields to correct (at least one) and why; the subject, kind and issuing agency never change."""

    legal_basis = fields.String(validate=validate.Length(min=1, max=BASIS_MAX))
    facts = fields.String(validate=validate.Length(min=1, max=FACTS_MAX))
    measures = fields.String(validate=validate.Length(min=1, max=MEASURES_MAX))
    bars_home_service = StrictBoolean()
    publish_months = BoundedInteger(maximum=36)
    severity = fields.String(validate=validate.OneOf(list(SEVERITIES)))
    decision_no = fields.String(validate=validate.Length(min=1, max=DECISION_NO_MAX))
    decision_date = fields.Date()
    reason = _text(REASON_MAX, "Why it is corrected.")
