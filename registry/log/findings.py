"""What a local verification found, as operators read it: one finding per business record, one for the log itself.

Pure: it takes the report's failures, which record each is about, and each record's public name (a worker's
card number, a company's USCC, an agency's code, a report's ref, a bulletin's period and version) and returns
bilingual findings that say what to do. A finding's English text is also its alarm's message, and names the record
only, never the problems: the same record found wrong again is the same alarm, counted, not a new one
(registry/log/alarms.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field

RECORD_KIND = "record_mismatch"  # a business record differs from the log, or lost its record
LOG_KIND = "verify_failed"  # the log's own tables: entries, tree hashes, checkpoints
KINDS = (RECORD_KIND, LOG_KIND)

TODO_ZH = ("请从备份恢复该记录，或调查是谁、如何绕过登记系统直接修改了数据库；"
           "不要为了消除告警而重新签名或补写日志。")
TODO_EN = ("Restore the record from a backup, or investigate who edited the database directly and how; "
           "do not re-sign or re-log it to make the alarm go away.")
LOG_TODO_ZH = "请从备份恢复日志表，或调查是谁、如何直接修改了数据库；不要重新签名检查点。"
LOG_TODO_EN = ("Restore the log's tables from a backup, or investigate who edited the database directly and how; "
               "do not re-sign the checkpoints.")


@dataclass(frozen=True)
class Finding:
    kind: str
    en: str
    zh: str
    todo_en: str
    todo_zh: str
    problems: list[str] = field(default_factory=list)
    # {"kind": "worker", "card_no": "JX…"}, {"kind": "company", "uscc": …}, …; empty for the log itself
    subject: dict = field(default_factory=dict)


_NAMES = {
    # kind → (public name's key, zh label, en label)
    "worker": ("card_no", "从业人员（服务证号 {}）", "Worker card {}"),
    "company": ("uscc", "企业（统一社会信用代码 {}）", "Company USCC {}"),
    "agency": ("code", "机构 {}", "Agency {}"),
    "report": ("ref", "举报 {}", "Report {}"),
    "calendar": ("year", "{} 年工作日历", "Working-day calendar {}"),
    "bulletin": ("period", "公示公告 {}", "Bulletin {}"),
    "subject": ("log_ref", "日志对象 {}", "Log subject {}"),
}


def findings(failures: list[str], about: dict[str, tuple[str, str]],
             names: dict[tuple[str, str], str]) -> list[Finding]:
    """Group `failures` by the record they are about (in the order first named); the rest is the log's own."""
    by_record: dict[tuple[str, str], list[str]] = {}
    own: list[str] = []
    for failure in failures:
        key = about.get(failure)
        if key is None:
            own.append(failure)
        else:
            by_record.setdefault(key, []).append(failure)
    out = [_record_finding(key, names.get(key, key[1]), problems) for key, problems in by_record.items()]
    if own:
        out.append(Finding(
            LOG_KIND,
            f"The transparency log itself fails verification: {own[0]}",
            f"透明日志本身未通过验证：{own[0]}",
            LOG_TODO_EN, LOG_TODO_ZH, own))
    return out


def _record_finding(key: tuple[str, str], name: str, problems: list[str]) -> Finding:
    kind, _ref = key
    field_name, zh_label, en_label = _NAMES.get(kind, ("ref", kind + " {}", kind + " {}"))
    zh, en = zh_label.format(name), en_label.format(name)
    if kind == "subject":
        # The log names a record that the database no longer holds.
        zh += "：透明日志中有它的条目，但数据库中已没有这条记录（可能被直接删除）。"
        en += " has entries in the transparency log but no record in the database (deleted directly?)."
    else:
        zh += "：数据库中的记录与透明日志不符，有人绕过登记系统直接修改了数据库。"
        en += (": its record in the database does not match the transparency log; "
               "the database was edited outside the registry.")
    return Finding(RECORD_KIND, en, zh, TODO_EN, TODO_ZH, problems, {"kind": kind, field_name: name})
