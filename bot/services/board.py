"""The meeting board's work: each assembly's link, and the board's state read from the stores.

Each assembly's board is opened by a link that holds an unguessable token. The tokens are kept
in the database and, for the web side that asks on every request, in memory: the memory is
refreshed once a change has committed, so a new token opens the board and the old one does not
from that moment.

`snapshot` reads the assembly as the rooms know it (the open meeting, its current item, the
speaker stack, open polls and their turnout, the meeting's latest result and log entries) into a
`BoardSnapshot`, with the translations the rooms were shown. It reads; it never writes, never
translates (the translation cache holds what the rooms were shown), and never calls Matrix.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import replace

from bot.domain.assembly import Assembly, AssemblyDirectory
from bot.domain.board import (
    MAX_ENTRIES_SHOWN,
    BoardSnapshot,
    CurrentItem,
    Entry,
    Floor,
    Seat,
    Waiting,
    spoken_by_center,
)
from bot.domain.meetings import CURRENT, PENDING, Meeting, Turn, speaking_record
from bot.domain.messages import UserText
from bot.domain.minutes import ACTION, AGREED
from bot.domain.polls import Poll, Progress, ResultView
from bot.domain.stack import SpeakerStack
from bot.domain.wording import adds_something
from bot.services.people import People
from bot.storage.board_store import BoardStore
from bot.storage.database import Database
from bot.storage.decisions_store import DecisionsStore
from bot.storage.meetings_store import MeetingsStore
from bot.storage.mirror_store import SqliteTranslationCache
from bot.storage.polls_store import PollsStore
from bot.storage.runtime_store import now_ms

# 32 bytes of randomness, 43 URL-safe characters: nobody guesses a board's address.
TOKEN_BYTES = 32
# Translations once found are kept in memory (they do not change); at most this many.
TRANSLATIONS_KEPT = 4000


class BoardService:
    def __init__(
        self,
        *,
        db: Database,
        store: BoardStore,
        meetings: MeetingsStore,
        polls: PollsStore,
        decisions: DecisionsStore,
        translations: SqliteTranslationCache,
        people: People,
        directory: AssemblyDirectory,
        clock: Callable[[], int] = now_ms,
        make_token: Callable[[], str] = lambda: secrets.token_urlsafe(TOKEN_BYTES),
    ) -> None:
        self._db = db
        self._store = store
        self._meetings = meetings
        self._polls = polls
        self._decisions = decisions
        self._translations = translations
        self._people = people
        self._directory = directory
        self._clock = clock
        self._make_token = make_token
        self._assembly_by_token: dict[str, str] = {}
        self._found: dict[tuple[str, str, str], str] = {}
        # Counts every change of tokens: live boards opened with an old one are closed.
        self.tokens_changed = 0

    # -- links ---------------------------------------------------------------------------------

    async def restore(self) -> None:
        """At start-up: the links made before keep opening their boards."""
        await self._reload()

    def assembly_of(self, token: str) -> Assembly | None:
        """The assembly whose board `token` opens; None for a wrong or an old token."""
        name = self._assembly_by_token.get(token)
        return self._directory.by_name(name) if name else None

    async def token(self, assembly: Assembly, asked_by: str) -> str:
        """The board's token, made on first asking (inside the caller's transaction)."""
        found = await self._store.token_of(assembly.name)
        return found if found is not None else await self.new_token(assembly, asked_by)

    async def new_token(self, assembly: Assembly, made_by: str) -> str:
        """A new token for the board; the old one opens nothing once this has committed."""
        token = self._make_token()
        async with self._db.transaction():
            await self._store.set_token(assembly.name, token, made_by, self._clock())
            self._db.after_commit(self._reload)
        return token

    async def _reload(self) -> None:
        self._assembly_by_token = await self._store.tokens()
        self.tokens_changed += 1

    # -- what the board shows ------------------------------------------------------------------

    async def meetings(self, assembly: Assembly) -> list[Meeting]:
        """The assembly's meetings, newest first."""
        return list(reversed(await self._meetings.meetings(assembly.name)))

    async def snapshot(self, assembly: Assembly) -> BoardSnapshot:
        meeting = await self._meetings.open_meeting(assembly.name)
        polls = tuple(await self._open_polls(assembly))
        base = BoardSnapshot(assembly=assembly.name, centers=assembly.centers, polls=polls)
        if meeting is not None:
            base = await self._in_meeting(base, assembly, meeting)
        return replace(base, translations=await self._translated(base))

    async def _in_meeting(
        self, base: BoardSnapshot, assembly: Assembly, meeting: Meeting
    ) -> BoardSnapshot:
        turns = await self._meetings.turns(meeting.id)
        stack = SpeakerStack.from_state(
            await self._meetings.hands(meeting.id),
            speaking_record(turns),
            meeting.stack_policy,
            meeting.next_hand_seq,
        )
        current = await self._current_item(assembly, meeting)
        return BoardSnapshot(
            assembly=base.assembly,
            centers=base.centers,
            meeting_id=meeting.id,
            title=UserText(meeting.title, meeting.title_language),
            item=current,
            upcoming=None if current else await self._upcoming(meeting),
            floor=self._floor(assembly, turns),
            waiting=tuple(
                Waiting(self._seat(assembly, hand.user_id, hand.center), hand.kind)
                for hand in stack.waiting()
            ),
            spoken=spoken_by_center(turns, assembly.centers),
            polls=base.polls,
            result=await self._latest_result(assembly, meeting),
            entries=tuple(await self._entries(assembly, meeting)),
        )

    async def _current_item(self, assembly: Assembly, meeting: Meeting) -> CurrentItem | None:
        agenda = await self._meetings.agenda(meeting.id)
        for position, item in enumerate(agenda, start=1):
            if item.status == CURRENT:
                owner = self._seat(assembly, item.owner) if item.owner else None
                return CurrentItem(
                    position=position,
                    of=len(agenda),
                    title=UserText(item.title, item.language),
                    started_at=item.started_at,
                    timebox_seconds=item.timebox_seconds,
                    owner=owner,
                )
        return None

    async def _upcoming(self, meeting: Meeting) -> UserText | None:
        pending = [i for i in await self._meetings.agenda(meeting.id) if i.status == PENDING]
        return UserText(pending[0].title, pending[0].language) if pending else None

    def _floor(self, assembly: Assembly, turns: Sequence[Turn]) -> Floor | None:
        current = next((turn for turn in reversed(turns) if turn.ended_at is None), None)
        if current is None:
            return None
        return Floor(
            speaker=self._seat(assembly, current.user_id, current.center),
            kind=current.kind,
            started_at=current.started_at,
            limit_seconds=current.limit_seconds,
        )

    async def _open_polls(self, assembly: Assembly) -> list[Progress]:
        """Open polls and how many have voted, per center: never who voted, nor how."""
        progress = []
        for poll in await self._polls.open_polls(assembly.name):
            ballots = [b for b in (await self._polls.ballots_of(poll)).values() if not b.spoiled]
            by_center = {c: sum(1 for b in ballots if b.center == c) for c in assembly.centers}
            progress.append(Progress(poll, len(ballots), by_center))
        return progress

    async def _latest_result(self, assembly: Assembly, meeting: Meeting) -> ResultView | None:
        """The result of the meeting's poll closed last, as the rooms were told it: the one
        tally, with a secret poll's small centers withheld (`ResultView.disclosure`)."""
        closed = [p for p in await self._polls.polls_of_meeting(meeting.id) if not p.is_open]
        if not closed:
            return None
        poll: Poll = max(closed, key=lambda p: (p.closed_at or 0, p.id or 0))
        ballots = await self._polls.ballots_of(poll)
        # Names are not shown on the board: the result names nobody there.
        return ResultView(poll, poll.tally(ballots, assembly.centers), ballots, {}, None)

    async def _entries(self, assembly: Assembly, meeting: Meeting) -> list[Entry]:
        records = [
            record
            for record in await self._decisions.entries_of_meeting(meeting.id)
            if record.kind in (AGREED, ACTION)
        ]
        return [
            Entry(
                kind=record.kind,
                number=record.number,
                text=UserText(record.text, record.language),
                owner=(
                    Seat(record.owner_name or record.owner, record.owner_center or "")
                    if record.owner
                    else None
                ),
                due=record.due,
            )
            for record in records[-MAX_ENTRIES_SHOWN:]
        ]

    def _seat(self, assembly: Assembly, user_id: str, center: str | None = None) -> Seat:
        name = self._people.display_name(assembly, user_id)
        return Seat(name, center or self._people.center_of(assembly, user_id))

    async def _translated(self, snapshot: BoardSnapshot) -> dict[tuple[str, str, str], str]:
        """What the translation cache holds of the quoted words, in every other language of
        the assembly: what the rooms were shown (the bot translates its messages' quotes
        through that cache)."""
        assembly = self._directory.by_name(snapshot.assembly)
        languages = list(dict.fromkeys(r.language for r in assembly.rooms)) if assembly else []
        found: dict[tuple[str, str, str], str] = {}
        for text in snapshot.quoted():
            for target in languages:
                if target == text.language:
                    continue
                key = (text.language, target, text.text)
                translated = self._found.get(key)
                if translated is None:
                    translated = await self._translations.any_provider(*key)
                    self._keep(key, translated)
                if translated:
                    found[key] = translated
        return found

    def _keep(self, key: tuple[str, str, str], translated: str | None) -> None:
        if not adds_something(translated, key[2]):
            return  # not translated (yet, or by a provider that gave it back): asked again
        if len(self._found) >= TRANSLATIONS_KEPT:
            self._found.clear()
        self._found[key] = translated
