"""Commitments between meetings, told without a homeserver: two meetings a month apart, the
commitments of the first reviewed at the start of the second, done, dropped and reminded; the
decision register; the first meeting's minutes corrected and approved by the second.

Carol (US) chairs from the English room; Alice sits there too; Beto and Dani sit in the Spanish
room (MX). The clock starts on Monday 2025-03-03 at 18:00 in New York.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime

import pytest

from bot.domain.assembly import AssemblyDirectory
from bot.services.register import Register
from bot.storage.database import Database
from bot.storage.decisions_store import DecisionsStore
from bot.storage.meetings_store import MeetingsStore
from bot.storage.mirror_store import SqliteTranslationCache
from bot.storage.polls_store import PollsStore
from bot.storage.register_store import RegisterStore
from tests.harness.fakes import Clock, Scheduler
from tests.harness.reading import as_read
from tests.unit.test_everyday_records import minutes_file
from tests.unit.test_meetings_commands import (
    ALICE,
    ASSEMBLY,
    BETO,
    CAROL,
    DANI,
    EN,
    ES,
    World,
    build_world,
)

START = datetime(2025, 3, 3, 23, 0, tzinfo=UTC)  # 18:00 New York, 17:00 Mexico City


@pytest.fixture
async def world() -> AsyncIterator[World]:
    db = await Database.open(":memory:")
    try:
        yield await build_world(db, Clock(START), Scheduler())
    finally:
        await db.close()


async def first_meeting(world: World) -> None:
    """Three commitments: one of each center due soon, one due next month."""
    await world.say(CAROL, EN, "!startmeeting March assembly")
    await world.say(CAROL, EN, f"!action {BETO} call the hall due 2025-03-05")
    await world.say(CAROL, EN, f"!action {ALICE} send the budget due 2025-04-20")
    await world.say(CAROL, EN, f"!action {DANI} book the bus due 2025-03-10")
    await world.say(CAROL, EN, "!agreed We approve the budget")
    await world.say(CAROL, EN, "!endmeeting")


async def second_meeting(world: World) -> None:
    """A month later, on the day Beto's overdue commitment is reminded."""
    world.clock.set(datetime(2025, 4, 2, 16, 0, tzinfo=UTC))  # 10:00 in Mexico City
    await world.say(CAROL, EN, "!startmeeting April assembly")


# -- two meetings a month apart ------------------------------------------------------------------


async def test_each_action_item_becomes_a_numbered_commitment_of_the_assembly(
    world: World,
) -> None:
    await first_meeting(world)
    said = "\n".join(world.said_in(EN))
    assert "Action item #1 for Beto (MX), due 2025-03-05: call the hall" in said
    assert "It is commitment C1 of the assembly" in said
    assert "Es el compromiso C3 de la asamblea" in "\n".join(world.said_in(ES))
    mark = world.mark()
    await world.say(DANI, ES, "!compromisos")
    [listed] = world.said_in(ES, mark)
    assert listed.startswith("Compromisos pendientes (3):")
    assert "MX — pendientes: 2, vencidos: 0" in listed and "US — pendientes: 1" in listed
    assert "C1 Beto (MX): call the hall (para el 2025-03-05)" in listed
    await world.say(DANI, ES, f"!compromisos {BETO}")
    [beto] = world.said_in(ES, mark)[1:]
    assert beto.startswith("Compromisos pendientes (1):") and "C1 Beto (MX)" in beto


async def test_the_next_meeting_opens_with_the_review_grouped_by_center(world: World) -> None:
    await first_meeting(world)
    mark = world.mark()
    await second_meeting(world)
    english = world.said_in(EN, mark)
    spanish = world.said_in(ES, mark)
    assert english[0].startswith("Meeting started: April assembly")
    review_en = english[1].splitlines()
    assert review_en[0].startswith("Commitments of earlier meetings still open: 3, 2 of them")
    assert review_en[1:5] == [
        "US — open: 1, overdue: 0",
        "C2 Alice (US): send the budget (due 2025-04-20)",
        "MX — open: 2, overdue: 2",
        "C1 Beto (MX): call the hall (OVERDUE, was due 2025-03-05)",
    ]
    review_es = spanish[1].splitlines()
    assert review_es[0].startswith("Compromisos de reuniones anteriores aún pendientes: 3")
    assert "C3 Dani (MX): book the bus (VENCIDO, era para el 2025-03-10)" in review_es
    mark = world.mark()
    await world.say(BETO, ES, "!orden")
    assert "1. Revisión de compromisos" in world.said_in(ES, mark)[0]
    await world.say(ALICE, EN, "!agenda")
    assert "1. Review of commitments" in world.said_in(EN, mark)[-1]


