"""The bot's words as values: a message named by its catalog key, to be worded later in the
language of whichever room it goes to, and the values it may hold (bold, code, words a person
wrote, a person's name). Every layer passes them along; the catalogs (`bot.i18n`) word them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.domain.wording import adds_something


@dataclass(frozen=True)
class Msg:
    """A message to be worded later, in the language of whichever room it goes to."""

    key: str
    values: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, key: str, **values: Any) -> Msg:
        return cls(key, values)


@dataclass(frozen=True)
class Bold:
    """A value shown in bold in HTML (names, titles); plain text shows it as is."""

    text: str


@dataclass(frozen=True)
class Name:
    """A person's name: isolated from the words around it (FSI … PDI in plain text, <bdi> in
    HTML), so that a right-to-left name cannot turn the sentence around; bold in HTML unless
    `bold` is False. Cleaned of control characters when worded (`bot.domain.names`), whoever
    made it.

    `center` is the person's center, shown beside the name wherever it is worded ("Ana (US)"),
    so that both rooms always know which side is speaking; None only for someone who sits in
    none of the assembly's rooms, or where the words around the name already say the center
    (a line of the roll that starts with it)."""

    text: str
    bold: bool = True
    center: str | None = None


@dataclass(frozen=True)
class Code:
    """A value shown as code in HTML (command names, ids)."""

    text: str


@dataclass(frozen=True)
class UserText:
    """Words a person wrote (an agenda title, a poll option), with the language they wrote in.

    Delivery shows it translated in rooms of another language, with the original kept.
    """

    text: str
    language: str
    original: str | None = None

    @property
    def shows_original(self) -> bool:
        """A translation that says more than its original is shown with it; one that came back
        unchanged (or only in other case or spacing) is shown once."""
        return self.original is not None and adds_something(self.text, self.original)


def to_data(value: Any) -> Any:
    """A message (or one of its values) as plain JSON data, to be worded later, elsewhere."""
    if isinstance(value, Msg):
        return {"msg": value.key, "values": {k: to_data(v) for k, v in value.values.items()}}
    if isinstance(value, Bold):
        return {"bold": value.text}
    if isinstance(value, Name):
        return {"name": value.text, "strong": value.bold, "center": value.center}
    if isinstance(value, Code):
        return {"code": value.text}
    if isinstance(value, UserText):
        return {"user": value.text, "language": value.language, "original": value.original}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)  # worded with str() anyway


def from_data(data: Any) -> Any:
    """The inverse of `to_data`."""
    if not isinstance(data, dict):
        return data
    if "msg" in data:
        return Msg(str(data["msg"]), {k: from_data(v) for k, v in data["values"].items()})
    if "name" in data:
        center = data.get("center")
        return Name(str(data["name"]), bool(data.get("strong", True)), center)
    if "bold" in data:
        return Bold(str(data["bold"]))
    if "code" in data:
        return Code(str(data["code"]))
    return UserText(str(data["user"]), str(data["language"]), data.get("original"))


def localized(message: Msg, language: str, translated: Mapping[UserText, str]) -> Msg:
    """The message with person-written words shown translated, the original kept beside."""
    values = dict(message.values)
    for key, value in message.values.items():
        if isinstance(value, Msg):
            values[key] = localized(value, language, translated)
        elif isinstance(value, UserText) and value in translated:
            values[key] = UserText(translated[value], language, original=value.text)
    return Msg(message.key, values)


def user_texts(message: Msg) -> list[UserText]:
    """Every person-written text in a message, nested messages included."""
    found = []
    for value in message.values.values():
        if isinstance(value, Msg):
            found.extend(user_texts(value))
        elif isinstance(value, UserText):
            found.append(value)
    return found
