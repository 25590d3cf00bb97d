"""A closed secret poll keeps only counts: the same result must come out of them, under every
decision rule, as came out of the ballots themselves."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from bot.domain.polls import Poll
from bot.domain.tally import Ballot, DecisionRule, PollKind, Quorum
from bot.storage.database import Database
from bot.storage.polls_store import PollsStore

CENTERS = ("US", "MX")


def ballot(voter: str, center: str, *answers: str, reason: str | None = None) -> Ballot:
    return Ballot(voter, center, tuple(answers), ts=1, reason=reason, spoiled=not answers)


YES_NO = [
    ballot("@a", "US", "yes"),
    ballot("@b", "US", "yes"),
    ballot("@c", "US", "no"),
    ballot("@d", "MX", "no"),
    ballot("@e", "MX", "yes"),
    ballot("@f", "MX", "abstain"),
    ballot("@g", "MX"),  # spoiled
]
CONSENSUS = [
    ballot("@a", "US", "agree"),
    ballot("@b", "MX", "block", reason="no hay presupuesto"),
    ballot("@c", "MX", "stand_aside", reason="later"),
    ballot("@d", "US", "stand_aside"),
]
CHOICE = [
    ballot("@a", "US", "1", "3"),
    ballot("@b", "US", "3", "1"),
    ballot("@c", "MX", "2"),
]

CASES = [
    (PollKind.YES_NO, rule, (), 1, YES_NO)
    for rule in (
        DecisionRule.MAJORITY,
        DecisionRule.TWO_THIRDS,
        DecisionRule.DOUBLE_MAJORITY,
        DecisionRule.DOUBLE_TWO_THIRDS,
    )
] + [
    (PollKind.CONSENSUS, DecisionRule.CONSENSUS, (), 1, CONSENSUS),
    (PollKind.CHOICE, None, ("Tacos", "Pizza", "Soup"), 2, CHOICE),
]


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[PollsStore]:
    db = await Database.open(tmp_path / "counts.db")
    yield PollsStore(db)
    await db.close()


@pytest.mark.parametrize(("kind", "rule", "options", "max_selections", "ballots"), CASES)
async def test_the_sealed_counts_give_the_result_the_ballots_gave(
    store: PollsStore,
    kind: PollKind,
    rule: DecisionRule | None,
    options: tuple[str, ...],
    max_selections: int,
    ballots: list[Ballot],
) -> None:
    poll_id = await store.create(
        Poll(
            assembly="Asamblea",
            meeting_id=None,
            kind=kind,
            rule=rule,
            question="Shall we?",
            language="en",
            options=options,
            max_selections=max_selections,
            secret=True,
            ballot_key=None,
            quorum=Quorum(overall_min=3, per_center_min=2),
            deadline_at=None,
            created_by="@carol",
            created_in="!en",
            source_event_id=f"$poll-{kind}-{rule}",
            created_at=0,
        )
    )
    poll = await store.poll(poll_id)
    assert poll is not None
    before = poll.tally({b.voter: b for b in ballots}, CENTERS)
    await store.seal(poll_id, ballots)
    sealed = await store.sealed_ballots(poll_id)
    after = poll.tally({b.voter: b for b in sealed}, CENTERS)
    assert after == before
    assert not {b.voter for b in sealed} & {b.voter for b in ballots}
    rows = await store.db.fetch_all("SELECT * FROM secret_counts WHERE poll_id = ?", (poll_id,))
    assert sum(row["ballots"] for row in rows) == len(ballots)


async def test_a_transaction_runs_its_after_commit_actions_only_if_it_commits(
    tmp_path: Path,
) -> None:
    db = await Database.open(tmp_path / "commit.db")
    ran: list[str] = []

    async def note(word: str) -> None:
        ran.append(word)

    with pytest.raises(RuntimeError):
        async with db.transaction():
            db.after_commit(lambda: note("rolled back"))
            raise RuntimeError
    async with db.transaction():
        db.after_commit(lambda: note("committed"))
        db.after_commit(db.checkpoint)
        assert ran == []
    assert ran == ["committed"]
    await db.close()


async def test_a_secret_poll_keeps_the_floor_it_was_opened_with(store: PollsStore) -> None:
    """Lowering the setting later must not show an earlier poll's small centers."""
    base = Poll(
        assembly="Asamblea",
        meeting_id=None,
        kind=PollKind.YES_NO,
        rule=DecisionRule.MAJORITY,
        question="Shall we?",
        language="en",
        options=(),
        max_selections=1,
        secret=True,
        ballot_key=None,
        quorum=None,
        deadline_at=None,
        created_by="@carol",
        created_in="!en",
        source_event_id="$floor",
        created_at=0,
        secret_floor=5,
    )
    five = await store.poll(await store.create(base))
    assert five is not None and five.secret_floor == 5
    older_id = await store.create(replace(base, source_event_id="$older"))
    # A poll opened before polls kept their floor has none stored: the default applies.
    await store.db.execute("UPDATE polls SET secret_floor = NULL WHERE id = ?", (older_id,))
    older = await store.poll(older_id)
    assert older is not None and older.secret_floor == 3
