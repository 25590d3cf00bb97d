"""All SQL for meetings: the meeting itself, its chairs, attendance, agenda, stack and turns.

Times are epoch milliseconds. Rows come back as frozen dataclasses; hands come back as the
domain's own `Hand`, so the service can rebuild a `SpeakerStack` from them directly.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import aiosqlite

from bot.domain.meetings import CURRENT, DONE, AgendaItem, Attendee, Meeting, Turn, TurnEnd
from bot.domain.stack import Hand, StackPolicy, TurnKind
from bot.storage.database import Database


def _meeting_from_row(row: aiosqlite.Row) -> Meeting:
    return Meeting(
        id=row["id"],
        assembly=row["assembly"],
        title=row["title"],
        title_language=row["title_language"],
        started_by=row["started_by"],
        started_at=row["started_at"],
        ended_at=row["ended_at"],
        stack_policy=StackPolicy(row["stack_policy"]),
        turn_limit_seconds=row["turn_limit_seconds"],
        next_hand_seq=row["next_hand_seq"],
        standing_chairs=tuple(json.loads(row["standing_chairs"] or "[]")),
    )


def _attendee_from_row(row: aiosqlite.Row) -> Attendee:
    return Attendee(row["user_id"], row["center"], row["how"], row["first_seen_at"])


def _agenda_item_from_row(row: aiosqlite.Row) -> AgendaItem:
    return AgendaItem(
        id=row["id"],
        meeting_id=row["meeting_id"],
        position=row["position"],
        title=row["title"],
        language=row["language"],
        timebox_seconds=row["timebox_seconds"],
        owner=row["owner"],
        added_by=row["added_by"],
        status=row["status"],
        started_at=row["started_at"],
        ended_at=row["ended_at"],
        timebox_notified=bool(row["timebox_notified"]),
        title_key=row["title_key"],
    )


def _turn_from_row(row: aiosqlite.Row) -> Turn:
    return Turn(
        id=row["id"],
        meeting_id=row["meeting_id"],
        agenda_item_id=row["agenda_item_id"],
        user_id=row["user_id"],
        center=row["center"],
        kind=TurnKind(row["kind"]),
        started_at=row["started_at"],
        ended_at=row["ended_at"],
        limit_seconds=row["limit_seconds"],
        limit_notified=bool(row["limit_notified"]),
        ended_by=TurnEnd(row["ended_by"]) if row["ended_by"] else None,
        last_word_at=row["last_word_at"],
    )


def _hand_from_row(row: aiosqlite.Row) -> Hand:
    return Hand(
        user_id=row["user_id"],
        center=row["center"],
        kind=TurnKind(row["kind"]),
        raised_seq=row["raised_seq"],
        priority=row["priority"],
    )


class MeetingsStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- meetings ---------------------------------------------------------------------------

    async def open_meeting(self, assembly: str) -> Meeting | None:
        row = await self.db.fetch_one(
            "SELECT * FROM meetings WHERE assembly = ? AND ended_at IS NULL", (assembly,)
        )
        return _meeting_from_row(row) if row else None

    async def open_meetings(self) -> list[Meeting]:
        rows = await self.db.fetch_all("SELECT * FROM meetings WHERE ended_at IS NULL ORDER BY id")
        return [_meeting_from_row(row) for row in rows]

    async def meeting(self, meeting_id: int) -> Meeting | None:
        row = await self.db.fetch_one("SELECT * FROM meetings WHERE id = ?", (meeting_id,))
        return _meeting_from_row(row) if row else None

    async def meetings(self, assembly: str | None = None) -> list[Meeting]:
        """Every meeting (of one assembly), oldest first, as `asamblea meetings` lists them."""
        sql = "SELECT * FROM meetings"
        params: tuple[str, ...] = ()
        if assembly is not None:
            sql, params = sql + " WHERE assembly = ?", (assembly,)
        rows = await self.db.fetch_all(sql + " ORDER BY id", params)
        return [_meeting_from_row(row) for row in rows]

    async def latest_meeting(self, assembly: str) -> Meeting | None:
        """The open meeting, or else the one that started last."""
        row = await self.db.fetch_one(
            "SELECT * FROM meetings WHERE assembly = ? "
            "ORDER BY ended_at IS NULL DESC, started_at DESC, id DESC LIMIT 1",
            (assembly,),
        )
        return _meeting_from_row(row) if row else None

    async def create_meeting(
        self,
        *,
        assembly: str,
        title: str,
        title_language: str,
        started_by: str,
        started_at: int,
        stack_policy: StackPolicy,
        turn_limit_seconds: int | None,
        standing_chairs: Iterable[str] = (),
    ) -> Meeting:
        meeting_id = await self.db.execute(
            "INSERT INTO meetings (assembly, title, title_language, started_by, started_at, "
            "stack_policy, turn_limit_seconds, standing_chairs) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                assembly,
                title,
                title_language,
                started_by,
                started_at,
                str(stack_policy),
                turn_limit_seconds,
                json.dumps(list(standing_chairs)),
            ),
        )
        meeting = await self.meeting(meeting_id)
        assert meeting is not None
        return meeting

    async def end_meeting(self, meeting_id: int, ended_at: int) -> None:
        await self.db.execute(
            "UPDATE meetings SET ended_at = ? WHERE id = ?", (ended_at, meeting_id)
        )

    async def set_policy(self, meeting_id: int, policy: StackPolicy) -> None:
        await self.db.execute(
            "UPDATE meetings SET stack_policy = ? WHERE id = ?", (str(policy), meeting_id)
        )

    async def set_turn_limit(self, meeting_id: int, seconds: int | None) -> None:
        await self.db.execute(
            "UPDATE meetings SET turn_limit_seconds = ? WHERE id = ?", (seconds, meeting_id)
        )

    # -- chairs -----------------------------------------------------------------------------

    async def add_chair(self, meeting_id: int, user_id: str, added_by: str, at: int) -> bool:
        """False when the person already chairs this meeting."""
        changed = await self.db.execute_rowcount(
            "INSERT OR IGNORE INTO meeting_chairs (meeting_id, user_id, added_by, added_at) "
            "VALUES (?, ?, ?, ?)",
            (meeting_id, user_id, added_by, at),
        )
        return changed == 1

    async def remove_chair(self, meeting_id: int, user_id: str) -> bool:
        changed = await self.db.execute_rowcount(
            "DELETE FROM meeting_chairs WHERE meeting_id = ? AND user_id = ?",
            (meeting_id, user_id),
        )
        return changed == 1

    async def chairs(self, meeting_id: int) -> list[str]:
        rows = await self.db.fetch_all(
            "SELECT user_id FROM meeting_chairs WHERE meeting_id = ? ORDER BY added_at, rowid",
            (meeting_id,),
        )
        return [row["user_id"] for row in rows]

    # -- attendance -------------------------------------------------------------------------

    async def mark_present(
        self, meeting_id: int, user_id: str, center: str, how: str, at: int
    ) -> bool:
        """False when the person was already marked present (the first way counts)."""
        changed = await self.db.execute_rowcount(
            "INSERT OR IGNORE INTO attendance (meeting_id, user_id, center, how, first_seen_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (meeting_id, user_id, center, how, at),
        )
        return changed == 1

    async def attendance(self, meeting_id: int) -> list[Attendee]:
        rows = await self.db.fetch_all(
            "SELECT * FROM attendance WHERE meeting_id = ? ORDER BY first_seen_at, rowid",
            (meeting_id,),
        )
        return [_attendee_from_row(row) for row in rows]

    # -- agenda -----------------------------------------------------------------------------

    async def agenda(self, meeting_id: int) -> list[AgendaItem]:
        rows = await self.db.fetch_all(
            "SELECT * FROM agenda_items WHERE meeting_id = ? ORDER BY position, id",
            (meeting_id,),
        )
        return [_agenda_item_from_row(row) for row in rows]

    async def item(self, item_id: int) -> AgendaItem | None:
        row = await self.db.fetch_one("SELECT * FROM agenda_items WHERE id = ?", (item_id,))
        return _agenda_item_from_row(row) if row else None

    async def current_item(self, meeting_id: int) -> AgendaItem | None:
        row = await self.db.fetch_one(
            "SELECT * FROM agenda_items WHERE meeting_id = ? AND status = ?",
            (meeting_id, CURRENT),
        )
        return _agenda_item_from_row(row) if row else None

    async def add_item(
        self,
        meeting_id: int,
        *,
        title: str,
        language: str,
        timebox_seconds: int | None,
        owner: str | None,
        added_by: str,
        title_key: str | None = None,
    ) -> AgendaItem:
        item_id = await self.db.execute(
            "INSERT INTO agenda_items (meeting_id, position, title, language, timebox_seconds, "
            "owner, added_by, title_key) VALUES (?, (SELECT COALESCE(MAX(position), 0) + 1 FROM "
            "agenda_items WHERE meeting_id = ?), ?, ?, ?, ?, ?, ?)",
            (meeting_id, meeting_id, title, language, timebox_seconds, owner, added_by, title_key),
        )
        item = await self.item(item_id)
        assert item is not None
        return item

    async def remove_item(self, item_id: int) -> None:
        await self.db.execute("DELETE FROM agenda_items WHERE id = ?", (item_id,))

    async def reorder(self, order: Iterable[int]) -> None:
        """Number the given items 1, 2, 3… in the order given."""
        await self.db.executemany(
            "UPDATE agenda_items SET position = ? WHERE id = ?",
            [(position, item_id) for position, item_id in enumerate(order, start=1)],
        )

    async def start_item(self, item_id: int, at: int) -> None:
        await self.db.execute(
            "UPDATE agenda_items SET status = ?, started_at = ? WHERE id = ?",
            (CURRENT, at, item_id),
        )

    async def finish_item(self, item_id: int, at: int) -> None:
        await self.db.execute(
            "UPDATE agenda_items SET status = ?, ended_at = ? WHERE id = ?", (DONE, at, item_id)
        )

    async def claim_timebox_notice(self, item_id: int) -> bool:
        """True exactly once per item, and only while it is still being discussed."""
        changed = await self.db.execute_rowcount(
            "UPDATE agenda_items SET timebox_notified = 1 "
            "WHERE id = ? AND status = ? AND timebox_notified = 0",
            (item_id, CURRENT),
        )
        return changed == 1

    # -- the speaker stack ------------------------------------------------------------------

    async def hands(self, meeting_id: int) -> list[Hand]:
        rows = await self.db.fetch_all(
            "SELECT * FROM hands WHERE meeting_id = ? ORDER BY raised_seq", (meeting_id,)
        )
        return [_hand_from_row(row) for row in rows]

    async def add_hand(self, meeting_id: int, hand: Hand, at: int) -> None:
        await self.db.execute(
            "INSERT INTO hands (meeting_id, user_id, center, kind, raised_seq, priority, "
            "raised_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                meeting_id,
                hand.user_id,
                hand.center,
                str(hand.kind),
                hand.raised_seq,
                hand.priority,
                at,
            ),
        )
        await self.db.execute(
            "UPDATE meetings SET next_hand_seq = MAX(next_hand_seq, ?) WHERE id = ?",
            (hand.raised_seq + 1, meeting_id),
        )

    async def remove_hands(self, meeting_id: int, hands: Iterable[Hand]) -> None:
        await self.db.executemany(
            "DELETE FROM hands WHERE meeting_id = ? AND user_id = ? AND kind = ?",
            [(meeting_id, hand.user_id, str(hand.kind)) for hand in hands],
        )

    # -- turns ------------------------------------------------------------------------------

    async def turns(self, meeting_id: int) -> list[Turn]:
        rows = await self.db.fetch_all(
            "SELECT * FROM turns WHERE meeting_id = ? ORDER BY id", (meeting_id,)
        )
        return [_turn_from_row(row) for row in rows]

    async def turn(self, turn_id: int) -> Turn | None:
        row = await self.db.fetch_one("SELECT * FROM turns WHERE id = ?", (turn_id,))
        return _turn_from_row(row) if row else None

    async def current_turn(self, meeting_id: int) -> Turn | None:
        row = await self.db.fetch_one(
            "SELECT * FROM turns WHERE meeting_id = ? AND ended_at IS NULL", (meeting_id,)
        )
        return _turn_from_row(row) if row else None

    async def open_turns(self) -> list[Turn]:
        rows = await self.db.fetch_all("SELECT * FROM turns WHERE ended_at IS NULL ORDER BY id")
        return [_turn_from_row(row) for row in rows]

    async def start_turn(
        self,
        meeting_id: int,
        hand: Hand,
        *,
        agenda_item_id: int | None,
        at: int,
        limit_seconds: int | None,
    ) -> Turn:
        turn_id = await self.db.execute(
            "INSERT INTO turns (meeting_id, agenda_item_id, user_id, center, kind, started_at, "
            "limit_seconds) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                meeting_id,
                agenda_item_id,
                hand.user_id,
                hand.center,
                str(hand.kind),
                at,
                limit_seconds,
            ),
        )
        turn = await self.turn(turn_id)
        assert turn is not None
        return turn

    async def end_turn(self, turn_id: int, at: int, by: TurnEnd) -> None:
        await self.db.execute(
            "UPDATE turns SET ended_at = ?, ended_by = ? WHERE id = ? AND ended_at IS NULL",
            (at, str(by), turn_id),
        )

    async def note_word(self, turn_id: int, at: int) -> None:
        """The speaker wrote in the meeting's rooms while the turn was theirs."""
        await self.db.execute(
            "UPDATE turns SET last_word_at = ? WHERE id = ? AND ended_at IS NULL", (at, turn_id)
        )

    async def claim_limit_notice(self, turn_id: int) -> bool:
        """True exactly once per turn, and only while the person still has the floor."""
        changed = await self.db.execute_rowcount(
            "UPDATE turns SET limit_notified = 1 "
            "WHERE id = ? AND ended_at IS NULL AND limit_notified = 0",
            (turn_id,),
        )
        return changed == 1

    # -- messages that show the stack (a ✋ on the latest one raises a hand) ----------------

    async def remember_stack_message(self, meeting_id: int, room_id: str, outbox_id: int) -> None:
        await self.db.execute(
            "INSERT INTO stack_messages (meeting_id, room_id, outbox_id) VALUES (?, ?, ?) "
            "ON CONFLICT (meeting_id, room_id) DO UPDATE SET outbox_id = excluded.outbox_id",
            (meeting_id, room_id, outbox_id),
        )

    async def outbox_ids_in_use(self) -> set[int]:
        """The stack messages' outbox rows, kept from pruning: a ✋ on one still finds it."""
        rows = await self.db.fetch_all("SELECT outbox_id FROM stack_messages")
        return {row["outbox_id"] for row in rows}

    async def stack_message(self, meeting_id: int, room_id: str) -> int | None:
        row = await self.db.fetch_one(
            "SELECT outbox_id FROM stack_messages WHERE meeting_id = ? AND room_id = ?",
            (meeting_id, room_id),
        )
        return row["outbox_id"] if row else None
