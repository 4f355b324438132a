"""The credit rules file: the repository's version loads whole, and a broken file stops the load with the key at
fault — a missing key, a negative cap, grade thresholds out of order, a misspelt key — never half a rule set."""
from __future__ import annotations

import pytest

from registry.credit import rules

TEXT = (rules.VERSIONS_DIR / "v1.toml").read_text(encoding="utf-8")


def test_the_current_version_loads_with_every_kind_scored():
    v1 = rules.current()
    assert v1.version == rules.CURRENT_VERSION == "v1"
    assert v1 is rules.load() is rules.load("v1")
    assert "v1" in rules.versions()
    for subject in rules.SUBJECTS:
        assert set(v1.of(subject).items) == set(rules.KINDS[subject])
        assert [g.name for g in v1.of(subject).groups] == list(rules.GROUPS)


def test_the_v1_numbers_are_the_documented_ones():
    v1 = rules.load("v1")
    company = {g.name: g.cap for g in v1.company.groups}
    assert company == {"base": 80, "positive": 40, "negative": None, "correction": None}
    assert v1.company.grading.minimums == (("AAA", 85), ("AA", 80), ("A", 70), ("B", 60))
    assert (v1.company.grading.lowest, v1.company.grading.without_negative) == ("C", "B")
    assert v1.worker.grading is None
    assert v1.default_months == 12
    assert v1.company.items["complaint"].months == 12
    assert v1.company.items["verified"].months is None
    assert v1.worker.items["training_passed"].months == 36
    for subject in rules.SUBJECTS:
        correction = v1.of(subject).items["correction"]
        assert (correction.group, correction.needs, correction.bound, correction.months) == (
            "correction", "points", 100, 12)
        assert (correction.variants[""].words.zh, correction.variants[""].words.en) == (
            "人工复核更正", "Correction after human review")


@pytest.mark.parametrize("version", ["../v1", "v0", "V1", "1", "v1.toml", "v01"])
def test_a_version_is_a_plain_name(version):
    with pytest.raises(rules.RulesError) as e:
        rules.load(version)
    assert e.value.key == rules.NAME


def test_a_version_without_its_file_is_refused():
    with pytest.raises(rules.RulesError, match="no rules file v999.toml"):
        rules.load("v999")


def broken(old: str, new: str) -> str:
    assert TEXT.count(old) == 1, old
    return TEXT.replace(old, new)


VERIFIED = "[company.base.verified]\n# A regulator verified the registration (name, sectors, business model).\n"

