"""Polls: one poll shown as a native Matrix poll in every room, counted as one, logged when closed.

A poll is created from any room; its start event is queued once per room, worded in that room's
language, with the same answer ids everywhere. Votes come as native poll responses (from any of
those start events) or as `!vote` commands, and all of them land in one table; the tally is made
from that table at close, under the rule chosen when the poll was created, and the outcome goes
into the decision log that the minutes read.
"""

from __future__ import annotations

import logging
import secrets
from functools import partial
from typing import Any

from bot.delivery import Delivery
from bot.domain.assembly import Assembly, AssemblyDirectory, AssemblyRoom
from bot.domain.errors import CommandError
from bot.domain.events import POLL_RESPONSE_TYPES, IncomingEvent
from bot.domain.outcomes import refusal, reply
from bot.domain.polls import (
    BallotChoice,
    Poll,
    PollRequest,
    Progress,
    ResultView,
    decision_details,
    joined,
    needs_reason,
    outcome_of,
    privately,
    reason_request,
    vote_privately,
)
from bot.domain.secrecy import below_floor
from bot.domain.tally import Ballot, TallyResult
from bot.services.people import People
from bot.services.timers import Timers, instant
from bot.storage.database import Database
from bot.storage.decisions_store import DecisionsStore
from bot.storage.meetings_store import MeetingsStore
from bot.storage.polls_store import PollRoom, PollsStore
from bot.storage.runtime_store import RuntimeStore, txn_id

log = logging.getLogger(__name__)

# A hostile response must not fill the database: more answers than any poll has (Element allows
# 20), or ids longer than ours, spoil the response instead of being stored.
MAX_RESPONSE_ANSWERS = 20
MAX_ANSWER_ID_CHARS = 64
SPOILED = ""  # never a valid answer id, so a malformed response counts as spoiled


# -- what a poll and a vote are made of ----------------------------------------------------------


def answers_of(content: dict[str, Any]) -> tuple[str, ...]:
    """The answer ids of a native response; a malformed one counts as spoiled, never crashes."""
    unstable = content.get("org.matrix.msc3381.poll.response")
    raw = unstable.get("answers") if isinstance(unstable, dict) else content.get("m.selections")
    if not isinstance(raw, list) or len(raw) > MAX_RESPONSE_ANSWERS:
        return (SPOILED,)
    if not all(isinstance(a, str) and 0 < len(a) <= MAX_ANSWER_ID_CHARS for a in raw):
        return (SPOILED,)
    return tuple(raw)


def is_poll_response(event: IncomingEvent) -> bool:
    return (
        event.type in POLL_RESPONSE_TYPES
        and event.rel_type == "m.reference"
        and event.relates_to is not None
    )


# -- the service ----------------------------------------------------------------------------------


