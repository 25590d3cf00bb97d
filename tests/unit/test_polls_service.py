"""A poll's life in one assembly, without a homeserver: opened in both rooms, voted natively and by
text, closed into the decision log. The outbox shows what the bot would send."""

from __future__ import annotations

import asyncio
import contextvars
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

from bot.delivery import Delivery
from bot.domain.assembly import Assembly, AssemblyDirectory, AssemblyRoom
from bot.domain.events import IncomingEvent
from bot.domain.poll_input import read_ballot, read_poll_request, split_poll_number
from bot.domain.polls import Poll
from bot.domain.tally import DecisionRule
from bot.framework.errors import CommandError
from bot.framework.parsing import split_words
from bot.i18n import Catalogs
from bot.services.people import People
from bot.services.polls import PollService
from bot.services.timers import Timers
from bot.storage.database import Database
from bot.storage.decisions_store import DecisionsStore
from bot.storage.meetings_store import MeetingsStore
from bot.storage.polls_store import PollsStore
from bot.storage.runtime_store import OutgoingMessage, RuntimeStore
from tests.harness.fakes import Clock, Scheduler, Seats
from tests.harness.outbox import drain, waiting
from tests.harness.reading import as_read

EN = AssemblyRoom("!en:x", "en", "US", "America/New_York")
ES = AssemblyRoom("!es:x", "es", "MX", "America/Mexico_City")
ASSEMBLY = Assembly("Asamblea", (EN, ES), chairs=("@carol:x",))
ALICE, CAROL, BETO, DANI, ERIN = "@alice:x", "@carol:x", "@beto:x", "@dani:x", "@erin:x"


# alice and carol sit in the English room, beto and dani in the Spanish one; erin in neither.
SEATS = Seats(
    {
        EN.room_id: {ALICE: "Alice", CAROL: "Carol"},
        ES.room_id: {BETO: "Beto", DANI: "Dani"},
    }
)


