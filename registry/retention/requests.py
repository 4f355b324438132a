"""A lawful request to erase a worker (PIPL art. 47): who may make it, and the one call the API and the page share."""
from __future__ import annotations

from dataclasses import dataclass

from .. import clock
from ..accounts.models import Account
from ..accounts.roles import REGULATOR_ROLES, Role
from ..errors import forbidden, not_found
from ..keys import KeyRing
from ..log.services import Recorded
from ..workers import services as workers
from ..workers.models import Worker
from . import erasure


@dataclass
class Erased:
    worker: Worker
    recorded: Recorded


def may_erase(account: Account, worker: Worker) -> bool:
    """An operator admin, any worker; a regulator, the workers they oversee (`workers.services.oversees`)."""
    if account.role == Role.OPERATOR_ADMIN:
        return True
    return account.role in REGULATOR_ROLES and workers.oversees(account.agency.sector, worker)


def erase_on_request(ring: KeyRing, *, account: Account, card_no: str, basis: str | None,
                     reference: str | None) -> Erased:
    """Check the request, find the worker (404 to whoever may not erase them), erase; never commits."""
    if account.role != Role.OPERATOR_ADMIN and account.role not in REGULATOR_ROLES:
        raise forbidden()
    worker = workers.get_worker_or_none(workers.check_card_no(card_no))
    if worker is None or not may_erase(account, worker):
        raise not_found("worker", "从业人员")
    basis, reference = erasure.check_request(basis, reference)
    recorded = erasure.erase_worker(ring, worker=worker, actor=account.ref, basis=basis, reference=reference,
                                    now=clock.now(), today=clock.today())
    return Erased(worker, recorded)
