"""Complaints for the tests: services recorded, codes read from the outbox, complaints filed and stepped through
the real services, committed."""
from __future__ import annotations

from types import SimpleNamespace

from registry.clock import now as utcnow
from registry.complaints import services as complaints
from registry.extensions import db
from tests.support.traceutil import last_review_code, record

TEXT = "保洁时打碎花瓶后藏起碎片，态度恶劣"
REASONS = {"accept": "材料齐全，属于管辖范围，予以受理。", "reject": "不属于本部门管辖范围。",
           "investigate": "已调取服务记录并约谈企业。", "substantiate": "经调查，投诉事实成立。",
           "dismiss": "经调查，投诉事实不成立。"}
# Each final state and the steps that lead there from `received`.
PATHS = {"received": [], "accepted": ["accept"], "rejected": ["reject"], "investigating": ["accept", "investigate"],
         "substantiated": ["accept", "investigate", "substantiate"],
         "unfounded": ["accept", "investigate", "dismiss"]}


def serve(factory, *, company, admin, worker, phone: str):
    """Record a service of `worker` by `company` for the household of `phone`; (service, reference, review code)."""
    service = record(factory, SimpleNamespace(company=company, admin=admin, worker=worker), phone=phone)
    reference, code = last_review_code(factory)
    return service, reference, code


def file_card(factory, worker, *, category: str = "quality", text: str = TEXT, contact=None):
    filed = complaints.file_from_card(factory.ring, worker=worker, category=category, text=text, contact=contact,
                                      now=utcnow())
    db.session.commit()
    return filed


def file_code(factory, *, reference: str, code: str, about: str = "worker", category: str = "quality",
              text: str = TEXT, contact=None):
    filed = complaints.file_by_code(factory.ring, reference=reference, code=code, about=about, category=category,
                                    text=text, contact=contact, now=utcnow())
    db.session.commit()
    return filed


def step(factory, regulator, complaint, name: str):
    recorded = complaints.take_step(factory.ring, regulator=regulator, complaint=complaint, step=name,
                                    reason=REASONS[name], now=utcnow())
    db.session.commit()
    return recorded


def walk(factory, regulator, complaint, state: str):
    """Take the complaint from `received` to `state`."""
    for name in PATHS[state]:
        step(factory, regulator, complaint, name)
    return complaint