@dataclass
class World:
    db: Database
    runtime: RuntimeStore
    store: PollsStore
    polls: PollService
    scheduler: Scheduler
    ready: asyncio.Event
    clock: Clock
    delivery: Delivery
    events: int = 0
    # What the homeserver received, in order (the outbox keeps no content once sent).
    sent: list[OutgoingMessage] = field(default_factory=list)

    async def open(self, text: str, room: AssemblyRoom = EN, ts: int = 1_000) -> Poll:
        async with self.db.transaction():
            return await self.polls.create(
                read_poll_request(split_words(text), DecisionRule.MAJORITY),
                assembly=ASSEMBLY,
                room=room,
                author=CAROL,
                cause=f"$poll{ts}",
                ts=ts,
            )

    async def send_everything(self) -> None:
        """What the sender does: every queued message gets its event id."""
        self.sent += await drain(self.runtime, self.delivery)

    async def start_event(self, poll: Poll, room: AssemblyRoom) -> str:
        rows = await self.db.fetch_all(
            "SELECT o.event_id FROM poll_rooms p JOIN outbox o ON o.id = p.outbox_id "
            "WHERE p.poll_id = ? AND p.room_id = ?",
            (poll.id, room.room_id),
        )
        return rows[0]["event_id"]

    async def respond(
        self, poll: Poll, voter: str, room: AssemblyRoom, answers: Any, ts: int, **kind: Any
    ) -> None:
        self.events += 1
        content_key = kind.get("content_key", "unstable")
        content: dict[str, Any] = (
            {"m.selections": answers}
            if content_key == "stable"
            else {"org.matrix.msc3381.poll.response": {"answers": answers}}
        )
        start = kind.get("start") or await self.start_event(poll, room)
        content["m.relates_to"] = {"rel_type": "m.reference", "event_id": start}
        event = IncomingEvent(
            event_id=f"$response{self.events}",
            room_id=room.room_id,
            sender=voter,
            ts=ts,
            type=kind.get("type", "org.matrix.msc3381.poll.response"),
            content=content,
            rel_type="m.reference",
            relates_to=start,
        )
        async with self.db.transaction():
            await self.polls.accept_response(event)

    async def vote(
        self, voter: str, room: AssemblyRoom, text: str, ts: int, private: bool = False
    ) -> None:
        self.events += 1
        number, words = split_poll_number(split_words(text))
        async with self.db.transaction():
            poll = await self.polls.open_poll(ASSEMBLY, number, secret=private)
            await self.polls.vote(
                poll,
                read_ballot(poll, words),
                assembly=ASSEMBLY,
                room=room,
                voter=voter,
                event_id=f"$vote{self.events}",
                ts=ts,
                private=private,
            )

    async def ballot_chat(self, voter: str, home: AssemblyRoom) -> AssemblyRoom:
        """The voter's direct chat with the bot, with the open secret polls' ballots in it."""
        chat = AssemblyRoom(f"!dm-{voter[1:]}", home.language, home.center, home.timezone)
        async with self.db.transaction():
            await self.store.set_ballot_room(voter, chat.room_id, 0)
            await self.polls.post_ballots(ASSEMBLY, voter, chat.room_id)
        await self.send_everything()
        return chat

    async def close(self, ts: int, number: int | None = None) -> Any:
        async with self.db.transaction():
            return await self.polls.close(ASSEMBLY, number, closed_by=CAROL, ts=ts)

    async def queued(self, event_type: str | None = None) -> list[tuple[str, str, dict]]:
        """Every message queued so far, sent or not, in order."""
        unsent = await waiting(self.runtime, self.delivery)
        return [
            (m.room_id, m.event_type, m.content)
            for m in sorted([*self.sent, *unsent], key=lambda m: m.id)
            if event_type is None or m.event_type == event_type
        ]

    async def notices_in(self, room: AssemblyRoom) -> list[str]:
        """The bodies as people read them (`tests.harness.reading`)."""
        return [
            as_read(content["body"])
            for room_id, kind, content in await self.queued("m.room.message")
            if room_id == room.room_id
        ]

    async def decision(self, poll: Poll) -> Any:
        return await DecisionsStore(self.db).decision_for_poll(poll.id)


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    db = await Database.open(tmp_path / "polls.db")
    runtime = RuntimeStore(db)
    catalogs = Catalogs.load_default()
    delivery = Delivery(runtime, catalogs, SEATS, lambda: None)
    store = PollsStore(db)
    scheduler = Scheduler()
    ready = asyncio.Event()
    ready.set()
    clock = Clock(start=1.0)  # 1 000 ms after the epoch
    polls = PollService(
        db=db,
        store=store,
        meetings=MeetingsStore(db),
        decisions=DecisionsStore(db),
        runtime=runtime,
        delivery=delivery,
        people=People(SEATS),
        directory=AssemblyDirectory((ASSEMBLY,)),
        prefix="!",
        timers=Timers(
            scheduler,
            db.transaction,
            ready=ready.wait,
            wake=delivery.wake,
            clock=clock.utc,
        ),
    )
    yield World(db, runtime, store, polls, scheduler, ready, clock, delivery)
    await db.close()


START = "org.matrix.msc3381.poll.start"


async def test_carol_opens_a_poll_and_each_room_gets_it_in_its_own_language(world: World) -> None:
    poll = await world.open('"Do we approve the budget?"')
    starts = await world.queued(START)
    assert [room for room, _, _ in starts] == [EN.room_id, ES.room_id]
    english, spanish = (content[START] for _, _, content in starts)
    assert [a["org.matrix.msc1767.text"] for a in english["answers"]] == ["Yes", "No", "Abstain"]
    assert [a["org.matrix.msc1767.text"] for a in spanish["answers"]] == ["Sí", "No", "Abstención"]
    assert [a["id"] for a in english["answers"]] == [a["id"] for a in spanish["answers"]]
    assert english["kind"] == "org.matrix.msc3381.poll.disclosed"
    assert english["max_selections"] == 1
    assert "!vote" in starts[0][2]["org.matrix.msc1767.text"]
    assert "!votar" in starts[1][2]["org.matrix.msc1767.text"]
    assert f"Poll #{poll.id}" in starts[0][2]["body"]


