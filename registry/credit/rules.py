"""The credit-score rules as data: one TOML file per version (`versions/v1.toml`), loaded and checked here.

Pure: no Flask, no database. The file holds every weight, cap, validity
period, grade threshold and the words of every component; the code holds only
the shape — which kinds of fact each subject has, the group each belongs to
and what each fact carries (`KINDS`) — so a version can change any number but
never what the registry gathers. A file that breaks a rule stops the load with
a `RulesError` naming the key at fault (`company.positive.cap`), never a score
computed from half a file. The rules in prose: docs/rules.md, "Credit scores
(信用积分)".
"""
from __future__ import annotations

import functools
import hashlib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from ..sanctions.rules import SEVERITIES

VERSIONS_DIR = Path(__file__).with_name("versions")
# The version scores are computed with while no adoption is recorded (`credit_rules`, `credit.adoption`). A new
# file changes nothing: adopting a version is a decision, logged, and its own operation.
CURRENT_VERSION = "v1"
VERSION_RE = re.compile(r"v[1-9][0-9]{0,5}")

SUBJECTS = ("company", "worker")
# In the order a score lists them: completeness and compliance, good records, bad records, and last the corrections
# regulators make after a human review of a score (PIPL art. 24; never capped, never a bad record).
GROUPS = ("base", "positive", "negative", "correction")
RATINGS = ("1", "2", "3", "4", "5")
WORDS_MAX = 200
POINTS_MAX = 1000
MONTHS_MAX = 120


@dataclass(frozen=True)
class Kind:
    """A kind of fact a subject's score is made of: its group, and what a fact of it carries besides its date.

    `needs`: None (nothing else), "share" (`value`: the share 0–1 of something,
    e.g. staff with current qualifications), "rating" (`value`: a review's
    stars, 1–5), "severity" (a sanction's severity, `sanctions.rules.SEVERITIES`), "points" (`value`: the whole
    points a regulator gave, non-zero, within the item's `bound`: a correction after human review).
    """

    group: str
    needs: str | None = None


KINDS: Mapping[str, Mapping[str, Kind]] = MappingProxyType({
    "company": MappingProxyType({
        "verified": Kind("base"),
        "pledge_kept": Kind("base"),
        "employee_model": Kind("base"),
        "staff_qualified": Kind("base", "share"),
        "commendation": Kind("positive"),
        "review": Kind("positive", "rating"),
        "complaint": Kind("negative"),
        "sanction": Kind("negative", "severity"),
        "pledge_broken": Kind("negative"),
        "correction": Kind("correction", "points"),
    }),
    "worker": MappingProxyType({
        "identity_verified": Kind("base"),
        "health_passed": Kind("base"),
        "training_passed": Kind("base"),
        "background_passed": Kind("base"),
        "review": Kind("positive", "rating"),
        "complaint": Kind("negative"),
        "sanction": Kind("negative", "severity"),
        "correction": Kind("correction", "points"),
    }),
})
# The variants an item of each need has, and the key that holds them in the file.
VARIANTS = {"severity": tuple(SEVERITIES), "rating": RATINGS}


# The "key" of a RulesError about the version's name or its file's absence, not about a key inside a file.
NAME = "(name)"


class RulesError(ValueError):
    """A rules file breaks a rule: `key` is the dotted key at fault, `problem` says what is wrong."""

    def __init__(self, version: str, key: str, problem: str):
        super().__init__(f"credit rules {version}: {key}: {problem}")
        self.version = version
        self.key = key
        self.problem = problem


@dataclass(frozen=True)
class Words:
    zh: str
    en: str


@dataclass(frozen=True)
class Variant:
    """What one fact of an item is worth, and what it is called."""

    points: int
    words: Words


@dataclass(frozen=True)
class Item:
    """The rule for one kind of fact.

    `variants`: by severity or rating for the kinds that carry one, else the
    one variant under the key "". `months`: how long a fact counts from its
    date; None only in the base, where a fact counts while it holds. `bound`:
    for a kind whose points the fact carries ("points"), the most points either
    way one fact may be worth (its variant's `points` is then 0).
    """

    kind: str
    group: str
    needs: str | None
    variants: Mapping[str, Variant]
    months: int | None
    cap: int | None = None
    cap_words: Words | None = None
    bound: int | None = None


@dataclass(frozen=True)
class Group:
    name: str
    cap: int | None = None
    cap_words: Words | None = None


@dataclass(frozen=True)
class Grading:
    """Grades by minimum, highest first; `lowest` below the last; `without_negative` instead of it when no bad
    record counts (Jinan)."""

    minimums: tuple[tuple[str, int], ...]
    lowest: str
    without_negative: str

    def grade(self, points: int, *, negative: bool) -> str:
        for name, least in self.minimums:
            if points >= least:
                return name
        return self.lowest if negative else self.without_negative


