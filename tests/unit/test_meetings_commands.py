"""Meetings told as meetings, without a homeserver: the bot's own wiring (`build_core`, through
the offline core) on an in-memory database; people, rooms, the scheduler and the clock are faked.

alice and carol (a configured chair) sit in the English room (center US); beto and dani in the
Spanish room (center MX). What the bot would send is read back from its outbox.
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from bot.delivery import Delivery, QuickTranslator
from bot.domain.assembly import Assembly, AssemblyRoom
from bot.domain.events import IncomingEvent, normalize
from bot.domain.limits import MAX_AGENDA_ITEMS
from bot.domain.names import without_center
from bot.framework.dispatcher import Dispatcher
from bot.i18n import Catalogs
from bot.storage.database import Database
from bot.storage.meetings_store import MeetingsStore
from bot.storage.runtime_store import OutgoingMessage, RuntimeStore
from tests.harness.fakes import Clock, Scheduler, Seats
from tests.harness.offline import CATALOGS, offline_core
from tests.harness.outbox import drain, sent_as
from tests.harness.reading import as_read

EN, ES = "!english:test", "!spanish:test"
ALICE, BETO, CAROL, DANI = "@alice:test", "@beto:test", "@carol:test", "@dani:test"
BOT = "@asamblea:test"
ASSEMBLY = Assembly(
    name="Asamblea de prueba",
    rooms=(
        AssemblyRoom(EN, "en", "US", "America/New_York"),
        AssemblyRoom(ES, "es", "MX", "America/Mexico_City"),
    ),
    chairs=(CAROL,),
    power_level_chairs=False,
    stack_policy="alternate",
)
SEATS = {EN: {ALICE: "Alice", CAROL: "Carol"}, ES: {BETO: "Beto", DANI: "Dani"}}


@dataclass
class World:
    db: Database
    dispatcher: Dispatcher
    runtime: RuntimeStore
    clock: Clock
    scheduler: Scheduler
    catalogs: Catalogs
    delivery: Delivery
    ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    sent: list[OutgoingMessage] = field(default_factory=list)

    async def say(self, user: str, room: str, body: str) -> str:
        event_id = f"$event{next(self.ids)}"
        content = {"msgtype": "m.text", "body": body}
        await self.dispatcher.handle(self._event(event_id, user, room, "m.room.message", content))
        await self._send_outbox()
        return event_id

    async def send(self, user: str, room: str, content: dict[str, Any]) -> str:
        """A message with content of its own (a pill, a reply), read as the sync loop reads it."""
        event_id = f"$event{next(self.ids)}"
        source = {
            "event_id": event_id,
            "sender": user,
            "origin_server_ts": self.clock.ms(),
            "type": "m.room.message",
            "content": content,
        }
        event = normalize(room, source)
        assert event is not None
        await self.dispatcher.handle(event)
        await self._send_outbox()
        return event_id

    async def react(self, user: str, room: str, target: str, key: str) -> str:
        event_id = f"$event{next(self.ids)}"
        relation = {"rel_type": "m.annotation", "event_id": target, "key": key}
        event = self._event(event_id, user, room, "m.reaction", {"m.relates_to": relation})
        await self.dispatcher.handle(event)
        await self._send_outbox()
        return event_id

    def _event(
        self, event_id: str, user: str, room: str, kind: str, content: dict[str, Any]
    ) -> IncomingEvent:
        relation = content.get("m.relates_to", {})
        return IncomingEvent(
            event_id=event_id,
            room_id=room,
            sender=user,
            ts=self.clock.ms(),
            type=kind,
            content=content,
            rel_type=relation.get("rel_type"),
            relates_to=relation.get("event_id"),
        )

    async def _send_outbox(self) -> None:
        self.sent += await drain(self.runtime, self.delivery)

    def said_in(self, room: str, since: int = 0) -> list[str]:
        """The bodies as people read them (`tests.harness.reading`); `sent` has them raw."""
        return [as_read(m.content.get("body", "")) for m in self.sent[since:] if m.room_id == room]

    def last_in(self, room: str) -> OutgoingMessage:
        return [m for m in self.sent if m.room_id == room and m.event_type == "m.room.message"][-1]

    def reactions(self, since: int = 0) -> list[str]:
        return [
            m.content["m.relates_to"]["key"]
            for m in self.sent[since:]
            if m.event_type == "m.reaction"
        ]

    def mark(self) -> int:
        return len(self.sent)

    async def restart(self) -> World:
        """A new bot on the same database: every service and timer rebuilt from storage."""
        restarted = await build_world(self.db, self.clock, Scheduler())
        restarted.ids = self.ids  # event ids are unique across the restart, as on a homeserver
        return restarted


def config_of(assembly: Assembly) -> dict[str, Any]:
    """The assembly as the bot's configuration names it (rooms by their ids)."""
    settings: dict[str, Any] = {
        "name": assembly.name,
        "chairs": list(assembly.chairs),
        "power_level_chairs": assembly.power_level_chairs,
        "who_may_start": assembly.who_may_start,
        "stack_policy": assembly.stack_policy,
        "decision_rule": assembly.decision_rule,
        # These meetings are told command after command, faster than fair use lets anyone speak.
        "command_burst": 10_000,
        "rooms": [
            {"room": r.room_id, "language": r.language, "center": r.center, "timezone": r.timezone}
            for r in assembly.rooms
        ],
    }
    if assembly.turn_limit_seconds is not None:
        settings["turn_limit_seconds"] = assembly.turn_limit_seconds
    return {
        "matrix": {"homeserver": "http://127.0.0.1:1", "user_id": BOT, "password": "x"},
        "translation": {"provider": "none"},
        "assemblies": [settings],
    }