async def test_votes_from_both_rooms_count_together_and_the_result_is_logged(world: World) -> None:
    poll = await world.open('"Do we approve the budget?"')
    await world.send_everything()
    await world.respond(poll, BETO, ES, ["no"], ts=2_000)
    await world.respond(
        poll, DANI, ES, ["yes"], ts=2_100, content_key="stable", type="m.poll.response"
    )
    await world.vote(ALICE, EN, "1", ts=2_200)
    await world.vote(CAROL, EN, "sí", ts=2_300)
    result = await world.close(ts=3_000)

    assert result.passed and result.counts["yes"] == 3 and result.counts["no"] == 1
    ends = await world.queued("org.matrix.msc3381.poll.end")
    assert [room for room, _, _ in ends] == [EN.room_id, ES.room_id]
    for _, _, content in ends:
        assert content["m.relates_to"]["rel_type"] == "m.reference"
        assert "$outbox" in content["m.relates_to"]["event_id"]
    english = "\n".join(await world.notices_in(EN))
    spanish = "\n".join(await world.notices_in(ES))
    assert "Outcome: PASSED." in english and "Resultado: APROBADA." in spanish
    assert "US: Yes 2, No 0, Abstain 0" in english
    assert "MX: Sí 1, No 1, Abstención 0" in spanish
    assert "Voted Yes: Alice (US), Carol (US), Dani (MX)." in english

    decision = await world.decision(poll)
    assert (decision.kind, decision.outcome, decision.text) == (
        "poll",
        "passed",
        "Do we approve the budget?",
    )
    assert decision.details["counts"]["MX"]["answers"] == {"yes": 1, "no": 1, "abstain": 0}
    assert decision.details["voters"]["no"] == [BETO]


async def test_a_second_vote_replaces_the_first_and_an_empty_response_withdraws(
    world: World,
) -> None:
    poll = await world.open('"Q?"')
    await world.send_everything()
    await world.respond(poll, BETO, ES, ["no"], ts=2_000)
    await world.vote(BETO, ES, "si", ts=2_100)
    await world.respond(poll, DANI, ES, ["yes"], ts=2_200)
    await world.respond(poll, DANI, ES, [], ts=2_300)
    result = await world.close(ts=3_000)
    assert dict(result.counts) == {"yes": 1, "no": 0, "abstain": 0}


async def test_what_does_not_count(world: World) -> None:
    poll = await world.open('"Q?"')
    await world.send_everything()
    await world.respond(poll, ERIN, EN, ["yes"], ts=2_000)  # not in any room
    await world.respond(poll, BETO, ES, ["yes"], ts=2_000, start="$someone-elses-poll")
    await world.respond(poll, BETO, EN, ["yes"], ts=2_000, start=await world.start_event(poll, ES))
    await world.respond(poll, DANI, ES, ["maybe"], ts=2_000)  # spoiled
    await world.respond(poll, ALICE, EN, {"hostile": True}, ts=2_000)  # spoiled, no crash
    result = await world.close(ts=3_000)
    await world.respond(poll, CAROL, EN, ["yes"], ts=2_500)  # arrives after the close
    assert result.participants == 0 and result.spoiled == 2
    # The logged result and a later look at it agree: the late response changed nothing.
    view = await world.polls.result_view(await world.store.poll(poll.id), ASSEMBLY)
    assert view.result.participants == 0
    with pytest.raises(CommandError):
        await world.vote(ERIN, EN, "1", ts=2_000)


async def test_double_majority_that_wins_overall_but_loses_in_mexico_fails(world: World) -> None:
    poll = await world.open('double "Do we join the federation?"')
    await world.send_everything()
    await world.vote(ALICE, EN, "yes", ts=2_000)
    await world.vote(CAROL, EN, "yes", ts=2_000)
    await world.vote(BETO, ES, "no", ts=2_000)
    await world.vote(DANI, ES, "abstain", ts=2_000)
    result = await world.close(ts=3_000)
    assert result.counts["yes"] > result.counts["no"]
    assert result.failed_centers == ("MX",) and not result.passed
    english = "\n".join(await world.notices_in(EN))
    assert "NOT PASSED" in english and "threshold not reached here" in english
    assert (await world.decision(poll)).outcome == "failed"