@dataclass(frozen=True)
class SubjectRules:
    subject: str
    groups: tuple[Group, ...]
    items: Mapping[str, Item]
    grading: Grading | None

    def kinds_of(self, group: str) -> tuple[str, ...]:
        """The kinds of fact in `group`, in the order a score lists them."""
        return self._kinds_by_group.get(group, ())

    @functools.cached_property
    def _kinds_by_group(self) -> dict[str, tuple[str, ...]]:
        out: dict[str, list[str]] = {}
        for kind, item in self.items.items():
            out.setdefault(item.group, []).append(kind)
        return {group: tuple(kinds) for group, kinds in out.items()}


@dataclass(frozen=True)
class Rules:
    version: str
    default_months: int
    company: SubjectRules
    worker: SubjectRules

    def of(self, subject: str) -> SubjectRules:
        if subject not in SUBJECTS:
            raise ValueError(f"a credit score is for a company or a worker, not {subject!r}")
        return self.company if subject == "company" else self.worker


def versions(directory: Path | str | None = None) -> list[str]:
    """The versions in `directory` (None: the repository's `versions/`), oldest first."""
    folder = Path(directory) if directory else VERSIONS_DIR
    found = [p.stem for p in folder.glob("v*.toml") if VERSION_RE.fullmatch(p.stem)]
    return sorted(found, key=lambda v: int(v[1:]))


def load(version: str | None = None, directory: Path | str | None = None) -> Rules:
    """The rules of a version (None: `CURRENT_VERSION`) from `directory` (None: the repository's `versions/`), read
    and checked once per process: a version's file never changes once scores show it."""
    return _load(str(Path(directory) if directory else VERSIONS_DIR), CURRENT_VERSION if version is None else version)


def file_sha256(version: str, directory: Path | str | None = None) -> str:
    """The SHA-256 (hex) of a version's file as it is on disk: what an adoption commits the log to."""
    return hashlib.sha256(_path(version, Path(directory) if directory else VERSIONS_DIR).read_bytes()).hexdigest()


@functools.cache
def _load(directory: str, version: str) -> Rules:
    path = _path(version, Path(directory))
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise RulesError(version, "(file)", f"not UTF-8 text (byte {e.start})") from e
    except OSError as e:
        raise RulesError(version, "(file)", f"cannot be read ({e.strerror})") from e
    return parse(text, version)


def _path(version: str, folder: Path) -> Path:
    if not isinstance(version, str) or not VERSION_RE.fullmatch(version):
        raise RulesError(str(version), NAME, "a version is v1, v2, …")
    path = folder / f"{version}.toml"
    if not path.is_file():
        raise RulesError(version, NAME, f"no rules file {path.name}")
    return path


def current() -> Rules:
    """The rules of the version in code (`CURRENT_VERSION`): what scores are computed with until an adoption is
    recorded. The version in force is the latest adoption's (`credit.adoption.adopted_rules`, which reads it from
    the database); this module knows no database."""
    return load(None)


