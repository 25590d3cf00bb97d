"""`asamblea doctor` against the test homeserver: before the bot's first start, while it runs,
and for a bot account that is a server admin, whose rate limit it can read."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli.devserver import LocalSynapse, RegisteredAccount
from bot.cli.doctor import Verdict, examine, report, run_doctor
from bot.config import load_config
from tests.conftest import BOT_LOCALPART
from tests.harness.bot_runner import RoomPair, write_config
from tests.harness.libretranslate import FakeLibreTranslate
from tests.harness.person import Person
from tests.integration.conftest import running_bot


def verdicts(checks) -> dict[str, tuple[Verdict, str]]:
    return {check.subject: (check.verdict, check.detail) for check in checks}


async def test_the_doctor_finds_the_rooms_the_translator_and_says_how_to_lift_the_rate_limit(
    bot_config: Path,
    rooms: RoomPair,
    alice: Person,
    beto: Person,
    accounts: dict[str, RegisteredAccount],
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = load_config(bot_config)
    bot_id = accounts[BOT_LOCALPART].user_id

    # Before the first start: invited to both rooms, logged in with the password.
    assert await run_doctor(config) == (0, False)
    printed = capsys.readouterr().out
    assert "logged out afterwards" in printed
    assert f"room {rooms.english}: invited" in printed
    assert 'answered "Good morning" → "Buenos días"' in printed
    assert "rate limit: could not check: the bot is not a server admin" in printed
    assert f"/_synapse/admin/v1/users/{bot_id}/override_ratelimit" in printed
    assert '{"messages_per_second": 0, "burst_count": 0}' in printed

    # While the bot runs: joined, through the bot's own stored session.
    async with running_bot(bot_config, rooms, alice, beto, bot_id):
        found = verdicts(await examine(config))
    assert found["login"] == (Verdict.OK, f"{bot_id} (the bot's stored session)")
    assert found[f"room {rooms.english}"] == (Verdict.OK, "joined")
    assert found[f"room {rooms.spanish}"] == (Verdict.OK, "joined")


async def test_an_admin_bot_reads_its_own_rate_limit_and_a_missing_invite_fails(
    synapse: LocalSynapse,
    tmp_path: Path,
    alice: Person,
    beto: Person,
    translator: FakeLibreTranslate,
) -> None:
    account = synapse.register("doctor-bot", "doctor-password", admin=True)
    rooms = RoomPair(
        english=await alice.create_room("EN", invite=[account.user_id]),
        spanish=await beto.create_room("ES", invite=[]),
    )
    config = load_config(
        write_config(
            tmp_path / "config.toml",
            homeserver=synapse.base_url,
            bot_user_id=account.user_id,
            bot_password="doctor-password",
            rooms=rooms,
            chairs=[alice.user_id],
            translation=f'provider = "libre"\nurl = "{translator.url}"',
        )
    )
    checks = await examine(config)
    found = verdicts(checks)
    assert found[f"room {rooms.spanish}"] == (Verdict.FAIL, "neither joined nor invited")
    assert found["rate limit"] == (
        Verdict.WARN,
        "not exempt: the server-wide message limit applies",
    )
    text = report(config, checks)
    assert f"Invite {account.user_id} to {rooms.spanish}." in text
    assert "override_ratelimit" in text

    synapse.lift_rate_limit(account, account.user_id)
    found = verdicts(await examine(config))
    assert found["rate limit"] == (Verdict.OK, "exempt (messages_per_second 0, burst_count 0)")
