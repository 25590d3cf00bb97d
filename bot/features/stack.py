"""The speaker stack: raised hands from both rooms in a fair order, turns and their limits."""

from __future__ import annotations

from bot.features.shared import Shared
from bot.framework.feature import Feature
from bot.framework.intakes import Intake
from bot.services.stack import StackBoard, StackService
from commands.stack import StackCommands


def stack_feature(shared: Shared) -> Feature:
    platform = shared.platform
    service = StackService(shared.meetings_store, shared.meetings, shared.people, shared.notices)
    stack = StackCommands(
        service,
        shared.meetings,
        StackBoard(
            shared.meetings_store,
            platform.delivery.deliver,
            platform.runtime_store.sent_event_id,
        ),
        shared.people,
        platform.directory.for_room,
        platform.db.savepoint,
        shared.router.charge,
    )
    return Feature(
        name="stack",
        commands=(stack,),
        tables=("hands", "turns", "stack_messages"),
        # A ✋ on the latest stack message raises a hand.
        intakes=((Intake.REACTION, stack.on_reaction),),
        # What the speaker writes while the floor is theirs tells how long their turn went on.
        speech=(service.note_word,),
    )
