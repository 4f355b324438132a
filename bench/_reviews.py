"""Service records and their customers' reviews for the benchmarks, written with Core and without log entries.

The card view (and the company view) read each worker's review summary; the lookup benchmark measures it with
reviews present: `insert_reviews` gives each chosen worker between 1 and `most` reviewed services, spread over
the last year, with tags from the vocabulary.
"""
from __future__ import annotations

import random
from datetime import timedelta

from bench._sanctions import _advance_sequence, _next_id

BATCH = 5000


def insert_reviews(engine, worker_ids: list[int], company_id: int, *, most: int = 40, seed: int = 17) -> int:
    """Reviewed services of each worker in `worker_ids` (recorded by `company_id`); how many reviews."""
    from registry.clock import now
    from registry.models import new_ref
    from registry.trace.models import REFERENCE_CHARS, ServiceRecord, ServiceReview
    from registry.trace.vocab import REVIEW_TAGS

    rng = random.Random(seed)
    tags = list(REVIEW_TAGS)
    created = now()
    total = 0
    with engine.begin() as conn:
        sid, rid = _next_id(conn, ServiceRecord.__table__), _next_id(conn, ServiceReview.__table__)
        services, reviews = [], []

        def flush():
            if services:
                conn.execute(ServiceRecord.__table__.insert(), services)
                conn.execute(ServiceReview.__table__.insert(), reviews)
                services.clear()
                reviews.clear()

        for worker_id in worker_ids:
            for _ in range(rng.randint(1, most)):
                start = created - timedelta(days=rng.randrange(365), hours=rng.randrange(24))
                ref = new_ref()
                services.append({
                    "id": sid, "ref": ref, "reference": ref[:REFERENCE_CHARS], "log_ref": new_ref(),
                    "salt": new_ref(), "worker_id": worker_id, "company_id": company_id, "service_type": "cleaning",
                    "district": "锦江区", "start_dt": start, "end_dt": start + timedelta(hours=3),
                    "household_ref": new_ref() * 2, "company_household": new_ref(), "overrides": None,
                    "override_reason": None, "recorded_by": "bench", "created_dt": start})
                reviews.append({
                    "id": rid, "ref": new_ref(), "service_id": sid, "worker_id": worker_id, "company_id": company_id,
                    "rating": rng.choice((5, 5, 5, 4, 4, 3, 2, 1)), "tags": rng.sample(tags, rng.randrange(4)),
                    "text_enc": None, "text_state": None, "reviewed_dt": start + timedelta(hours=5),
                    "reply_enc": None, "reply_state": None, "replied_by": None, "replied_dt": None})
                sid, rid, total = sid + 1, rid + 1, total + 1
                if len(services) >= BATCH:
                    flush()
        flush()
        _advance_sequence(conn, ServiceRecord.__table__)
        _advance_sequence(conn, ServiceReview.__table__)
    return total
