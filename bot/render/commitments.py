"""Commitments as catalog messages (worded later, per room).

What people wrote (a commitment, a note, a reason) travels as `UserText`, so each room
reads it in its own language with the original beside; everything else is the catalogs'.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.domain.commitments import CenterReview, Commitment, HistoryEvent
from bot.domain.messages import Code, Msg, Name, UserText

Names = Callable[[str], Name]


def commitment_text(commitment: Commitment) -> UserText:
    return UserText(commitment.text, commitment.language)


def line(commitment: Commitment, overdue: bool) -> Msg:
    """`C3 Beto: call the hall (OVERDUE: due 2025-03-10)`."""
    values = {
        "label": Code(commitment.label),
        "owner": owner_of(commitment),
        "text": commitment_text(commitment),
    }
    if commitment.due is None:
        return Msg("commitments.line", values)
    values["due"] = commitment.due.isoformat()
    return Msg("commitments.line_overdue" if overdue else "commitments.line_due", values)


def grouped(centers: Sequence[CenterReview]) -> list[Msg]:
    """Each center's commitments under its name, overdue first."""
    lines = []
    for group in centers:
        lines.append(
            Msg.of(
                "commitments.center",
                center=group.center,
                count=len(group.commitments),
                overdue=len(group.overdue),
            )
        )
        lines += [line(c, overdue=True) for c in group.overdue]
        lines += [line(c, overdue=False) for c in group.open]
    return lines


def review(centers: Sequence[CenterReview], prefix: str) -> list[Msg]:
    """What `!startmeeting` adds when earlier meetings left commitments open."""
    if not centers:
        return []
    count = sum(len(g.commitments) for g in centers)
    overdue = sum(len(g.overdue) for g in centers)
    header = Msg.of("commitments.review.header", count=count, overdue=overdue)
    # The example names the first overdue commitment, the one most likely to be settled now.
    overdue = [c for group in centers for c in group.overdue]
    first = overdue[0] if overdue else centers[0].commitments[0]
    how = Msg.of("commitments.review.how", prefix=prefix, label=first.label)
    return [header, *grouped(centers), how]


def listing(centers: Sequence[CenterReview], prefix: str, *, overdue_only: bool) -> list[Msg]:
    if not centers:
        key = "commitments.list.none_overdue" if overdue_only else "commitments.list.none"
        return [Msg.of(key, prefix=prefix)]
    count = sum(len(g.commitments) for g in centers)
    header = "commitments.list.header_overdue" if overdue_only else "commitments.list.header"
    return [Msg.of(header, count=count), *grouped(centers)]


def note_of(commitment: Commitment) -> UserText | None:
    if not commitment.note:
        return None
    return UserText(commitment.note, commitment.note_language or commitment.language)


def closed(commitment: Commitment, by: Name) -> Msg:
    """`Ana marked C3 done: call the hall — “called on Monday”`, or dropped with its reason."""
    values = {
        "name": by,
        "label": Code(commitment.label),
        "owner": owner_of(commitment),
        "text": commitment_text(commitment),
    }
    note = note_of(commitment)
    if note is not None:
        values["note"] = note
    key = f"commitments.{commitment.status}" + ("_note" if note is not None else "")
    return Msg(key, values)


def history(
    commitment: Commitment, events: Sequence[HistoryEvent], zone: str, names: Names, overdue: bool
) -> list[Msg]:
    """One commitment with everything that happened to it, dates in the reader's zone."""
    lines = [
        line(commitment, overdue),
        Msg.of(
            f"commitments.status.{commitment.status}",
            center=commitment.owner_center,
        ),
    ]
    for event in events:
        values: dict[str, object] = {"date": _day(event.at, zone)}
        if event.by:
            values["name"] = names(event.by)
        if event.meeting_id:
            values["meeting"] = Code(f"#{event.meeting_id}")
        key = f"commitments.event.{event.kind}"
        if event.kind == "made" and not event.meeting_id:
            key += "_outside"
        elif event.kind in ("done", "dropped", "withdrawn") and not event.by:
            key += "_nobody"
        lines.append(Msg(key, values))
    return lines


def _day(ms: int, zone: str) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).astimezone(ZoneInfo(zone)).date().isoformat()


def owner_of(commitment: Commitment) -> Name:
    """The commitment's owner beside their center, as they were when it was made."""
    return Name(commitment.owner_name, center=commitment.owner_center)