BROKEN = [
    # Missing keys.
    (broken("default_months = 12\n", ""), "default_months", "missing"),
    (broken(VERIFIED + "points = 30\n", VERIFIED), "company.base.verified.points", "missing"),
    (broken('zh = "登记信息已经主管部门核验"\n', ""), "company.base.verified.zh", "missing"),
    (broken("[company.negative.pledge_broken]", "[company.negative.pledge_brokn]"),
     "company.negative.pledge_broken", "missing"),
    (broken("[worker.negative.sanction.severity.general]", "[worker.negative.sanction.severity.middling]"),
     "worker.negative.sanction.severity.general", "missing"),
    (broken("[company.positive.review.rating.3]", "[company.positive.review.rating.6]"),
     "company.positive.review.rating.3", "missing"),
    (broken('without_negative = "B"\n', ""), "company.grading.without_negative", "missing"),
    (broken('cap_en = "Good records add up to 40 points; the rest does not count"\n', ""),
     "company.positive.cap_en", "missing"),
    # Caps: whole points, 0 or more; none on bad records; their words state them.
    (broken("[company.positive]\ncap = 40", "[company.positive]\ncap = -5"), "company.positive.cap", "0 or more"),
    (broken("[worker.base]\ncap = 80", "[worker.base]\ncap = 80.5"), "worker.base.cap", "0 or more"),
    (broken("[company.negative.complaint]\n", "[company.negative.complaint]\ncap = 10\n"),
     "company.negative.complaint.cap", "no cap"),
    (broken("[company.positive]\ncap = 40", "[company.positive]\ncap = 45"), "company.positive.cap_zh",
     "state the cap"),
    # Grades: highest first, strictly; the lowest and the Jinan grade are grades.
    (broken("minimums = { AAA = 85, AA = 80, A = 70, B = 60 }", "minimums = { AAA = 85, AA = 70, A = 80, B = 60 }"),
     "company.grading.minimums.A", "highest first"),
    (broken("minimums = { AAA = 85, AA = 80, A = 70, B = 60 }", "minimums = { AAA = 85, AA = 85, A = 70, B = 60 }"),
     "company.grading.minimums.AA", "highest first"),
    (broken("minimums = { AAA = 85, AA = 80, A = 70, B = 60 }", "minimums = {}"), "company.grading.minimums",
     "at least one grade"),
    (broken('without_negative = "B"', 'without_negative = "D"'), "company.grading.without_negative",
     "not one of the grades"),
    (broken('lowest = "C"', 'lowest = "B"'), "company.grading.lowest", "already has a minimum"),
    # Points: whole, and signed by their group.
    (broken(VERIFIED + "points = 30", VERIFIED + 'points = "30"'), "company.base.verified.points", "whole number"),
    (broken(VERIFIED + "points = 30", VERIFIED + "points = true"), "company.base.verified.points", "whole number"),
    (broken("[company.positive.commendation]\n# A regulator's commendation (表彰): its own validity when it states "
            "one, else a year.\npoints = 10", "[company.positive.commendation]\npoints = -10"),
     "company.positive.commendation.points", "0 or more"),
    (broken("concluded.\npoints = -5", "concluded.\npoints = 5"), "company.negative.complaint.points", "below 0"),
    (broken("[worker.negative.complaint]\npoints = -10", "[worker.negative.complaint]\npoints = 0"),
     "worker.negative.complaint.points", "below 0"),
    # Validity periods: whole months.
    (broken("months = 36", "months = 0"), "worker.base.training_passed.months", "whole months"),
    (broken("default_months = 12", "default_months = 12.5"), "default_months", "whole months"),
    # Words: text.
    (broken('zh = "违背信用承诺"', 'zh = ""'), "company.negative.pledge_broken.zh", "text"),
    # Keys nobody reads: a misspelling, a kind in another group, a grade for workers.
    (broken("[company.base.verified]\n", "[company.base.verified]\nweight = 3\n"), "company.base.verified.weight",
     "unknown key"),
    (broken("[company.negative.pledge_broken]", "[company.positive.pledge_broken]"),
     "company.positive.pledge_broken", "belongs in company.negative"),
    (TEXT + '\n[company.positive.complaint]\npoints = 1\nzh = "x"\nen = "x"\n', "company.positive.complaint",
     "belongs in company.negative"),
    (TEXT + '\n[worker.grading]\nlowest = "C"\n', "worker.grading", "unknown key"),
    (TEXT + '\n[company.bonus]\ncap = 5\n', "company.bonus", "unknown key"),
    ("weights = 1\n" + TEXT, "weights", "unknown key"),
    # Corrections: a bound of whole points, 1 or more; no cap; no points of their own; their words.
    (broken("[company.correction.correction]\nbound = 100", "[company.correction.correction]\nbound = 0"),
     "company.correction.correction.bound", "whole number from 1"),
    (broken("[worker.correction.correction]\nbound = 100\n", "[worker.correction.correction]\n"),
     "worker.correction.correction.bound", "missing"),
    (broken("[company.correction.correction]\n", "[company.correction.correction]\ncap = 10\n"),
     "company.correction.correction.cap", "no cap"),
    (broken("[company.correction.correction]\n", "[company.correction.correction]\npoints = 10\n"),
     "company.correction.correction.points", "unknown key"),
    (broken("[worker.correction.correction]", "[worker.negative.correction]"), "worker.negative.correction",
     "belongs in worker.correction"),
    (TEXT + '\n[company.correction]\ncap = 5\ncap_zh = "5"\ncap_en = "5"\n', "company.correction.cap", "no cap"),
    # Not TOML at all; a file that says it is another version.
    (TEXT + "\nversion = ", "(file)", "not valid TOML"),
    (broken('version = "v1"', 'version = "v2"'), "version", "a file's version is its name"),
]


@pytest.mark.parametrize(("text", "key", "problem"), BROKEN, ids=[f"{i}-{b[1]}" for i, b in enumerate(BROKEN)])
def test_a_broken_file_is_refused_with_the_key_at_fault(text, key, problem):
    with pytest.raises(rules.RulesError) as e:
        rules.parse(text, "v1")
    assert e.value.key == key
    assert problem in e.value.problem
    assert str(e.value).startswith(f"credit rules v1: {key}: ")


def test_the_unbroken_text_parses():
    assert rules.parse(TEXT, "v1") == rules.load("v1")


def test_a_rules_folder_is_read_like_the_repositorys_and_cached_per_folder_and_version(tmp_path):
    from tests.support.rulesutil import rules_folder

    folder = rules_folder(tmp_path / "rules", broken="default_months")
    assert rules.versions(folder) == ["v1", "v2", "v3"] and rules.versions() == ["v1"]
    assert rules.load("v1", folder) == rules.load("v1") and rules.load("v2", folder) is rules.load("v2", str(folder))
    assert rules.load("v2", folder).company.items["verified"].variants[""].points == 25
    assert rules.file_sha256("v1", folder) == rules.file_sha256("v1") != rules.file_sha256("v2", folder)
    with pytest.raises(rules.RulesError) as e:
        rules.load("v3", folder)
    assert e.value.key == "default_months"
    for bad in ("v2", "../v1", "v1.toml"):
        with pytest.raises(rules.RulesError) as e:
            rules.load(bad) if bad == "v2" else rules.file_sha256(bad, folder)
        assert e.value.key == rules.NAME


def test_a_file_that_is_not_utf8_text_is_refused_naming_the_file(tmp_path):
    """An operator's editor saved the rules in GB18030: a RulesError at "(file)", never a UnicodeDecodeError."""
    (tmp_path / "v1.toml").write_bytes((rules.VERSIONS_DIR / "v1.toml").read_text(encoding="utf-8")
                                       .encode("gb18030"))
    with pytest.raises(rules.RulesError) as e:
        rules.load("v1", tmp_path)
    assert e.value.key == "(file)" and "UTF-8" in e.value.problem
