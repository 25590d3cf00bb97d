"""Who may do what in an assembly: the one written-down authority model.

Three roles, kept apart because the two centers do not have to trust each other's admins:

- a **standing chair** is named in the configuration (`chairs`), or, where the assembly opts in
  (`power_level_chairs`), is a moderator in *every* room of the assembly, so that no single
  room's admin can make one. Standing chairs act on the whole assembly;
- a **meeting chair** is the opener of the open meeting or someone the opener or a standing chair
  named with `!chair`. Meeting chairs act on that meeting only: its agenda, stack, polls and log;
- a **member** sits in one of the assembly's rooms: speaks, raises a hand, votes, adds notes.

Beside them, an **interpreter** (named in `interpreters`, or by a standing chair with
`!interpreter`) carries meaning across the languages: corrects machine copies, keeps the glossary
and the translation memory, and goes on duty. Where the assembly allows it (`members_may_fix`),
every member may correct a copy too.

Commands declare the `Role` they need; the router checks it with `Authority.has`. Rules about
*which* record a chair may touch (an earlier meeting's poll, someone else's schedule) are the
`reaches_*` methods, asked by the services that own those records. The README's "Who may do
what" table is checked against this module by a test.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

# The power level that makes a moderator in Matrix clients.
MODERATOR_POWER = 50


class Role(StrEnum):
    """What a command needs of the person who sends it."""

    ANYONE = "anyone"
    # Opens a meeting: standing chairs, or anyone where `who_may_start = "anyone"`.
    OPENER = "opener"
    # A chair of the open meeting, or a standing chair.
    CHAIR = "chair"
    # Names or removes meeting chairs: the meeting's opener, or a standing chair.
    CHAIR_NAMER = "chair_namer"
    STANDING_CHAIR = "standing_chair"
    # An interpreter of the assembly.
    INTERPRETER = "interpreter"
    # Keeps the glossary and the translation memory: interpreters and chairs.
    LANGUAGE_KEEPER = "language_keeper"
    # Corrects a machine copy: interpreters, or every member where `members_may_fix`.
    CORRECTOR = "corrector"
    # Ends a turn: the person who has the floor, or a chair.
    SPEAKER = "speaker"
    # Gets the meeting board's link: chairs, or every member where `board_public`.
    BOARD_VIEWER = "board_viewer"


class WhoMayStart(StrEnum):
    CHAIRS = "chairs"
    ANYONE = "anyone"


@dataclass(frozen=True)
class Authority:
    """What one person may do in one assembly, right now."""

    user_id: str
    standing: bool = False
    # The open meeting, if any, and the person's place in it.
    meeting_id: int | None = None
    chairs_meeting: bool = False
    opened_meeting: bool = False
    who_may_start: WhoMayStart = WhoMayStart.CHAIRS
    interpreter: bool = False
    members_may_fix: bool = False
    # Has the floor in the open meeting.
    holds_floor: bool = False
    board_public: bool = False

    @property
    def is_chair(self) -> bool:
        return self.standing or self.chairs_meeting

    def has(self, role: Role) -> bool:
        if role is Role.ANYONE:
            return True
        if role is Role.OPENER:
            return self.standing or self.who_may_start is WhoMayStart.ANYONE
        if role is Role.CHAIR:
            return self.is_chair
        if role is Role.CHAIR_NAMER:
            return self.standing or self.opened_meeting
        if role is Role.INTERPRETER:
            return self.interpreter
        if role is Role.LANGUAGE_KEEPER:
            return self.interpreter or self.is_chair
        if role is Role.CORRECTOR:
            return self.interpreter or self.members_may_fix
        if role is Role.SPEAKER:
            return self.holds_floor or self.is_chair
        if role is Role.BOARD_VIEWER:
            return self.is_chair or self.board_public
        return self.standing

    def reaches_meeting(self, meeting_id: int | None) -> bool:
        """May act on a record (a poll, a log entry) of that meeting: standing chairs on any,
        meeting chairs on their own meeting's only."""
        if self.standing:
            return True
        return self.chairs_meeting and meeting_id is not None and meeting_id == self.meeting_id

    def reaches_schedule(self, created_by: str) -> bool:
        """May cancel a schedule: one's own, or any for a standing chair."""
        return self.standing or created_by == self.user_id


@dataclass(frozen=True)
class Chair:
    """A person who holds a chair's role, as a refusal names them."""

    user_id: str
    name: str
    # None for someone who sits in none of the assembly's rooms.
    center: str | None = None


@dataclass(frozen=True)
class ChairsNow:
    """Who holds the chairs' roles in an assembly right now: what a refused command tells the
    person who sent it, so they know whom to ask."""

    standing: tuple[Chair, ...]
    # The open meeting's own chairs, its opener first; None when no meeting is open.
    meeting: tuple[Chair, ...] | None = None
    opener: Chair | None = None
    interpreters: tuple[Chair, ...] = ()
    # Whoever has the floor in the open meeting, if anyone.
    speaker: Chair | None = None

    def holders(self, role: Role) -> tuple[Chair, ...]:
        """Everyone who may now use a command that needs `role` (in `Authority.has`'s order:
        the meeting's own people first, then the standing chairs)."""
        if role in (Role.CHAIR, Role.BOARD_VIEWER) and self.meeting is not None:
            return _once((*self.meeting, *self.standing))
        if role is Role.SPEAKER and self.meeting is not None:
            speaker = (self.speaker,) if self.speaker else ()
            return _once((*speaker, *self.meeting, *self.standing))
        if role is Role.CHAIR_NAMER and self.opener is not None:
            return _once((self.opener, *self.standing))
        if role in (Role.INTERPRETER, Role.CORRECTOR):
            return self.interpreters
        if role is Role.LANGUAGE_KEEPER:
            return _once((*self.interpreters, *(self.meeting or ()), *self.standing))
        return self.standing

    def refusal_key(self, role: Role) -> str:
        """The catalog key that explains a refusal of a command needing `role`. A meeting's
        roles with no meeting open are explained by who may open one."""
        in_meeting = (Role.CHAIR, Role.CHAIR_NAMER, Role.SPEAKER, Role.BOARD_VIEWER)
        if role in in_meeting and self.meeting is None:
            return "error.needs.no_meeting"
        if role is Role.BOARD_VIEWER:
            return "error.needs.chair"  # refused only where the board is the chairs' alone
        if role in (Role.INTERPRETER, Role.CORRECTOR) and not self.interpreters:
            return "error.needs.no_interpreters"
        return f"error.needs.{role}"


def _once(chairs: tuple[Chair, ...]) -> tuple[Chair, ...]:
    """Each person once, where they first appear."""
    first: dict[str, Chair] = {}
    for chair in chairs:
        first.setdefault(chair.user_id, chair)
    return tuple(first.values())


def open_to_members(role: Role, authority: Authority) -> bool:
    """Whether every member may use a command that needs `role` (as help tells them): ending
    a turn is for whoever has the floor, which any member may; the board's link is for every
    member where the assembly makes it public."""
    if role is Role.OPENER:
        return authority.who_may_start is WhoMayStart.ANYONE
    if role is Role.BOARD_VIEWER:
        return authority.board_public
    return role in (Role.ANYONE, Role.SPEAKER)


def moderator_everywhere(levels: list[int]) -> bool:
    """Power-level chairs: a moderator in every room of the assembly, not just one, so that no
    single room's admin can hand out assembly-wide powers."""
    return bool(levels) and all(level >= MODERATOR_POWER for level in levels)
