"""The meeting board without a homeserver: the meeting told command by command through the bot's
own wiring (offline), the board read and worded from it, and its web side answered over HTTP.

alice and carol (a standing chair) sit in the English room (US); beto and dani in the Spanish
room (MX). The board's screens are an aiohttp client reading the same pages and events a
browser reads.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer

from bot.domain.assembly import Assembly
from bot.domain.board import BoardSnapshot
from bot.domain.polls import Poll, Progress
from bot.domain.tally import DecisionRule, PollKind
from bot.features.board import board_feature, board_feature_with, board_server, board_service
from bot.features.core import FEATURES
from bot.features.shared import Shared
from bot.framework.feature import Feature
from bot.render.board import BoardPages, BoardWords, board_state, static_file
from bot.services.ballots import BallotBox
from bot.services.board import BoardService
from bot.services.polls import PollService
from bot.storage.database import Database
from bot.storage.letters_store import LettersStore
from bot.storage.polls_store import PollsStore
from bot.storage.runtime_store import RuntimeStore
from bot.web.server import BoardServer
from tests.harness.fakes import Clock, Scheduler, Seats
from tests.harness.offline import CATALOGS, offline_core
from tests.unit.test_meetings_commands import (
    ALICE,
    ASSEMBLY,
    BETO,
    CAROL,
    DANI,
    EN,
    ES,
    SEATS,
    World,
    config_of,
)

BOARD = {"listen": "127.0.0.1:9465", "public_url": "https://asamblea.example.org/coop"}
LINK = re.compile(r"https://asamblea\.example\.org/coop/board/([A-Za-z0-9_-]{40,})/")


@dataclass
class Boards:
    """The meeting told in chat, and the board's side of the same bot."""

    world: World
    shared: Shared
    service: BoardService

    @property
    def assembly(self) -> Assembly:
        found = self.shared.platform.directory.by_name(ASSEMBLY.name)
        assert found is not None
        return found

    async def snapshot(self) -> BoardSnapshot:
        return await self.service.snapshot(self.assembly)

    async def view(self, language: str) -> dict[str, Any]:
        return BoardWords(CATALOGS, await self.snapshot(), language).view()

    async def token(self) -> str:
        return await self.service.token(self.assembly, CAROL)


async def open_boards(
    db: Database, *, public: bool = False, board: dict | None = None, seats: Seats | None = None
) -> Boards:
    """The bot offline with its board on, and a handle on what its features are built from."""
    raw = config_of(ASSEMBLY)
    raw["board"] = BOARD if board is None else board
    raw["assemblies"][0]["board_public"] = public
    built: list[tuple[Shared, BoardService]] = []

    def board(shared: Shared) -> Feature:
        service = board_service(shared)
        built.append((shared, service))
        return board_feature_with(shared, service)

    clock, scheduler = Clock(), Scheduler()
    features = tuple(board if build is board_feature else build for build in FEATURES)
    core = offline_core(db, raw, seats or Seats(SEATS), scheduler, clock.utc, features=features)
    for step in core.restore:
        await step()
    world = World(db, core.dispatcher, RuntimeStore(db), clock, scheduler, CATALOGS, core.delivery)
    [(shared, service)] = built
    return Boards(world, shared, service)


@pytest.fixture
async def boards() -> AsyncIterator[Boards]:
    db = await Database.open(":memory:")
    try:
        yield await open_boards(db)
    finally:
        await db.close()


async def a_meeting_under_way(boards: Boards) -> None:
    world = boards.world
    await world.say(CAROL, EN, "!startmeeting Monthly assembly")
    await world.say(CAROL, EN, "!item Budget 10m")
    await world.say(CAROL, EN, "!item Calendar")
    await world.say(CAROL, EN, "!next")
    await world.say(ALICE, EN, "!hand")
    await world.say(BETO, ES, "!mano")
    await world.say(DANI, ES, "!directa")
    await world.say(CAROL, EN, "!call")


# -- what the board shows ------------------------------------------------------------------------


