"""Fair use: a token bucket per person, checked in the router before anything runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.domain.assembly import Assembly, AssemblyRoom
from bot.domain.authority import Authority
from bot.domain.durations import duration_message
from bot.domain.fair_use import ANNOUNCES, REPLIES, Budget, FairUse, TakingTurns, TokenBucket
from bot.domain.messages import Msg
from bot.domain.outcomes import announce, reply
from bot.framework.commands import Param, command
from bot.framework.router import Router
from bot.i18n import Catalogs
from bot.storage.database import Database
from tests.harness.fakes import Clock

EN = AssemblyRoom("!en:x", "en", "US", "America/New_York")
ES = AssemblyRoom("!es:x", "es", "MX", "America/Mexico_City")
ASSEMBLY = Assembly("General", (EN, ES))


def test_a_full_bucket_allows_a_burst_then_one_every_refill() -> None:
    bucket = TokenBucket(Budget(burst=5, refill_seconds=10), now=0.0)
    assert all(bucket.spend(ANNOUNCES, 0.0).allowed for _ in range(5))
    refused = bucket.spend(ANNOUNCES, 0.0)
    assert not refused.allowed and refused.notify and refused.retry_after_seconds == 10
    assert bucket.spend(ANNOUNCES, 9.0).retry_after_seconds == 1
    assert bucket.spend(ANNOUNCES, 10.0).allowed
    assert not bucket.spend(ANNOUNCES, 10.0).allowed


def test_the_notice_comes_once_per_excess_and_again_after_the_budget_came_back() -> None:
    bucket = TokenBucket(Budget(burst=1, refill_seconds=10), now=0.0)
    assert bucket.spend(ANNOUNCES, 0.0).allowed
    verdicts = [bucket.spend(ANNOUNCES, t) for t in (1.0, 2.0, 3.0)]
    assert [v.notify for v in verdicts] == [True, False, False]
    assert bucket.spend(ANNOUNCES, 12.0).allowed  # refilled: the next excess is told again
    assert bucket.spend(ANNOUNCES, 13.0).notify


def test_a_refused_reaction_leaves_the_one_notice_for_the_next_command() -> None:
    bucket = TokenBucket(Budget(burst=1, refill_seconds=10), now=0.0)
    assert bucket.spend(ANNOUNCES, 0.0, quietly=True).allowed  # a ✋ costs like !hand
    quiet = bucket.spend(ANNOUNCES, 1.0, quietly=True)
    assert not quiet.allowed and not quiet.notify
    assert bucket.spend(ANNOUNCES, 2.0).notify


def test_a_reply_costs_a_fraction_and_the_bucket_never_overfills() -> None:
    bucket = TokenBucket(Budget(burst=2, refill_seconds=10), now=0.0)
    assert sum(bucket.spend(REPLIES, 0.0).allowed for _ in range(20)) == int(2 / REPLIES)
    assert bucket.spend(REPLIES, 10_000.0).allowed
    assert bucket.tokens == pytest.approx(2 - REPLIES)


def test_each_person_and_assembly_has_a_bucket_of_their_own() -> None:
    clock = Clock(start=1000)
    fair = FairUse({"General": Budget(burst=1, refill_seconds=60)}, clock.seconds)
    assert fair.spend("General", "@beto:x", ANNOUNCES).allowed
    assert not fair.spend("General", "@beto:x", ANNOUNCES).allowed
    assert fair.spend("General", "@alice:x", ANNOUNCES).allowed
    assert fair.spend("Other", "@beto:x", ANNOUNCES).allowed  # the default budget there
    assert fair.spend("General", "@beto:x", 0).allowed  # free costs nothing


def test_full_buckets_are_forgotten_so_memory_stays_small() -> None:
    clock = Clock(start=1000)
    fair = FairUse({}, clock.seconds, default=Budget(burst=5, refill_seconds=1))
    for n in range(FairUse.FORGET_EVERY - 1):
        fair.spend("General", f"@p{n}:x", ANNOUNCES)
    clock.advance(60)
    fair.spend("General", "@last:x", ANNOUNCES)
    assert fair.tracked() == 1


def test_a_budget_must_make_sense() -> None:
    with pytest.raises(ValueError):
        Budget(burst=0)
    with pytest.raises(ValueError):
        Budget(refill_seconds=0)


# -- in the router --------------------------------------------------------------------------


class Chairs:
    async def authority_of(self, assembly: Assembly, user_id: str) -> Authority:
        return Authority(user_id, standing=user_id == "@carol:x")


class Notes:
    group_name = "records"

    def __init__(self) -> None:
        self.noted: list[str] = []

    @command("info", "nota", Param("text", rest=True), cost=ANNOUNCES)
    async def info(self, ctx, text: str):  # type: ignore[no-untyped-def]
        self.noted.append(text)
        return announce(Msg.of("error.usage"))

    @command("status", "estado")
    async def status(self, ctx):  # type: ignore[no-untyped-def]
        return reply(Msg.of("error.usage"))


@pytest.fixture
async def router_and_notes(tmp_path: Path):  # type: ignore[no-untyped-def]
    db = await Database.open(tmp_path / "a.db")
    clock = Clock(start=1000)
    router = Router(
        "!",
        Catalogs.load_default(),
        Chairs(),
        db.savepoint,
        fair_use=FairUse({"General": Budget(burst=5, refill_seconds=10)}, clock.seconds),
    )
    notes = Notes()
    router.add_group(notes)
    yield router, notes, clock
    await db.close()


async def send(router: Router, body: str, sender: str = "@beto:x", room=ES):  # type: ignore[no-untyped-def]
    return await router.route(
        body, event_id="$e", sender=sender, sender_name="Beto", ts=0, assembly=ASSEMBLY, room=room
    )


async def test_thirty_notes_in_a_row_five_run_one_notice_then_silence(router_and_notes) -> None:  # type: ignore[no-untyped-def]
    router, notes, clock = router_and_notes
    answers = [await send(router, f"!nota {n}") for n in range(30)]
    assert notes.noted == ["0", "1", "2", "3", "4"]
    [notice] = answers[5]
    assert notice.refused and notice.lines[0] == Msg.of("error.too_fast", wait=duration_message(10))
    text = router.catalogs.text("es", notice.lines[0])
    assert text == "Estás enviando órdenes demasiado rápido; vuelve a intentarlo en 10 s."
    assert all(answer == [] for answer in answers[6:])
    clock.advance(10)
    assert await send(router, "!nota again") != []
    assert notes.noted[-1] == "again"


async def test_a_chair_is_never_throttled_and_cheap_commands_last_longer(router_and_notes) -> None:  # type: ignore[no-untyped-def]
    router, notes, _ = router_and_notes
    for n in range(30):
        await send(router, f"!info {n}", sender="@carol:x", room=EN)
    assert len(notes.noted) == 30
    answered = [await send(router, "!estado") for _ in range(20)]
    assert all(a and not a[0].refused for a in answered)  # 20 replies cost 5 announcements
    assert (await send(router, "!estado"))[0].lines[0].key == "error.too_fast"


async def test_unknown_commands_spend_the_budget_too(router_and_notes) -> None:  # type: ignore[no-untyped-def]
    router, _, _ = router_and_notes
    answers = [await send(router, "!nonsense") for _ in range(22)]
    assert answers[19][0].lines[0].key == "error.unknown_command"
    assert answers[20][0].lines[0].key == "error.too_fast"
    assert answers[21] == []


# -- people take turns ---------------------------------------------------------------------------


def test_people_who_say_one_thing_at_a_time_are_served_first_come_first_served() -> None:
    line: TakingTurns[str] = TakingTurns()
    for said in ("alice 1", "beto 1", "carol 1", "alice 2", "beto 2"):
        line.add(said.split()[0], said)
    served = []
    while upcoming := line.upcoming(1):
        served.append(upcoming[0])
        line.served(upcoming[0])
    assert served == ["alice 1", "beto 1", "carol 1", "alice 2", "beto 2"]


def test_someone_who_floods_waits_their_turn_and_keeps_their_own_order() -> None:
    line: TakingTurns[str] = TakingTurns()
    for n in range(1, 6):
        line.add("alice", f"alice {n}")
    line.add("beto", "beto 1")
    assert line.upcoming(3) == ["alice 1", "beto 1", "alice 2"]
    line.served("alice 1")
    line.add("carol", "carol 1")  # new in the line: behind those already waiting
    assert line.upcoming(10) == ["beto 1", "alice 2", "carol 1", "alice 3", "alice 4", "alice 5"]
    assert len(line) == 6
    assert line.holds(lambda said: said == "alice 4") == "alice"
    with pytest.raises(ValueError):
        line.served("alice 3")  # not at the front of anyone's line