async def test_a_meeting_with_nothing_left_open_has_no_review(world: World) -> None:
    await world.say(CAROL, EN, "!startmeeting Quiet")
    mark = world.mark()
    await world.say(CAROL, EN, "!agenda")
    assert "Review of commitments" not in "\n".join(world.said_in(EN, mark))
    assert len(world.said_in(EN)) == 2  # the opening and the agenda


async def test_done_by_its_owner_dropped_by_a_chair_with_its_reason(world: World) -> None:
    await first_meeting(world)
    await second_meeting(world)
    mark = world.mark()
    await world.say(DANI, ES, "!cumplido C2")
    assert "Solo quien lo tiene, Alice (US), o la moderación" in world.said_in(ES, mark)[0]
    await world.say(ALICE, EN, "!complete C2 sent to both centers")
    assert world.said_in(EN, mark)[-1] == (
        "Alice (US) marked C2 done: send the budget (Alice (US)). Note: sent to both centers"
    )
    assert world.said_in(ES, mark)[-1].startswith("Alice (US) marcó C2 como cumplido")
    await world.say(BETO, ES, '!descartar C3 "la empresa cerró"')
    assert "Solo" in world.said_in(ES, mark)[-1]  # Beto is no chair
    await world.say(CAROL, EN, "!drop C3")
    assert "Say why it is dropped" in world.said_in(EN, mark)[-1]
    await world.say(CAROL, EN, '!drop C3 "the bus company closed"')
    assert world.said_in(ES, mark)[-1] == (
        "Carol (US) descartó C3: book the bus (Dani (MX)). Motivo: the bus company closed"
    )
    await world.say(CAROL, EN, "!complete C3")
    assert world.said_in(EN, mark)[-1] == "C3 was dropped already."
    mark = world.mark()
    await world.say(BETO, ES, "!compromisos C3")
    history = world.said_in(ES, mark)[0].splitlines()
    assert history[1] == "Descartado; centro de quien lo tiene: MX."
    assert history[2] == "2025-03-03: adquirido en la reunión #1"
    assert history[3] == "2025-04-02: lo descartó Carol (US)"
    await world.say(BETO, ES, "!compromisos vencidos")
    assert world.said_in(ES, mark)[-1].splitlines()[1:] == [
        "MX — pendientes: 1, vencidos: 1",
        "C1 Beto (MX): call the hall (VENCIDO, era para el 2025-03-05)",
    ]


async def test_an_overdue_commitment_is_reminded_to_its_owner_in_their_room(
    world: World,
) -> None:
    await first_meeting(world)
    # A restart rebuilds the reminders from the database.
    world = await world.restart()
    assert {"commitment:1", "commitment:2", "commitment:3"} <= set(world.scheduler.jobs)
    world.clock.set(datetime(2025, 3, 12, 15, 30, tzinfo=UTC))  # 09:30 in Mexico City
    mark = world.mark()
    await world.scheduler.run_due(world.clock.utc())
    await world._send_outbox()
    [reminder] = [m for m in world.sent[mark:] if "vencido" in m.content.get("body", "")]
    assert reminder.room_id == ES
    assert reminder.content["msgtype"] == "m.text"
    assert reminder.content["m.mentions"] == {"user_ids": [BETO]}
    assert as_read(reminder.content["body"]).startswith("Beto (MX), el compromiso C1 está vencido")
    assert world.said_in(EN, mark) == []
    # Done, it is reminded no more.
    await world.say(BETO, ES, "!cumplido C1 listo")
    world.clock.set(datetime(2025, 3, 19, 15, 30, tzinfo=UTC))
    mark = world.mark()
    await world.scheduler.run_due(world.clock.utc())
    await world._send_outbox()
    assert world.said_in(ES, mark) == []


