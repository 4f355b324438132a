"""The company never sees a customer's review code: after it records a service, no GET the company can reach —
every API route and page of the app's url_map whose parameters can be filled — answers the code, in any form."""
from __future__ import annotations

import re

from tests.support.cardworld import green_worker, issue
from tests.support.traceutil import last_review_code, record
from tests.support.webutil import login

# Parameters a company's GET may take, filled with what names the company's own things.
SKIP = {"static"}
# /readyz answers 503 by design while no jobs process beats, as here (tests/monitoring/test_readyz.py).
MAY_BE_503 = {"health.readyz"}


def fill(rule, values: dict) -> str | None:
    """The rule's path with its parameters filled, or None when one cannot be."""
    path = rule.rule
    for arg in rule.arguments:
        if arg not in values:
            return None
        path = re.sub(r"<(?:[^:<>]+:)?" + re.escape(arg) + ">", str(values[arg]), path)
    return path


def forms_of(code: str) -> list[str]:
    raw = code.replace("-", "")
    return [code, raw, raw.lower(), code.lower(), f"{raw[:4]} {raw[4:]}"]


def test_no_company_get_answers_the_review_code(app, client, factory):
    world = green_worker(factory)
    issue(factory, world)
    service = record(factory, world)
    reference, code = last_review_code(factory)
    values = {"uscc": world.company.uscc, "card_no": world.card_no, "reference": reference, "ref": service.ref,
              "service_ref": service.ref}
    token = factory.token(world.admin)
    login(client, world.admin.login, "correct horse battery")
    checked = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in SKIP:
            continue
        path = fill(rule, values)
        if path is None:
            continue
        resp = client.get(path, headers={"Authorization": f"Bearer {token}"} if path.startswith("/api/") else {})
        body = resp.get_data()
        for form in forms_of(code):
            assert form.encode() not in body, (path, resp.status_code)
        assert resp.status_code < 500 or (resp.status_code == 503 and rule.endpoint in MAY_BE_503), path
        checked.append((path, resp.status_code))
    reached = {p for p, status in checked if status == 200}
    # The walk reached the company's own pages and API, including its reviews and its services' worker.
    for must in ("/company", "/company/reviews", f"/api/v1/companies/{world.company.uscc}/reviews",
                 f"/api/v1/workers/{world.card_no}", f"/c/{world.card_no}", "/company/workers"):
        assert must in reached, must
    assert len(checked) > 40