async def test_a_secret_consensus_poll_names_the_block_reason_but_not_the_blocker(
    world: World,
) -> None:
    poll = await world.open('secret consensus "We adopt the charter"')
    await world.send_everything()
    alice, beto, dani = [
        await world.ballot_chat(voter, home)
        for voter, home in ((ALICE, EN), (BETO, ES), (DANI, ES))
    ]
    await world.vote(ALICE, alice, "agree", ts=2_000, private=True)
    await world.vote(BETO, beto, 'bloquear "no hay presupuesto"', ts=2_000, private=True)
    await world.respond(poll, DANI, dani, ["stand_aside"], ts=2_000)
    result = await world.close(ts=3_000)
    assert not result.passed
    assert [b.voter for b in result.blocks] == [None]
    notices = "\n".join(await world.notices_in(EN) + await world.notices_in(ES))
    assert "no hay presupuesto" in notices
    assert "Beto" not in notices and "Dani" not in notices
    # No reply asked dani for a reason: even in her chat it would be kept in the outbox.
    assert not [n for n in await world.notices_in(dani) if "añade tu razón para el acta" in n]
    decision = await world.decision(poll)
    assert "voters" not in decision.details
    assert BETO not in json.dumps(decision.details)
    assert await world.db.fetch_all("SELECT * FROM poll_responses") == []
    assert (await world.store.poll(poll.id)).ballot_key is None
    # The result can still be shown after the close, from the counts alone.
    again = await world.polls.results(ASSEMBLY, poll.id)
    assert again.result.total == result.total and again.result.blocks == result.blocks


async def test_a_secret_poll_is_not_posted_in_the_rooms_and_not_voted_there(
    world: World,
) -> None:
    poll = await world.open('secret "Do we approve the budget?"')
    assert await world.queued(START) == []
    with pytest.raises(CommandError) as refused:
        await world.vote(BETO, ES, "si", ts=2_000)
    assert refused.value.message.key == "poll.error.vote_privately"
    beto = await world.ballot_chat(BETO, ES)
    [(room, _, ballot)] = await world.queued(START)
    assert room == beto.room_id
    assert ballot[START]["answers"][0]["org.matrix.msc1767.text"] == "Sí"
    # Someone else answering in beto's chat is not beto.
    await world.respond(poll, DANI, beto, ["no"], ts=2_100)
    await world.respond(poll, BETO, beto, ["yes"], ts=2_200)
    result = await world.close(ts=3_000)
    assert dict(result.total.counts) == {"yes": 1, "no": 0, "abstain": 0}
    assert [c.participants for c in result.by_center.values()] == [0, 1]


async def test_an_open_consensus_poll_names_the_blocker_and_asks_for_a_missing_reason(
    world: World,
) -> None:
    poll = await world.open('consensus "We adopt the charter"')
    await world.send_everything()
    await world.respond(poll, BETO, ES, ["block"], ts=2_000)
    asked = await world.notices_in(ES)
    assert any(f'!votar #{poll.id} bloquear "tu razón"' in n for n in asked)
    await world.vote(BETO, ES, "block we have no budget", ts=2_100)
    await world.vote(ALICE, EN, "agree", ts=2_100)
    await world.close(ts=3_000)
    english = "\n".join(await world.notices_in(EN))
    assert "Blocked: Beto (MX): “we have no budget”." in english