async def build_world(
    db: Database,
    clock: Clock,
    scheduler: Scheduler,
    assembly: Assembly = ASSEMBLY,
    members: Seats | None = None,
    texts: QuickTranslator | None = None,
) -> World:
    """The bot's own wiring (`build_core`, offline), with fakes for Matrix and for time; the
    start-up steps (timers rebuilt from the database) run as they do when the bot starts."""
    seats = members or Seats(SEATS)
    core = offline_core(db, config_of(assembly), seats, scheduler, clock.utc, texts=texts)
    for step in core.restore:
        await step()
    return World(db, core.dispatcher, RuntimeStore(db), clock, scheduler, CATALOGS, core.delivery)


@pytest.fixture
async def world() -> AsyncIterator[World]:
    db = await Database.open(":memory:")
    try:
        yield await build_world(db, Clock(), Scheduler())
    finally:
        await db.close()


async def meeting_with_agenda(world: World) -> None:
    await world.say(CAROL, EN, "!startmeeting Monthly assembly")
    await world.say(CAROL, EN, "!item Budget 10m")
    await world.say(BETO, ES, "!punto Calendario")  # not a chair: refused
    await world.say(CAROL, EN, "!item Calendar @beto:test")


# --- meetings ---------------------------------------------------------------------------------


async def test_carol_starts_a_meeting_and_both_rooms_hear_it_in_their_language(
    world: World,
) -> None:
    await world.say(CAROL, EN, "!startmeeting Monthly assembly")
    assert "Meeting started: Monthly assembly" in world.said_in(EN)[0]
    assert "Empieza la reunión: Monthly assembly" in world.said_in(ES)[0]
    assert "alternando entre centros" in world.said_in(ES)[0]
    assert "!presente" in world.said_in(ES)[0] and "!here" in world.said_in(EN)[0]


async def test_only_one_meeting_is_open_per_assembly_whichever_room_asks(world: World) -> None:
    await world.say(CAROL, EN, "!startmeeting Monthly assembly")
    mark = world.mark()
    await world.say(CAROL, ES, "!iniciarreunion Otra reunión")
    assert world.said_in(ES, mark) == [
        "Ya hay una reunión abierta: «Monthly assembly». La moderación puede terminarla con "
        "!terminarreunión."
    ]
    assert world.said_in(EN, mark) == []


async def test_a_member_cannot_open_a_meeting_unless_the_assembly_lets_anyone(
    world: World,
) -> None:
    await world.say(DANI, ES, "!iniciarreunion Reunión de barrio")
    assert world.said_in(ES) == [
        "Solo quien modera la asamblea de forma permanente puede abrir una reunión con "
        "!iniciarreunión. Moderan de forma permanente: Carol (US)."
    ]
    assert world.said_in(EN) == []


@pytest.fixture
async def open_world() -> AsyncIterator[World]:
    """An assembly with `who_may_start = "anyone"`."""
    db = await Database.open(":memory:")
    try:
        yield await build_world(db, Clock(), Scheduler(), replace(ASSEMBLY, who_may_start="anyone"))
    finally:
        await db.close()


async def test_whoever_starts_a_meeting_chairs_it_until_it_ends(open_world: World) -> None:
    world = open_world
    await world.say(DANI, ES, "!iniciarreunion Reunión de barrio")
    mark = world.mark()
    await world.say(DANI, ES, "!punto Limpieza")
    assert "Nuevo punto en el orden del día: 1. Limpieza" in world.said_in(ES, mark)[0]
    await world.say(DANI, ES, "!terminarreunion")
    await world.say(DANI, ES, "!iniciarreunion Otra")
    mark = world.mark()
    await world.say(BETO, ES, "!terminarreunion")
    assert world.said_in(ES, mark) == [
        "Solo quien modera esta reunión puede usar !terminarreunión. "
        "Moderan ahora: Dani (MX), Carol (US)."
    ]


async def test_a_chair_adds_and_removes_a_chair(world: World) -> None:
    await world.say(CAROL, EN, "!startmeeting Monthly assembly")
    await world.say(CAROL, EN, "!chair @beto:test")
    assert "Beto (MX) ahora modera esta reunión." in world.said_in(ES)[-1]
    mark = world.mark()
    await world.say(BETO, ES, "!llamar")
    assert "Nadie está esperando para hablar." in world.said_in(ES, mark)[0]
    await world.say(CAROL, EN, "!unchair @beto:test")
    assert "Beto (MX) is no longer a chair of this meeting." in world.said_in(EN)[-1]
    mark = world.mark()
    await world.say(BETO, ES, "!llamar")
    assert world.said_in(ES, mark) == [
        "Solo quien modera esta reunión puede usar !llamar. Moderan ahora: Carol (US)."
    ]


async def test_a_configured_chair_cannot_be_removed_by_command(world: World) -> None:
    await world.say(CAROL, EN, "!startmeeting Monthly assembly")
    mark = world.mark()
    await world.say(CAROL, EN, "!unchair @carol:test")
    assert "chairs every meeting by the assembly's configuration" in world.said_in(EN, mark)[0]
    await world.say(CAROL, EN, "!chair @zoe:elsewhere")
    assert "@zoe:elsewhere is not in any room of this assembly." in world.said_in(EN, mark)[1]


