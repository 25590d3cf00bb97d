"""The follow-through report's figures, gathered from the stores: commitments made, done and
overdue per center per month, and decisions per month (`asamblea report`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.assembly import AssemblyRoom
from bot.domain.report import (
    ReportData,
    commitments_per_month,
    decisions_per_month,
    months_between,
)
from bot.storage.commitments_store import CommitmentsStore
from bot.storage.decisions_store import DecisionsStore


def start_of(day: date, zone: str) -> int:
    """Midnight of `day` in `zone`, in epoch milliseconds."""
    return int(datetime.combine(day, time(0), ZoneInfo(zone)).astimezone(UTC).timestamp() * 1000)


class FollowThrough:
    def __init__(self, commitments: CommitmentsStore, decisions: DecisionsStore) -> None:
        self._commitments = commitments
        self._decisions = decisions

    async def report(
        self,
        assembly: str,
        rooms: Sequence[AssemblyRoom],
        since: date,
        until: date,
        today: date,
    ) -> ReportData:
        """From `since` to `until`, both included; `today` decides what is overdue yet."""
        zones = dict((room.center, room.timezone) for room in rooms)
        zone = rooms[0].timezone if rooms else "UTC"
        months = months_between(since, until)
        # Each figure counts only what fell within the months asked for.
        committed = await self._commitments.all_of(assembly)
        decided = await self._decisions.agreed_and_polls_between(
            assembly, start_of(since, zone), start_of(until + timedelta(days=1), zone)
        )
        return ReportData(
            assembly=assembly,
            since=since,
            until=until,
            months=months,
            centers=commitments_per_month(
                committed,
                months,
                list(zones),
                lambda center: zones.get(center, zone),
                min(today, until + timedelta(days=1)),
            ),
            decisions=decisions_per_month((d.created_at for d in decided), months, zone),
        )