async def test_the_minutes_are_corrected_then_approved_by_a_later_meeting(world: World) -> None:
    await first_meeting(world)
    mark = world.mark()
    await world.say(CAROL, EN, "!approve 1")
    assert "open one with !startmeeting" in world.said_in(EN, mark)[-1]
    await world.say(CAROL, EN, "!minutes 1")
    assert "Draft: these minutes are not approved yet." in minutes_file(world, "minutes-1-en.md")
    await second_meeting(world)
    await world.say(CAROL, EN, "!approve 2")
    assert "Meeting #2 is not an earlier meeting" in world.said_in(EN)[-1]
    await world.say(CAROL, EN, '!correct 1 "Dani was present too"')
    assert "Carol (US) anotó una corrección al acta de la reunión #1" in world.said_in(ES)[-1]
    await world.say(CAROL, EN, "!approve")
    approved = "Carol (US): acuerdo #1, se aprueba el acta de la reunión"
    assert world.said_in(ES)[-1].startswith(approved)
    await world.say(CAROL, EN, "!approve 1")
    assert "are approved already" in world.said_in(EN)[-1]
    await world.say(DANI, ES, "!acta 1")
    spanish = minutes_file(world, "minutes-1-es.md")
    assert "Aprobada el miércoles, 2 de abril de 2025, por la reunión #2." in spanish
    assert "## Correcciones" in spanish and "Dani was present too" in spanish
    english = minutes_file(world, "minutes-1-en.md")
    assert "Approved on Wednesday, April 2, 2025, by meeting #2." in english
    # The approval is a decision of the second meeting, in each language from the catalogs.
    await world.say(CAROL, EN, "!endmeeting")
    await world.say(CAROL, EN, "!minutes 2")
    second = minutes_file(world, "minutes-2-es.md")
    assert "Se aprueba el acta de la reunión #1, con una corrección." in second
    assert "machine" not in minutes_file(world, "minutes-2-en.md")
    assert "| 1 | Revisión de compromisos |" in second


async def test_an_undone_approval_leaves_the_minutes_a_draft(world: World) -> None:
    await first_meeting(world)
    await second_meeting(world)
    await world.say(CAROL, EN, "!approve")
    await world.say(CAROL, EN, "!undo")
    await world.say(CAROL, EN, "!minutes 1")
    assert "Draft: these minutes" in minutes_file(world, "minutes-1-en.md")
    await world.say(CAROL, EN, "!approve")
    assert "are approved" in world.said_in(EN)[-1]


async def test_the_minutes_follow_up_each_center_since_the_last_meeting(world: World) -> None:
    await first_meeting(world)
    await second_meeting(world)
    await world.say(ALICE, EN, "!complete C2")
    await world.say(CAROL, EN, '!drop C3 "the bus company closed"')
    await world.say(CAROL, EN, "!endmeeting")
    await world.say(CAROL, EN, "!minutes")
    english = minutes_file(world, "minutes-2-en.md")
    follow = english.split("## Follow-up of commitments")[1].split("\n## ")[0]
    assert "| Center | Done | Dropped | Still open | Overdue |" in follow
    assert "| US | 1 | 0 | 0 | 0 |" in follow and "| MX | 0 | 1 | 0 | 1 |" in follow
    assert "**C1** Beto (MX): call the hall _(overdue: was due 2025-03-05)_" in follow
    assert "**C3** Dani (MX): book the bus _(dropped: the bus company closed)_" in follow


async def test_an_undone_action_item_is_no_commitment(world: World) -> None:
    await world.say(CAROL, EN, "!startmeeting March assembly")
    await world.say(CAROL, EN, f"!action {BETO} call the hall")
    await world.say(CAROL, EN, "!undo")
    mark = world.mark()
    await world.say(CAROL, EN, "!commitments")
    assert world.said_in(EN, mark) == ["No open commitments. An action item (!action) becomes one."]
    await world.say(CAROL, EN, "!complete C1")
    assert "There is no commitment C1" in world.said_in(EN)[-1]