async def test_roll_call_is_kept_per_center_and_speaking_counts_too(world: World) -> None:
    await world.say(CAROL, EN, "!startmeeting Monthly assembly")
    mark = world.mark()
    await world.say(ALICE, EN, "!here")
    await world.say(DANI, ES, "!presente")
    assert world.reactions(mark) == ["✅", "✅"]
    await world.say(BETO, ES, "!mano")
    await world.say(CAROL, EN, "!call")
    mark = world.mark()
    await world.say(ALICE, EN, "!attendance")
    assert world.said_in(EN, mark) == ["Present: 4.\nUS (2): Alice, Carol\nMX (2): Dani, Beto"]


async def test_saying_anything_during_the_meeting_counts_as_present(world: World) -> None:
    await world.say(DANI, ES, "hola")  # before the meeting: not attendance
    await world.say(CAROL, EN, "!startmeeting Monthly assembly")
    await world.say(DANI, ES, "buenas tardes a todos")
    mark = world.mark()
    await world.say(BETO, ES, "!asistencia")
    assert world.said_in(ES, mark)[0].endswith("MX (2): Dani, Beto")


async def test_ending_the_meeting_tells_how_each_center_took_part(world: World) -> None:
    await world.say(CAROL, EN, "!startmeeting Monthly assembly")
    await world.say(BETO, ES, "!mano")
    await world.say(ALICE, EN, "!hand")
    await world.say(CAROL, EN, "!call")
    world.clock.advance(90)
    await world.say(CAROL, EN, "!call")
    world.clock.advance(30)
    await world.say(CAROL, EN, "!endmeeting")
    assert world.said_in(EN)[-1] == (
        "Meeting ended: Monthly assembly, after 2 min.\n"
        "US: present 2, turns 1, speaking time 30 s.\n"
        "MX: present 1, turns 1, speaking time 1 min 30 s."
    )
    mark = world.mark()
    await world.say(ALICE, EN, "!hand")
    assert world.said_in(EN, mark) == [
        "No meeting is open. A standing chair opens one with !startmeeting: Carol (US). "
        "Send !schedules to see when the next one meets."
    ]


# --- agenda -----------------------------------------------------------------------------------


async def test_the_agenda_is_shared_by_both_rooms(world: World) -> None:
    await meeting_with_agenda(world)
    assert "Only a chair" not in " ".join(world.said_in(EN))
    assert "Solo quien modera esta reunión" in world.said_in(ES)[-2]
    mark = world.mark()
    await world.say(DANI, ES, "!orden")
    assert world.said_in(ES, mark) == [
        "Orden del día de «Monthly assembly»:\n1. Budget (10 min)\n"
        "2. Calendar (responsable: Beto (MX))"
    ]


async def test_next_closes_the_item_with_its_duration_and_opens_the_next(world: World) -> None:
    await meeting_with_agenda(world)
    await world.say(CAROL, EN, "!next")
    assert world.said_in(ES)[-1] == "Siguiente punto: 1. Budget (10 min)"
    world.clock.advance(12 * 60)
    await world.say(CAROL, EN, "!next")
    assert world.said_in(EN)[-1] == (
        "Item closed: Budget, after 12 min (timebox: 10 min).\n"
        "Next on the agenda: 2. Calendar (owner: Beto (MX))"
    )
    mark = world.mark()
    await world.say(ALICE, EN, "!current")
    assert world.said_in(EN, mark) == [
        "Under discussion: 2. Calendar (owner: Beto (MX)), for 0 s so far."
    ]
    await world.say(CAROL, EN, "!next")
    assert "That was the last item on the agenda." in world.said_in(EN)[-1]
    await world.say(CAROL, EN, "!next")
    assert "There are no more items on the agenda." in world.said_in(EN)[-1]
    await world.say(ALICE, EN, "!agenda")
    assert world.said_in(EN)[-1] == (
        "Agenda of “Monthly assembly”:\n"
        "✓ 1. Budget (10 min) — done in 12 min\n"
        "✓ 2. Calendar (owner: Beto (MX)) — done in 0 s"
    )


async def test_upcoming_items_move_and_drop_but_discussed_ones_stay(world: World) -> None:
    await meeting_with_agenda(world)
    await world.say(CAROL, EN, "!item Treasurer's report 5m")
    await world.say(CAROL, EN, "!moveitem 3 1")
    assert world.said_in(EN)[-1].startswith("“Treasurer's report” moved to place 1.")
    await world.say(CAROL, EN, "!next")
    mark = world.mark()
    await world.say(CAROL, EN, "!moveitem 1 3")
    await world.say(CAROL, EN, "!moveitem 3 1")
    await world.say(CAROL, EN, "!dropitem 9")
    await world.say(CAROL, EN, "!dropitem 1")
    assert world.said_in(EN, mark) == [
        "Item 1 is under discussion now; close it first with !next.",
        "An upcoming item can move to a place from 2 to 3.",
        "There is no agenda item 9; the agenda has 3 items.",
        "Item 1 is under discussion now; close it first with !next.",
    ]
    await world.say(CAROL, EN, "!dropitem 2")
    assert world.said_in(ES)[-1] == "Se quitó del orden del día: Budget"
    await world.say(ALICE, EN, "!agenda")
    assert world.said_in(EN)[-1] == (
        "Agenda of “Monthly assembly”:\n"
        "▶ 1. Treasurer's report (5 min) — under discussion\n"
        "2. Calendar (owner: Beto (MX))"
    )


