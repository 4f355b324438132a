"""The layers hold: pages never import API modules, and the pure rule modules import neither Flask nor the database
(docs/architecture.md, "Layers")."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

REGISTRY = Path(__file__).resolve().parent.parent / "registry"

PURE = ["companies/uscc.py", "companies/districts.py", "companies/phones.py", "companies/grams.py", "lookup/advice.py",
        "workers/idnumber.py", "workers/cardno.py", "selfservice/consent_qr.py",
        "workers/person.py", "workers/rules.py", "selfservice/codes.py", "cards/qr.py", "masking.py",
        "tlog/merkle.py", "tlog/note.py", "accounts/roles.py", "sanctions/rules.py", "sanctions/repair_rules.py",
        "sanctions/public.py",
        "sanctions/search_terms.py", "calendar/workdays.py", "calendar/builtin.py",
        "bulletins/periods.py", "bulletins/changes.py", "bulletins/manifest.py",
        "bulletins/content.py", "bulletins/opendata.py", "trace/household.py", "trace/rules.py", "trace/vocab.py",
        "trace/textmask.py", "trace/review_rules.py",
        "complaints/rules.py", "sanctions/objection_rules.py", "attachments/rules.py",
        "trace/service_file.py", "credit/rules.py", "credit/scoring.py", "credit/feeds.py", "credit/market_access.py",
        "monitoring/labels.py",
        *sorted(
            str(p.relative_to(REGISTRY)) for p in (REGISTRY / "imports" / "staff_file").glob("*.py"))]
IMPURE = ("flask", "sqlalchemy", "werkzeug", "registry.extensions", "registry.database", "registry.errors")


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, relative imports resolved against its package."""
    package = ["registry", *path.parent.relative_to(REGISTRY).parts]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *(node.module.split(".") if node.module else [])])
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def test_the_resolver_sees_relative_and_absolute_imports():
    views = REGISTRY / "workers" / "views.py"
    mods = imported_modules(views)
    assert "registry.workers.services" in mods and "flask" in mods


@pytest.mark.parametrize("page", sorted(str(p.relative_to(REGISTRY)) for p in REGISTRY.glob("*/views.py")))
def test_pages_never_import_an_api_module(page):
    apis = {m for m in imported_modules(REGISTRY / page) if m.endswith(".api") or ".api." in m}
    assert not apis, f"{page} imports {sorted(apis)}: move what both need into a service or a shared module"


@pytest.mark.parametrize("module", PURE)
def test_pure_rules_import_neither_flask_nor_the_database(module):
    path = REGISTRY / module
    assert path.exists(), module
    bad = {m for m in imported_modules(path) if m.split(".")[0] in IMPURE or any(
        m == i or m.startswith(i + ".") for i in IMPURE)}
    assert not bad, f"{module} imports {sorted(bad)}"
