"""The test harness itself: local Synapse, accounts and Person work end to end."""

from __future__ import annotations

import pytest

from bot.cli.devserver import LocalSynapse, RegisteredAccount
from tests.harness.person import Person, body_of, content_of, type_of


async def test_invite_join_and_message(alice: Person, beto: Person) -> None:
    room_id = await alice.create_room("Harness room", invite=[beto.user_id])
    assert await beto.wait_for_invite(room_id) == room_id
    await beto.join(room_id)

    mark = beto.mark()
    event_id = await alice.send_text(room_id, "hola, Beto")
    seen = await beto.wait_for(
        lambda room, event: room == room_id and event.source.get("event_id") == event_id,
        since=mark,
    )
    assert body_of(seen) == "hola, Beto"
    assert seen.source["sender"] == alice.user_id
    # Display names set at registration are visible to other members.
    assert beto.client.rooms[room_id].user_name(alice.user_id) == "Alice"


async def test_reactions_edits_redactions_and_custom_events(alice: Person, beto: Person) -> None:
    room_id = await alice.create_room("Harness relations", invite=[beto.user_id])
    await beto.join(room_id)
    message_id = await beto.send_text(room_id, "first")

    await alice.react(room_id, message_id, "👍")
    await beto.edit(room_id, message_id, "first (edited)")
    poll_id = await alice.send_content(
        room_id, "org.matrix.msc3381.poll.start", {"body": "poll?", "custom": True}
    )
    await alice.redact(room_id, message_id, reason="tidy")

    redaction = await beto.wait_for(
        lambda room, event: room == room_id and type_of(event) == "m.room.redaction"
    )
    assert redaction.source["redacts"] == message_id
    assert beto.count(room_id, lambda _r, e: type_of(e) == "m.reaction") == 1
    assert beto.count(room_id, lambda _r, e: "m.new_content" in content_of(e)) == 1
    # Unknown event types are recorded with their raw source.
    (poll,) = await beto.events_in(room_id, lambda _r, e: e.source.get("event_id") == poll_id)
    assert content_of(poll)["custom"] is True


async def test_wait_for_times_out_with_report(alice: Person) -> None:
    with pytest.raises(TimeoutError, match="no matching event"):
        await alice.wait_for(lambda _room, _event: False, timeout=0.5)


async def test_failed_send_raises(alice: Person) -> None:
    from tests.harness.person import MatrixRequestError

    with pytest.raises(MatrixRequestError, match="sending"):
        await alice.send_text("!nonexistent:localhost", "nobody hears this")


def test_register_existing_user_logs_in(
    synapse: LocalSynapse, accounts: dict[str, RegisteredAccount]
) -> None:
    again = synapse.register("alice", accounts["alice"].password)
    assert again.user_id == accounts["alice"].user_id
    assert again.access_token != accounts["alice"].access_token


async def test_restart_keeps_port_and_accounts(
    synapse: LocalSynapse, accounts: dict[str, RegisteredAccount]
) -> None:
    port = synapse.port
    synapse.stop()
    try:
        assert not synapse.running
    finally:
        synapse.start()
    assert synapse.port == port

    # The old access token still works after the restart...
    async with Person(synapse.base_url, accounts["carol"]) as carol:
        room_id = await carol.create_room("after restart")
        event_id = await carol.send_text(room_id, "still here")
        await carol.wait_for(lambda _room, event: event.source.get("event_id") == event_id)
    # ...and so does the password.
    assert synapse.login("carol", accounts["carol"].password).user_id == accounts["carol"].user_id