async def test_bad_agenda_input_gets_a_clear_answer_and_changes_nothing(world: World) -> None:
    await world.say(CAROL, EN, "!startmeeting Monthly assembly")
    mark = world.mark()
    await world.say(CAROL, EN, "!item 10m")
    await world.say(CAROL, EN, "!item Budget 99h")
    await world.say(CAROL, EN, "!moveitem one 2")
    await world.say(CAROL, EN, "!item " + "x" * 300)
    said = world.said_in(EN, mark)
    assert said[0] == "An agenda item needs a title, for example: !item Budget 10m"
    assert said[1].startswith("“99h” is not a duration.")
    assert said[2].startswith("“one” is not a number.")
    assert said[3] == "That title is too long (300 characters; at most 200)."
    await world.say(ALICE, EN, "!agenda")
    assert world.said_in(EN)[-1] == "The agenda is empty. Chairs add items with !item."


async def test_a_full_agenda_takes_no_more_items(world: World) -> None:
    await world.say(CAROL, EN, "!startmeeting Monthly assembly")
    for n in range(1, MAX_AGENDA_ITEMS + 1):
        await world.say(CAROL, EN, f"!item Point {n}")
    mark = world.mark()
    await world.say(CAROL, ES, "!punto Uno más")
    assert world.said_in(ES, mark) == [
        f"El orden del día está lleno: una reunión puede tener como mucho {MAX_AGENDA_ITEMS} "
        "puntos."
    ]
    assert world.said_in(EN, mark) == []


async def test_a_timebox_passing_is_noticed_once_in_every_room(world: World) -> None:
    await meeting_with_agenda(world)
    await world.say(CAROL, EN, "!next")
    due = world.scheduler.jobs["timebox:1"].run_date
    assert due.timestamp() == (world.clock.ms() + 600_000) / 1000
    world.clock.advance(600)
    await world.scheduler.fire("timebox:1")
    await world._send_outbox()
    assert world.said_in(EN)[-1] == "A gentle reminder: the 10 min planned for “Budget” are up."
    assert world.said_in(ES)[-1] == (
        "Un recordatorio amable: se cumplieron los 10 min previstos para «Budget»."
    )
    mark = world.mark()
    await world.scheduler.fire("timebox:1")
    restarted = await world.restart()
    assert "timebox:1" not in restarted.scheduler.jobs
    await world._send_outbox()
    assert world.said_in(EN, mark) == []


async def test_a_timebox_that_passed_while_the_bot_was_down_is_noticed_after_restart(
    world: World,
) -> None:
    await meeting_with_agenda(world)
    await world.say(CAROL, EN, "!next")
    world.clock.advance(3600)
    restarted = await world.restart()
    due = restarted.scheduler.jobs["timebox:1"].run_date
    assert due.timestamp() == world.clock.ms() / 1000  # at once, not skipped
    await restarted.scheduler.fire("timebox:1")
    await restarted._send_outbox()
    assert "10 min planned for “Budget” are up" in restarted.said_in(EN)[-1]


# --- the speaker stack ------------------------------------------------------------------------


async def test_hands_from_both_rooms_alternate_between_centers(world: World) -> None:
    await world.say(CAROL, EN, "!startmeeting Monthly assembly")
    await world.say(ALICE, EN, "!hand")
    await world.say(CAROL, EN, "!hand")
    await world.say(BETO, ES, "!mano")
    # A raised hand is one line in each room: its place, and who is first.
    assert world.said_in(ES)[-1] == (
        "Beto (MX) pidió la palabra: número 2 de la lista; sigue: Alice (US)."
    )
    assert world.said_in(EN)[-1] == (
        "Beto (MX) raised a hand: number 2 on the stack; next: Alice (US)."
    )
    await world.say(DANI, ES, "!turnos")
    assert world.said_in(ES)[-1] == (
        "Lista de turnos, alternando entre centros:\n"
        "1. Alice (US) — turno\n"
        "2. Beto (MX) — turno\n"
        "3. Carol (US) — turno\n"
        "Reacciona con ✋ a este mensaje para pedir la palabra."
    )
    await world.say(CAROL, EN, "!call")
    alice_called = world.last_in(EN)
    assert as_read(alice_called.content["body"]).startswith("Alice (US) has the floor.\n")
    assert alice_called.content["msgtype"] == "m.text"
    assert alice_called.content["m.mentions"] == {"user_ids": [ALICE]}
    assert world.last_in(ES).content["m.mentions"] == {}
    assert as_read(world.last_in(ES).content["body"]).startswith("Alice (US) tiene la palabra.\n")
    await world.say(CAROL, EN, "!call")
    assert world.last_in(ES).content["m.mentions"] == {"user_ids": [BETO]}
    await world.say(CAROL, EN, "!call")
    assert world.said_in(EN)[-1].startswith("Carol (US) has the floor.")
    await world.say(CAROL, EN, "!call")
    assert world.said_in(EN)[-1].startswith(
        "Carol (US)'s turn is over, and nobody else is waiting."
    )
    mark = world.mark()
    await world.say(CAROL, EN, "!call")
    assert world.said_in(EN, mark) == ["Nobody is waiting to speak."]


