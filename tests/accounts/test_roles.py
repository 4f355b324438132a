"""The roles module: every role in exactly the groups it belongs to, and the rule for an agency's roles."""
import json

import pytest

from registry.accounts import roles
from registry.accounts.roles import Role

# Each role and the groups it belongs to; every group not named must not hold it.
MEMBERSHIP = {
    "company_admin": {"COMPANY_ROLES", "ADMIN_ROLES"},
    "company_user": {"COMPANY_ROLES"},
    "regulator": {"REGULATOR_ROLES", "AGENCY_ROLES", "TOTP_ROLES"},
    "regulator_admin": {"REGULATOR_ROLES", "AGENCY_ROLES", "TOTP_ROLES", "ADMIN_ROLES", "AGENCY_ADMIN_ROLES"},
    "operator_admin": {"AGENCY_ROLES", "TOTP_ROLES", "ADMIN_ROLES", "AGENCY_ADMIN_ROLES"},
}
GROUPS = ("COMPANY_ROLES", "REGULATOR_ROLES", "AGENCY_ROLES", "TOTP_ROLES", "ADMIN_ROLES", "AGENCY_ADMIN_ROLES")


def test_the_stored_values_never_change():
    # The database, the API and the log's canonical states hold these strings.
    assert [r.value for r in Role] == list(MEMBERSHIP)
    assert roles.ALL_ROLES == frozenset(MEMBERSHIP)


@pytest.mark.parametrize("value", list(MEMBERSHIP))
@pytest.mark.parametrize("group", GROUPS)
def test_each_role_is_in_exactly_its_groups(value, group):
    # The plain string, as read back from the database, must be found (or not) just like the member.
    expected = group in MEMBERSHIP[value]
    assert (value in getattr(roles, group)) is expected
    assert (Role(value) in getattr(roles, group)) is expected


@pytest.mark.parametrize("group", GROUPS)
def test_groups_hold_only_roles(group):
    assert getattr(roles, group) <= roles.ALL_ROLES
    assert all(isinstance(r, Role) for r in getattr(roles, group))


def test_company_and_agency_roles_split_every_role():
    # An account belongs to a company or to an agency, never both and never neither.
    assert roles.COMPANY_ROLES | roles.AGENCY_ROLES == roles.ALL_ROLES
    assert not roles.COMPANY_ROLES & roles.AGENCY_ROLES


def test_a_role_reads_as_its_value_everywhere():
    member = Role.REGULATOR_ADMIN
    assert member == "regulator_admin" and str(member) == "regulator_admin" and f"{member}" == "regulator_admin"
    assert json.dumps({"role": member}) == '{"role": "regulator_admin"}'
    assert hash(member) == hash("regulator_admin")


@pytest.mark.parametrize("kind, allowed", [
    ("regulator", ("regulator", "regulator_admin")),
    ("operator", ("operator_admin",)),
    ("company", ()),
    ("", ()),
])
def test_which_roles_an_agency_may_hold(kind, allowed):
    assert roles.agency_roles(kind) == allowed


def test_every_agency_kind_has_roles_and_only_agency_roles():
    assert set(roles.ROLES_BY_AGENCY_KIND) == set(roles.AGENCY_KINDS)
    assert frozenset().union(*roles.ROLES_BY_AGENCY_KIND.values()) == roles.AGENCY_ROLES
    assert all(roles.agency_roles(kind) for kind in roles.AGENCY_KINDS)


def test_a_company_admin_offers_company_roles_only_the_least_first():
    assert roles.COMPANY_USER_CHOICES == ("company_user", "company_admin")
    assert frozenset(roles.COMPANY_USER_CHOICES) == roles.COMPANY_ROLES


def test_in_order_keeps_the_declared_order_whatever_it_is_given():
    assert roles.in_order(["operator_admin", "company_user", "regulator"]) == (
        "company_user", "regulator", "operator_admin")
    assert roles.in_order(roles.ALL_ROLES) == tuple(Role)
    assert roles.in_order(["nobody"]) == ()