async def test_a_multiple_choice_poll_with_two_selections(world: World) -> None:
    poll = await world.open('choice max=2 "Which days?" "Monday" "Tuesday" "Friday"')
    starts = await world.queued(START)
    assert starts[0][2][START]["max_selections"] == 2
    assert [a["id"] for a in starts[1][2][START]["answers"]] == ["1", "2", "3"]
    await world.send_everything()
    await world.respond(poll, BETO, ES, ["1", "3"], ts=2_000)
    await world.vote(ALICE, EN, "3", ts=2_000)
    result = await world.close(ts=3_000)
    assert result.winners == ("3",)
    assert "Outcome: Friday was chosen." in "\n".join(await world.notices_in(EN))
    assert (await world.decision(poll)).outcome == "chosen"


async def test_several_open_polls_need_a_number(world: World) -> None:
    first = await world.open('"First?"', ts=1_000)
    second = await world.open('"Second?"', ts=1_001)
    with pytest.raises(CommandError) as caught:
        await world.vote(ALICE, EN, "yes", ts=2_000)
    assert caught.value.message.key == "poll.error.several_open"
    await world.vote(ALICE, EN, f"#{first.id} yes", ts=2_000)
    await world.close(ts=3_000, number=first.id)
    with pytest.raises(CommandError) as caught:
        await world.close(ts=3_000, number=first.id)
    assert caught.value.message.key == "poll.error.closed"
    await world.vote(ALICE, EN, "no", ts=3_100)  # only the second is open now
    progress = await world.polls.results(ASSEMBLY, second.id)
    assert progress.voted == 1 and progress.by_center == {"US": 1, "MX": 0}


async def test_a_deadline_closes_the_poll_and_counts_votes_sent_until_then(world: World) -> None:
    poll = await world.open('deadline=10m "Q?"', ts=1_000)
    job = world.scheduler.jobs[f"poll-deadline-{poll.id}"]
    assert job.options["misfire_grace_time"] is None and job.options["replace_existing"]
    await world.send_everything()
    await world.vote(ALICE, EN, "yes", ts=600_000)
    await world.respond(poll, BETO, ES, ["no"], ts=601_001 + 600_000)  # after the deadline
    await job.func(*job.args)
    closed = await world.store.poll(poll.id)
    assert closed.closed_at == poll.deadline_at == 601_000 and closed.closed_by is None
    assert (await world.decision(poll)).details["counts"]["total"]["answers"]["yes"] == 1
    assert any("closed at its deadline" in n for n in await world.notices_in(EN))


async def test_a_response_at_the_very_moment_of_the_close_counts(world: World) -> None:
    poll = await world.open('"Q?"')
    await world.send_everything()
    await world.respond(poll, BETO, ES, ["yes"], ts=3_000)  # the same millisecond as !close
    await world.vote(ALICE, EN, "no", ts=3_000)
    await world.respond(poll, DANI, ES, ["yes"], ts=2_000)
    result = await world.close(ts=3_000)
    assert dict(result.counts) == {"yes": 2, "no": 1, "abstain": 0}


async def test_a_response_at_the_very_moment_of_the_deadline_counts(world: World) -> None:
    poll = await world.open('deadline=10m "Q?"', ts=1_000)
    job = world.scheduler.jobs[f"poll-deadline-{poll.id}"]
    await world.send_everything()
    assert poll.deadline_at == 601_000
    await world.respond(poll, BETO, ES, ["yes"], ts=601_000)
    await world.respond(poll, DANI, ES, ["no"], ts=601_001)  # a millisecond too late
    await job.func(*job.args)
    counts = (await world.decision(poll)).details["counts"]["total"]["answers"]
    assert counts == {"yes": 1, "no": 0, "abstain": 0}


