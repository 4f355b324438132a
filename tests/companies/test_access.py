"""The one membership check and the one 'verified company' check, on plain objects (they read only fields)."""
from types import SimpleNamespace

import pytest

from registry.accounts.roles import Role
from registry.companies.access import is_member, require_member, require_verified
from registry.errors import ApiError

COMPANY = SimpleNamespace(id=7, status="verified")


def account(role, company_id):
    return SimpleNamespace(role=role, company_id=company_id)


@pytest.mark.parametrize("role", ["company_admin", "company_user"])
def test_staff_of_the_company_pass(role):
    assert is_member(account(role, 7), COMPANY)
    require_member(account(role, 7), COMPANY)


@pytest.mark.parametrize("who", [
    account("company_admin", 8),       # another company's admin
    account("company_user", None),     # no company at all
    account("regulator", None),        # an officer is never a member
    account("operator_admin", None),
])
def test_anyone_else_is_forbidden(who):
    with pytest.raises(ApiError) as caught:
        require_member(who, COMPANY)
    assert (caught.value.status, caught.value.code) == (403, "forbidden")


def test_a_role_outside_the_given_ones_is_forbidden_even_for_staff():
    require_member(account("company_admin", 7), COMPANY, (Role.COMPANY_ADMIN,))
    with pytest.raises(ApiError) as caught:
        require_member(account("company_user", 7), COMPANY, (Role.COMPANY_ADMIN,))
    assert (caught.value.status, caught.value.code) == (403, "forbidden")


@pytest.mark.parametrize("status", ["pending", "rejected"])
def test_only_a_verified_company_may_register_staff(status):
    require_verified(COMPANY)
    with pytest.raises(ApiError) as caught:
        require_verified(SimpleNamespace(id=7, status=status))
    err = caught.value
    assert (err.status, err.code) == (403, "company_not_verified")
    assert "暂不能登记从业人员" in err.zh and "cannot register staff" in err.en
