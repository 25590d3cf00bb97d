"""A secret poll keeps small centers secret: a center's figures are shown only when it has enough
ballots that they point at nobody, and never where the total would give a small center's away.

Told as an assembly where the US has three voters and Mexico only beto: whatever Mexico's line
said would be beto's vote, and so would the total less the US line.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.assembly import Assembly, AssemblyRoom
from bot.domain.minutes import CenterCount, Dissent, MinutesData, PollSummary, WrittenText
from bot.domain.polls import Poll, Progress, ResultView
from bot.domain.secrecy import DEFAULT_SECRET_FLOOR, below_floor, disclosure
from bot.domain.stack import StackPolicy
from bot.domain.tally import (
    ABSTAIN,
    AGREE,
    BLOCK,
    NO,
    STAND_ASIDE,
    YES,
    Ballot,
    DecisionRule,
    PollKind,
)
from bot.i18n import Catalogs, Msg
from bot.render.minutes import MinutesRenderer
from bot.render.polls import opened_lines, progress_lines, result_lines
from bot.services.minutes import MinutesService
from bot.storage.approvals_store import ApprovalsStore
from bot.storage.commitments_store import CommitmentsStore
from bot.storage.database import Database
from bot.storage.decisions_store import DecisionsStore
from bot.storage.meetings_store import MeetingsStore
from bot.storage.mirror_store import MirrorStore, SqliteTranslationCache
from bot.storage.people_store import PeopleStore
from bot.storage.polls_store import PollsStore
from bot.storage.rooms_store import AssemblyRoomsStore
from tests.unit.test_polls_parsing import a_poll

US, MX, CA = "US", "MX", "CA"
CENTERS = (US, MX)
CATALOGS = Catalogs.load_default()
ASSEMBLY = Assembly(
    "Asamblea",
    (
        AssemblyRoom("!en", "en", US, "America/New_York"),
        AssemblyRoom("!es", "es", MX, "America/Mexico_City"),
    ),
)


def votes(*spec: tuple[str, str] | tuple[str, str, str]) -> list[Ballot]:
    """Ballots from (center, answer[, reason]), one voter each."""
    return [
        Ballot(f"voter{n}", center, (answer,), n, rest[0] if rest else None)
        for n, (center, answer, *rest) in enumerate(spec)
    ]


def secret(rule: DecisionRule = DecisionRule.MAJORITY, kind: PollKind = PollKind.YES_NO) -> Poll:
    return replace(a_poll(kind), rule=rule, secret=True, closed_at=5, closed_by="@carol:x")


def view(poll: Poll, ballots: list[Ballot], centers: tuple[str, ...] = CENTERS) -> ResultView:
    result = poll.tally({b.voter: b for b in ballots}, centers)
    return ResultView(poll, result, {}, {}, "Carol", US)


def worded(lines: list[Msg], language: str) -> str:
    return "\n".join(CATALOGS.text(language, line) for line in lines)


# US: yes, yes, no; MX: beto alone, voting yes.
THREE_AND_ONE = votes((US, YES), (US, YES), (US, NO), (MX, YES))


# -- which centers are withheld -----------------------------------------------------------------


def test_beto_alone_in_mexico_withholds_mexico_and_the_us_too() -> None:
    """Showing the US line beside the total would give Mexico's line by subtraction."""
    assert disclosure({US: 3, MX: 1}, 3).withheld == (US, MX)


def test_centers_with_enough_ballots_are_all_shown() -> None:
    assert disclosure({US: 4, MX: 3}, 3).withheld == ()


def test_a_center_where_nobody_voted_is_shown_as_it_points_at_nobody() -> None:
    assert disclosure({US: 4, MX: 0}, 3).withheld == ()
    assert disclosure({US: 0, MX: 1}, 3).withheld == (MX,)


def test_a_third_center_covers_the_small_one_and_the_largest_stays_shown() -> None:
    """The smallest center at the floor is withheld with Mexico: together they hold 5 ballots,
    which is all that the total less the US line gives away."""
    assert disclosure({US: 5, MX: 1, CA: 4}, 3).withheld == (MX, CA)


def test_two_small_centers_that_together_reach_the_floor_cover_each_other() -> None:
    assert disclosure({US: 5, MX: 2, CA: 2}, 3).withheld == (MX, CA)
    assert disclosure({US: 5, MX: 1, CA: 1}, 3).withheld == (US, MX, CA)


