"""How much of a secret poll's count per center may be shown.

A center with few ballots leaks: with one voter there, that center's line is the person's vote.
So a center's figures are shown only when it has at least `floor` ballots. That alone is not
enough, because the total is always shown: the total less every center shown gives what the
withheld centers hold together, and with two centers that is the small center's line itself.
So centers at the floor are withheld too, the smallest first, until what the withheld centers
hold together reaches the floor (or every center is withheld).

Pure logic, no I/O: the same answer for the result in the rooms, the turnout while a poll is
open, and the minutes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

# Assemblies that vote by secret ballot commonly publish counts only from three ballots up.
DEFAULT_SECRET_FLOOR = 3


class _Placed(Protocol):
    @property
    def center(self) -> str: ...
    @property
    def reason(self) -> str | None: ...


P = TypeVar("P", bound=_Placed)


@dataclass(frozen=True)
class Disclosure:
    """Which centers' figures are withheld (in the assembly's order), under which floor."""

    floor: int
    withheld: tuple[str, ...] = ()

    def shows(self, center: str) -> bool:
        return center not in self.withheld

    def placed_last(self, dissents: Sequence[P]) -> list[P]:
        """Dissents from shown centers first, as they came; then those from withheld centers
        by their reason alone, since an order by center would still tell where each came from."""
        shown = [d for d in dissents if self.shows(d.center)]
        hidden = sorted((d for d in dissents if not self.shows(d.center)), key=_reason)
        return shown + hidden


def disclosure(ballots: Mapping[str, int], floor: int) -> Disclosure:
    """What may be shown of centers holding `ballots` (ballots that count, per center)."""
    withheld = {center for center, count in ballots.items() if 0 < count < floor}
    if not withheld:
        # A center where nobody voted points at nobody: its zero is shown.
        return Disclosure(floor)
    covering = sorted(
        (center for center, count in ballots.items() if count >= floor),
        key=lambda center: ballots[center],
    )
    for center in covering:
        if sum(ballots[c] for c in withheld) >= floor:
            break
        withheld.add(center)
    return Disclosure(floor, tuple(center for center in ballots if center in withheld))


def below_floor(members: Mapping[str, int], floor: int) -> tuple[str, ...]:
    """The centers with fewer members than the floor: a secret poll's result may have to
    withhold their counts, which is worth saying before anyone votes."""
    return tuple(center for center, count in members.items() if count < floor)


def _reason(dissent: _Placed) -> str:
    return dissent.reason or ""
