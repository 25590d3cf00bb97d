"""No transaction ever waits for a translator: commands that quote people's words (titles,
options, log entries) are worded when sent, by the sender, with the database free."""

from __future__ import annotations

from collections.abc import Sequence

from bot.storage.database import Database
from bot.storage.runtime_store import RuntimeStore
from tests.harness.events import said_in
from tests.harness.offline import offline_core
from tests.harness.outbox import waiting
from tests.unit.test_bad_input import CONFIG, EN, SEATS


class WatchfulTranslator:
    """Translates by shouting (a change of case alone would not count as a translation), and
    notes whether the database was held at each call."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self.calls: list[tuple[str, bool]] = []

    async def translate_quickly(self, text: str, source: str, target: str) -> str | None:
        self.calls.append((text, self._db.in_transaction))
        return text.upper() + "!"

    async def translate_lines_quickly(
        self, lines: Sequence[str], source: str, target: str
    ) -> list[str | None]:
        self.calls.append(("\n".join(lines), self._db.in_transaction))
        return [line.upper() + "!" for line in lines]


async def test_titles_options_and_entries_are_translated_when_sent_not_while_handled() -> None:
    db = await Database.open(":memory:")
    translator = WatchfulTranslator(db)
    core = offline_core(db, CONFIG, SEATS, texts=translator)
    script = [
        "!startmeeting Budget night",
        "!item Rent of the hall 10m",
        '!poll "Do we rent it?" "the big hall" "the small hall"',
        "!agreed we rent the small hall",
    ]
    for n, body in enumerate(script):
        await core.dispatcher.handle(said_in(EN, n, "@carol:test", body))
    assert translator.calls == []  # handling translated nothing

    queued = await waiting(RuntimeStore(db), core.delivery)
    sent = [m.content for m in queued]
    await db.close()
    assert translator.calls and not any(held for _, held in translator.calls)
    spanish = " ".join(str(m.content.get("body", "")) for m in queued if m.room_id != EN)
    assert "BUDGET NIGHT! (Budget night)" in spanish
    assert "WE RENT THE SMALL HALL! (we rent the small hall)" in spanish
    polls = [c for c in sent if "org.matrix.msc3381.poll.start" in c]
    answers = [
        a["org.matrix.msc1767.text"]
        for c in polls
        for a in c["org.matrix.msc3381.poll.start"]["answers"]
    ]
    assert "THE SMALL HALL! (the small hall)" in answers
