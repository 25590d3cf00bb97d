"""What a handler receives: the command's context. What it returns are the domain's outcomes
(`bot.domain.outcomes`)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.assembly import Assembly, AssemblyRoom
from bot.domain.authority import Authority
from bot.domain.messages import Name


@dataclass(frozen=True)
class CommandContext:
    event_id: str
    sender: str
    sender_name: str
    ts: int
    room: AssemblyRoom
    assembly: Assembly
    invoked_as: str
    authority: Authority
    # Sent in the sender's direct chat with the bot; `room` is then that chat, worded and
    # counted like the sender's own assembly room.
    private: bool = False
    # The event the command message replies to, if any (`!fix` corrects the copy it replies to).
    reply_to: str | None = None
    # The sender's center (`People.center_of`); by default the center of the room they wrote in.
    sender_center: str | None = None

    @property
    def sender_person(self) -> Name:
        """The sender as every message names them: "Ana (US)"."""
        return Name(self.sender_name, center=self.sender_center or self.room.center)

    @property
    def language(self) -> str:
        return self.room.language

    @property
    def is_chair(self) -> bool:
        return self.authority.is_chair