# -- the decision register ---------------------------------------------------------------------


class Untranslated:
    """Delivery's translator, here giving nothing: what the rooms were shown is put in the
    cache by the test itself."""

    async def translate_quickly(self, text: str, source: str, target: str) -> str | None:
        return None

    async def translate_lines_quickly(
        self, lines: Sequence[str], source: str, target: str
    ) -> list[str | None]:
        return [None for _ in lines]


async def test_a_decision_is_found_in_either_language_without_accents() -> None:
    db = await Database.open(":memory:")
    try:
        world = await build_world(db, Clock(START), Scheduler(), texts=Untranslated())
        await decisions_found(world)
    finally:
        await db.close()


async def decisions_found(world: World) -> None:
    await first_meeting(world)
    await world.say(CAROL, EN, "!startmeeting April assembly")
    await world.say(CAROL, EN, f"!chair {BETO}")
    await world.say(BETO, ES, "!acuerdo Aprobamos el presupuesto de la Asamblea")
    # The rooms were shown these translations, which the cache keeps.
    cache = SqliteTranslationCache(world.db)
    await cache.put("libre", "en", "es", "We approve the budget", "Aprobamos el presupuesto")
    await cache.put(
        "libre", "es", "en", "Aprobamos el presupuesto de la Asamblea", "We approve the budget"
    )
    await cache.flush()
    mark = world.mark()
    await world.say(DANI, ES, "!decisiones PRESUPUÉSTO")
    found = world.said_in(ES, mark)[0].splitlines()
    assert found[0] == "Decisiones sobre «PRESUPUÉSTO» (2):"
    [english] = [line for line in found if "reunión #1" in line]
    assert english.startswith("2025-03-03, reunión #1 (March assembly), acuerdo #1: ")
    assert english.endswith("Acta: !acta 1")
    await world.say(ALICE, EN, "!decisions budget")
    [spanish] = [line for line in world.said_in(EN, mark)[-1].splitlines() if "#2" in line]
    assert "meeting #2 (April assembly), agreement #1: " in spanish
    assert spanish.endswith("Minutes: !minutes 2")
    await world.say(ALICE, EN, "!decisions hall")
    assert world.said_in(EN, mark)[-1] == (
        "No agreement or poll result of any meeting mentions “hall”."
    )
    await world.say(CAROL, EN, "!undo")
    await world.say(ALICE, EN, "!decisions asamblea")
    assert "No agreement" in world.said_in(EN, mark)[-1]



async def test_a_translation_still_missing_is_asked_for_outside_any_transaction() -> None:
    """A poll's question is shown in the other room within the poll, not cached alone: the
    register's own round asks the translator for it, and a search then finds it."""
    db = await Database.open(":memory:")
    try:
        world = await build_world(db, Clock(START), Scheduler(), texts=Untranslated())
        await world.say(CAROL, EN, "!startmeeting March assembly")
        await world.say(CAROL, EN, '!poll "Do we rent the hall?"')
        await world.say(CAROL, EN, "!vote yes")
        await world.say(CAROL, EN, "!close")
        asked: list[tuple[str, bool]] = []

        class Translator:
            async def translate_quickly(self, text: str, source: str, target: str) -> str:
                asked.append((text, db.in_transaction))
                return "¿Rentamos el salón?"

        register = Register(
            db=db,
            store=RegisterStore(db),
            decisions=DecisionsStore(db),
            meetings=MeetingsStore(db),
            polls=PollsStore(db),
            cache=SqliteTranslationCache(db),
            translator=Translator(),  # type: ignore[arg-type]
            directory=AssemblyDirectory((ASSEMBLY,)),
        )
        assert await register.keep_once() == 1
        assert asked == [("Do we rent the hall?", False)]
        assert await register.keep_once() == 0
        mark = world.mark()
        await world.say(DANI, ES, "!decisiones salon")
        found = world.said_in(ES, mark)[0]
        assert "votación #1, aprobada: Do we rent the hall?" in found
    finally:
        await db.close()
