"""Meetings, agenda items and the speaker stack as catalog messages (worded later, per room).

Names are resolved by the caller (`Names`), so these functions stay pure and easy to test.
Titles are person-written: they travel as `UserText` so each room can show them translated.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.domain.durations import duration_message
from bot.domain.meetings import CURRENT, DONE, AgendaItem, Turn
from bot.domain.messages import Msg, Name, UserText
from bot.domain.stack import Hand, StackPolicy, TurnKind

Names = Callable[[str], str]
# A person by their user id, as every message names them: "Ana (US)" (`People.person`).
People = Callable[[str], Name]


def duration(seconds: float) -> Msg:
    """`45 s`, `10 min`, `2 min 30 s`, `1 h 5 min`."""
    return duration_message(seconds)


def elapsed(start_ms: int, end_ms: int) -> Msg:
    return duration((end_ms - start_ms) / 1000)


def person(name: str, center: str | None) -> Name:
    """A person's name beside their center: "Ana (US)"."""
    return Name(name, center=center)


def listing(items: Sequence[Msg | Name]) -> Msg | Name | str:
    """Messages or names as "a, b, c", with the catalogs' own separator."""
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    return Msg.of("meeting.join", head=items[0], tail=listing(items[1:]))


def kind(turn_kind: TurnKind) -> Msg:
    return Msg.of(f"stack.kind.{turn_kind}")


def policy(stack_policy: StackPolicy) -> Msg:
    return Msg.of(f"stack.policy.{stack_policy}")


def title(item: AgendaItem) -> UserText | Msg:
    """A chair's title as they wrote it; an item the bot added, in the reader's language."""
    if item.title_key:
        return Msg.of(item.title_key)
    return UserText(item.title, item.language)


def item(entry: AgendaItem, people: People) -> Msg:
    """`2. Budget (10 min; owner: Alice (US))`; the number is the item's place on the agenda."""
    values: dict[str, object] = {"number": entry.position, "title": title(entry)}
    key = "agenda.item"
    if entry.timebox_seconds:
        values["timebox"] = duration(entry.timebox_seconds)
        key += "_timebox"
    if entry.owner:
        values["owner"] = people(entry.owner)
        key += "_owner"
    return Msg(key, values)


def agenda_line(entry: AgendaItem, people: People) -> Msg:
    if entry.status == CURRENT:
        return Msg.of("agenda.line_current", item=item(entry, people))
    if entry.status == DONE and entry.started_at is not None and entry.ended_at is not None:
        return Msg.of(
            "agenda.line_done",
            item=item(entry, people),
            took=elapsed(entry.started_at, entry.ended_at),
        )
    return item(entry, people)


def agenda(meeting_title: UserText, items: Sequence[AgendaItem], people: People) -> list[Msg]:
    lines = [Msg.of("agenda.header", title=meeting_title)]
    return lines + [agenda_line(entry, people) for entry in items]


def speaking(turn: Turn, names: Names) -> Msg:
    who = person(names(turn.user_id), turn.center)
    if turn.kind is TurnKind.ORDINARY:
        return Msg.of("stack.speaking", person=who)
    return Msg.of("stack.speaking_kind", person=who, kind=kind(turn.kind))


def waiting(hands: Sequence[Hand], names: Names) -> list[Msg]:
    if not hands:
        return [Msg.of("stack.nobody")]
    return [
        Msg.of(
            "stack.waiting_line",
            position=position,
            person=person(names(hand.user_id), hand.center),
            kind=kind(hand.kind),
        )
        for position, hand in enumerate(hands, start=1)
    ]


def hand_raised(hand: Hand, waiting: Sequence[Hand], names: Names) -> Msg:
    """One line for a hand just raised: its place on the stack, and who is first. (The whole
    stack is shown when asked for and when the floor changes, not at every hand.)"""
    who = person(names(hand.user_id), hand.center)
    place = waiting.index(hand) + 1
    if place == 1:
        return Msg.of(f"stack.raised_first.{hand.kind}", person=who)
    first = waiting[0]
    return Msg.of(
        f"stack.raised.{hand.kind}",
        person=who,
        position=place,
        next=person(names(first.user_id), first.center),
    )


def stack(
    stack_policy: StackPolicy, hands: Sequence[Hand], speaker: Turn | None, names: Names
) -> list[Msg]:
    """The whole stack: its order, who speaks now, who waits; and how to join it."""
    lines = [Msg.of("stack.header", policy=policy(stack_policy))]
    if speaker is not None:
        lines.append(speaking(speaker, names))
    lines += waiting(hands, names)
    lines.append(Msg.of("stack.hint"))
    return lines
