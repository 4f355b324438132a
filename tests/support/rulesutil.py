"""A rules folder for the tests (REGISTRY_CREDIT_RULES_DIR): the repository's v1.toml, and a v2 that changes some
weights and a grade threshold — a real file the real loader reads, not a mock."""
from __future__ import annotations

from pathlib import Path

from registry.credit import rules

# (what v1 says, what v2 says instead): a verified registration is worth less, a worker's identity check less,
# and AAA needs more.
V2_CHANGES = [
    ('version = "v1"', 'version = "v2"'),
    ('[company.base.verified]\n# A regulator verified the registration (name, sectors, business model).\npoints = 30',
     '[company.base.verified]\n# A regulator verified the registration (name, sectors, business model).\npoints = 25'),
    ("[worker.base.identity_verified]\npoints = 20", "[worker.base.identity_verified]\npoints = 12"),
    ("minimums = { AAA = 85, AA = 80, A = 70, B = 60 }", "minimums = { AAA = 90, AA = 80, A = 65, B = 60 }"),
]


def v2_text() -> str:
    text = (rules.VERSIONS_DIR / "v1.toml").read_text(encoding="utf-8")
    for old, new in V2_CHANGES:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def rules_folder(folder: Path, *, broken: str | None = None) -> Path:
    """`folder` with v1.toml (the repository's) and v2.toml (`V2_CHANGES`); with `broken`, a v3.toml whose
    `broken` key is misspelt (`<key>x`), which fails its check naming the key."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "v1.toml").write_bytes((rules.VERSIONS_DIR / "v1.toml").read_bytes())
    (folder / "v2.toml").write_text(v2_text(), encoding="utf-8")
    if broken is not None:
        text = v2_text().replace('version = "v2"', 'version = "v3"').replace(f"\n{broken} =", f"\n{broken}x =", 1)
        (folder / "v3.toml").write_text(text, encoding="utf-8")
    return folder


def use_rules_folder(app, monkeypatch, folder: Path, **kw) -> Path:
    """Point the app's REGISTRY_CREDIT_RULES_DIR at a fresh `rules_folder` for one test."""
    made = rules_folder(folder, **kw)
    monkeypatch.setitem(app.config, "CREDIT_RULES_DIR", str(made))
    return made
