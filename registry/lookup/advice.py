"""What the card page tells a resident to do: one plain line for each status colour, and, when a scanned QR is
anything but genuine, one instruction in place of any colour.

Pure: no Flask, no database. A colour is the record of the card number; a QR
that is altered, unknown, replaced, expired, void or read at another address
says nothing about the person holding it, so showing the number's colour beside
it would vouch for a stranger (docs/rules.md, "The status colour").
"""
from __future__ import annotations

from dataclasses import dataclass

EMERGENCY = "110"

# (zh, en): what each colour tells the resident to do.
ADVICE: dict[str, tuple[str, str]] = {
    "green": ("记录齐全：身份已核验，体检和保险在有效期内，背景审查已通过。请核对来人与服务证上的信息一致。",
              "Records complete: identity verified, health check and insurance in date, background check passed. "
              "Check that the person matches the card."),
    "yellow": ("有记录已过期或缺失：开门前请先致电所在企业确认。",
               "Something has lapsed or is missing: call the company to confirm before you open the door."),
    "red": ("请勿让此人进门，并举报此证。",
            "Do not let this person in, and report this card."),
}

INSTRUCTION: tuple[str, str] = (
    "请勿让此人进门。请举报此证；如感到危险，请立即拨打 110。",
    "Do not let this person in. Report this card; if you feel in danger, call 110 now.",
)


@dataclass(frozen=True)
class AtTheDoor:
    """What the page leads with: a colour and its advice, or the instruction and no colour."""

    show_colour: bool
    advice: tuple[str, str] | None
    instruction: tuple[str, str] | None


def at_the_door(colour: str, verdict: str | None) -> AtTheDoor:
    """The colour's advice for a typed number or a genuine scan; for any other verdict, the instruction only."""
    if verdict is not None and verdict != "genuine":
        return AtTheDoor(show_colour=False, advice=None, instruction=INSTRUCTION)
    return AtTheDoor(show_colour=True, advice=ADVICE[colour], instruction=None)