def test_a_floor_of_one_shows_everything() -> None:
    assert disclosure({US: 1, MX: 1}, 1).withheld == ()


def test_an_open_poll_shows_every_center_whatever_its_size() -> None:
    poll = replace(secret(), secret=False)
    assert poll.disclosure({US: 3, MX: 1}).withheld == ()
    assert secret().disclosure({US: 3, MX: 1}).withheld == (US, MX)


def test_the_floor_is_three_unless_the_assembly_says_otherwise() -> None:
    assert DEFAULT_SECRET_FLOOR == 3
    assert secret().secret_floor == 3
    assert replace(secret(), secret_floor=1).disclosure({US: 3, MX: 1}).withheld == ()


def test_centers_with_fewer_members_than_the_floor() -> None:
    assert below_floor({US: 3, MX: 2}, 3) == (MX,)
    assert below_floor({US: 0, MX: 5}, 3) == (US,)
    assert below_floor({US: 3, MX: 3}, 3) == ()


counts = st.dictionaries(st.sampled_from([US, MX, CA, "QC"]), st.integers(0, 8), min_size=1)


@settings(max_examples=200, deadline=None)
@given(counts, st.integers(1, 6))
def test_nothing_shown_lets_anyone_work_out_a_small_group_of_ballots(
    ballots: dict[str, int], floor: int
) -> None:
    """Every center shown has no ballots or at least `floor`; and what the total less the shown
    centers gives away (the withheld centers together) is no ballots or at least `floor`, unless
    the whole assembly has fewer (the total itself is always shown)."""
    found = disclosure(ballots, floor)
    shown = {c: n for c, n in ballots.items() if found.shows(c)}
    assert all(n == 0 or n >= floor for n in shown.values())
    together = sum(ballots[c] for c in found.withheld)
    assert together == 0 or together >= floor or not any(shown.values())
    assert list(found.withheld) == [c for c in ballots if c in found.withheld]


# -- the result in the rooms ----------------------------------------------------------------------


def test_beto_alone_in_mexico_the_result_shows_the_total_and_withholds_each_center() -> None:
    result = view(secret(), THREE_AND_ONE)
    english, spanish = worded(result_lines(result), "en"), worded(result_lines(result), "es")
    assert "Outcome: PASSED." in english
    assert "All centers: Yes 3, No 1, Abstain 0 (voted: 4, votes cast: 4)." in english
    assert "MX: withheld to keep the vote secret." in english
    assert "US: withheld to keep the vote secret." in english
    assert "fewer than 3 ballots" in english
    assert "Todos los centros: Sí 3, No 1, Abstención 0" in spanish
    assert "MX: se reserva para mantener el voto secreto." in spanish
    assert "US: se reserva para mantener el voto secreto." in spanish
    assert "menos de 3 papeletas" in spanish
    for text in (english, spanish):
        assert "MX: Yes" not in text and "MX: Sí" not in text
        assert "US: Yes" not in text and "US: Sí" not in text


def test_a_secret_poll_with_enough_ballots_in_every_center_shows_every_line() -> None:
    ballots = votes((US, YES), (US, YES), (US, NO), (MX, NO), (MX, YES), (MX, ABSTAIN))
    english = worded(result_lines(view(secret(), ballots)), "en")
    assert "US: Yes 2, No 1, Abstain 0" in english and "MX: Yes 1, No 1, Abstain 1" in english
    assert "withheld" not in english


def test_an_open_poll_shows_a_center_of_one_as_it_always_did() -> None:
    open_poll = replace(secret(), secret=False)
    english = worded(result_lines(view(open_poll, THREE_AND_ONE)), "en")
    assert "MX: Yes 1, No 0, Abstain 0" in english and "withheld" not in english


def test_a_double_majority_lost_in_a_withheld_center_says_the_reason_is_withheld() -> None:
    """The outcome is the decision and is stated; which center fell short is not."""
    ballots = votes((US, YES), (US, YES), (US, YES), (MX, NO))
    result = view(secret(DecisionRule.DOUBLE_MAJORITY), ballots)
    assert result.result.failed_centers == (MX,)  # the tally still counts Mexico
    english, spanish = worded(result_lines(result), "en"), worded(result_lines(result), "es")
    assert "Outcome: NOT PASSED." in english
    assert "threshold not reached here" not in english
    assert "Whether each withheld center reached the threshold is not said" in english
    assert "No se dice si cada centro reservado alcanzó el umbral" in spanish