async def test_the_board_shows_the_meeting_as_both_rooms_hear_it(boards: Boards) -> None:
    await a_meeting_under_way(boards)
    english, spanish = await boards.view("en"), await boards.view("es")
    assert english["title"] == {"text": "Monthly assembly", "note": None}
    assert english["item"]["place"] == "Item 1 of 2" and spanish["item"]["place"] == "Punto 1 de 2"
    assert english["item"]["title"]["text"] == "Budget" and english["item"]["timebox"] == 600
    # dani's direct response jumped the stack; alice and beto wait, one from each center.
    assert english["floor"]["name"] == "Dani" and english["floor"]["center"] == "MX"
    assert english["floor"]["kind"] == "direct response"
    assert spanish["floor"]["kind"] == "respuesta directa"
    assert [(w["name"], w["center"], w["kind"]) for w in english["waiting"]] == [
        ("Alice", "US", None),
        ("Beto", "MX", None),
    ]
    assert english["idle"] is None and english["polls"] == [] and english["result"] is None


async def test_speaking_time_per_center_counts_the_turns_that_are_over(boards: Boards) -> None:
    await a_meeting_under_way(boards)
    boards.world.clock.advance(90)
    await boards.world.say(CAROL, EN, "!call")  # dani's 90 s end; alice has the floor
    boards.world.clock.advance(30)
    view = await boards.view("en")
    assert view["spoken"] == [{"center": "US", "seconds": 0.0}, {"center": "MX", "seconds": 90.0}]
    # alice's turn under way is counted by each screen from when it began.
    assert view["floor"]["name"] == "Alice"
    assert view["floor"]["started_at"] == boards.world.clock.ms() - 30_000


async def test_polls_show_turnout_per_center_and_the_result_as_the_rooms_were_told(
    boards: Boards,
) -> None:
    await a_meeting_under_way(boards)
    world = boards.world
    await world.say(CAROL, EN, '!poll "Do we adopt the budget?"')
    await world.say(ALICE, EN, "!vote yes")
    await world.say(BETO, ES, "!votar sí")
    await world.say(DANI, ES, "!votar no")
    [poll] = (await boards.view("es"))["polls"]
    assert poll["voted"] == "Votaron: 3" and poll["rule"] == "Mayoría"
    assert [c["text"] for c in poll["centers"]] == ["US 1", "MX 2"]
    assert poll["question"]["text"] == "Do we adopt the budget?"

    await world.say(CAROL, EN, "!close")
    english, spanish = await boards.view("en"), await boards.view("es")
    assert english["polls"] == []
    assert english["result"]["outcome"] == "Outcome: PASSED." and english["result"]["passed"]
    assert spanish["result"]["outcome"] == "Resultado: APROBADA."
    assert english["result"]["lines"][0].startswith("All centers: Yes 2, No 1")
    # Names are the rooms' to read in the result message; the board names nobody.
    assert not any("Alice" in line or "Beto" in line for line in english["result"]["lines"])


def test_a_secret_polls_small_centers_are_withheld_on_the_board_too() -> None:
    poll = Poll(
        id=1,
        number=1,
        assembly=ASSEMBLY.name,
        meeting_id=1,
        kind=PollKind.YES_NO,
        rule=DecisionRule.MAJORITY,
        question="¿Aprobamos el presupuesto?",
        language="es",
        options=(),
        max_selections=1,
        secret=True,
        ballot_key="00",
        quorum=None,
        deadline_at=None,
        created_by=CAROL,
        created_in=ES,
        created_at=0,
        source_event_id="$poll",
    )
    snapshot = BoardSnapshot(
        assembly=ASSEMBLY.name,
        centers=("US", "MX"),
        polls=(Progress(poll, 4, {"US": 3, "MX": 1}),),
    )
    for language, withheld in (("en", "withheld"), ("es", "reservado")):
        [shown] = BoardWords(CATALOGS, snapshot, language).view()["polls"]
        # beto alone in Mexico: the US line would give his vote away from the total.
        assert [c["text"] for c in shown["centers"]] == [f"US {withheld}", f"MX {withheld}"]
        assert shown["voted"].endswith("4") and shown["note"]


async def test_agreements_and_actions_are_numbered_as_chat_numbered_them(boards: Boards) -> None:
    await a_meeting_under_way(boards)
    world = boards.world
    await world.say(CAROL, EN, "!agreed We eat at noon")
    await world.say(CAROL, EN, "!info The hall seats 80")  # not an agreement or an action
    await world.say(CAROL, ES, "!tarea @dani:test reservar el salón due 2030-03-10")
    english, spanish = await boards.view("en"), await boards.view("es")
    assert [(e["label"], e["text"]["text"], e["owner"]) for e in english["entries"]] == [
        ("Agreement #1", "We eat at noon", None),
        ("Action #1", "reservar el salón", "For Dani (MX), due 2030-03-10"),
    ]
    assert spanish["entries"][0]["label"] == "Acuerdo #1"
    assert spanish["entries"][1]["owner"] == "Para Dani (MX), antes del 2030-03-10"


