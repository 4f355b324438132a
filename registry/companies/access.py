"""Who may act for a company, and whether the company may act yet: the one membership check and the one
'verified company' check every service uses (no database access: only the objects' own fields)."""
from __future__ import annotations

from collections.abc import Collection

from ..accounts.roles import COMPANY_ROLES
from ..errors import ApiError, forbidden


def is_member(account, company) -> bool:
    """Does `account` belong to `company`? (Only company staff have a company.)"""
    return account.company_id == company.id


def require_member(account, company, roles: Collection[str] = COMPANY_ROLES) -> None:
    """403 `forbidden` unless `account` is staff of `company` holding one of `roles` (any company role by default)."""
    if not is_member(account, company) or account.role not in roles:
        raise forbidden()


def require_verified(company) -> None:
    """403 `company_not_verified` while regulators have not verified the company: until then it registers no staff."""
    if company.status != "verified":
        raise ApiError(403, "company_not_verified", "企业尚未通过核验，暂不能登记从业人员。",
                       "The company is not verified yet and cannot register staff.")