def test_a_double_majority_that_passed_says_nothing_more() -> None:
    ballots = votes((US, YES), (US, YES), (US, YES), (MX, YES))
    english = worded(result_lines(view(secret(DecisionRule.DOUBLE_MAJORITY), ballots)), "en")
    assert "Outcome: PASSED." in english and "threshold" not in english


def test_a_block_from_a_withheld_center_gives_its_reason_but_not_its_center() -> None:
    poll = secret(DecisionRule.CONSENSUS, PollKind.CONSENSUS)
    ballots = votes(
        (US, AGREE), (US, STAND_ASIDE, "zzz later"), (US, AGREE), (MX, BLOCK, "no hay presupuesto")
    )
    english = worded(result_lines(view(poll, ballots)), "en")
    assert "Blocked: someone: “no hay presupuesto”." in english
    assert "Stood aside: someone: “zzz later”." in english
    assert "from MX" not in english and "from US" not in english


def test_dissents_from_withheld_centers_are_ordered_by_their_reason_alone() -> None:
    """Sorted by center, the order would still tell where each came from."""
    poll = secret(DecisionRule.CONSENSUS, PollKind.CONSENSUS)
    ballots = votes((US, AGREE), (US, AGREE), (US, BLOCK, "b"), (MX, BLOCK, "a"))
    english = worded(result_lines(view(poll, ballots)), "en")
    assert "Blocked: someone: “a”, someone: “b”." in english


# -- turnout while the poll is open -------------------------------------------------------------


def test_turnout_of_a_secret_poll_with_a_small_center_gives_only_the_total() -> None:
    progress = Progress(replace(secret(), closed_at=None), 4, {US: 3, MX: 1})
    english = worded(progress_lines(progress, ASSEMBLY), "en")
    spanish = worded(progress_lines(progress, ASSEMBLY), "es")
    assert "4 have voted so far (US withheld, MX withheld)" in english
    assert "fewer than 3 ballots" in english
    assert "Han votado 4 hasta ahora (US reservado, MX reservado)" in spanish
    for text in (english, spanish):
        assert "MX 1" not in text and "US 3" not in text


def test_turnout_shows_a_center_nobody_has_voted_in_yet() -> None:
    progress = Progress(replace(secret(), closed_at=None), 4, {US: 4, MX: 0})
    english = worded(progress_lines(progress, ASSEMBLY), "en")
    assert "4 have voted so far (US 4, MX 0)" in english and "withheld" not in english


def test_turnout_of_an_open_poll_is_shown_per_center() -> None:
    progress = Progress(a_poll(PollKind.YES_NO), 4, {US: 3, MX: 1})
    assert "(US 3, MX 1)" in worded(progress_lines(progress, ASSEMBLY), "en")


# -- the announcement -----------------------------------------------------------------------------


def test_a_secret_poll_warns_each_room_when_a_center_has_fewer_members_than_the_floor() -> None:
    poll = replace(secret(DecisionRule.DOUBLE_MAJORITY), closed_at=None)
    lines = opened_lines(poll, ASSEMBLY, "Carol", US, "!", small_centers=(MX,))
    english, spanish = worded(lines, "en"), worded(lines, "es")
    assert "Fewer than 3 members in MX" in english and "only the total" in english
    assert "Under the double rule the outcome still says" in english
    assert "Menos de 3 miembros en MX" in spanish and "solo el total" in spanish
    assert "Con la regla doble" in spanish
    majority = replace(poll, rule=DecisionRule.MAJORITY)
    plain = worded(opened_lines(majority, ASSEMBLY, "Carol", US, "!", small_centers=(MX,)), "en")
    assert "Fewer than 3 members" in plain and "double rule" not in plain
    assert "Fewer than" not in worded(opened_lines(poll, ASSEMBLY, "Carol", US, "!"), "en")


# -- the minutes ----------------------------------------------------------------------------------