async def test_words_people_wrote_show_as_the_rooms_were_shown_them(boards: Boards) -> None:
    await a_meeting_under_way(boards)
    cache = boards.shared.platform.translation.cache
    await cache.put("libre", "en", "es", "Monthly assembly", "Asamblea mensual")
    await cache.flush()
    spanish = await boards.view("es")
    assert spanish["title"] == {
        "text": "Asamblea mensual",
        "note": "(traducción automática; original: Monthly assembly)",
    }
    assert (await boards.view("en"))["title"] == {"text": "Monthly assembly", "note": None}


async def test_without_a_meeting_the_board_says_so_in_each_language(boards: Boards) -> None:
    state = board_state(CATALOGS, await boards.snapshot(), ["en", "es"])
    assert state["in_meeting"] is False and state["centers"] == ["US", "MX"]
    assert state["views"]["en"]["idle"] == "No meeting is open."
    assert state["views"]["es"]["idle"] == "No hay ninguna reunión abierta."


# -- the link ------------------------------------------------------------------------------------


async def test_a_member_is_told_to_ask_a_chair(boards: Boards) -> None:
    await boards.world.say(CAROL, EN, "!startmeeting Monthly assembly")
    mark = boards.world.mark()
    await boards.world.say(ALICE, EN, "!board")
    [refused] = boards.world.said_in(EN, mark)
    assert "Only a chair of this meeting may use !board" in refused and "Carol" in refused
    assert await boards.service._store.token_of(ASSEMBLY.name) is None


async def test_a_chairs_link_waits_for_the_direct_chat_made_for_them(boards: Boards) -> None:
    """carol has no direct chat with the bot yet: it is made, and the link is posted there."""
    mark = boards.world.mark()
    await boards.world.say(CAROL, EN, "!board")
    [answer] = boards.world.said_in(EN, mark)
    assert (
        answer
        == "I am opening a direct chat with you: the board's link will be there once you join it."
    )
    polls_store = PollsStore(boards.world.db)
    assert await polls_store.wanted_ballot_rooms() == [CAROL]
    [letter] = await LettersStore(boards.world.db).waiting_for(CAROL)

    box = ballot_box(boards, FakeChats())
    stop = asyncio.Event()
    keeper = asyncio.create_task(box.keep_chats(stop))
    await until(lambda: polls_store.ballot_room_of(CAROL), equals="!dm-carol")
    stop.set()
    await keeper
    await boards.world._send_outbox()
    [link] = boards.world.said_in("!dm-carol")
    token = LINK.search(link).group(1)
    assert boards.service.assembly_of(token) == boards.assembly
    assert "Anyone with this link can watch" in link
    assert await LettersStore(boards.world.db).waiting_for(CAROL) == []
    assert letter.cause


async def test_a_chair_with_a_direct_chat_gets_the_link_there_at_once(boards: Boards) -> None:
    async with boards.world.db.transaction():
        await PollsStore(boards.world.db).set_ballot_room(BETO, "!dm-beto", 0)
    await boards.world.say(CAROL, EN, "!startmeeting Monthly assembly")
    await boards.world.say(CAROL, EN, "!chair @beto:test")
    mark = boards.world.mark()
    await boards.world.say(BETO, ES, "!tablero")
    assert boards.world.said_in(ES, mark) == [
        "Te envié el enlace del tablero en nuestro chat directo."
    ]
    [link] = boards.world.said_in("!dm-beto", mark)
    assert link.startswith("El tablero de la reunión de Asamblea de prueba: https://")


async def test_a_public_board_gives_anyone_the_link_in_the_room() -> None:
    db = await Database.open(":memory:")
    try:
        boards = await open_boards(db, public=True)
        mark = boards.world.mark()
        await boards.world.say(ALICE, EN, "!board")
        [link, *_] = boards.world.said_in(EN, mark)
        assert boards.service.assembly_of(LINK.search(link).group(1)) == boards.assembly
    finally:
        await db.close()


async def test_a_new_link_shuts_the_old_one(boards: Boards) -> None:
    old = await boards.token()
    assert boards.service.assembly_of(old) == boards.assembly
    await PollsStore(boards.world.db).set_ballot_room(CAROL, "!dm-carol", 0)
    mark = boards.world.mark()
    await boards.world.say(CAROL, EN, "!board reset")
    assert "Carol made a new link for the meeting board" in boards.world.said_in(EN, mark)[0]
    assert "Carol creó un enlace nuevo" in boards.world.said_in(ES, mark)[0]
    [link] = boards.world.said_in("!dm-carol", mark)
    new = LINK.search(link).group(1)
    assert new != old and boards.service.assembly_of(old) is None
    assert boards.service.assembly_of(new) == boards.assembly


