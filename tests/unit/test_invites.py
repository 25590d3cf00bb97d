"""Which invites the bot sees: only its own, with who sent it, from a sync as nio or the
homeserver gives it."""

from __future__ import annotations

from nio import InviteMemberEvent

from bot.matrix.invites import Invite, invites_in, pending_invites_filter, raw_event

BOT = "@asamblea:x"


def member(state_key: str, sender: str, **content: object) -> dict[str, object]:
    return {
        "type": "m.room.member",
        "state_key": state_key,
        "sender": sender,
        "content": {"membership": "invite", **content},
    }


def test_only_the_bots_own_invite_counts_with_who_sent_it() -> None:
    sync = {
        "rooms": {
            "invite": {
                "!committee:x": {
                    "invite_state": {
                        "events": [
                            member("@carol:x", "@alice:x"),  # someone else's invite
                            {"type": "m.room.name", "state_key": "", "content": {"name": "C"}},
                            member(BOT, "@alice:x"),
                        ]
                    }
                },
                "!chat:x": {"invite_state": {"events": [member(BOT, "@beto:x", is_direct=True)]}},
                "!broken:x": {"invite_state": "not a list"},
                "!other:x": {"invite_state": {"events": [member("@dani:x", "@beto:x")]}},
            }
        }
    }
    assert invites_in(BOT, sync) == [
        Invite("!committee:x", "@alice:x", is_direct=False),
        Invite("!chat:x", "@beto:x", is_direct=True),
    ]
    assert invites_in(BOT, {"rooms": None}) == [] and invites_in(BOT, []) == []


def test_nio_s_invite_events_read_as_the_homeserver_sent_them() -> None:
    """nio moves an invite event's content out of its source; it is put back."""
    event = InviteMemberEvent.from_dict(member(BOT, "@alice:x", is_direct=True))
    assert raw_event(event)["content"] == {"membership": "invite", "is_direct": True}


def test_the_pending_invites_are_asked_for_without_any_room_history() -> None:
    room = pending_invites_filter({"!b:x", "!a:x"})["room"]
    assert room["rooms"] == ["!a:x", "!b:x"]
    for part in ("timeline", "state", "ephemeral", "account_data"):
        assert room[part]["not_types"] == ["*"]
