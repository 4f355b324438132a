"""Companies and sanctions for the benchmarks, written with Core executemany (not the ORM, not the services).

Not a benchmark itself (`make bench` runs the files not starting with `_`). Rows are as the services would
leave them for what the public search and the card view read — a company's name, district, sectors, its name
grams and folded name; a sanction's subject, agency, kind, severity, window, state, publication and decision
number; a named person's masked name and full-name index — but personal fields hold placeholders rather than
sealed text, and **no log entries are written**: the look-ups and the search read neither.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from bench._names import company_names, person_names

BATCH = 1000
PUBLIC_KINDS = ("warning", "criticism", "fine", "fine", "fine", "rectification", "watch_list", "serious_list")


def _insert(conn, table, rows) -> None:
    from sqlalchemy import insert

    for i in range(0, len(rows), BATCH):
        conn.execute(insert(table), rows[i:i + BATCH])


def _next_id(conn, table) -> int:
    from sqlalchemy import func, select

    return (conn.execute(select(func.max(table.c.id))).scalar() or 0) + 1


def _advance_sequence(conn, table) -> None:
    """On PostgreSQL, ids written explicitly leave the serial behind: move it past them."""
    from sqlalchemy import func, select

    if conn.dialect.name == "postgresql":
        top = select(func.max(table.c.id)).scalar_subquery()
        conn.execute(select(func.setval(func.pg_get_serial_sequence(table.name, "id"), top)))


def insert_companies(engine, n: int, *, seed: int = 1) -> list[tuple[int, str]]:
    """`n` companies with realistic names (bench/_names.py), their grams and folded names: (id, name) each."""
    from registry.clock import now
    from registry.companies import grams, uscc
    from registry.companies.districts import DISTRICTS
    from registry.companies.models import Company, NameFold, NameGram
    from registry.models import new_ref

    rng = random.Random(seed)
    names = company_names(n, seed)
    codes: set[str] = set()
    companies, name_grams, folds = [], [], []
    created = now()
    with engine.begin() as conn:
        first = _next_id(conn, Company.__table__)
        for i, name in enumerate(names):
            code = uscc.generate(rng)
            while code in codes:
                code = uscc.generate(rng)
            codes.add(code)
            cid = first + i
            sectors = ["property"] if ("物业" in name) else ["housekeeping"]
            companies.append({
                "id": cid, "uscc": code, "name": name, "sectors": sectors,
                "business_model": None if sectors == ["property"] else "employee", "employee_conditions": None,
                "district": rng.choice(DISTRICTS).code, "status": "verified" if rng.random() < 0.9 else "pending",
                "checksum_flagged": False, "contact_name_enc": "-", "contact_name_state": "-",
                "contact_phone_enc": "-", "contact_phone_state": "-", "created_dt": created,
                "log_ref": new_ref(), "salt": new_ref()})
            folded = grams.fold(name)
            folds.append({"company_id": cid, "folded": folded})
            name_grams.extend({"gram": g, "company_id": cid} for g in grams.name_grams(folded))
        _insert(conn, Company.__table__, companies)
        _insert(conn, NameFold.__table__, folds)
        _insert(conn, NameGram.__table__, name_grams)
        _advance_sequence(conn, Company.__table__)
    return [(c["id"], c["name"]) for c in companies]


@dataclass(frozen=True)
class Subject:
    worker_id: int | None = None
    company_id: int | None = None


def _window(rng: random.Random, kind: str) -> tuple[str, int]:
    from registry.sanctions import rules

    severity = "serious" if kind == "serious_list" else rng.choice(("minor", "general", "general", "serious"))
    least, most = rules.WINDOW_MONTHS[severity]
    return severity, rng.randint(max(least, 1), most)


def insert_sanctions(engine, ring, subjects: list[Subject], agency_ids: list[int], *, day: date,
                     published_share: float = 1.0, person_share: float = 0.2, seed: int = 2) -> int:
    """One sanction per subject, decided so its window is open on `day`; `published_share` of them published
    (the others decided, or approved for a serious listing: binding, not public). A company's sanction names its
    legal representative `person_share` of the time. Returns how many sanctions were written."""
    from registry.clock import now
    from registry.keys.crypto import name_index
    from registry.masking import mask_name
    from registry.models import new_ref
    from registry.sanctions import listing_index, rules
    from registry.sanctions.models import Sanction, SanctionDecision, SanctionPerson
    from registry.sanctions.search_terms import earliest_open_decision

    rng = random.Random(seed)
    people = person_names(max(1, len(subjects) // 4), seed)
    created = now()
    sanctions, decisions, persons = [], [], []
    with engine.begin() as conn:
        first = _next_id(conn, Sanction.__table__)
        first_decision = _next_id(conn, SanctionDecision.__table__)
        first_person = _next_id(conn, SanctionPerson.__table__)
        for i, subject in enumerate(subjects):
            sid = first + i
            kind = rng.choice(PUBLIC_KINDS)
            severity, months = _window(rng, kind)
            since = max(earliest_open_decision(day, months), day - timedelta(days=3 * 365))
            decided = since + timedelta(days=rng.randrange((day - since).days + 1))
            published = rng.random() < published_share
            state = "published" if published else ("approved" if kind == "serious_list" else "decided")
            sanctions.append({
                "id": sid, "ref": new_ref(), "log_ref": new_ref(), "salt": new_ref(),
                "subject_kind": "worker" if subject.worker_id else "company", "worker_id": subject.worker_id,
                "company_id": subject.company_id, "agency_id": rng.choice(agency_ids), "kind": kind,
                "severity": severity, "legal_basis": "《家政服务业信用建设指引》第十条", "facts_enc": "-",
                "facts_state": "-", "measures": "限制从事家政上门服务", "bars_home_service": kind == "serious_list",
                "publish_months": months, "public_until": rules.window_end(decided, months),
                "origin_report_id": None, "state": state, "decision_date": decided,
                "published_by": "bench" if published else None, "published_dt": created if published else None,
                "expired_dt": None, "proposed_by": "bench", "created_dt": created})
            decisions.append({"id": first_decision + i, "sanction_id": sid, "decision_no": f"商务罚〔2026〕{i + 1}号",
                              "decision_date": decided, "decided_by": "bench", "decided_dt": created})
            if subject.company_id and rng.random() < person_share:
                name = rng.choice(people)
                persons.append({"id": first_person + len(persons), "sanction_id": sid, "ref": new_ref(),
                                "role": "legal_representative", "name_enc": "-", "name_state": "-",
                                "name_masked": mask_name(name), "name_idx": name_index(ring, name),
                                "worker_id": None})
        _insert(conn, Sanction.__table__, sanctions)
        _insert(conn, SanctionDecision.__table__, decisions)
        _insert(conn, SanctionPerson.__table__, persons)
        for table in (Sanction.__table__, SanctionDecision.__table__, SanctionPerson.__table__):
            _advance_sequence(conn, table)
        # Core writes pass by the ORM listener that keeps the search's walk (sanctions/listing_index.py).
        listing_index.rebuild(conn)
    return len(sanctions)


def bench_agencies(factory) -> list[int]:
    """The three regulators of the benchmarks (housekeeping, property, market): their ids."""
    return [factory.agency(sector=sector, code=f"bench-{sector}").id for sector in ("housekeeping", "property",
                                                                                    "market")]
