"""Between meetings: commitments followed until done, the decision register, and minutes the
assembly approves."""

from __future__ import annotations

from bot.features.shared import Shared
from bot.framework.feature import Feature
from bot.services.approvals import MinutesApprovals
from bot.services.register import Register
from bot.storage.approvals_store import ApprovalsStore
from bot.storage.mirror_store import SqliteTranslationCache
from bot.storage.polls_store import PollsStore
from bot.storage.register_store import RegisterStore
from commands.commitments import CommitmentsCommands


def commitments_feature(shared: Shared) -> Feature:
    platform = shared.platform
    db = platform.db
    register = Register(
        db=db,
        store=RegisterStore(db),
        decisions=shared.decisions,
        meetings=shared.meetings_store,
        polls=PollsStore(db),
        cache=SqliteTranslationCache(db),  # read only: translations the rooms were shown
        translator=platform.translation.gateway,
        directory=platform.directory,
    )
    approvals = MinutesApprovals(
        ApprovalsStore(db), shared.meetings_store, shared.decisions, shared.decision_log
    )
    commands = CommitmentsCommands(
        shared.commitments,
        register,
        approvals,
        platform.delivery,
        shared.people.person,
        platform.prefix,
    )
    return Feature(
        name="commitments",
        commands=(commands,),
        tables=(
            "commitments",
            "commitment_events",
            "decision_register",
            "minutes_approvals",
            "minutes_corrections",
        ),
        # Overdue reminders come back from the database; the register asks the translator
        # for what it still lacks, outside any transaction.
        restore=(shared.commitments.restore,),
        background=(register.keep,),
    )