async def test_points_of_process_and_direct_responses_jump_the_stack(world: World) -> None:
    await world.say(CAROL, EN, "!startmeeting Monthly assembly")
    await world.say(ALICE, EN, "!hand")
    await world.say(BETO, ES, "!directa")
    await world.say(DANI, ES, "!proceso")
    mark = world.mark()
    await world.say(ALICE, EN, "!stack")
    assert world.said_in(EN, mark) == [
        "Speaker stack, alternating between centers:\n"
        "1. Dani (MX) — point of process\n"
        "2. Beto (MX) — direct response\n"
        "3. Alice (US) — turn\n"
        "React with ✋ to this message to ask to speak."
    ]
    await world.say(CAROL, EN, "!call")
    assert world.said_in(EN)[-1].startswith("Dani (MX) has the floor for a point of process.")


async def test_a_non_chair_cannot_call_the_next_speaker(world: World) -> None:
    await world.say(CAROL, EN, "!startmeeting Monthly assembly")
    await world.say(ALICE, EN, "!hand")
    mark = world.mark()
    asked = await world.say(DANI, ES, "!llamar")
    refusal = world.sent[mark]
    assert refusal.room_id == ES
    assert as_read(refusal.content["body"]) == (
        "Solo quien modera esta reunión puede usar !llamar. Moderan ahora: Carol (US)."
    )
    assert refusal.content["m.relates_to"] == {"m.in_reply_to": {"event_id": asked}}
    assert len(world.sent) == mark + 1


async def test_raising_twice_keeps_the_place_and_lowering_leaves_the_stack(world: World) -> None:
    await world.say(CAROL, EN, "!startmeeting Monthly assembly")
    await world.say(ALICE, EN, "!hand")
    await world.say(BETO, ES, "!mano")
    mark = world.mark()
    await world.say(BETO, ES, "!mano")
    assert world.said_in(ES, mark) == ["Ya estás en la lista para turno, en el lugar 2."]
    await world.say(ALICE, EN, "!lower")
    assert world.said_in(ES)[-1].startswith("Alice (US) retiró su petición de palabra.")
    mark = world.mark()
    await world.say(ALICE, EN, "!lower")
    assert world.said_in(EN, mark) == ["You are not on the stack."]


async def test_a_chair_removes_someone_and_clears_the_stack(world: World) -> None:
    await world.say(CAROL, EN, "!startmeeting Monthly assembly")
    await world.say(ALICE, EN, "!hand")
    await world.say(BETO, ES, "!mano")
    await world.say(DANI, ES, "!mano")
    await world.say(CAROL, EN, "!remove @beto:test")
    assert world.said_in(ES)[-1].startswith("La moderación quitó a Beto (MX) de la lista")
    await world.say(CAROL, EN, "!clearstack")
    assert world.said_in(EN)[-1].startswith("A chair cleared the stack (2 hands lowered).")
    mark = world.mark()
    await world.say(CAROL, EN, "!remove @beto:test")
    assert world.said_in(EN, mark) == ["Beto (MX) is not on the stack."]


async def test_the_chair_switches_to_fifo_mid_meeting(world: World) -> None:
    await world.say(CAROL, EN, "!startmeeting Monthly assembly")
    await world.say(ALICE, EN, "!hand")
    await world.say(CAROL, EN, "!hand")
    await world.say(BETO, ES, "!mano")
    mark = world.mark()
    await world.say(CAROL, EN, "!policy sideways")
    await world.say(ALICE, EN, "!policy fifo")
    await world.say(DANI, ES, "!politica fifo")
    assert world.said_in(EN, mark)[0].startswith("“sideways” is not a stack order.")
    assert world.said_in(EN, mark)[1] == (
        "Only a chair of this meeting may use !policy. Chairs now: Carol (US)."
    )
    await world.say(CAROL, ES, "!politica fifo")
    assert world.said_in(ES)[-1].startswith(
        "La moderación cambió el orden de turnos a: por orden de llegada.\n"
    )
    assert "2. Carol (US) — turn\n3. Beto (MX) — turn" in world.said_in(EN)[-1]


async def test_a_hand_raised_with_a_reaction_on_the_latest_stack_message(world: World) -> None:
    await world.say(CAROL, EN, "!startmeeting Monthly assembly")
    await world.say(ALICE, EN, "!hand")
    await world.say(DANI, ES, "!turnos")
    latest_es = world.last_in(ES)
    await world.say(ALICE, EN, "!stack")  # a reply in the English room only
    latest_en = world.last_in(EN)
    assert world.last_in(ES) == latest_es
    await world.react(DANI, ES, "$not-a-stack-message", "✋")
    await world.react(DANI, ES, sent_as(latest_es.id), "👍")
    assert "Dani" not in world.said_in(ES)[-1]
    await world.react(DANI, ES, sent_as(latest_es.id), "✋🏽")
    assert world.said_in(ES)[-1] == (
        "Dani (MX) pidió la palabra: número 2 de la lista; sigue: Alice (US)."
    )
    # The one-line answer is no stack message: beto raises his hand on the same one.
    await world.react(BETO, ES, sent_as(latest_es.id), "✋️")
    assert world.said_in(EN)[-1] == (
        "Beto (MX) raised a hand: number 3 on the stack; next: Alice (US)."
    )
    await world.say(CAROL, EN, "!call")  # the floor changes: the stack is shown in every room
    await world.react(CAROL, EN, sent_as(latest_en.id), "✋")  # no longer the latest
    assert "Carol" not in world.said_in(EN)[-1]
    await world.react(CAROL, EN, sent_as(world.last_in(EN).id), "✋")
    assert world.said_in(EN)[-1] == (
        "Carol (US) raised a hand: number 2 on the stack; next: Dani (MX)."
    )


