"""How much one command may carry: one place for every size limit the bot enforces.

Each limit is checked before anything is stored or sent, and a text over it is refused with a
clear answer in the room's language; nothing is cut silently. They bound what one person can
make the bot store, post in every room and send to a paid translator.
"""

from __future__ import annotations

from bot.domain.errors import CommandError

# Meeting titles, agenda items and scheduled meetings' titles.
MAX_TITLE = 200
# Agenda items in one meeting.
MAX_AGENDA_ITEMS = 30
# Decision log entries: !agreed, !action, !info, !idea.
MAX_ENTRY = 1000
# Polls: what Element itself accepts, 2-20 options of up to 340 characters. Every option is
# translated for every other room, all of them at once.
MAX_POLL_QUESTION = 500
MIN_POLL_OPTIONS = 2
MAX_POLL_OPTIONS = 20
MAX_POLL_OPTION = 340
# The reason given with a block or a stand-aside.
MAX_REASON = 1000


def split_for_translation(text: str, limit: int) -> tuple[str, str]:
    """The part of a message sent for translation, and the rest, mirrored as written.

    The cut falls on the last line break or space before `limit` when there is one in the last
    fifth, so no word is cut in two; head + rest is always the whole text.
    """
    if len(text) <= limit:
        return text, ""
    window = text[:limit]
    cut = max(window.rfind("\n"), window.rfind(" "))
    if cut < limit * 4 // 5:
        cut = limit
    return text[:cut], text[cut:]


def tidied_text(
    text: str | None, limit: int, too_long_key: str, *, empty_key: str, prefix: str
) -> str:
    """What a person wrote as one line (each run of white space one space), refused when it
    is empty or longer than `limit`."""
    tidied = " ".join((text or "").split())
    if not tidied:
        raise CommandError(empty_key, prefix=prefix)
    if len(tidied) > limit:
        raise CommandError(too_long_key, length=len(tidied), limit=limit)
    return tidied
