"""Service records for the traceability tests: recorded through the real service, committed."""
from __future__ import annotations

from datetime import timedelta

from registry.clock import now as utcnow
from registry.extensions import db
from registry.trace import rules
from registry.trace import services as trace

# Canary phones: a customer's phone must never be found anywhere the registry keeps or shows.
CUSTOMER_PHONE = "13912340001"
CUSTOMER_E164 = "+8613912340001"


def fields(phone: str = CUSTOMER_PHONE, *, service_type: str = "cleaning", district: str = "锦江区",
           hours_ago: int = 5, hours: int = 3, override_reason: str | None = None) -> rules.ServiceFields:
    start = utcnow().replace(microsecond=0) - timedelta(hours=hours_ago)
    return rules.ServiceFields(service_type=service_type, phone=phone, district=district, start=start,
                               end=start + timedelta(hours=hours), override_reason=override_reason)


def record(factory, world, phone: str = CUSTOMER_PHONE, **kw):
    """Record a service of `world`'s worker by its company (a `tests.support.cardworld.CardWorld`)."""
    done = trace.record_service(factory.ring, account=world.admin, company=world.company, worker=world.worker,
                                fields=fields(phone, **kw), now=utcnow())
    db.session.commit()
    return done.service


def last_review_code(factory) -> tuple[str, str]:
    """(service reference, review code) from the newest review-code message in the outbox."""
    import re

    from registry.notify.services import read_outbox

    for m in read_outbox(factory.ring, limit=50):
        if m["kind"] == "review_code":
            ref = re.search(r"服务编号 ([0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4})", m["text"]).group(1)
            code = re.search(r"评价码 ([0-9A-Z]{4}-[0-9A-Z]{4})", m["text"]).group(1)
            return ref, code
    raise AssertionError("no review code in the outbox")
