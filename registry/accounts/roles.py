"""The roles an account may hold, their groups, and which roles an agency may hold: plain values, nothing else.

A role's value is what the database stores, the API returns and the log's
canonical states name, so a value never changes. `Role` is a `StrEnum`: a
member equals, hashes and formats as its value, so a role read back from the
database as a plain string is found in these groups.
"""
from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Role(StrEnum):
    COMPANY_ADMIN = "company_admin"
    COMPANY_USER = "company_user"
    REGULATOR = "regulator"
    REGULATOR_ADMIN = "regulator_admin"
    OPERATOR_ADMIN = "operator_admin"


ALL_ROLES = frozenset(Role)
# A company's staff: they act for their own company only.
COMPANY_ROLES = frozenset({Role.COMPANY_ADMIN, Role.COMPANY_USER})
# Officers of a 商务, 住建 or 市场监管 agency: they oversee the companies of their sector.
REGULATOR_ROLES = frozenset({Role.REGULATOR, Role.REGULATOR_ADMIN})
# Everyone who belongs to an agency (a regulator or the operator) rather than to a company.
AGENCY_ROLES = REGULATOR_ROLES | {Role.OPERATOR_ADMIN}
# Those who manage other accounts: reset passwords, disable and enable them.
ADMIN_ROLES = frozenset({Role.COMPANY_ADMIN, Role.REGULATOR_ADMIN, Role.OPERATOR_ADMIN})
# Those who manage an agency's users (and reset their TOTP secrets).
AGENCY_ADMIN_ROLES = frozenset({Role.REGULATOR_ADMIN, Role.OPERATOR_ADMIN})
# Those who sign in with a TOTP code besides the password: every agency account, admin or not.
TOTP_ROLES = AGENCY_ROLES

AGENCY_KINDS = ("regulator", "operator")
# The roles an agency's users may hold, by the agency's kind.
ROLES_BY_AGENCY_KIND: dict[str, frozenset[Role]] = {
    "regulator": REGULATOR_ROLES,
    "operator": frozenset({Role.OPERATOR_ADMIN}),
}
# The roles a company admin may give a new user, the least first (the choice offered by default).
COMPANY_USER_CHOICES = (Role.COMPANY_USER, Role.COMPANY_ADMIN)


def in_order(roles: Iterable[str]) -> tuple[Role, ...]:
    """The roles in their declared order, for choices and messages that must not shuffle."""
    wanted = frozenset(roles)
    return tuple(r for r in Role if r in wanted)


def agency_roles(kind: str) -> tuple[Role, ...]:
    """The roles a user of an agency of `kind` may hold, in order; none for an unknown kind."""
    return in_order(ROLES_BY_AGENCY_KIND.get(kind, ()))