async def test_only_a_chair_makes_a_new_link_even_on_a_public_board() -> None:
    db = await Database.open(":memory:")
    try:
        boards = await open_boards(db, public=True)
        await boards.world.say(CAROL, EN, "!startmeeting Monthly assembly")
        mark = boards.world.mark()
        await boards.world.say(ALICE, EN, "!board reset")
        assert "Only a chair of this meeting may use !board" in boards.world.said_in(EN, mark)[0]
    finally:
        await db.close()


async def test_a_bot_without_a_board_says_so() -> None:
    db = await Database.open(":memory:")
    try:
        boards = await open_boards(db, board={})
        mark = boards.world.mark()
        await boards.world.say(CAROL, EN, "!board")
        assert "board.listen" in boards.world.said_in(EN, mark)[0]
    finally:
        await db.close()


# -- the board over HTTP -------------------------------------------------------------------------


@pytest.fixture
async def web(boards: Boards) -> AsyncIterator[tuple[TestClient, BoardServer, asyncio.Event]]:
    server = board_server(boards.shared, boards.service)
    stop = asyncio.Event()
    live = asyncio.create_task(server._live.run(stop))
    client = TestClient(TestServer(server.app()))
    await client.start_server()
    try:
        yield client, server, stop
    finally:
        stop.set()
        await live
        await client.close()


async def test_a_wrong_token_finds_nothing(boards: Boards, web: tuple) -> None:
    client, _, _ = web
    await boards.token()
    for path in (
        "/board/nope/",
        "/board/nope/events",
        "/board/nope/meetings",
        "/board/nope/meetings/1",
    ):
        response = await client.get(path)
        assert response.status == 404
        body = await response.text()
        assert ASSEMBLY.name not in body and "Monthly" not in body
        assert response.headers["Referrer-Policy"] == "no-referrer"


async def test_the_page_is_both_languages_or_the_one_asked_for(boards: Boards, web: tuple) -> None:
    client, _, _ = web
    token = await fresh_token(boards)
    both = await client.get(f"/board/{token}/", headers={"Accept-Language": "es-MX,es;q=0.9"})
    assert both.status == 200
    assert "script-src 'self'" in both.headers["Content-Security-Policy"]
    page = await both.text()
    assert page.index('lang="es" data-language="es"') < page.index('lang="en" data-language="en"')
    assert "En discusión" in page and "Now discussing" in page and 'class="bilingual"' in page
    one = await (await client.get(f"/board/{token}/?lang=en")).text()
    assert 'data-language="es"' not in one and 'class="single"' in one
    # How the page's script asks whether its link still opens the board.
    assert (await client.head(f"/board/{token}/")).status == 200
    assert (await client.head("/board/wrong/")).status == 404
    slash = await client.get(f"/board/{token}", allow_redirects=False)
    assert slash.status == 308 and slash.headers["Location"] == f"{token}/"


async def test_the_page_escapes_what_it_places_and_its_script_never_reads_html(
    boards: Boards,
) -> None:
    page = BoardPages(CATALOGS).board(
        '<img src=x onerror="alert(1)">', ["en", "es"], "en", single=False, prefix="!"
    )
    assert "<img" not in page and "&lt;img src=x" in page
    script = static_file("board.js").decode()
    assert "innerHTML" not in script and "insertAdjacentHTML" not in script
    assert "document.write" not in script and "eval(" not in script


async def test_a_screen_gets_the_board_then_each_change_within_a_second(
    boards: Boards, web: tuple
) -> None:
    client, _, _ = web
    token = await fresh_token(boards)
    response = await client.get(f"/board/{token}/events")
    assert response.headers["Content-Type"].startswith("text/event-stream")
    assert response.headers["X-Accel-Buffering"] == "no"
    name, data = await next_event(response)
    assert name == "board" and data["board"]["views"]["en"]["idle"] == "No meeting is open."
    await boards.world.say(CAROL, EN, "!startmeeting Monthly <b>assembly</b>")
    name, data = await asyncio.wait_for(next_event(response, "board"), 1.0)
    views = data["board"]["views"]
    assert views["en"]["title"]["text"] == "Monthly <b>assembly</b>"  # data, placed as text
    assert views["es"]["title"]["text"] == "Monthly <b>assembly</b>"
    response.close()


