"""Batches of bulk work sized by time, pure: how many rows the next batch takes so that it holds the log head's lock
for about `target` seconds.

Every change, interactive or bulk, takes the log head's lock from its entries to its commit (docs/log.md), so a
write that arrives while an import's batch holds it waits for the rest of that batch. A fixed batch of 1,000 rows
held it for about a second on PostgreSQL, and a soak measured interactive writes at p99 1.5 s during an import. A
batch sized to hold it about a twentieth of a second keeps that wait to about one small batch, whatever the
machine, the rows or the load: the pacer measures each batch and sizes the next from its rate. (A tenth of a second
left the 10-minute soak's registrations at p99 279 ms during imports on PostgreSQL; a twentieth, 260 ms.)

- The first batch is small (`first`): nothing is known yet.
- The next is the rate just measured times `target`, at most twice the last (a fast batch may have been luck) and
  within [`least`, `most`]; a slow batch shrinks the next at once.
- `most` is the operator's batch setting (`REGISTRY_IMPORT_BATCH`): the largest a batch may grow.
- `least` is 20 rows unless the caller says otherwise (or `most`, when the operator set that lower).
- After each batch the work rests (`rest`) for as long as the batch took, times `1/share - 1`: with the default
  share of one half the batches hold the lock half the time (`REGISTRY_BULK_SHARE`).

Why rest. A batch that begins the moment the last one committed keeps the lock busy all the time: every write that
arrives waits for the rest of a batch, queues behind the writes that came before it, and shares the processors
with the import's work. A soak on two cores measured registrations at p50 55 ms and p99 90 ms with no import, and
p50 185 ms, p99 over 400 ms while one ran back to back. Resting as long as each batch took halves what the import
takes of the lock and of the processors, and doubles its time: an import is a queued task its uploader polls, a
registration is someone at a counter.

Only while others write. Resting and small batches are for the writes waiting behind them; with nobody writing
they only slow the import down (a 100,000-row file, alone, went from 1,900 rows a second to under 200). So the work
paces itself only while it is `busy`: in its first batch, and for `calm` seconds (10) after it last saw another
change commit between two of its batches (`observed`; on SQLite also a writer it let go first). Calm, its batches
are sized to hold the lock about `quiet_target` (a quarter of a second, `REGISTRY_BULK_QUIET_SECONDS`, at most
`most` rows) and do not rest: a change that arrives then waits at most that long,
and every change after it, for the next `calm` seconds, about one small batch again.

Why a floor. A batch's time is a fixed cost (its commit and fsync, the wait for the lock) plus its rows' cost. When
the fixed cost alone passes the target (a slow disk's fsync, a lock held by a long change) every batch misses it
whatever its size, so the rate measured shrinks each next batch, and with a floor of one row it stayed at one row
for good: a few rows a second, hours for a large file, and no shorter wait for anyone, since a waiting change sits
behind the fixed cost either way. At about 1 ms a row (the 1,000-row batch above), 20 rows add some 20 ms to that
wait and store 20 times as many rows per commit. A model of fixed plus per-row cost could size such batches better,
but it needs batches of different sizes to tell the two costs apart, and the lock waits inside each batch's time
vary more from batch to batch than its rows do, so its estimates wobble and can come out negative; the floor
measures nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_TARGET_SECONDS = 0.05
# The share of its time bulk work may hold the lock: it rests after each batch for as long as the batch took.
DEFAULT_SHARE = 0.5
# The smallest batch unless the caller asks for less (see "Why a floor" above).
DEFAULT_LEAST = 20
# While nobody else writes: how long a batch may hold the lock, and how long after the last write seen that lasts.
QUIET_TARGET_SECONDS = 0.25
CALM_SECONDS = 10.0


@dataclass
class Pacer:
    target: float = DEFAULT_TARGET_SECONDS
    most: int = 1000
    first: int = 50
    # None: DEFAULT_LEAST, or `most` when that is smaller (an operator's small batch setting is still obeyed).
    least: int | None = None
    # The share of the time the batches may hold the lock (0 < share <= 1; 1: no rest between batches).
    share: float = DEFAULT_SHARE
    quiet_target: float = QUIET_TARGET_SECONDS
    calm: float = CALM_SECONDS
    size: int = field(init=False)
    # Busy (pacing itself) until this time (`time.monotonic()`); None: busy until the first `observed`.
    busy_until: float | None = field(init=False, default=None)
    # The log's size after this work's last batch that appended entries (`bulk.paced_batch` keeps it).
    seen_end: int | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        if self.target <= 0:
            raise ValueError(f"a batch's time must be positive: {self.target}")
        if not 0 < self.share <= 1:
            raise ValueError(f"bulk work's share of the time must be in (0, 1]: {self.share}")
        if self.least is None:
            self.least = min(DEFAULT_LEAST, self.most)
        if not 1 <= self.least <= self.most:
            raise ValueError(f"batch sizes need 1 <= least <= most: {self.least}, {self.most}")
        self.size = max(self.least, min(self.first, self.most))

    def observed(self, others_wrote: bool, now: float) -> None:
        """After a batch, at `now`: did another change commit since this work's last batch? Then it is busy for
        `calm` seconds from now. Until the first observation it is busy (its first batch is small)."""
        if others_wrote:
            self.busy_until = now + self.calm
        elif self.busy_until is None:
            self.busy_until = now

    def busy(self, now: float) -> bool:
        return self.busy_until is None or now < self.busy_until

    def took(self, rows: int, seconds: float, now: float | None = None) -> int:
        """A batch of `rows` took `seconds`: the size of the next one (calm at `now`: sized by `quiet_target`)."""
        if rows <= 0:
            return self.size
        target = self.target if now is None or self.busy(now) else max(self.quiet_target, self.target)
        wanted = int(rows / max(seconds, 1e-6) * target)
        self.size = max(self.least, min(self.most, wanted, 2 * self.size))
        return self.size

    def rest(self, seconds: float, now: float | None = None) -> float:
        """A batch took `seconds`: how long to rest before the next, so the batches hold the lock `share` of the
        time; calm at `now`, none."""
        if now is not None and not self.busy(now):
            return 0.0
        return max(0.0, seconds) * (1 / self.share - 1)
