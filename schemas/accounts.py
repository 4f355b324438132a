"""Accounts, agencies and API tokens."""
from marshmallow import Schema, fields, validate

from .common import ChangeSchema, StrictBoolean

LOGIN = fields.String(required=True, validate=validate.Length(min=3, max=64))
PERSON_NAME = fields.String(required=True, validate=validate.Length(min=1, max=50))


class TokenArgs(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))


class TokenSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    prefix = fields.String(metadata={"description": "The first characters, to recognise it."})
    created_dt = fields.DateTime()
    last_used_dt = fields.DateTime(allow_none=True)
    revoked_dt = fields.DateTime(allow_none=True)


class TokenCreatedSchema(ChangeSchema, TokenSchema):
    token = fields.String(metadata={"description": "The token itself: shown only this once."})


class MeSchema(Schema):
    ref = fields.String()
    login = fields.String()
    role = fields.String()
    must_change_password = fields.Boolean()
    company_uscc = fields.String(allow_none=True)
    agency = fields.String(allow_none=True)
    sector = fields.String(allow_none=True)


class PasswordChangeArgs(Schema):
    current_password = fields.String(required=True, validate=validate.Length(min=1, max=200))
    new_password = fields.String(required=True, validate=validate.Length(min=1, max=200))


class AgencyArgs(Schema):
    code = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9-]{2,32}$"))
    name_zh = fields.String(required=True, validate=validate.Length(min=1, max=200))
    name_en = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(required=True, validate=validate.OneOf(["regulator", "operator"]))
    sector = fields.String(load_default=None, allow_none=True,
                           validate=validate.OneOf(["housekeeping", "property", "market"]))


class AgencySchema(Schema):
    code = fields.String()
    name_zh = fields.String()
    name_en = fields.String()
    kind = fields.String()
    sector = fields.String(allow_none=True)


class AgencyCreatedSchema(ChangeSchema, AgencySchema):
    pass


class AgencyUserArgs(Schema):
    login = LOGIN
    name = PERSON_NAME
    role = fields.String(required=True, validate=validate.OneOf(["regulator", "regulator_admin", "operator_admin"]))


class NewAccountSchema(ChangeSchema):
    ref = fields.String()
    login = fields.String()
    role = fields.String()
    temporary_password = fields.String(metadata={"description": "Shown once; must be changed at first sign-in."})
    totp_secret = fields.String(allow_none=True, metadata={"description": "Shown once, for an authenticator app."})


class ResetSchema(ChangeSchema):
    temporary_password = fields.String(allow_none=True)
    totp_secret = fields.String(allow_none=True)


class DisableArgs(Schema):
    disabled = StrictBoolean(required=True)


class AccountSchema(Schema):
    ref = fields.String()
    login = fields.String()
    role = fields.String()
    disabled = fields.Boolean()
    must_change_password = fields.Boolean()
    created_dt = fields.DateTime()
