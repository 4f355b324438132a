"""Build service files (CSV and .xlsx) for the service-import tests and the benchmark."""
from __future__ import annotations

import csv
import io
import random
from datetime import datetime, timedelta

from registry.trace import service_file
from registry.trace.vocab import SERVICE_TYPES

DISTRICTS = ("锦江区", "青羊区", "金牛区", "武侯区", "成华区", "高新区", "双流区", "郫都区")
KEYS = [c.key for c in service_file.COLUMNS]


def local(dt: datetime) -> str:
    """A moment as the file writes it: YYYY-MM-DD HH:MM, Beijing time."""
    return dt.astimezone(service_file.SHANGHAI).strftime("%Y-%m-%d %H:%M")


def service_rows(n: int, card_nos: list[str], *, now: datetime, seed: int = 1, phone: str | None = None,
                 override_reason: str | None = None) -> list[dict]:
    """`n` valid rows (by the cells' own rules) for the workers holding `card_nos`, services of the last weeks."""
    rng = random.Random(seed)
    types = list(SERVICE_TYPES)
    rows = []
    for i in range(n):
        start = (now - timedelta(days=rng.randrange(1, 60), minutes=rng.randrange(24 * 60))).replace(second=0,
                                                                                                  microsecond=0)
        row = {"card_no": card_nos[i % len(card_nos)], "service_type": rng.choice(types),
               "phone": phone or f"139{rng.randrange(10**8):08d}", "district": rng.choice(DISTRICTS),
               "start": local(start), "end": local(start + timedelta(minutes=30 * rng.randrange(1, 16)))}
        if override_reason:
            row["override_reason"] = override_reason
        rows.append(row)
    return rows


def service_csv(rows: list[dict], *, encoding: str = "utf-8-sig", headers: str = "zh") -> bytes:
    keys = [k for k in KEYS if service_file.BY_KEY[k].required or any(k in r for r in rows)]
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow([getattr(service_file.BY_KEY[k], headers) for k in keys])
    for r in rows:
        w.writerow([r.get(k, "") for k in keys])
    return out.getvalue().encode(encoding)


def service_xlsx(rows: list[dict]) -> bytes:
    """An .xlsx of the rows, start and end as real date-time cells, the phone as a number (as Excel keeps it)."""
    from openpyxl import Workbook

    keys = [k for k in KEYS if service_file.BY_KEY[k].required or any(k in r for r in rows)]
    wb = Workbook()
    sheet = wb.active
    sheet.append([service_file.BY_KEY[k].zh for k in keys])
    for r in rows:
        cells = []
        for k in keys:
            v = r.get(k, "")
            if k in ("start", "end") and v:
                v = datetime.strptime(v, "%Y-%m-%d %H:%M")
            elif k == "phone" and v.isdigit():
                v = int(v)
            cells.append(v)
        sheet.append(cells)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
