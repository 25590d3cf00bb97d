"""Commitments as plain values: their names, the review's order, the weekly reminder of an
overdue one in its owner's zone, and the minutes' follow-up between two meetings."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.domain.commitments import (
    Commitment,
    Status,
    follow_up,
    next_overdue_reminder,
    overdue_reminder_day,
    read_label,
    review,
)

MX_ZONE = "America/Mexico_City"


def a_commitment(number: int, center: str, due: date | None, **fields: object) -> Commitment:
    values: dict[str, object] = {
        "id": number,
        "assembly": "A",
        "number": number,
        "decision_id": number,
        "meeting_id": 1,
        "text": f"task {number}",
        "language": "en",
        "owner": f"@p{number}:x",
        "owner_name": f"P{number}",
        "owner_center": center,
        "due": due,
        "status": Status.OPEN,
        "made_at": 0,
    }
    values.update(fields)
    return Commitment(**values)  # type: ignore[arg-type]


def test_a_commitment_is_named_c_and_its_number_in_either_language() -> None:
    assert [read_label(w) for w in ("C12", "c12", "12", "#12", "C", "12b", "0")] == [
        12,
        12,
        12,
        12,
        None,
        None,
        None,
    ]


def test_the_review_groups_by_center_with_the_overdue_first() -> None:
    today = date(2025, 4, 2)
    commitments = [
        a_commitment(1, "US", date(2025, 4, 20)),
        a_commitment(2, "MX", None),
        a_commitment(3, "MX", date(2025, 3, 10)),
        a_commitment(4, "MX", date(2025, 3, 5)),
        a_commitment(5, "US", date(2025, 3, 1), status=Status.DONE),
    ]
    [mx, us] = review(commitments, ["MX", "US"], lambda c: today)
    assert [c.number for c in mx.overdue] == [4, 3] and [c.number for c in mx.open] == [2]
    assert us.overdue == () and [c.number for c in us.open] == [1]


def test_an_overdue_commitment_is_reminded_weekly_at_nine_in_its_owners_zone() -> None:
    due = date(2025, 3, 5)  # a Wednesday
    assert overdue_reminder_day(due, date(2025, 3, 11)) is None
    assert overdue_reminder_day(due, date(2025, 3, 12)) == date(2025, 3, 12)
    assert overdue_reminder_day(due, date(2025, 3, 18)) == date(2025, 3, 12)
    first = next_overdue_reminder(due, MX_ZONE, datetime(2025, 3, 6, tzinfo=UTC))
    assert first == datetime(2025, 3, 12, 15, 0, tzinfo=UTC)  # 09:00 in Mexico City
    later = next_overdue_reminder(due, MX_ZONE, first)
    assert later == datetime(2025, 3, 19, 15, 0, tzinfo=UTC)


def test_the_follow_up_counts_each_center_between_two_meetings() -> None:
    since = int(datetime(2025, 3, 4, tzinfo=UTC).timestamp() * 1000)
    until = int(datetime(2025, 4, 2, 18, tzinfo=UTC).timestamp() * 1000)
    during = since + 1000
    commitments = [
        a_commitment(1, "US", date(2025, 4, 20), status=Status.DONE, closed_at=during),
        a_commitment(2, "MX", date(2025, 3, 5)),
        a_commitment(3, "MX", date(2025, 3, 10), status=Status.DROPPED, closed_at=during),
        a_commitment(4, "MX", date(2025, 5, 1)),
        a_commitment(5, "US", None, status=Status.DONE, closed_at=since - 1),
        a_commitment(6, "US", None, status=Status.WITHDRAWN, closed_at=during),
    ]
    summary = follow_up(commitments, since, until, ["US", "MX"], lambda center: MX_ZONE)
    us, mx = summary.centers
    assert [c.number for c in us.done] == [1] and us.open == () and us.overdue == ()
    assert [c.number for c in mx.dropped] == [3]
    assert [c.number for c in mx.overdue] == [2] and [c.number for c in mx.open] == [4]
