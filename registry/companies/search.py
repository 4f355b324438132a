"""Finding companies by any fragment of their name (家政, 安心家政, …) or by their USCC, on both engines.

A name is indexed as its characters and pairs of characters (`grams`, table `company_name_grams`, primary key
(gram, company_id)) beside its folded form (`company_name_folds`). A fragment of one or two characters is one
primary-key range: exact. A longer one starts from the companies holding its rarest bigram and is confirmed with
`folded LIKE '%fragment%'` (`%`, `_` and the escape character taken literally). Which bigram is rarest is asked
of the index itself: each is counted up to `RARE` + 1 rows (a bounded walk of the primary key), so a common
pair (公司, 有限, 服务) never drives the search when a rarer one (安心) is there.

`company_ids_matching(fragment)` is a SELECT of the matching company ids, for `Company.id.in_(…)` or anything
that wants the set. (The public listings search walks its own index of sanctioned companies' names, in its own
order: sanctions/listing_index.py.)

The grams are derived data (unlogged; see docs/architecture.md, "Storage"): `index_name` keeps them with the name
wherever it is set (registration, an approved change request), and migration 0015 built them for the companies
registered before.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, func, literal, select

from ..extensions import db
from . import grams, uscc
from .models import Company, NameFold, NameGram

# Each gram is counted up to RARE + 1 companies: enough to tell the rarest of a fragment's bigrams.
RARE = 2500
# Bigrams counted for a long fragment: enough to find its distinctive part (a brand) among the common ones.
MAX_PROBES = 12


@dataclass(frozen=True)
class Plan:
    """How one fragment is searched."""

    folded: str
    # The USCC the fragment spells, if it has a USCC's shape.
    uscc: str | None
    # The gram the search starts from (None: the empty fragment, every company), and how many hold it (at most
    # RARE + 1: "more than RARE").
    gram: str | None
    held_by: int
    # Whether the folded name must confirm (fragments of three characters or more).
    confirm: bool


def _held_by(needed: list[str]) -> list[int]:
    """How many companies hold each gram, each counted up to RARE + 1 (one statement, a bounded walk each)."""
    counts = [select(func.count()).select_from(
        select(literal(1)).select_from(NameGram).where(NameGram.gram == g).limit(RARE + 1).subquery())
        .scalar_subquery().label(f"n{i}") for i, g in enumerate(needed)]
    return list(db.session.execute(select(*counts)).one())


def _uscc_of(fragment: str) -> str | None:
    code = uscc.normalise(fragment or "")
    return code if len(code) == uscc.LENGTH and all(c in uscc.VALUES for c in code) else None


def plan(fragment: str) -> Plan:
    """Fold the fragment and choose the gram it starts from (a few bounded index walks)."""
    folded = grams.fold(fragment)
    needed = grams.fragment_grams(folded)
    if not needed:
        return Plan(folded, None, None, 0, False)
    probed = needed[:MAX_PROBES]
    held_by, best = min((n, i) for i, n in enumerate(_held_by(probed)))
    return Plan(folded, _uscc_of(fragment), probed[best], held_by, len(folded) > 2)


def _ids(p: Plan) -> Select:
    if p.gram is None:
        return select(Company.id)
    q = select(NameGram.company_id).where(NameGram.gram == p.gram)
    if p.confirm:
        q = (select(NameGram.company_id).join(NameFold, NameFold.company_id == NameGram.company_id)
             .where(NameGram.gram == p.gram, NameFold.folded.contains(p.folded, autoescape=True)))
    if p.uscc:
        q = q.union(select(Company.id).where(Company.uscc == p.uscc))
    return q


def company_ids_matching(fragment: str, *, limit: int | None = None) -> Select:
    """The ids of the companies whose folded name contains the folded fragment, or whose USCC it is.

    The empty fragment matches every company (as `"" in name` does). With `limit`, the lowest ids first.
    """
    q = _ids(plan(fragment))
    if limit is not None:
        ids = q.subquery()
        q = select(ids.c[0]).order_by(ids.c[0]).limit(limit)
    return q


def index_name(company: Company) -> None:
    """Make the company's grams and folded name those of its current name (the rows not needed any more go,
    the ones kept stay). Called wherever the name is set; flushed with the company."""
    folded = grams.fold(company.name)
    wanted = grams.name_grams(folded)
    kept = [g for g in company.name_grams if g.gram in wanted]
    have = {g.gram for g in kept}
    company.name_grams = kept + [NameGram(gram=g) for g in sorted(wanted - have)]
    if company.name_fold is None:
        company.name_fold = NameFold(folded=folded)
    else:
        company.name_fold.folded = folded
