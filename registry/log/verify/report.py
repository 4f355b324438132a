"""What a verification found: named failures, and what was checked."""
from __future__ import annotations

from dataclasses import dataclass, field

MAX_LISTED = 200  # failures of one kind listed one by one; the rest are counted


@dataclass
class Report:
    """Named failures (empty when everything verified) and what was checked."""

    failures: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    # A checkpoint inconsistent with one seen before, or older than it: the log forked or rolled back.
    alarm: bool = False
    # failure → (kind, log_ref) of the business record it is about, for alarms that name the record
    # (failures about the log itself are absent).
    about: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failures

    def fail(self, message: str, about: tuple[str, str] | None = None) -> None:
        self.failures.append(message)
        if about is not None:
            self.about[message] = about

    def note(self, message: str) -> None:
        self.checked.append(message)


class Counted:
    """Failures of one kind: the first MAX_LISTED named, then a count."""

    def __init__(self, report: Report):
        self.report = report
        self.n = 0

    def fail(self, message: str, about: tuple[str, str] | None = None) -> None:
        self.n += 1
        if self.n <= MAX_LISTED:
            self.report.fail(message, about)

    def close(self, what: str) -> None:
        if self.n > MAX_LISTED:
            self.report.fail(f"{what}: {self.n - MAX_LISTED} more failures not listed")

