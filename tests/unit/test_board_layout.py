"""How the meeting board looks, in headless Chromium, without a homeserver: a long, real meeting
(long names and titles, a long URL, nine people waiting, a timebox nearly over, polls open and
closed) on a 1920×1080 projector and on a 360×780 phone, on paper, and for someone who asks
for no motion.

Set ASAMBLEA_SCREENSHOTS to a folder to keep the screenshots (the README's is
`ASAMBLEA_SCREENSHOTS=docs`, as `board.png`).
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from bot.features.board import board_server
from bot.storage.database import Database
from bot.storage.polls_store import PollsStore
from tests.harness.browser import CHROMIUM, Page, chromium_page
from tests.harness.fakes import Seats
from tests.integration.test_board import LOWEST_CONTRAST
from tests.unit.test_board import Boards, open_boards
from tests.unit.test_meetings_commands import CAROL, EN, ES

pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="chromium is not installed (Debian: apt-get install chromium); the board's layout "
    "is not checked in a browser",
)

URL = "https://docs.example.org/asamblea/2025/presupuesto-participativo/anexos/propuesta-final.pdf"
US_PEOPLE = {
    "@ana:test": "Ana Lucía Fernández-Whitaker",
    CAROL: "Carol",
    "@erin:test": "Erin O'Donnell",
    "@femi:test": "Olufemi Adeyemi-Johnson",
    "@gus:test": "Gus",
}
MX_PEOPLE = {
    "@beto:test": "Beto Hernández Villaseñor",
    "@dani:test": "Dani",
    "@lupe:test": "María Guadalupe Ramírez de la Cruz",
    "@nacho:test": "Nacho",
    "@xochitl:test": "Xóchitl",
}
PROJECTOR, PHONE = (1920, 1080), (360, 780)


TRANSLATED = {
    "Extraordinary binational assembly on the participatory budget and the regional gathering": (
        "Asamblea binacional extraordinaria sobre el presupuesto participativo y el encuentro "
        "regional"
    ),
    "Do we adopt the budget as proposed?": "¿Adoptamos el presupuesto tal como se propuso?",
    "Do we hold the regional gathering in Oaxaca in March?": (
        "¿Hacemos el encuentro regional en Oaxaca en marzo?"
    ),
    "Where do we meet?": "¿Dónde nos reunimos?",
}


async def a_long_meeting(boards: Boards) -> None:
    world = boards.world
    say = world.say
    await say(
        CAROL,
        EN,
        "!startmeeting Extraordinary binational assembly on the participatory budget "
        "and the regional gathering",
    )
    await say(CAROL, EN, "!timelimit 2m")
    await say(
        CAROL, EN, "!item Budget for the second half of the year, with the annex at " + URL + " 5m"
    )
    await say(CAROL, EN, "!item Regional gathering in Oaxaca 20m")
    await say(CAROL, EN, "!next")
    for user in ("@ana:test", "@beto:test"):
        await say(user, EN if user in US_PEOPLE else ES, "!hand")
    await say(CAROL, EN, "!call")
    world.clock.advance(95)
    await say(CAROL, EN, "!call")
    world.clock.advance(70)
    for user in (
        "@erin:test",
        "@lupe:test",
        "@femi:test",
        "@nacho:test",
        "@gus:test",
        "@xochitl:test",
    ):
        await say(user, EN if user in US_PEOPLE else ES, "!hand")
    await say("@dani:test", ES, "!directa")
    await say("@ana:test", EN, "!process")
    await say("@ana:test", EN, "!hand")
    await say(CAROL, EN, "!hand")
    await say(CAROL, EN, "!call")
    await say(CAROL, EN, '!poll "Do we hold the regional gathering in Oaxaca in March?"')
    for user, room, vote in (("@erin:test", EN, "!vote yes"), ("@beto:test", ES, "!votar sí")):
        await say(user, room, vote)
    await say(CAROL, EN, "!close")
    await say(CAROL, EN, '!poll secret double "Do we adopt the budget as proposed?"')
    await say(CAROL, EN, '!poll "Where do we meet?" "Oaxaca" "Tucson, Arizona" "Online"')
    await say("@nacho:test", ES, "!votar #3 1")
    await say("@beto:test", "!dm-beto", "!votar #2 sí")  # a secret ballot, in his direct chat
    await say(CAROL, EN, "!agreed We adopt the annex at " + URL)
    await say(CAROL, ES, "!tarea @lupe:test enviar el acta a ambos centros due 2030-03-10")
    world.clock.advance(130)  # the item's five minutes are nearly over; the turn's two are over
    # The Spanish room was shown some of it translated (the translations are in the cache).
    cache = boards.shared.platform.translation.cache
    for english, spanish in TRANSLATED.items():
        await cache.put("libre", "en", "es", english, spanish)
    await cache.flush()


@pytest.fixture
async def board_page(tmp_path: Path) -> AsyncIterator[tuple[Page, str]]:
    db = await Database.open(":memory:")
    seats = Seats({EN: US_PEOPLE, ES: MX_PEOPLE})
    try:
        # beto has his direct chat with the bot, where secret ballots are cast.
        await PollsStore(db).set_ballot_room("@beto:test", "!dm-beto", 0)
        boards = await open_boards(db, seats=seats)
        await a_long_meeting(boards)
        server = board_server(boards.shared, boards.service)
        stop = asyncio.Event()
        live = asyncio.create_task(server._live.run(stop))
        web = TestServer(server.app())
        await web.start_server()
        token = await boards.service.new_token(boards.assembly, CAROL)
        async with chromium_page(tmp_path) as page:
            yield page, str(web.make_url(f"/board/{token}/"))
        stop.set()
        await live
        await web.close()
    finally:
        await db.close()


async def laid_out(page: Page, size: tuple[int, int], link: str) -> None:
    await page.size(*size)
    await page.open(link)
    await page.wait_for("document.body.dataset.version")
    await page.wait_for(f"window.innerWidth === {size[0]}")


def keep(shot: Path, name: str) -> None:
    folder = os.environ.get("ASAMBLEA_SCREENSHOTS")
    if folder:
        shutil.copy(shot, Path(folder) / name)


async def test_the_board_fits_a_projector_and_reads_from_the_back_of_the_hall(
    board_page: tuple[Page, str], tmp_path: Path
) -> None:
    page, link = board_page
    await laid_out(page, PROJECTOR, link)
    shot = await page.screenshot(tmp_path / "board.png")
    keep(shot, "board.png")
    assert await page.evaluate("document.documentElement.scrollWidth") <= PROJECTOR[0]
    # Both languages side by side, each whole.
    left, right = await page.evaluate(
        "[...document.querySelectorAll('section.column')].map((c) => c.getBoundingClientRect().x)"
    )
    assert left < 50 and right >= PROJECTOR[0] / 2 - 50
    # The timebox nearly over, the turn over its limit: said in colour and in words.
    item = await page.evaluate("document.querySelector('[data-timer=item]').className")
    floor = await page.evaluate("document.querySelector('[data-timer=floor]').innerText")
    assert "near" in item and "over time" in floor
    # The next five at least, with their centers and the turns that jump the stack.
    waiting = await page.evaluate(
        "[...document.querySelectorAll('section.column[data-language=en] [data-list=waiting] li')]"
        ".map((li) => li.innerText)"
    )
    assert len(waiting) >= 5 and "direct response" in waiting[0]
    assert "and 3 more" in await page.evaluate("document.body.innerText")
    # The text of the timers and the speaker is big enough to read across a hall.
    sizes = await page.evaluate(
        "['[data-timer=item] .clock', '.speaker'].map((s) => "
        "parseFloat(getComputedStyle(document.querySelector(s)).fontSize))"
    )
    assert sizes[0] >= 48 and sizes[1] >= 30
    ratio, where = await page.evaluate(LOWEST_CONTRAST)
    assert ratio >= 4.5, f"contrast {ratio:.2f} at {where}"
    # A secret poll's turnout per center follows its floor: beto's ballot is Mexico's only one.
    assert "MX withheld" in await page.evaluate("document.body.innerText")


async def test_a_phone_shows_one_language_without_scrolling_sideways(
    board_page: tuple[Page, str], tmp_path: Path
) -> None:
    page, link = board_page
    await laid_out(page, PHONE, link)
    keep(await page.screenshot(tmp_path / "board-phone.png"), "board-phone.png")
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE[0]
    shown = await page.evaluate(
        "[...document.querySelectorAll('section.column')].filter((c) => c.offsetParent)"
        ".map((c) => c.dataset.language)"
    )
    assert len(shown) == 1
    ratio, where = await page.evaluate(LOWEST_CONTRAST)
    assert ratio >= 4.5, f"contrast {ratio:.2f} at {where}"
    await laid_out(page, PHONE, link + "?lang=es")
    assert await page.evaluate("document.querySelectorAll('section.column').length") == 1
    assert "EN DISCUSIÓN" in await page.evaluate("document.body.innerText")


async def test_on_paper_and_without_motion(board_page: tuple[Page, str]) -> None:
    page, link = board_page
    await laid_out(page, (1200, 900), link)
    await page.call(
        "Emulation.setEmulatedMedia",
        media="print",
        features=[{"name": "prefers-reduced-motion", "value": "reduce"}],
    )
    printed = await page.evaluate(
        "[getComputedStyle(document.documentElement).backgroundColor,"
        " getComputedStyle(document.body).color,"
        " [...document.querySelectorAll('section.column')].every((c) => c.offsetParent),"
        " getComputedStyle(document.querySelector('.bars .fill')).transitionDuration]"
    )
    assert printed == ["rgb(255, 255, 255)", "rgb(0, 0, 0)", True, "0s"]