async def test_a_turn_limit_is_noticed_once_at_the_limit(world: World) -> None:
    await world.say(CAROL, EN, "!startmeeting Monthly assembly")
    await world.say(CAROL, EN, "!timelimit 2m")
    assert world.said_in(ES)[-1] == "Desde el próximo turno, cada turno tiene 2 min."
    await world.say(ALICE, EN, "!hand")
    await world.say(CAROL, EN, "!call")
    assert "Time for this turn: 2 min." in world.said_in(EN)[-1]
    world.clock.advance(120)
    await world.scheduler.fire("turn-limit:1")
    await world.scheduler.fire("turn-limit:1")
    await world._send_outbox()
    assert world.said_in(EN)[-1] == "Alice (US), the 2 min for this turn are up. Please wrap up."
    assert world.said_in(ES)[-1] == (
        "Alice (US), se cumplieron los 2 min de este turno. Por favor, ve concluyendo."
    )
    assert sum("are up" in body for body in world.said_in(EN)) == 1
    await world.say(CAROL, EN, "!timelimit off")
    assert world.said_in(EN)[-1] == "From the next turn on, turns have no time limit."


async def test_a_turn_that_ended_before_its_limit_gets_no_notice(world: World) -> None:
    await world.say(CAROL, EN, "!startmeeting Monthly assembly")
    await world.say(CAROL, EN, "!timelimit 2m")
    await world.say(ALICE, EN, "!hand")
    await world.say(CAROL, EN, "!call")
    await world.say(CAROL, EN, "!call")
    mark = world.mark()
    await world.scheduler.fire("turn-limit:1")
    await world._send_outbox()
    assert world.said_in(EN, mark) == []


async def test_after_a_restart_the_stack_agenda_and_speaker_are_exactly_as_before(
    world: World,
) -> None:
    await meeting_with_agenda(world)
    await world.say(CAROL, EN, "!next")
    await world.say(ALICE, EN, "!hand")
    await world.say(CAROL, EN, "!hand")
    await world.say(BETO, ES, "!mano")
    await world.say(DANI, ES, "!directa")
    await world.say(CAROL, EN, "!call")
    await world.say(ALICE, EN, "!stack")
    await world.say(ALICE, EN, "!agenda")
    stack_before, agenda_before = world.said_in(EN)[-2:]

    restarted = await world.restart()
    await restarted.say(ALICE, EN, "!stack")
    await restarted.say(ALICE, EN, "!agenda")
    assert restarted.said_in(EN) == [stack_before, agenda_before]
    assert stack_before.startswith(
        "Speaker stack, alternating between centers:\nSpeaking now: Dani"
    )
    await restarted.say(CAROL, EN, "!call")
    assert restarted.said_in(EN)[-1].startswith("Alice (US) has the floor.")
    await restarted.say(CAROL, EN, "!call")
    assert restarted.said_in(EN)[-1].startswith("Beto (MX) has the floor.")


async def test_every_turn_is_recorded_for_the_minutes(world: World) -> None:
    await world.say(CAROL, EN, "!startmeeting Monthly assembly")
    await world.say(BETO, ES, "!mano")
    await world.say(ALICE, EN, "!direct")
    await world.say(CAROL, EN, "!call")
    world.clock.advance(45)
    await world.say(CAROL, EN, "!call")
    world.clock.advance(60)
    await world.say(CAROL, EN, "!call")
    store = MeetingsStore(world.db)
    meeting = (await store.open_meeting(ASSEMBLY.name)) or pytest.fail("no meeting")
    turns = await store.turns(meeting.id)
    assert [(t.user_id, t.center, str(t.kind)) for t in turns] == [
        (ALICE, "US", "direct_response"),
        (BETO, "MX", "ordinary"),
    ]
    assert [(t.ended_at or 0) - t.started_at for t in turns] == [45_000, 60_000]


# --- speaking time: what was seen of each turn ------------------------------------------------


async def test_one_sentence_is_not_counted_with_the_silence_after_it(world: World) -> None:
    """Beto is the last one called: he says one sentence, and nobody calls anyone for ten
    minutes. He spoke 20 s and a short grace, not the whole rest of the meeting."""
    await world.say(CAROL, EN, "!startmeeting Monthly assembly")
    await world.say(BETO, ES, "!mano")
    await world.say(CAROL, EN, "!call")
    world.clock.advance(20)
    await world.say(BETO, ES, "propongo que comamos a las doce")
    world.clock.advance(10 * 60 + 30)
    await world.say(CAROL, EN, "!endmeeting")
    assert world.said_in(EN)[-1].endswith("MX: present 1, turns 1, speaking time 50 s.")


