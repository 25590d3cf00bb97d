"""How much of a secret poll's count per center may be shown.

A center with few ballots leaks: with one voter there, that center's line is the person's vote.
So a center's figures are shown only when it has at least a floor of ballots.
"""

from __future__ import annotations

# Assemblies that vote by secret ballot commonly publish counts only from three ballots up.
DEFAULT_SECRET_FLOOR = 3
