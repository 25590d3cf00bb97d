"""Polls' SQL: polls, each room's poll start event, every response, a secret poll's sealed counts,
and each person's direct chat for secret ballots. A poll's outcome goes to the decisions store."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import aiosqlite

from bot.domain.polls import Poll
from bot.domain.secrecy import DEFAULT_SECRET_FLOOR
from bot.domain.tally import Ballot, DecisionRule, PollKind, Quorum, Response
from bot.storage.database import Database


def _poll_from_row(row: aiosqlite.Row) -> Poll:
    overall, per_center = row["quorum_overall"], row["quorum_per_center"]
    return Poll(
        id=row["id"],
        assembly=row["assembly"],
        meeting_id=row["meeting_id"],
        kind=PollKind(row["kind"]),
        rule=DecisionRule(row["rule"]) if row["rule"] else None,
        question=row["question"],
        language=row["language"],
        options=tuple(json.loads(row["options"])),
        max_selections=row["max_selections"],
        secret=bool(row["secret"]),
        ballot_key=row["ballot_key"],
        quorum=Quorum(overall, per_center) if overall or per_center else None,
        deadline_at=row["deadline_at"],
        created_by=row["created_by"],
        created_in=row["created_in"],
        created_at=row["created_at"],
        source_event_id=row["source_event_id"],
        numbered_in=row["numbered_in"],
        closed_at=row["closed_at"],
        closed_by=row["closed_by"],
        number=row["number"],
        # Polls opened before the floor was kept take the default one.
        secret_floor=row["secret_floor"] or DEFAULT_SECRET_FLOOR,
    )


@dataclass(frozen=True)
class PollRoom:
    """A poll's start event in one room; `start_event_id` is known once it has been sent."""

    poll_id: int
    room_id: str
    language: str
    outbox_id: int
    start_event_id: str | None
    private: bool = False  # a ballot in one person's direct chat, not an assembly room

    @classmethod
    def from_row(cls, row: aiosqlite.Row) -> PollRoom:
        return cls(
            poll_id=row["poll_id"],
            room_id=row["room_id"],
            language=row["language"],
            outbox_id=row["outbox_id"],
            start_event_id=row["start_event_id"],
            private=bool(row["private"]),
        )


def _response_from_row(row: aiosqlite.Row) -> Response:
    return Response(
        voter=row["voter"],
        center=row["center"],
        answers=tuple(json.loads(row["answers"])),
        ts=row["ts"],
        reason=row["reason"],
    )


class PollsStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- polls ---------------------------------------------------------------------------------

    async def create(self, poll: Poll) -> int:
        """Keep a poll asked for (one without an id yet), numbered after the others of its
        numbering, and give its id."""
        quorum = poll.quorum or Quorum()
        return await self.db.execute(
            "INSERT INTO polls (assembly, meeting_id, kind, rule, question, language, options, "
            "max_selections, secret, ballot_key, quorum_overall, quorum_per_center, deadline_at, "
            "created_by, created_in, source_event_id, created_at, numbered_in, secret_floor, "
            "number) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
            "(SELECT ifnull(max(number), 0) + 1 FROM polls WHERE assembly = ? "
            "AND numbered_in IS ?))",
            (
                poll.assembly,
                poll.meeting_id,
                str(poll.kind),
                str(poll.rule) if poll.rule else None,
                poll.question,
                poll.language,
                json.dumps(list(poll.options), ensure_ascii=False),
                poll.max_selections,
                int(poll.secret),
                poll.ballot_key,
                quorum.overall_min,
                quorum.per_center_min,
                poll.deadline_at,
                poll.created_by,
                poll.created_in,
                poll.source_event_id,
                poll.created_at,
                poll.numbered_in,
                poll.secret_floor,
                poll.assembly,
                poll.numbered_in,
            ),
        )

    async def poll(self, poll_id: int) -> Poll | None:
        row = await self.db.fetch_one("SELECT * FROM polls WHERE id = ?", (poll_id,))
        return _poll_from_row(row) if row else None

    async def numbered(self, assembly: str, numbered_in: int | None, number: int) -> Poll | None:
        """Poll #number in the numbering of meeting `numbered_in` (None: before any meeting)."""
        row = await self.db.fetch_one(
            "SELECT * FROM polls WHERE assembly = ? AND numbered_in IS ? AND number = ?",
            (assembly, numbered_in, number),
        )
        return _poll_from_row(row) if row else None

    async def open_numbered(self, assembly: str, number: int) -> Poll | None:
        """The newest open poll numbered `number` in any meeting's numbering."""
        row = await self.db.fetch_one(
            "SELECT * FROM polls WHERE assembly = ? AND number = ? AND closed_at IS NULL "
            "ORDER BY id DESC LIMIT 1",
            (assembly, number),
        )
        return _poll_from_row(row) if row else None

    async def open_polls(self, assembly: str) -> list[Poll]:
        rows = await self.db.fetch_all(
            "SELECT * FROM polls WHERE assembly = ? AND closed_at IS NULL ORDER BY id",
            (assembly,),
        )
        return [_poll_from_row(row) for row in rows]

    async def latest_poll(self, assembly: str) -> Poll | None:
        row = await self.db.fetch_one(
            "SELECT * FROM polls WHERE assembly = ? ORDER BY id DESC LIMIT 1", (assembly,)
        )
        return _poll_from_row(row) if row else None

    async def polls_of_meeting(self, meeting_id: int) -> list[Poll]:
        rows = await self.db.fetch_all(
            "SELECT * FROM polls WHERE meeting_id = ? ORDER BY id", (meeting_id,)
        )
        return [_poll_from_row(row) for row in rows]

    async def deadlines(self) -> list[tuple[int, int]]:
        """(poll id, deadline) of every open poll that has a deadline, in any assembly."""
        rows = await self.db.fetch_all(
            "SELECT id, deadline_at FROM polls "
            "WHERE closed_at IS NULL AND deadline_at IS NOT NULL ORDER BY deadline_at"
        )
        return [(row["id"], row["deadline_at"]) for row in rows]

    async def close(self, poll_id: int, closed_at: int, closed_by: str | None) -> bool:
        """Close an open poll, erasing a secret poll's ballot key; False if it was closed."""
        changed = await self.db.execute_rowcount(
            "UPDATE polls SET closed_at = ?, closed_by = ?, ballot_key = NULL "
            "WHERE id = ? AND closed_at IS NULL",
            (closed_at, closed_by, poll_id),
        )
        return changed == 1

    # -- each room's poll start event ------------------------------------------------------------

    async def add_room(
        self, poll_id: int, room_id: str, language: str, outbox_id: int, *, private: bool = False
    ) -> None:
        await self.db.execute(
            "INSERT INTO poll_rooms (poll_id, room_id, language, outbox_id, private) "
            "VALUES (?, ?, ?, ?, ?)",
            (poll_id, room_id, language, outbox_id, int(private)),
        )

    async def outbox_ids_in_use(self) -> set[int]:
        """The poll starts' outbox rows, kept from pruning: each poll is ended through them."""
        rows = await self.db.fetch_all("SELECT outbox_id FROM poll_rooms")
        return {row["outbox_id"] for row in rows}

    async def outbox_id_in(self, poll_id: int, room_id: str) -> int | None:
        """The outbox row of the poll's start event in the room, if it was posted there."""
        row = await self.db.fetch_one(
            "SELECT outbox_id FROM poll_rooms WHERE poll_id = ? AND room_id = ?",
            (poll_id, room_id),
        )
        return row["outbox_id"] if row else None

    async def drop_room(self, poll_id: int, room_id: str) -> None:
        """Forget a start event that never reached the room (it is posted anew)."""
        await self.db.execute(
            "DELETE FROM poll_rooms WHERE poll_id = ? AND room_id = ?", (poll_id, room_id)
        )

    async def rooms_of(self, poll_id: int) -> list[PollRoom]:
        rows = await self.db.fetch_all(
            "SELECT * FROM poll_rooms WHERE poll_id = ? ORDER BY rowid", (poll_id,)
        )
        return [PollRoom.from_row(row) for row in rows]

    async def room_by_start(self, start_event_id: str) -> PollRoom | None:
        row = await self.db.fetch_one(
            "SELECT * FROM poll_rooms WHERE start_event_id = ?", (start_event_id,)
        )
        return PollRoom.from_row(row) if row else None

    async def unlearned_rooms(self) -> list[PollRoom]:
        """Start events of open polls whose event id is not yet known here."""
        rows = await self.db.fetch_all(
            "SELECT poll_rooms.* FROM poll_rooms JOIN polls ON polls.id = poll_rooms.poll_id "
            "WHERE poll_rooms.start_event_id IS NULL AND polls.closed_at IS NULL"
        )
        return [PollRoom.from_row(row) for row in rows]

    async def learn_start(self, poll_id: int, room_id: str, start_event_id: str) -> None:
        await self.db.execute(
            "UPDATE poll_rooms SET start_event_id = ? WHERE poll_id = ? AND room_id = ?",
            (start_event_id, poll_id, room_id),
        )

    # -- responses -------------------------------------------------------------------------------

    async def add_response(
        self,
        poll_id: int,
        *,
        event_id: str,
        room_id: str,
        voter: str,
        center: str,
        answers: Sequence[str],
        reason: str | None,
        ts: int,
        via: str,
    ) -> None:
        """Keep one response; the same event recorded twice is kept once."""
        await self.db.execute(
            "INSERT OR IGNORE INTO poll_responses "
            "(poll_id, event_id, room_id, voter, center, answers, reason, ts, via) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                poll_id,
                event_id,
                room_id,
                voter,
                center,
                json.dumps(list(answers), ensure_ascii=False),
                reason,
                ts,
                via,
            ),
        )

    async def responses(self, poll_id: int) -> list[Response]:
        """Every response in the order received (ties on ts go to the later one)."""
        rows = await self.db.fetch_all(
            "SELECT * FROM poll_responses WHERE poll_id = ? ORDER BY id", (poll_id,)
        )
        return [_response_from_row(row) for row in rows]

    async def seal(self, poll_id: int, ballots: Sequence[Ballot]) -> None:
        """Keep of a secret poll's ballots only how many of each center said the same thing, and
        delete the responses (their events, rooms, times and voters' keys) for good."""
        sealed: dict[tuple[str, str, bool, str | None], int] = {}
        for ballot in ballots:
            answers = json.dumps(sorted(ballot.answers), ensure_ascii=False)
            key = (ballot.center, answers, ballot.spoiled, ballot.reason)
            sealed[key] = sealed.get(key, 0) + 1
        await self.db.executemany(
            "INSERT INTO secret_counts (poll_id, center, answers, spoiled, reason, ballots) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [
                (poll_id, center, answers, int(spoiled), reason, count)
                for (center, answers, spoiled, reason), count in sorted(
                    sealed.items(), key=lambda item: (item[0][0], item[0][1], item[0][3] or "")
                )
            ],
        )
        await self.db.execute("DELETE FROM poll_responses WHERE poll_id = ?", (poll_id,))

    async def ballots_of(self, poll: Poll) -> dict[str, Ballot]:
        """The ballots a poll's tally counts: a closed secret poll's sealed counts, or else each
        voter's response as it stands (or stood at the close)."""
        sealed = await self.sealed_ballots(poll.id) if poll.secret else []
        if sealed:
            return {ballot.voter: ballot for ballot in sealed}
        # An open poll, or one closed before secret ballots were sealed.
        return poll.ballots(await self.responses(poll.id))

    async def sealed_ballots(self, poll_id: int) -> list[Ballot]:
        """A closed secret poll's ballots, rebuilt from its counts and belonging to no one."""
        rows = await self.db.fetch_all(
            "SELECT * FROM secret_counts WHERE poll_id = ? ORDER BY rowid", (poll_id,)
        )
        ballots = []
        for row in rows:
            for _ in range(row["ballots"]):
                ballots.append(
                    Ballot(
                        voter=f"sealed:{len(ballots)}",
                        center=row["center"],
                        answers=tuple(json.loads(row["answers"])),
                        ts=0,
                        reason=row["reason"],
                        spoiled=bool(row["spoiled"]),
                    )
                )
        return ballots

    # -- each person's direct chat with the bot -------------------------------------------------

    async def ballot_rooms(self) -> dict[str, str]:
        """Direct chat → the person it is with."""
        rows = await self.db.fetch_all(
            "SELECT user_id, room_id FROM ballot_rooms WHERE room_id IS NOT NULL"
        )
        return {row["room_id"]: row["user_id"] for row in rows}

    async def ballot_room_of(self, user_id: str) -> str | None:
        row = await self.db.fetch_one(
            "SELECT room_id FROM ballot_rooms WHERE user_id = ?", (user_id,)
        )
        return row["room_id"] if row else None

    async def want_ballot_room(self, user_id: str, requested_at: int) -> None:
        """Ask for a new direct chat with the person (the bot creates it outside transactions)."""
        await self.db.execute(
            "INSERT INTO ballot_rooms (user_id, room_id, requested_at) VALUES (?, NULL, ?) "
            "ON CONFLICT (user_id) DO UPDATE "
            "SET room_id = NULL, requested_at = excluded.requested_at",
            (user_id, requested_at),
        )

    async def wanted_ballot_rooms(self) -> list[str]:
        rows = await self.db.fetch_all(
            "SELECT user_id FROM ballot_rooms WHERE room_id IS NULL ORDER BY requested_at"
        )
        return [row["user_id"] for row in rows]

    async def drop_ballot_room(self, user_id: str, room_id: str) -> None:
        """The chat is no longer the person's: the next `!ballot` makes a new one."""
        await self.db.execute(
            "DELETE FROM ballot_rooms WHERE user_id = ? AND room_id = ?", (user_id, room_id)
        )

    async def set_ballot_room(self, user_id: str, room_id: str, at: int) -> None:
        await self.db.execute(
            "INSERT INTO ballot_rooms (user_id, room_id, requested_at) VALUES (?, ?, ?) "
            "ON CONFLICT (user_id) DO UPDATE SET room_id = excluded.room_id",
            (user_id, room_id, at),
        )