async def test_an_open_board_closes_when_its_link_is_replaced(boards: Boards, web: tuple) -> None:
    client, _, _ = web
    token = await fresh_token(boards)
    response = await client.get(f"/board/{token}/events")
    await next_event(response)
    await boards.service.new_token(boards.assembly, CAROL)
    await asyncio.wait_for(response.content.read(), 2.0)  # the stream ends
    assert (await client.get(f"/board/{token}/")).status == 404
    assert (await client.get(f"/board/{token}/events")).status == 404


async def test_past_meetings_and_their_minutes_open_under_the_same_link(
    boards: Boards, web: tuple
) -> None:
    client, _, _ = web
    await a_meeting_under_way(boards)
    await boards.world.say(CAROL, EN, "!agreed We eat at noon")
    await boards.world.say(CAROL, EN, "!endmeeting")
    token = await fresh_token(boards)
    listing = await (await client.get(f"/board/{token}/meetings?lang=es")).text()
    assert "Reuniones de Asamblea de prueba" in listing and "Monthly assembly" in listing
    [meeting] = re.findall(r'href="meetings/(\d+)\?lang=es"', listing)
    minutes = await client.get(f"/board/{token}/meetings/{meeting}")
    assert minutes.status == 200
    assert "style-src 'unsafe-inline'" in minutes.headers["Content-Security-Policy"]
    text = await minutes.text()
    assert "We eat at noon" in text and "Acuerdos" in text and "Agreements" in text
    for wrong in ("999", "x1", "-1"):
        assert (await client.get(f"/board/{token}/meetings/{wrong}")).status == 404


async def test_the_style_and_the_script_come_from_the_bot_itself(web: tuple) -> None:
    client, _, _ = web
    for name, kind in (("board.css", "text/css"), ("board.js", "text/javascript")):
        response = await client.get(f"/board/static/{name}")
        assert response.status == 200 and response.headers["Content-Type"].startswith(kind)
    assert (await client.get("/board/static/other.js")).status == 404
    css, script = static_file("board.css").decode(), static_file("board.js").decode()
    assert "prefers-reduced-motion: reduce" in css and "@media print" in css
    # Nothing is fetched from anywhere else: no address in either.
    assert "http://" not in css + script and "https://" not in css + script


# -- helpers ---------------------------------------------------------------------------------------


class FakeChats:
    """The Matrix side of direct chats: each chat is made at once and is the person's alone."""

    async def open_with(self, user_id: str) -> str | None:
        return "!dm-" + user_id.split(":")[0].lstrip("@")

    async def watch(self, room_id: str) -> None:
        return None

    def is_open(self, room_id: str, user_id: str) -> bool:
        return True

    def is_private(self, room_id: str, user_id: str) -> bool:
        return True

    async def people_in(self, room_id: str) -> set[str] | None:
        return None

    async def decline(self, room_id: str, reason: str) -> None:
        return None


def ballot_box(boards: Boards, chats: FakeChats) -> BallotBox:
    shared, db = boards.shared, boards.world.db
    platform = shared.platform
    store = PollsStore(db)
    polls = PollService(
        db=db,
        store=store,
        meetings=shared.meetings_store,
        decisions=shared.decisions,
        runtime=platform.runtime_store,
        delivery=platform.delivery,
        people=shared.people,
        directory=platform.directory,
        prefix="!",
    )
    return BallotBox(
        db=db,
        store=store,
        polls=polls,
        people=shared.people,
        directory=platform.directory,
        delivery=platform.delivery,
        chats=chats,
        letters=shared.letters,
    )


async def until(read: Any, *, equals: Any, timeout: float = 5.0) -> None:
    async def poll() -> None:
        while await read() != equals:
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), timeout)


async def fresh_token(boards: Boards) -> str:
    """A link, known to the web side as soon as it is made (as after the command's commit)."""
    return await boards.service.new_token(boards.assembly, CAROL)


async def next_event(response: ClientResponse, wanted: str | None = None) -> tuple[str, dict]:
    """The next server-sent event (of that name), as (name, data)."""
    name, data = "message", ""
    while True:
        line = (await response.content.readline()).decode()
        if line.startswith("event: "):
            name = line[7:].strip()
        elif line.startswith("data: "):
            data += line[6:].strip()
        elif line == "\n" and data:
            if wanted in (None, name):
                return name, json.loads(data)
            name, data = "message", ""
