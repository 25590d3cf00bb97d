"""Polls under the cooperative's decision rules, and secret ballots cast in direct chats."""

from __future__ import annotations

from bot.features.shared import Shared
from bot.framework.feature import Feature, PrivateChats
from bot.framework.intakes import Intake
from bot.services.ballots import BallotBox
from bot.services.polls import PollService
from bot.storage.polls_store import PollsStore
from commands.polls import PollCommands


def polls_feature(shared: Shared) -> Feature:
    platform = shared.platform
    store = PollsStore(platform.db)
    polls = PollService(
        db=platform.db,
        store=store,
        meetings=shared.meetings_store,
        decisions=shared.decisions,
        runtime=platform.runtime_store,
        delivery=platform.delivery,
        people=shared.people,
        directory=platform.directory,
        prefix=platform.prefix,
        timers=shared.timers,
    )
    ballots = BallotBox(
        db=platform.db,
        store=store,
        polls=polls,
        people=shared.people,
        directory=platform.directory,
        delivery=platform.delivery,
        chats=platform.chats,
        bot_user_id=platform.config.matrix.user_id,
        prefix=platform.prefix,
        # The direct chats it makes are where letters to one person wait to go.
        letters=shared.letters,
    )
    responses = ((Intake.POLL_RESPONSE, polls.accept_response),)
    return Feature(
        name="polls",
        commands=(PollCommands(polls, ballots, platform.prefix),),
        tables=(
            "polls",
            "poll_rooms",
            "poll_responses",
            "secret_counts",
            "ballot_rooms",
            "letters",
        ),
        intakes=responses,
        # Secret ballots are cast in each person's direct chat with the bot.
        private=PrivateChats(room=ballots.private_room, intakes=responses, keeper=ballots),
        restore=(polls.restore, ballots.restore),
        background=(ballots.keep_chats,),
    )