class PollService:
    def __init__(
        self,
        *,
        db: Database,
        store: PollsStore,
        meetings: MeetingsStore,
        decisions: DecisionsStore,
        runtime: RuntimeStore,
        delivery: Delivery,
        people: People,
        directory: AssemblyDirectory,
        prefix: str,
        timers: Timers | None = None,
    ) -> None:
        self._db = db
        self._store = store
        self._meetings = meetings
        self._decisions = decisions
        self._runtime = runtime
        self._delivery = delivery
        self._people = people
        self._directory = directory
        self._prefix = prefix
        self._timers = timers
        delivery.add_finisher("poll_start", self._finish_start)

    # -- opening -------------------------------------------------------------------------------

    async def create(
        self,
        request: PollRequest,
        *,
        assembly: Assembly,
        room: AssemblyRoom,
        author: str,
        cause: str,
        ts: int,
    ) -> Poll:
        """Record the poll and queue its start event in every room. Inside the caller's
        transaction, so a failure leaves neither a poll nor a start event behind."""
        deadline = ts + request.deadline_seconds * 1000 if request.deadline_seconds else None
        # The meeting in progress, so the minutes find the polls held during it. A poll is
        # numbered in that meeting, or between meetings after the latest one's polls.
        meeting = await self._meetings.open_meeting(assembly.name)
        numbering = meeting or await self._meetings.latest_meeting(assembly.name)
        poll_id = await self._store.create(
            Poll(
                assembly=assembly.name,
                meeting_id=meeting.id if meeting else None,
                kind=request.kind,
                rule=request.rule,
                question=request.question,
                language=room.language,
                options=request.options,
                max_selections=request.max_selections,
                secret=request.secret,
                ballot_key=secrets.token_hex(32) if request.secret else None,
                quorum=request.quorum,
                deadline_at=deadline,
                created_by=author,
                created_in=room.room_id,
                source_event_id=cause,
                created_at=ts,
                numbered_in=numbering.id if numbering else None,
                secret_floor=assembly.secret_min_per_center,
            )
        )
        poll = await self._existing(poll_id)
        if poll.secret:
            # Nothing the rooms could answer in public: each member votes in a direct chat.
            await self._post_to_known_chats(poll, assembly)
        else:
            await self._post_in_rooms(poll, assembly, cause)
        self._arm(poll.id, deadline)
        return poll

    async def _post_in_rooms(self, poll: Poll, assembly: Assembly, cause: str) -> None:
        for index, target in enumerate(assembly.rooms):
            outbox_id = await self._delivery.queue_poll_start(
                target.room_id,
                target.language,
                poll,
                txn_id(f"{cause}|poll", index),
                prefix=self._prefix,
            )
            await self._store.add_room(poll.id, target.room_id, target.language, outbox_id)

    async def _finish_start(self, data: dict[str, Any]) -> dict[str, Any]:
        """A start event queued in another language than the poll's, worded when sent."""
        poll = await self._existing(int(data["poll"]))
        return await self._delivery.worded_poll_start(
            poll, str(data["language"]), prefix=self._prefix
        )

    async def _post_to_known_chats(self, poll: Poll, assembly: Assembly) -> None:
        """Members who already have a direct chat with the bot find the new ballot there."""
        for chat, person in (await self._store.ballot_rooms()).items():
            if self._people.is_member(assembly, person):
                await self.post_ballots(assembly, person, chat, poll.id)

    async def post_ballots(
        self, assembly: Assembly, person: str, chat: str, poll_id: int | None = None
    ) -> list[Poll]:
        """Queue in the person's direct chat a native poll for each open secret poll (or only
        the poll `poll_id`) not posted there yet, in the language of their center's room.
        Returns the secret polls whose ballot is now in the chat."""
        home = self._people.home_room(assembly, person)
        here = AssemblyRoom(chat, home.language, home.center, home.timezone)
        polls = [
            poll
            for poll in await self._store.open_polls(assembly.name)
            if poll.secret and poll_id in (None, poll.id)
        ]
        for poll in polls:
            cause = f"ballot:{poll.id}:{chat}"
            earlier = await self._store.outbox_id_in(poll.id, chat)
            if earlier is not None:
                _, set_aside = await self._runtime.sent_state(earlier)
                if not set_aside:
                    continue  # delivered, or on its way
                # A ballot that never arrived is posted again, under new transaction ids.
                await self._store.drop_room(poll.id, chat)
                cause = f"{cause}:after:{earlier}"
            await self._delivery.deliver_ballot_intro(
                poll, assembly=assembly, chat=here, cause=cause, prefix=self._prefix
            )
            outbox_id = await self._delivery.queue_poll_start(
                chat, here.language, poll, txn_id(f"{cause}|poll", 0), prefix=self._prefix
            )
            await self._store.add_room(poll.id, chat, here.language, outbox_id, private=True)
        return polls

    # -- voting --------------------------------------------------------------------------------

    async def vote(
        self,
        poll: Poll,
        choice: BallotChoice,
        *,
        assembly: Assembly,
        room: AssemblyRoom,
        voter: str,
        event_id: str,
        ts: int,
        private: bool = False,
    ) -> None:
        """A `!vote`, already read against the poll it is for; `private` when it was sent in the
        voter's direct chat with the bot."""
        if not poll.is_open:
            raise CommandError("poll.error.closed", number=poll.shown_number)
        _check_where(poll, private, self._prefix)
        if not self._people.is_member(assembly, voter):
            raise CommandError("poll.error.not_member")
        await self._record(poll, assembly, room.room_id, voter, choice, event_id, ts, "text")

    async def accept_response(self, event: IncomingEvent) -> None:
        """A native poll response from any room. Silent: the poll itself shows the vote, except
        that a stand-aside or block in an open poll gets a reply asking for the reason."""
        poll_room = await self._poll_room_of(event.relates_to or "")
        if poll_room is None or poll_room.room_id != event.room_id:
            return  # not one of our polls (someone's own poll, or a forged relation)
        poll = await self._store.poll(poll_room.poll_id)
        assembly = self._directory.by_name(poll.assembly) if poll else None
        room = assembly.room(event.room_id) if assembly else None
        if poll is None or not poll.is_open or assembly is None:
            return
        if poll_room.private:
            # A ballot counts only from the person whose direct chat it is in.
            if await self._store.ballot_room_of(event.sender) != event.room_id:
                return
        elif room is None:
            return
        elif poll.secret:
            # A secret poll opened before ballots moved to direct chats: a vote in the room is
            # seen by everyone, so it is not counted, and the person is shown where to vote.
            await self._delivery.deliver(
                [refusal(vote_privately(poll, self._prefix))],
                cause=event.event_id,
                assembly=assembly,
                room=room,
                reply_to=event.event_id,
            )
            return
        if not self._people.is_member(assembly, event.sender):
            log.info("poll #%d: response from %s, not a member, ignored", poll.id, event.sender)
            return
        choice = BallotChoice(answers_of(event.content))
        await self._record(
            poll, assembly, event.room_id, event.sender, choice, event.event_id, event.ts, "native"
        )
        if room is None:
            return  # in a direct chat the poll itself shows the vote
        if needs_reason(poll, choice) and not poll.secret:
            # In a secret poll this public reply would tell the room how the person voted.
            lines = [reason_request(poll, choice, self._prefix)]
            await self._delivery.deliver(
                [reply(*lines)],
                cause=event.event_id,
                assembly=assembly,
                room=room,
                reply_to=event.event_id,
            )

    async def _record(
        self,
        poll: Poll,
        assembly: Assembly,
        room_id: str,
        voter: str,
        choice: BallotChoice,
        event_id: str,
        ts: int,
        via: str,
    ) -> None:
        await self._store.add_response(
            poll.id,
            event_id=event_id,
            room_id=room_id,
            voter=poll.voter_key(voter),
            center=self._people.center_of(assembly, voter, spoken_in=room_id),
            answers=choice.answers,
            reason=choice.reason,
            ts=ts,
            via=via,
        )
        if not poll.secret:
            # The result names open polls' voters; a secret poll's leave no trace of who voted.
            await self._people.remember(assembly, voter, spoken_in=room_id)

    async def _poll_room_of(self, start_event_id: str) -> PollRoom | None:
        """Which poll a response is for. Start events' ids are learned from the outbox when
        first needed: the poll is recorded before the homeserver has given them ids."""
        found = await self._store.room_by_start(start_event_id)
        if found is not None:
            return found
        for pending in await self._store.unlearned_rooms():
            sent = await self._runtime.sent_event_id(pending.outbox_id)
            if sent:
                await self._store.learn_start(pending.poll_id, pending.room_id, sent)
        return await self._store.room_by_start(start_event_id)

    # -- closing -------------------------------------------------------------------------------

    async def close(
        self, assembly: Assembly, number: int | None, *, closed_by: str, ts: int
    ) -> TallyResult:
        """A chair closes poll #number, or the one open poll, now (inside the command's
        transaction)."""
        poll = await self.open_poll(assembly, number)
        return await self._close(poll, assembly, closed_by=closed_by, at=ts)

    async def close_poll(
        self, assembly: Assembly, poll: Poll, *, closed_by: str, ts: int
    ) -> TallyResult:
        """A chair closes this poll now (inside the command's transaction)."""
        return await self._close(poll, assembly, closed_by=closed_by, at=ts)

    async def close_due(self, poll_id: int) -> None:
        """A deadline has come: close the poll (in the timer's transaction)."""
        poll = await self._store.poll(poll_id)
        assembly = self._directory.by_name(poll.assembly) if poll else None
        if poll is None or not poll.is_open or assembly is None:
            return
        # Responses sent until the deadline count, even if they arrive after it.
        await self._close(poll, assembly, closed_by=None, at=poll.deadline_at or 0)

    async def _close(
        self, poll: Poll, assembly: Assembly, *, closed_by: str | None, at: int
    ) -> TallyResult:
        if not await self._store.close(poll.id, at, closed_by):
            raise CommandError("poll.error.closed", number=poll.shown_number)
        closed = await self._existing(poll.id)
        view = self._view(closed, assembly, await self._store.ballots_of(closed))
        if closed.secret:
            # Only the counts survive the close; the file and its log are scrubbed of the rest
            # as soon as this transaction has committed.
            await self._store.seal(poll.id, list(view.ballots.values()))
            self._db.after_commit(self._db.checkpoint)
        cause = f"poll:{poll.id}:close"
        for index, room in enumerate(await self._store.rooms_of(poll.id)):
            await self._delivery.queue_poll_end(
                room.room_id, room.language, closed, room.outbox_id, txn_id(cause, index)
            )
        await self._delivery.announce_poll_result(assembly, view, cause=f"{cause}:result")
        await self._decisions.record_decision(
            assembly=assembly.name,
            meeting_id=closed.meeting_id,
            kind="poll",
            text=closed.question,
            language=closed.language,
            author=closed.created_by,
            created_at=at,
            poll_id=closed.id,
            outcome=outcome_of(closed, view.result),
            details=decision_details(view),
        )
        return view.result

    # -- deadlines -----------------------------------------------------------------------------

    async def restore(self) -> None:
        """At start-up: re-arm every open poll's deadline (a past one closes the poll at once,
        once the first sync has brought in the votes sent while the bot was down)."""
        for poll_id, deadline in await self._store.deadlines():
            self._arm(poll_id, deadline)

    def _arm(self, poll_id: int, deadline: int | None) -> None:
        if self._timers is None or deadline is None:
            return
        # A deadline missed while down still closes the poll, after the first sync: responses
        # sent meanwhile are counted before the poll closes.
        self._timers.at(
            f"poll-deadline-{poll_id}", instant(deadline), partial(self.close_due, poll_id)
        )

    # -- looking at polls ----------------------------------------------------------------------

    async def result_view(self, poll: Poll, assembly: Assembly) -> ResultView:
        return self._view(poll, assembly, await self._store.ballots_of(poll))

    def _view(self, poll: Poll, assembly: Assembly, ballots: dict[str, Ballot]) -> ResultView:
        result = poll.tally(ballots, assembly.centers)
        names = {} if poll.secret else self._people.display_names(assembly, ballots)
        closer = self._people.display_name(assembly, poll.closed_by) if poll.closed_by else None
        closer_center = self._people.center_of(assembly, poll.closed_by) if poll.closed_by else None
        return ResultView(poll, result, ballots, names, closer, closer_center)

    async def results(self, assembly: Assembly, number: int | None) -> ResultView | Progress:
        """A closed poll's result, or an open poll's turnout (its counts wait for the close)."""
        if number is None:
            poll = await self._store.latest_poll(assembly.name)
            if poll is None:
                raise CommandError("poll.error.no_polls_yet")
        else:
            poll = await self._poll_numbered(assembly, number)
        if poll.is_open:
            return await self._progress(poll, assembly)
        return await self.result_view(poll, assembly)

    def small_centers(self, assembly: Assembly, poll: Poll) -> tuple[str, ...]:
        """The centers with fewer members than a secret poll's floor, whose counts its result
        will likely withhold: the announcement says so before anyone votes."""
        if not poll.secret:
            return ()
        return below_floor(self._people.center_sizes(assembly), poll.secret_floor)

    async def open_polls(self, assembly: Assembly) -> list[Progress]:
        return [
            await self._progress(p, assembly) for p in await self._store.open_polls(assembly.name)
        ]

    async def _progress(self, poll: Poll, assembly: Assembly) -> Progress:
        ballots = await self._store.ballots_of(poll)
        voted = [b for b in ballots.values() if not b.spoiled]
        by_center = {c: sum(1 for b in voted if b.center == c) for c in assembly.centers}
        return Progress(poll, len(voted), by_center)

    async def open_poll(
        self, assembly: Assembly, number: int | None, *, secret: bool | None = None
    ) -> Poll:
        """Poll #number if it is open; without a number, the one open poll (only secret ones,
        or only open ones, when `secret` says so)."""
        if number is not None:
            poll = await self._poll_numbered(assembly, number)
            if not poll.is_open:
                raise CommandError("poll.error.closed", number=poll.shown_number)
            return poll
        every = await self._store.open_polls(assembly.name)
        open_polls = [p for p in every if secret in (None, p.secret)]
        if not open_polls and every and secret is False:
            return every[-1]  # a secret poll: the vote is refused with where to vote instead
        if not open_polls:
            key = "poll.error.no_open_secret_poll" if secret else "poll.error.no_open_poll"
            raise CommandError(key)
        if len(open_polls) > 1:
            numbers = joined([f"#{p.shown_number}" for p in open_polls])
            raise CommandError(
                "poll.error.several_open", polls=numbers, example=open_polls[-1].shown_number
            )
        return open_polls[0]

    async def open_secret_polls(self, assembly: Assembly, number: int | None) -> list[Poll]:
        """The open secret polls, or only poll #number (which must be open and secret)."""
        if number is None:
            return [p for p in await self._store.open_polls(assembly.name) if p.secret]
        poll = await self.open_poll(assembly, number)
        if not poll.secret:
            raise CommandError("poll.error.vote_in_rooms", number=poll.shown_number)
        return [poll]

    async def _poll_numbered(self, assembly: Assembly, number: int) -> Poll:
        """`#number` as people type it: the poll of that number in the open meeting (between
        meetings, in the latest one, whose numbering the polls opened since continue); failing
        that, an open poll of that number left from an earlier meeting."""
        latest = await self._meetings.latest_meeting(assembly.name)
        poll = await self._store.numbered(assembly.name, latest.id if latest else None, number)
        if poll is None:
            poll = await self._store.open_numbered(assembly.name, number)
        if poll is None:
            raise CommandError("poll.error.unknown_poll", number=number)
        return poll

    async def _existing(self, poll_id: int) -> Poll:
        poll = await self._store.poll(poll_id)
        if poll is None:
            raise LookupError(f"poll #{poll_id} vanished inside its own transaction")
        return poll


# -- small pure helpers ----------------------------------------------------------------------------


def _check_where(poll: Poll, private: bool, prefix: str) -> None:
    """A secret poll is voted only in a direct chat with the bot; an open one only in a room."""
    if poll.secret and not private:
        raise CommandError("poll.error.vote_privately", **privately(poll, prefix))
    if private and not poll.secret:
        raise CommandError("poll.error.vote_in_rooms", number=poll.shown_number)