def summary(**changes: object) -> PollSummary:
    base = PollSummary(
        id=3,
        question=WrittenText("Rent the hall?", "en", {"es": "¿Alquilar el salón?"}),
        kind="yes_no",
        rule="double_majority",
        denominator="votes_cast",
        answers=((YES, None), (NO, None), (ABSTAIN, None)),
        total=CenterCount(None, {YES: 3, NO: 1, ABSTAIN: 0}, 4, 4),
        by_center=(),
        closed=True,
        passed=False,
        failed_centers=(),
        secret=True,
        withheld=(US, MX),
        secret_floor=3,
        dissents=(Dissent(None, MX, "muy caro", blocks=True),),
    )
    return replace(base, **changes)


def minutes_of(poll: PollSummary, language: str) -> str:
    data = MinutesData(
        assembly="Asamblea",
        meeting_id=1,
        title=WrittenText("Budget", "en"),
        started_at=datetime(2025, 3, 10, 22, tzinfo=UTC),
        ended_at=None,
        zones=((US, "America/New_York"), (MX, "America/Mexico_City")),
        polls=(poll,),
    )
    return MinutesRenderer(CATALOGS).markdown(data, [language])


def test_the_minutes_withhold_the_same_centers_and_keep_the_total() -> None:
    english, spanish = minutes_of(summary(), "en"), minutes_of(summary(), "es")
    assert "| Answer | Total |" in english  # no column for either center
    assert "Not shown per center, to keep the vote secret: US, MX." in english
    assert "fewer than 3 ballots" in english
    assert "No se muestran por centro, para mantener el voto secreto: US, MX." in spanish
    assert "Block by a member (center not shown): muy caro" in english
    assert "(MX)" not in english


def test_the_minutes_state_a_double_rule_outcome_but_not_where_it_failed() -> None:
    english = minutes_of(summary(failed_centers=(MX,)), "en")
    assert "the rule was not met in MX" not in english
    assert "Not passed." in english
    assert "Whether each center not shown met the rule is not said" in english


async def test_the_minutes_of_a_sealed_poll_leave_out_what_the_rooms_were_not_shown(
    tmp_path: Path,
) -> None:
    """beto's lone ballot in Mexico lost a double majority; the minutes, made from the sealed
    counts, carry neither center's counts nor where the rule failed."""
    db = await Database.open(tmp_path / "minutes.db")
    meetings, polls = MeetingsStore(db), PollsStore(db)
    meeting = await meetings.create_meeting(
        assembly="Asamblea",
        title="Budget",
        title_language="en",
        started_by="@carol:x",
        started_at=0,
        stack_policy=StackPolicy.ALTERNATE,
        turn_limit_seconds=None,
    )
    poll_id = await polls.create(
        Poll(
            assembly="Asamblea",
            meeting_id=meeting.id,
            kind=PollKind.YES_NO,
            rule=DecisionRule.DOUBLE_MAJORITY,
            question="Rent the hall?",
            language="en",
            options=(),
            max_selections=1,
            secret=True,
            ballot_key=None,
            quorum=None,
            deadline_at=None,
            created_by="@carol:x",
            created_in="!en",
            source_event_id="$poll",
            created_at=1,
            secret_floor=3,
        )
    )
    await polls.close(poll_id, 5, "@carol:x")
    await polls.seal(poll_id, votes((US, YES), (US, YES), (US, YES), (MX, NO)))
    service = MinutesService(
        decisions=DecisionsStore(db),
        meetings=meetings,
        polls=polls,
        mirror=MirrorStore(db),
        translations=SqliteTranslationCache(db),
        rooms=AssemblyRoomsStore(db),
        people=PeopleStore(db),
        commitments=CommitmentsStore(db),
        approvals=ApprovalsStore(db),
        clock=lambda: 10,
    )
    data = await service.build(meeting, ASSEMBLY.rooms)
    await db.close()
    [poll] = data.polls
    assert (poll.by_center, poll.withheld, poll.failed_centers) == ((), (US, MX), ())
    assert poll.total.counts == {YES: 3, NO: 1, ABSTAIN: 0} and poll.passed is False
    english = MinutesRenderer(CATALOGS).markdown(data, ["en"])
    assert "| Answer | Total |" in english
    assert "Not shown per center, to keep the vote secret: US, MX." in english
    assert "not met in MX" not in english