def parse(text: str, version: str) -> Rules:
    """Check the text of the rules file of `version` and return its rules, or raise `RulesError` at the first
    key at fault."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise RulesError(version, "(file)", f"not valid TOML: {e}") from e
    top = _Table(version, "", data)
    stated = top.text("version")
    if stated != version:
        raise RulesError(version, "version", f"the file says {stated!r}; a file's version is its name")
    default_months = top.months("default_months")
    subjects = {s: _subject(top.table(s), s, default_months) for s in SUBJECTS}
    top.finish()
    return Rules(version=version, default_months=default_months, **subjects)


def _subject(table: _Table, subject: str, default_months: int) -> SubjectRules:
    kinds = KINDS[subject]
    groups, items = [], {}
    for name in GROUPS:
        group = table.table(name, required=False)
        cap, cap_words = _cap(group, name)
        groups.append(Group(name, cap, cap_words))
        for kind, spec in kinds.items():
            if spec.group == name:
                items[kind] = _item(group.table(kind), kind, spec, default_months)
        strays = [k for k in group.left() if k in kinds]
        if strays:
            raise RulesError(table.version, group.key(strays[0]), f"{strays[0]} belongs in "
                             f"{subject}.{kinds[strays[0]].group}")
        group.finish()
    grading = _grading(table.table("grading")) if subject == "company" else None
    table.finish()
    return SubjectRules(subject, tuple(groups), MappingProxyType(items), grading)


def _item(table: _Table, kind: str, spec: Kind, default_months: int) -> Item:
    if spec.needs in VARIANTS:
        by = table.table(spec.needs)
        variants = {}
        for name in VARIANTS[spec.needs]:
            one = by.table(name)
            variants[name] = _variant(one, spec.group)
            one.finish()
        by.finish()
    elif spec.needs == "points":
        # The fact carries its points; the file holds their bound and the words.
        variants = {"": Variant(0, Words(table.text("zh"), table.text("en")))}
    else:
        variants = {"": _variant(table, spec.group)}
    bound = table.integer("bound", 1, POINTS_MAX) if spec.needs == "points" else None
    months = table.months("months", required=False)
    if months is None and spec.group != "base":
        months = default_months
    cap, cap_words = _cap(table, spec.group)
    table.finish()
    return Item(kind, spec.group, spec.needs, MappingProxyType(variants), months, cap, cap_words, bound)


def _variant(table: _Table, group: str) -> Variant:
    points = table.integer("points", -POINTS_MAX, POINTS_MAX)
    if group == "negative" and points >= 0:
        raise RulesError(table.version, table.key("points"), "a bad record costs points: below 0")
    if group != "negative" and points < 0:
        raise RulesError(table.version, table.key("points"), f"a {group} item adds points: 0 or more")
    return Variant(points, Words(table.text("zh"), table.text("en")))


def _cap(table: _Table, group: str) -> tuple[int | None, Words | None]:
    if group in ("negative", "correction"):
        if "cap" in table.data:
            raise RulesError(table.version, table.key("cap"), "bad records have no cap: each costs its points"
                             if group == "negative" else "a correction has no cap: each counts its points")
        return None, None
    cap = table.integer("cap", 0, POINTS_MAX, required=False,
                        problem="a cap is a whole number of points, 0 or more")
    if cap is None:
        return None, None
    words = Words(table.text("cap_zh"), table.text("cap_en"))
    for lang in ("zh", "en"):
        if str(cap) not in getattr(words, lang):
            raise RulesError(table.version, table.key(f"cap_{lang}"), f"the words must state the cap ({cap})")
    return cap, words


def _grading(table: _Table) -> Grading:
    raw = table.table("minimums")
    minimums = []
    for name in raw.left():
        least = raw.integer(name, -POINTS_MAX, POINTS_MAX)
        if minimums and least >= minimums[-1][1]:
            raise RulesError(table.version, raw.key(name),
                             f"grades are listed highest first: {name}'s minimum must be below "
                             f"{minimums[-1][0]}'s ({minimums[-1][1]})")
        minimums.append((name, least))
    if not minimums:
        raise RulesError(table.version, raw.path, "at least one grade")
    raw.finish()
    lowest = table.text("lowest")
    if lowest in dict(minimums):
        raise RulesError(table.version, table.key("lowest"), f"{lowest} already has a minimum")
    without = table.text("without_negative")
    if without not in {*dict(minimums), lowest}:
        raise RulesError(table.version, table.key("without_negative"), f"{without} is not one of the grades")
    table.finish()
    return Grading(tuple(minimums), lowest, without)


class _Table:
    """One table of the file being read: typed reads by name, with the dotted key for errors, and `finish()`
    refusing whatever key was not read (a misspelt key never passes silently)."""

    def __init__(self, version: str, path: str, data: dict):
        self.version = version
        self.path = path
        self.data = data
        self.seen: set[str] = set()

    def key(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def left(self) -> list[str]:
        return [k for k in self.data if k not in self.seen]

    def _get(self, name: str, required: bool):
        self.seen.add(name)
        if name not in self.data:
            if required:
                raise RulesError(self.version, self.key(name), "missing")
            return None
        return self.data[name]

    def table(self, name: str, required: bool = True) -> _Table:
        value = self._get(name, required)
        if value is None:
            value = {}
        if not isinstance(value, dict):
            raise RulesError(self.version, self.key(name), "must be a table")
        return _Table(self.version, self.key(name), value)

    def integer(self, name: str, least: int, most: int, required: bool = True, problem: str | None = None):
        value = self._get(name, required)
        if value is None:
            return None
        if not isinstance(value, int) or isinstance(value, bool) or not least <= value <= most:
            raise RulesError(self.version, self.key(name),
                             (problem or f"a whole number from {least} to {most}") + f" (got {value!r})")
        return value

    def months(self, name: str, required: bool = True) -> int | None:
        return self.integer(name, 1, MONTHS_MAX, required, problem=f"whole months from 1 to {MONTHS_MAX}")

    def text(self, name: str) -> str:
        value = self._get(name, True)
        if not isinstance(value, str) or not value.strip() or len(value) > WORDS_MAX:
            raise RulesError(self.version, self.key(name), f"text of 1 to {WORDS_MAX} characters")
        return value

    def finish(self) -> None:
        for name in self.left():
            raise RulesError(self.version, self.key(name), "unknown key")