async def test_a_poll_short_of_its_quorum_says_so_the_same_way_whatever_its_kind(
    world: World,
) -> None:
    yes_no = await world.open('quorum=3 "Do we rent the hall?"', ts=1_000)
    choice = await world.open('quorum=3 "Which day?" "Monday" "Friday"', ts=1_001)
    await world.send_everything()
    await world.vote(ALICE, EN, f"#{yes_no.id} yes", ts=2_000)
    await world.vote(BETO, ES, f"#{choice.id} 1", ts=2_000)
    await world.close(ts=3_000, number=yes_no.id)
    await world.close(ts=3_000, number=choice.id)
    english = await world.notices_in(EN)
    spanish = await world.notices_in(ES)
    for results in (english, spanish):
        short = [n for n in results if "quorum was not met" in n or "no hubo quórum" in n]
        assert len(short) == 2
    for text in english[-2:]:
        assert "Outcome: no decision, the quorum was not met." in text
        assert "Quorum (3 voters in all): NOT met." in text
        assert "NOT PASSED" not in text and "was chosen" not in text
    for text in spanish[-2:]:
        assert "Resultado: sin decisión, no hubo quórum." in text
    assert (await world.decision(yes_no)).outcome == "no_quorum"
    assert (await world.decision(choice)).outcome == "no_quorum"


async def test_a_poll_where_everyone_abstained_is_not_passed_once_it_has_its_quorum(
    world: World,
) -> None:
    poll = await world.open('quorum=2 "Do we rent the hall?"')
    await world.send_everything()
    await world.vote(ALICE, EN, "abstain", ts=2_000)
    await world.vote(BETO, ES, "abstención", ts=2_000)
    result = await world.close(ts=3_000)
    assert result.quorum_met and result.passed is False
    english = (await world.notices_in(EN))[-1]
    assert "Outcome: NOT PASSED." in english and "): met." in english
    assert "quorum was not met" not in english
    assert (await world.decision(poll)).outcome == "failed"


async def test_a_deadline_job_started_inside_a_transaction_still_waits_its_turn(
    world: World,
) -> None:
    """The scheduler starts a job from whatever context woke it, maybe a handler's transaction."""
    poll = await world.open('deadline=1m "Q?"')
    job = world.scheduler.jobs[f"poll-deadline-{poll.id}"]
    async with world.db.transaction():
        inherited = contextvars.copy_context()
        task = asyncio.get_running_loop().create_task(job.func(*job.args), context=inherited)
        await asyncio.sleep(0.05)
        assert (await world.store.poll(poll.id)).is_open  # waiting for the lock, not barging in
    await task
    assert not (await world.store.poll(poll.id)).is_open


async def test_restore_rearms_deadlines_and_waits_for_the_first_sync(world: World) -> None:
    poll = await world.open('deadline=1m "Q?"')
    world.scheduler.jobs.clear()
    world.clock.set(10_000)  # 10 000 000 ms: the deadline passed while the bot was down
    await world.polls.restore()
    job = world.scheduler.jobs[f"poll-deadline-{poll.id}"]
    assert job.run_date.timestamp() == 10_000
    world.ready.clear()
    closing = asyncio.create_task(job.func(*job.args))
    await asyncio.sleep(0.05)
    assert (await world.store.poll(poll.id)).is_open
    world.ready.set()
    await closing
    assert not (await world.store.poll(poll.id)).is_open


async def test_words_a_person_wrote_are_never_taken_as_html(world: World) -> None:
    poll = await world.open('"Is <b>this</b> & that ok?"')
    await world.send_everything()
    await world.vote(ALICE, EN, "yes", ts=2_000)
    await world.close(ts=3_000)
    [english] = [c for r, _, c in await world.queued("m.room.message") if r == EN.room_id]
    assert "<b>this</b>" not in english["formatted_body"]
    assert "&lt;b&gt;this&lt;/b&gt; &amp; that" in english["formatted_body"]
    assert "Is <b>this</b> & that ok?" in english["body"]
    assert poll.question == "Is <b>this</b> & that ok?"


async def test_a_ballot_that_never_arrived_is_posted_again_and_one_on_its_way_is_not(
    world: World,
) -> None:
    await world.open('secret "Do we approve the budget?"')
    chat = "!dm-beto"
    async with world.db.transaction():
        await world.store.set_ballot_room(BETO, chat, 0)
        await world.polls.post_ballots(ASSEMBLY, BETO, chat)
        await world.polls.post_ballots(ASSEMBLY, BETO, chat)  # `!ballot` again: on its way
    [first] = [m for m in await world.runtime.pending(limit=100) if m.event_type == START]
    await world.runtime.mark_failed(first.id)  # the homeserver refused it for good
    async with world.db.transaction():
        await world.polls.post_ballots(ASSEMBLY, BETO, chat)
    [again] = [m for m in await world.runtime.pending(limit=100) if m.event_type == START]
    assert again.id != first.id and again.room_id == chat and again.txn_id != first.txn_id


