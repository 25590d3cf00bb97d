"""What more than one feature uses, built once from the platform: who people are, who may do
what, the timers, the meeting itself, interpretation, the mirror's service, the decision log,
commitments, reminders, letters to one person, and the router and dispatcher every feature
installs into."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from bot.domain.assembly import Assembly
from bot.domain.meetings import Meeting
from bot.domain.messages import Msg
from bot.features.platform import Platform, fair_use_of, glossary_of
from bot.framework.dispatcher import Dispatcher
from bot.framework.router import Router
from bot.render import commitments as commitment_phrases
from bot.services.authority import AuthorityService
from bot.services.commitments import Commitments
from bot.services.decisions import DecisionLog
from bot.services.interpretation import InterpretationService
from bot.services.language_detection import LanguageDetector
from bot.services.letters import Letters
from bot.services.meeting_timers import MeetingTimers
from bot.services.meetings import MeetingService
from bot.services.mirror import MirrorWorker
from bot.services.mirror_intake import MirrorIntake
from bot.services.people import People
from bot.services.reminders import Reminders
from bot.services.timers import Timers
from bot.storage.commitments_store import CommitmentsStore
from bot.storage.decisions_store import DecisionsStore
from bot.storage.interpretation_store import InterpretationStore
from bot.storage.letters_store import LettersStore
from bot.storage.meetings_store import MeetingsStore
from bot.storage.mirror_store import MirrorStore
from bot.storage.people_store import PeopleStore
from bot.storage.polls_store import PollsStore
from bot.storage.reminders_store import RemindersStore
from bot.storage.rooms_store import AssemblyRoomsStore
from bot.storage.schedules_store import SchedulesStore


@dataclass(frozen=True)
class Shared:
    platform: Platform
    people: People
    authority: AuthorityService
    router: Router
    dispatcher: Dispatcher
    # Every delayed job (timeboxes, turn limits, poll deadlines, reminders) runs through these.
    timers: Timers
    meetings_store: MeetingsStore
    meetings: MeetingService
    # Agenda timeboxes and turn limits share these notices.
    notices: MeetingTimers
    interpretation: InterpretationService
    # The mirror: the worker (copies, corrections) and the intake with the chairs' control.
    mirror: MirrorWorker
    mirror_intake: MirrorIntake
    decisions: DecisionsStore
    # The decision log every entry goes through (chairs' entries, approvals of minutes).
    decision_log: DecisionLog
    # Action items followed until they are done: reviewed when a meeting opens, reminded when
    # overdue, in the minutes' follow-up.
    commitments: Commitments
    reminders: Reminders
    # Messages for one person, in their direct chat with the bot (which the polls' ballot box
    # makes and keeps).
    letters: Letters


def build_shared(platform: Platform) -> Shared:
    db, prefix = platform.db, platform.prefix
    meetings_store = MeetingsStore(db)
    interpretation = InterpretationService(
        db,
        InterpretationStore(db),
        {a.name: glossary_of(a) for a in platform.config.assemblies},
    )
    people = People(platform.members, PeopleStore(db), platform.clock_ms)
    authority = AuthorityService(platform.members, meetings_store, people, interpretation)
    router = Router(
        prefix,
        platform.catalogs,
        authority,
        db.savepoint,
        fair_use=fair_use_of(platform.config),
        roster=people.roster,
    )
    timers = Timers(
        platform.scheduler,
        db.transaction,
        ready=platform.ready,
        wake=platform.delivery.wake,
        clock=platform.clock,
    )
    mirror_store = MirrorStore(db)
    mirror = _mirror(platform, mirror_store, people, interpretation)
    mirror_intake = MirrorIntake(
        store=mirror_store,
        directory=platform.directory,
        people=people,
        interpretation=interpretation,
        delivery=platform.delivery,
        queue=mirror.queue,
        source_of=mirror.source_of,
    )
    commitments = _commitments(platform, meetings_store, timers)

    async def review_commitments(assembly: Assembly, meeting: Meeting) -> Sequence[Msg]:
        opened = await commitments.review_at_opening(assembly, meeting)
        return commitment_phrases.review(opened.centers, prefix)

    # A pause belongs to the meeting it was made in; a meeting opens with the review of what
    # earlier meetings committed to.
    meetings = MeetingService(
        meetings_store,
        people,
        authority,
        prefix,
        platform.clock_ms,
        on_end=(mirror_intake.resume_after,),
        on_start=(review_commitments,),
    )
    decisions = DecisionsStore(db)
    reminders = _reminders(platform, decisions, timers, commitments)
    return Shared(
        platform=platform,
        people=people,
        authority=authority,
        router=router,
        dispatcher=_dispatcher(platform, router, people),
        timers=timers,
        meetings_store=meetings_store,
        meetings=meetings,
        notices=MeetingTimers(
            timers,
            meetings_store,
            platform.delivery,
            platform.directory.by_name,
            people.display_name,
        ),
        interpretation=interpretation,
        mirror=mirror,
        mirror_intake=mirror_intake,
        decisions=decisions,
        # An action item with a due date gets its reminders, and becomes a commitment.
        decision_log=DecisionLog(
            decisions,
            meetings_store,
            people,
            prefix,
            clock=platform.clock_ms,
            on_action=(reminders.watch_action,),
        ),
        commitments=commitments,
        reminders=reminders,
        letters=Letters(
            store=LettersStore(db),
            chats_store=PollsStore(db),
            people=people,
            directory=platform.directory,
            delivery=platform.delivery,
            chats=platform.chats,
            clock=platform.clock_ms,
        ),
    )


def _dispatcher(platform: Platform, router: Router, people: People) -> Dispatcher:
    return Dispatcher(
        bot_user_id=platform.config.matrix.user_id,
        ignore_users=platform.config.ignore_users,
        db=platform.db,
        store=platform.runtime_store,
        directory=platform.directory,
        router=router,
        delivery=platform.delivery,
        members=platform.members,
        names=people.display_name,
        centers=people.center_of,
    )


def _mirror(
    platform: Platform,
    store: MirrorStore,
    people: People,
    interpretation: InterpretationService,
) -> MirrorWorker:
    return MirrorWorker(
        db=platform.db,
        store=store,
        directory=platform.directory,
        people=people,
        delivery=platform.delivery,
        translation=platform.translation.gateway,
        interpretation=interpretation,
        catalogs=platform.catalogs,
        tuning=replace(
            platform.tuning.mirror,
            parallel_translations=platform.config.translation.max_workers,
        ),
        may_mirror=platform.may_mirror,
        max_chars=platform.config.translation.max_message_chars,
        # Without a translator, nothing is sent anywhere: no share to keep.
        chars_per_person_minute=(
            None
            if platform.config.translation.provider == "none"
            else platform.config.translation.chars_per_person_minute
        ),
        detector=LanguageDetector(
            [r.language for a in platform.directory.assemblies for r in a.rooms],
            command_prefix=platform.prefix,
        ),
    )


def _commitments(platform: Platform, meetings: MeetingsStore, timers: Timers) -> Commitments:
    return Commitments(
        store=CommitmentsStore(platform.db),
        meetings=meetings,
        sent=RemindersStore(platform.db),
        timers=timers,
        delivery=platform.delivery,
        directory=platform.directory,
        prefix=platform.prefix,
        metrics=platform.metrics,
    )


def _reminders(
    platform: Platform, decisions: DecisionsStore, timers: Timers, commitments: Commitments
) -> Reminders:
    db = platform.db
    return Reminders(
        timers=timers,
        schedules=SchedulesStore(db),
        sent=RemindersStore(db),
        decisions=decisions,
        rooms=AssemblyRoomsStore(db),
        delivery=platform.delivery,
        directory=platform.directory,
        offsets={a.name: a.reminder_offsets for a in platform.config.assemblies},
        prefix=platform.prefix,
        metrics=platform.metrics,
        still_open=commitments.still_open,
    )