async def test_what_was_seen_of_a_turn_is_kept_across_a_restart(world: World) -> None:
    await world.say(CAROL, EN, "!startmeeting Monthly assembly")
    await world.say(BETO, ES, "!mano")
    await world.say(CAROL, EN, "!call")
    world.clock.advance(20)
    await world.say(BETO, ES, "propongo que comamos a las doce")
    world.clock.advance(5 * 60)
    restarted = await world.restart()
    world.clock.advance(5 * 60)
    await restarted.say(CAROL, EN, "!endmeeting")
    assert restarted.said_in(EN)[-1].endswith("MX: present 1, turns 1, speaking time 50 s.")


async def test_the_speaker_says_done_and_their_turn_ends_there(world: World) -> None:
    await world.say(CAROL, EN, "!startmeeting Monthly assembly")
    await world.say(BETO, ES, "!mano")
    await world.say(ALICE, EN, "!hand")
    await world.say(CAROL, EN, "!call")
    world.clock.advance(40)
    await world.say(BETO, ES, "propongo que comamos a las doce")
    world.clock.advance(35)
    await world.say(BETO, ES, "!listo")
    assert world.said_in(ES)[-1] == (
        "Beto (MX) terminó de hablar (tiempo de palabra: 1 min 15 s).\n"
        "Lista de turnos, alternando entre centros:\n"
        "1. Alice (US) — turno\n"
        "Reacciona con ✋ a este mensaje para pedir la palabra."
    )
    assert world.said_in(EN)[-1].startswith(
        "Beto (MX) is done speaking (speaking time: 1 min 15 s).\n"
    )
    mark = world.mark()
    await world.say(ALICE, EN, "!stack")
    assert "Speaking now" not in world.said_in(EN, mark)[0]
    world.clock.advance(5 * 60)  # nobody has the floor: this is nobody's time
    await world.say(CAROL, EN, "!call")
    assert world.said_in(EN)[-1].startswith("Alice (US) has the floor.")
    world.clock.advance(20)
    await world.say(ALICE, EN, "!done")
    world.clock.advance(60)
    await world.say(CAROL, EN, "!endmeeting")
    assert world.said_in(EN)[-1].endswith(
        "US: present 2, turns 1, speaking time 20 s.\n"
        "MX: present 1, turns 1, speaking time 1 min 15 s."
    )


async def test_only_the_speaker_or_a_chair_ends_a_turn(world: World) -> None:
    await world.say(CAROL, EN, "!startmeeting Monthly assembly")
    mark = world.mark()
    await world.say(CAROL, EN, "!done")
    assert world.said_in(EN, mark) == ["Nobody has the floor."]
    await world.say(BETO, ES, "!mano")
    await world.say(CAROL, EN, "!call")
    world.clock.advance(30)
    await world.say(BETO, ES, "una frase")
    mark = world.mark()
    await world.say(DANI, ES, "!listo")
    assert world.said_in(ES, mark) == [
        "Solo quien tiene la palabra, o quien modera esta reunión, puede usar !listo. "
        "Ahora: Beto (MX), Carol (US)."
    ]
    world.clock.advance(4 * 60)
    # A chair closing the turn does not say when Beto stopped: his last message does.
    await world.say(CAROL, EN, "!done")
    assert world.said_in(EN)[-1].startswith(
        "A chair closed Beto (MX)'s turn (speaking time: 1 min).\n"
    )
    mark = world.mark()
    await world.say(CAROL, EN, "!done")
    assert world.said_in(EN, mark) == ["Nobody has the floor."]


async def test_the_speaker_lowering_their_hand_ends_their_turn(world: World) -> None:
    await world.say(CAROL, EN, "!startmeeting Monthly assembly")
    await world.say(ALICE, EN, "!hand")
    await world.say(BETO, ES, "!mano")
    await world.say(CAROL, EN, "!call")
    world.clock.advance(45)
    await world.say(ALICE, EN, "!lower")
    assert world.said_in(EN)[-1].startswith(
        "Alice (US) is done speaking (speaking time: 45 s).\n"
        "Speaker stack, alternating between centers:\n1. Beto (MX) — turn\n"
    )
    # Someone who is not speaking still just lowers their hand.
    await world.say(BETO, ES, "!bajar")
    assert world.said_in(ES)[-1].startswith("Beto (MX) retiró su petición de palabra.")


async def test_a_silent_turn_ends_at_its_time_limit(world: World) -> None:
    """Alice speaks aloud on the call and writes nothing: the limit is what was set."""
    await world.say(CAROL, EN, "!startmeeting Monthly assembly")
    await world.say(CAROL, EN, "!timelimit 2m")
    await world.say(ALICE, EN, "!hand")
    await world.say(CAROL, EN, "!call")
    world.clock.advance(9 * 60)
    await world.say(CAROL, EN, "!endmeeting")
    assert world.said_in(EN)[-1].endswith(
        "US: present 2, turns 1, speaking time 2 min.\nMX: present 0, turns 0, speaking time 0 s."
    )


# --- authority --------------------------------------------------------------------------------


async def power_world(power: dict[tuple[str, str], int]) -> tuple[World, Database]:
    db = await Database.open(":memory:")
    assembly = replace(ASSEMBLY, power_level_chairs=True)
    return await build_world(db, Clock(), Scheduler(), assembly, Seats(SEATS, power)), db


