"""Who may do what, tried as a hostile member would, on the real homeserver.

carol is the assembly's standing chair (named in the configuration). alice created the English
room and beto the Spanish one, so each is an admin of their own room only.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.harness.bot_runner import BotRunner, RoomPair
from tests.harness.matchers import copy_of, edit_of
from tests.harness.person import MatrixRequestError, Person, body_of, content_of
from tests.integration.test_records import ask, says


def _db(bot: BotRunner) -> Any:
    assert bot.app is not None and bot.app.db is not None
    return bot.app.db


@pytest.fixture
def assembly_extra() -> str:
    """Anyone may open a meeting here: the attacks come from a meeting chair."""
    return 'who_may_start = "anyone"'


async def test_a_meeting_chair_cannot_reach_into_earlier_meetings_or_others_schedules(
    bot: BotRunner, rooms: RoomPair, alice: Person, beto: Person, carol: Person
) -> None:
    en, es = rooms.english, rooms.spanish
    # carol's meeting: an agreement, a poll she leaves open, and a schedule of hers.
    await carol.send_text(en, "!startmeeting First assembly")
    await alice.wait_for(says(bot, en, "Meeting started"))
    await ask(carol, en, "!agreed We eat at noon")
    await carol.send_text(en, '!poll "Do we rent the hall?"')
    await alice.wait_for(says(bot, en, "Poll #"))
    assert "Scheduled:" in await ask(carol, en, '!schedule tomorrow 18:00 "Carol\'s meeting"')
    await carol.send_text(en, "!endmeeting")
    await alice.wait_for(says(bot, en, "Meeting ended"))

    # beto opens the next meeting, and chairs it.
    await beto.send_text(es, "!iniciarreunion Segunda")
    await beto.wait_for(says(bot, es, "Empieza la reunión"))
    nothing = await ask(beto, es, "!deshacer")
    assert nothing == "No hay nada que deshacer en el registro de decisiones."
    refused = await ask(beto, es, "!cerrar")
    assert "se abrió fuera de esta reunión" in refused
    schedule = (await _db(bot).fetch_one("SELECT id FROM schedules"))["id"]
    refused = await ask(beto, es, f"!desprogramar {schedule}")
    assert "la programó otra persona" in refused

    # Nothing of carol's meeting changed.
    entry = await _db(bot).fetch_one("SELECT undone_at FROM decisions WHERE kind = 'agreed'")
    assert entry["undone_at"] is None
    assert (await _db(bot).fetch_one("SELECT closed_at FROM polls"))["closed_at"] is None
    assert (await _db(bot).fetch_one("SELECT cancelled_at FROM schedules"))["cancelled_at"] is None

    # A pause ends with the meeting it was made in.
    await beto.send_text(es, "!pausar")
    await alice.wait_for(says(bot, en, "paused mirroring"))
    await beto.send_text(es, "!terminarreunion")
    await beto.wait_for(says(bot, es, "el espejo vuelve a funcionar"))
    said = await alice.send_text(en, "hello everyone")
    await beto.wait_for(copy_of(said, es))

    # The standing chair reaches everything.
    await carol.send_text(en, "!close")
    await alice.wait_for(says(bot, en, "Poll #1 closed by Carol"))


@pytest.mark.parametrize("assembly_extra", ['who_may_start = "anyone"\npower_level_chairs = true'])
async def test_an_admin_of_one_room_is_not_a_chair_of_the_assembly(
    bot: BotRunner, rooms: RoomPair, alice: Person, beto: Person
) -> None:
    """Even with power-level chairs on, alice's power level 100 in the English room (she created
    it) does not make her a chair of the meeting beto opened: she is no moderator of his room."""
    assert bot.app is not None and bot.app.config.assemblies[0].power_level_chairs
    await beto.send_text(rooms.spanish, "!iniciarreunion Reunión de Beto")
    await beto.wait_for(says(bot, rooms.spanish, "Empieza la reunión"))
    refused = await ask(alice, rooms.english, "!endmeeting")
    assert refused == (
        "Only a chair of this meeting may use !endmeeting. Chairs now: Beto (MX), Carol (US)."
    )
    refused = await ask(alice, rooms.english, "!pause")
    assert refused.startswith("Only a chair of this meeting may use !pause.")


async def test_an_edit_by_someone_else_is_not_mirrored(
    bot: BotRunner, rooms: RoomPair, alice: Person, beto: Person, carol: Person
) -> None:
    en, es = rooms.english, rooms.spanish
    said = await alice.send_text(en, "hello everyone")
    copy = await beto.wait_for(copy_of(said, es))
    # carol sends an m.replace of alice's message: legal on the wire, meaningless to clients.
    await carol.edit(en, said, "we cancel the assembly")
    # alice's own edit comes after it in the same queue: once it is mirrored, so was carol's.
    await alice.edit(en, said, "good morning")
    edited = await beto.wait_for(edit_of(copy.event_id))
    assert "buenos días" in str(content_of(edited)["m.new_content"]["body"])
    assert beto.count(lambda r, e: r == es and "cancel" in (body_of(e) or "")) == 0
    row = await _db(bot).fetch_one("SELECT text FROM mirrors WHERE target_room_id = ?", (es,))
    assert row["text"] == "good morning"


async def test_copies_never_notify_a_whole_room_and_ping_only_people_there(
    bot: BotRunner, rooms: RoomPair, alice: Person, beto: Person, carol: Person
) -> None:
    mentions = {"room": True, "user_ids": [beto.user_id, carol.user_id]}
    said = await alice.send_text(
        rooms.english, "@room Beto and Carol: hello everyone", **{"m.mentions": mentions}
    )
    copy = await beto.wait_for(copy_of(said, rooms.spanish))
    assert content_of(copy)["m.mentions"] == {"user_ids": [beto.user_id]}
    plain = await alice.send_text(rooms.english, "@room hello everyone")
    copy = await beto.wait_for(copy_of(plain, rooms.spanish))
    assert content_of(copy)["m.mentions"] == {}


async def test_a_moderators_deletion_removes_the_copy(
    bot: BotRunner, rooms: RoomPair, alice: Person, beto: Person, carol: Person
) -> None:
    """alice moderates the English room: the homeserver accepts her deletion of carol's message,
    so its copy goes too. carol cannot delete alice's message: the homeserver refuses."""
    en, es = rooms.english, rooms.spanish
    said = await carol.send_text(en, "hello everyone")
    copy = await beto.wait_for(copy_of(said, es))
    with pytest.raises(MatrixRequestError, match="M_FORBIDDEN"):
        await carol.redact(en, (await alice.send_text(en, "good morning")), "not yours")
    await alice.redact(en, said, "off topic")
    await beto.wait_for(lambda r, e: r == es and redacts(e) == copy.event_id)


def redacts(event: Any) -> Any:
    """The event a redaction removes (top level before room version 11, in content after)."""
    return event.source.get("redacts") or (event.source.get("content") or {}).get("redacts")


@pytest.mark.parametrize("assembly_extra", [""])
async def test_a_member_without_a_role_cannot_open_a_meeting(
    bot: BotRunner, rooms: RoomPair, alice: Person, beto: Person, carol: Person
) -> None:
    """By default only standing chairs open meetings: beto is refused in Spanish, and no
    meeting (with beto as its chair) exists afterwards."""
    refused = await ask(beto, rooms.spanish, "!iniciarreunion Reunión de Beto")
    assert refused == (
        "Solo quien modera la asamblea de forma permanente puede abrir una reunión con "
        "!iniciarreunión. Moderan de forma permanente: Carol (US)."
    )
    assert await _db(bot).fetch_all("SELECT id FROM meetings") == []
    await carol.send_text(rooms.english, "!startmeeting Carol's meeting")
    await alice.wait_for(says(bot, rooms.english, "Meeting started"))
