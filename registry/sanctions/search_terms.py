"""What a listings search asks, in pure terms: how `q` is read, and from which decision date a window is open.

Pure: no Flask, no database (tests/test_layering.py). The search (`sanctions.search`) turns these into SQL.

`q` is read by its shape, one way only, so a person is never found by a fragment of their name:
- a card number's shape (JX + 10 + check character; dashes, spaces and full-width forms allowed) → the card
  number: a worker subject with that card, or a company's sanction naming that worker; a card-shaped `q` whose
  check character is wrong is an error (`card_no_typo`), as on the card view;
- a USCC's shape (18 characters of the USCC alphabet; a genuine early code may fail its checksum, so the
  checksum is not required) → the company with that code;
- anything else → a fragment of a company's name, OR a person's exact full name (a worker subject whose
  full-name index it is, or a named person's): the union of both.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from ..clock import add_months
from ..companies import uscc
from ..workers import cardno
from . import rules

# The longest publication window: no decision older than this many months is public.
LONGEST_WINDOW = max(most for _least, most in rules.WINDOW_MONTHS.values())
# A search's `q` is at most this long (a company name is at most 200 characters).
Q_MAX = 200


@dataclass(frozen=True)
class Term:
    """How `q` is searched: `kind` is None (no q), "card", "uscc" or "text"; `value` normalised for that kind."""

    kind: str | None
    value: str = ""
    # For a card-shaped q that fails its check character: the problem, to answer as an error.
    typo: bool = False


def _card_shaped(code: str) -> bool:
    return len(code) == cardno.LENGTH and code.startswith(cardno.PREFIX) and all(c in cardno.VALUES for c in code)


def uscc_shaped(raw: str) -> str | None:
    """The USCC `raw` spells (normalised), if it has a USCC's shape (length and alphabet; not the checksum)."""
    code = uscc.normalise(raw or "")
    return code if len(code) == uscc.LENGTH and all(c in uscc.VALUES for c in code) else None


def card_shaped(raw: str) -> tuple[str, bool] | None:
    """(card number, check character right) when `raw` has a card number's shape; else None."""
    code = cardno.normalise(raw or "")
    if not _card_shaped(code):
        return None
    return code, cardno.validate(code).ok


def read_q(raw: str | None) -> Term:
    """How a search's `q` is read (see the module's docstring)."""
    text = (raw or "").strip()
    if not text:
        return Term(None)
    card = card_shaped(text)
    if card is not None:
        return Term("card", card[0], typo=not card[1])
    code = uscc_shaped(text)
    if code is not None:
        return Term("uscc", code)
    return Term("text", text)


def earliest_open_decision(today: date, months: int) -> date:
    """The earliest decision date whose window of `months` months is still open today.

    add_months(d, months) >= today  ⇔  d >= earliest_open_decision(today, months), with month-end clamping:
    counting back from 31 March one month lands on 28 February, whose window ends 28 March — so the earliest
    open decision is 1 March, the day after the clamped one. (tests/sanctions/test_search_terms.py checks the
    equivalence over every day of several years and every window.)
    """
    back = add_months(today, -months)
    return back if add_months(back, months) >= today else back + timedelta(days=1)


def earliest_public_decision(today: date) -> date:
    """No decision taken before this day is public today: no window is longer than LONGEST_WINDOW months."""
    return earliest_open_decision(today, LONGEST_WINDOW)
