"""The decision log (agreements, actions, information, ideas) and the minutes."""

from __future__ import annotations

from collections.abc import Callable

from bot.features.shared import Shared
from bot.framework.feature import Feature
from bot.services.minutes import MinutesService
from bot.storage.approvals_store import ApprovalsStore
from bot.storage.commitments_store import CommitmentsStore
from bot.storage.mirror_store import MirrorStore, SqliteTranslationCache
from bot.storage.people_store import PeopleStore
from bot.storage.polls_store import PollsStore
from bot.storage.rooms_store import AssemblyRoomsStore
from bot.storage.runtime_store import now_ms
from commands.records import RecordsCommands


def records_feature(shared: Shared) -> Feature:
    platform, people = shared.platform, shared.people
    minutes = minutes_service(shared, clock=now_ms)
    records = RecordsCommands(
        shared.decision_log,
        shared.commitments,
        minutes,
        platform.delivery,
        people.display_name,
        people.center_of,
        platform.prefix,
    )
    return Feature(name="records", commands=(records,), tables=("decisions", "people"))


def minutes_service(shared: Shared, *, clock: Callable[[], int]) -> MinutesService:
    """The minutes, made from every store that holds a part of them (the records' `!minutes`
    and the board's past meetings read the same)."""
    db = shared.platform.db
    return MinutesService(
        decisions=shared.decisions,
        meetings=shared.meetings_store,
        polls=PollsStore(db),
        mirror=MirrorStore(db),
        translations=SqliteTranslationCache(db),  # read only: the minutes never write to it
        rooms=AssemblyRoomsStore(db),
        people=PeopleStore(db),
        commitments=CommitmentsStore(db),
        approvals=ApprovalsStore(db),
        clock=clock,
    )
