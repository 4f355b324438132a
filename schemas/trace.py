"""Traceability (追溯): recording a service, a worker's and a company's services, the household query and its record.

One output schema per audience: the recording company's (`CompanyServiceSchema`: its own derivation of the
household) and the regulators' (`RegulatorServiceSchema`: the global household reference, the company). A
customer's phone is input only: no output schema has a field for it.
"""
from marshmallow import Schema, fields, validate

from registry.trace.queries import HOUSEHOLD_LIMIT, NOTE_MAX
from registry.trace.rules import DISTRICT_MAX, OVERRIDE_REASON_MAX
from registry.trace.vocab import QUERY_PURPOSES, SERVICE_TYPES

from .common import ChangeSchema, MessageSchema, PageArgs


class ServiceArgs(Schema):
    card_no = fields.String(required=True, validate=validate.Length(min=1, max=30),
                            metadata={"description": "The worker's card number (a current employee, or give "
                                                     "`override_reason`)."})
    service_type = fields.String(required=True, validate=validate.OneOf(list(SERVICE_TYPES)),
                                 metadata={"description": "The kind of service (the vocabulary grows; a code never "
                                                          "changes meaning)."})
    phone = fields.String(required=True, validate=validate.Length(min=1, max=30),
                          metadata={"description": "The customer's mainland mobile number: used once to derive the "
                                                   "household reference and to send the review code, then dropped "
                                                   "(never stored, never answered)."})
    district = fields.String(required=True, validate=validate.Length(min=1, max=DISTRICT_MAX),
                             metadata={"description": "The district served."})
    start = fields.AwareDateTime(required=True, format="iso",
                                 metadata={"description": "When the service began (ISO 8601 with its offset)."})
    end = fields.AwareDateTime(required=True, format="iso",
                               metadata={"description": "When it ended or will end (ISO 8601 with its offset)."})
    override_reason = fields.String(load_default=None, allow_none=True,
                                    validate=validate.Length(max=OVERRIDE_REASON_MAX),
                                    metadata={"description": "Required when the worker's card is red or the worker "
                                                             "is not your current employee: why the service went "
                                                             "ahead (kept in the record)."})


class OverrideSchema(Schema):
    code = fields.String(required=True, metadata={"description": "card_red | not_employee"})
    zh = fields.String(required=True)
    en = fields.String(required=True)


class CompanyServiceSchema(Schema):
    """A service as the company that recorded it sees it."""

    reference = fields.String(required=True, metadata={"description": "The service reference the customer was "
                                                                       "sent, such as 1A2B-3C4D-5E6F."})
    card_no = fields.String(required=True)
    worker_name_masked = fields.String(required=True)
    service_type = fields.String(required=True)
    service_type_words = fields.Nested(MessageSchema, required=True)
    district = fields.String(required=True)
    start = fields.DateTime(required=True)
    end = fields.DateTime(required=True)
    recorded_dt = fields.DateTime(required=True)
    overrides = fields.List(fields.Nested(OverrideSchema), required=True,
                            metadata={"description": "The rules the record overrode (empty for an ordinary one)."})
    override_reason = fields.String(allow_none=True)
    household = fields.String(metadata={"description": "The household as your company knows it: derived for your "
                                                       "company only (32 hex), so your repeat customers share it and "
                                                       "no other company's references match it."})


class ServiceCompanySchema(Schema):
    uscc = fields.String(required=True)
    name = fields.String(required=True)


class RegulatorServiceSchema(CompanyServiceSchema):
    """A service as regulators see it: the global household reference, the company, who recorded it; never the
    company's own derivation."""

    class Meta:
        exclude = ("household",)

    household_ref = fields.String(metadata={"description": "The global household reference (64 hex): the same "
                                                           "for every company, what the household query finds."})
    company = fields.Nested(ServiceCompanySchema)
    recorded_by = fields.String(metadata={"description": "The account that recorded it (its ref)."})


class WorkerServiceSchema(CompanyServiceSchema):
    """A worker's service for the caller's audience: the company view (`household`) for the recording company,
    the regulator view (`household_ref`, `company`, `recorded_by`) for regulators; never both."""

    household_ref = fields.String(metadata={"description": "Regulators only: the global household reference."})
    company = fields.Nested(ServiceCompanySchema, metadata={"description": "Regulators only: who recorded it."})
    recorded_by = fields.String(metadata={"description": "Regulators only: the recording account's ref."})


class ServiceRecordedSchema(ChangeSchema):
    reference = fields.String(required=True, metadata={"description": "The service reference, also sent to the "
                                                                      "customer with the review code (which you "
                                                                      "never see)."})
    service = fields.Nested(CompanyServiceSchema, required=True)


class WorkerServicesArgs(PageArgs):
    pass


class CompanyServicesArgs(PageArgs):
    card_no = fields.String(validate=validate.Length(min=1, max=30),
                            metadata={"description": "Only this worker's services."})
    start_from = fields.AwareDateTime(data_key="from", format="iso",
                                      metadata={"description": "Services that began at or after this moment "
                                                               "(ISO 8601 with its offset)."})
    start_to = fields.AwareDateTime(data_key="to", format="iso",
                                    metadata={"description": "Services that began before this moment."})


class HouseholdQueryArgs(Schema):
    phone = fields.String(required=True, validate=validate.Length(min=1, max=30),
                          metadata={"description": "The household's mobile number: turned into its reference for "
                                                   "this query and dropped (never stored or logged). In the body "
                                                   "only, never in a URL."})
    purpose = fields.String(required=True, validate=validate.OneOf(list(QUERY_PURPOSES)),
                            metadata={"description": "Why: " + " | ".join(QUERY_PURPOSES)})
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=NOTE_MAX),
                         metadata={"description": "A case number or a word on the case (kept in the query record)."})


class HouseholdServicesSchema(Schema):
    services = fields.List(fields.Nested(RegulatorServiceSchema), required=True,
                           metadata={"description": f"The household's services, newest first, at most "
                                                    f"{HOUSEHOLD_LIMIT}."})
    query_id = fields.Integer(required=True, metadata={"description": "This query's row in the query record."})
    limit = fields.Integer(required=True, metadata={"description": "The most services one query answers."})


class QueryAgencySchema(Schema):
    code = fields.String(required=True)
    name_zh = fields.String(required=True)
    name_en = fields.String(required=True)


class QueryRecordSchema(Schema):
    """One household query: who, which agency, when, why, how many found; the household only as a state HMAC."""

    id = fields.Integer(required=True)
    created_dt = fields.DateTime(required=True)
    account_ref = fields.String(required=True)
    account_login = fields.String(required=True)
    agency = fields.Nested(QueryAgencySchema, required=True)
    purpose = fields.String(required=True)
    purpose_words = fields.Nested(MessageSchema, required=True)
    note = fields.String(allow_none=True)
    household_state = fields.String(required=True, metadata={"description": "The state HMAC of the household "
                                                                            "reference queried, never the phone."})
    results = fields.Integer(required=True)


class QueryRecordsArgs(PageArgs):
    pass