async def test_a_moderator_of_one_room_is_not_a_chair_of_the_assembly() -> None:
    """The English room's admin made alice a moderator there: that gives her nothing."""
    world, db = await power_world({(EN, ALICE): 100})
    try:
        await world.say(ALICE, EN, "!startmeeting Alice's meeting")
        assert world.said_in(EN) == [
            "Only a standing chair may open a meeting with !startmeeting. Standing chairs: "
            "Carol (US)."
        ]
    finally:
        await db.close()


async def test_a_moderator_of_every_room_is_a_standing_chair_when_the_assembly_opts_in() -> None:
    world, db = await power_world({(EN, ALICE): 50, (ES, ALICE): 50})
    try:
        await world.say(ALICE, EN, "!startmeeting Alice's meeting")
        assert "Meeting started: Alice's meeting" in world.said_in(EN)[0]
    finally:
        await db.close()


async def test_only_the_opener_or_a_standing_chair_names_meeting_chairs(open_world: World) -> None:
    world = open_world
    await world.say(DANI, ES, "!iniciarreunion Reunión de barrio")
    await world.say(DANI, ES, "!moderar @beto:test")
    mark = world.mark()
    # beto chairs the meeting, but did not open it: he cannot hand chairs to others.
    await world.say(BETO, ES, "!moderar @alice:test")
    assert world.said_in(ES, mark) == [
        "Solo quien abrió esta reunión o modera la asamblea de forma permanente puede usar "
        "!moderar; ahora: Dani (MX), Carol (US)."
    ]
    await world.say(CAROL, EN, "!chair @alice:test")
    assert "Alice (US) is now a chair of this meeting." in world.said_in(EN)[-1]


async def test_meeting_chairs_lose_their_powers_when_the_meeting_ends(open_world: World) -> None:
    world = open_world
    await world.say(DANI, ES, "!iniciarreunion Reunión de barrio")
    await world.say(DANI, ES, "!moderar @beto:test")
    await world.say(DANI, ES, "!terminarreunion")
    mark = world.mark()
    await world.say(BETO, ES, "!punto Limpieza")
    assert world.said_in(ES, mark) == [
        "Solo quien modera puede usar !punto, y no hay ninguna reunión abierta. "
        "Cualquier persona puede abrir una con !iniciarreunión."
    ]


# --- failures of the bot's footing ------------------------------------------------------------


async def test_a_command_met_by_a_busy_database_is_handled_again_not_dropped(
    world: World,
) -> None:
    busy = [True]

    async def database_busy_once(assembly: Assembly, user_id: str, room_id: str) -> None:
        if busy.pop() if busy else False:
            raise sqlite3.OperationalError("database is locked")

    world.dispatcher.add_speech_observer(database_busy_once)
    event = world._event(
        "$busy",
        CAROL,
        EN,
        "m.room.message",
        {"msgtype": "m.text", "body": "!startmeeting Monthly assembly"},
    )
    with pytest.raises(sqlite3.OperationalError):
        await world.dispatcher.handle(event)
    assert not await world.runtime.is_handled("$busy")
    await world.dispatcher.handle(event)  # the sync batch comes again
    await world._send_outbox()
    assert "Meeting started: Monthly assembly" in world.said_in(EN)[0]
    assert len(world.said_in(EN)) == 1


# --- mistakes -----------------------------------------------------------------------------------


async def test_a_mistyped_command_suggests_the_nearest_in_the_rooms_language(
    world: World,
) -> None:
    await world.say(ALICE, EN, "!stak")
    assert world.said_in(EN) == [
        "I don't know the command !stak. Did you mean !stack? Send !help to see what I can do."
    ]
    await world.say(BETO, ES, "!trunos")
    assert world.said_in(ES) == [
        "No conozco el comando !trunos. ¿Quisiste decir !turnos? Envía !ayuda para ver lo que "
        "sé hacer."
    ]
    # Typed in English in the Spanish room: the suggestion is the Spanish name.
    await world.say(BETO, ES, "!stak")
    assert "¿Quisiste decir !turnos?" in world.said_in(ES)[-1]
    await world.say(ALICE, EN, "!xyzzy")
    assert world.said_in(EN)[-1] == (
        "I don't know the command !xyzzy. Send !help to see what I can do."
    )


async def test_a_name_that_already_names_its_center_is_not_given_it_twice() -> None:
    """Demo accounts and many real ones are called "Ana (US)": the stack must not say
    "Ana (US) (US)"."""
    db = await Database.open(":memory:")
    seats = Seats({EN: {ALICE: "Alice (us)", CAROL: "Carol"}, ES: {BETO: "Beto (MX)"}})
    try:
        world = await build_world(db, Clock(), Scheduler(), ASSEMBLY, seats)
        await world.say(CAROL, EN, "!startmeeting Names")
        await world.say(ALICE, EN, "!hand")
        await world.say(BETO, ES, "!mano")
        stack = " ".join(world.said_in(EN))
        assert "Alice (US)" in stack and "Beto (MX)" in stack
        assert "(US) (US)" not in stack and "(MX) (MX)" not in stack and "(us)" not in stack
    finally:
        await db.close()


def test_only_a_trailing_center_is_taken_off_a_name() -> None:
    assert without_center("Ana (US)", ("US", "MX")) == "Ana"
    assert without_center("Ana (Mexico City)", ("US", "MX")) == "Ana (Mexico City)"
    assert without_center("(MX)", ("US", "MX")) == "(MX)"
    assert without_center("Beto", ("US", "MX")) == "Beto"