# -- small centers in secret polls -----------------------------------------------------------------


async def test_beto_alone_voting_in_mexico_is_kept_secret_in_both_rooms(world: World) -> None:
    """alice and carol vote in the US, beto alone in Mexico: with the floor at 3, neither
    center's line is shown (the US line and the total would give beto's away)."""
    poll = await world.open('secret "Do we approve the budget?"')
    chats = [await world.ballot_chat(v, home) for v, home in ((ALICE, EN), (CAROL, EN), (BETO, ES))]
    for voter, chat, answer in zip((ALICE, CAROL, BETO), chats, ("yes", "no", "si"), strict=True):
        await world.vote(voter, chat, answer, ts=2_000, private=True)
    turnout = await world.polls.results(ASSEMBLY, None)
    assert turnout.voted == 3 and turnout.disclosure.withheld == ("US", "MX")

    result = await world.close(ts=3_000)
    english = "\n".join(await world.notices_in(EN))
    spanish = "\n".join(await world.notices_in(ES))
    assert "All centers: Yes 2, No 1" in english and "Todos los centros: Sí 2, No 1" in spanish
    assert "MX: withheld to keep the vote secret." in english
    assert "MX: se reserva para mantener el voto secreto." in spanish
    assert "MX: Yes" not in english and "MX: Sí" not in spanish
    assert "US: Yes" not in english and "US: Sí" not in spanish
    # The tally, and the operator's decision log, still count Mexico on its own.
    assert result.by_center["MX"].counts["yes"] == 1
    assert (await world.decision(poll)).details["counts"]["MX"]["voted"] == 1
    again = await world.polls.results(ASSEMBLY, poll.id)
    assert again.disclosure.withheld == ("US", "MX")


async def test_a_secret_poll_keeps_the_floor_it_was_opened_with(world: World) -> None:
    two = replace(ASSEMBLY, secret_min_per_center=2)
    async with world.db.transaction():
        poll = await world.polls.create(
            read_poll_request(split_words('secret "Q?"'), DecisionRule.MAJORITY),
            assembly=two,
            room=EN,
            author=CAROL,
            cause="$floor",
            ts=1_000,
        )
    assert poll.secret_floor == 2
    for voter, home in ((ALICE, EN), (CAROL, EN), (BETO, ES), (DANI, ES)):
        await world.vote(voter, await world.ballot_chat(voter, home), "yes", ts=2_000, private=True)
    await world.close(ts=3_000)  # closed in the assembly as configured now, with the floor at 3
    english = "\n".join(await world.notices_in(EN))
    assert "US: Yes 2, No 0, Abstain 0" in english and "MX: Yes 2" in english


async def test_the_announcement_knows_which_centers_have_fewer_members_than_the_floor(
    world: World,
) -> None:
    assert People(SEATS).center_sizes(ASSEMBLY) == {"US": 2, "MX": 2}
    secret = await world.open('secret "Q?"')
    assert world.polls.small_centers(ASSEMBLY, secret) == ("US", "MX")
    assert world.polls.small_centers(ASSEMBLY, replace(secret, secret_floor=2)) == ()
    public = await world.open('"Q?"', ts=1_001)
    assert world.polls.small_centers(ASSEMBLY, public) == ()


def test_someone_sitting_in_both_rooms_counts_once_in_their_own_center() -> None:
    both = Seats({EN.room_id: {ALICE: "Alice", BETO: "Beto"}, ES.room_id: {BETO: "Beto"}})
    configured = replace(ASSEMBLY, member_centers=((BETO, "MX"),))
    assert People(both).center_sizes(configured) == {"US": 1, "MX": 1}
