"""Build staff files and run queued tasks in-process, for the import tests and the benchmark."""
from __future__ import annotations

import csv
import io
import random
from datetime import date, timedelta

from registry.imports import staff_file
from registry.workers import idnumber

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["秀英", "桂兰", "玉兰", "建华", "丽", "敏", "静", "芳", "强", "伟", "军", "霞", "娟", "红梅", "春燕"]


def person_rows(n: int, *, today: date, seed: int = 1, with_records: bool = True) -> list[dict]:
    """`n` valid rows (distinct people) as {column key: cell text}."""
    rng = random.Random(seed)
    used = set()
    rows = []
    while len(rows) < n:
        birth = date(1965 + rng.randrange(40), 1 + rng.randrange(12), 1 + rng.randrange(28))
        number = idnumber.generate(rng, birth=birth)
        if number in used:
            continue
        used.add(number)
        row = {"name": rng.choice(SURNAMES) + rng.choice(GIVEN), "id_number": number,
               "phone": f"13{rng.randrange(10**9):09d}", "occupation": rng.choice(["保洁", "育婴员", "养老护理员"]),
               "employment_kind": "劳动合同", "start_date": (today - timedelta(days=rng.randrange(400))).isoformat(),
               "social_insurance": "是"}
        if with_records:
            row.update({"health_result": "通过", "health_checked_on": (today - timedelta(days=30)).isoformat(),
                        "health_valid_until": (today + timedelta(days=335)).isoformat(),
                        "identity_result": "已核验", "identity_checked_on": (today - timedelta(days=5)).isoformat()})
        rows.append(row)
    return rows


def csv_bytes(rows: list[dict], *, encoding: str = "utf-8-sig", columns=None) -> bytes:
    keys = columns or [c.key for c in staff_file.COLUMNS
                       if c.required or any(c.key in r for r in rows)]
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow([staff_file.BY_KEY[k].zh for k in keys])
    for r in rows:
        w.writerow([r.get(k, "") for k in keys])
    return out.getvalue().encode(encoding)


def run_queued_tasks(app) -> int:
    """Run every queued task in this process, as the jobs process would; return how many ran."""
    from jobs.runner import task_worker_tick
    from registry.extensions import db

    # The caller's session must not hold a read snapshot across the tasks' commits
    # (on SQLite its next write would then fail rather than wait).
    db.session.rollback()
    ran = 0
    while task_worker_tick(app, "test-worker"):
        ran += 1
    return ran


def batch_ends(total: int, most: int, first: int = 50) -> list[int]:
    """Where an import's batches end when each takes far less than its time target (REGISTRY_BULK_LOCK_SECONDS
    set high): the pacer starts at `first` rows and doubles up to `most` (registry/tasks/pacing.py)."""
    ends, at, size = [], 0, min(first, most)
    while at < total:
        at = min(total, at + size)
        ends.append(at)
        size = min(most, 2 * size)
    return ends
