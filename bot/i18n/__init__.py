"""The bot's own words in every language it speaks, from gettext catalogs (never machine-made).

Messages are addressed by key (`help.header`); the catalogs in `locales/<language>/` map keys to
text with `{named}` placeholders, one `.po` file per command group. Every language must hold the
same keys and placeholders; a test checks it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from babel.messages.pofile import read_po
from markupsafe import Markup, escape

from bot.domain.wording import adds_something

DEFAULT_LANGUAGE = "en"


class MissingMessage(KeyError):
    """A key the catalogs do not hold: a bug in the code, caught by the catalog tests."""


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


class Catalogs:
    def __init__(self, catalogs: Mapping[str, Mapping[str, str]]) -> None:
        self._catalogs = {lang: dict(messages) for lang, messages in catalogs.items()}

    @classmethod
    def load_default(cls) -> Catalogs:
        """Every `locales/<language>/<group>.po`, merged per language."""
        catalogs: dict[str, dict[str, str]] = {}
        for folder in (resources.files("bot.i18n") / "locales").iterdir():
            if not folder.is_dir():
                continue
            messages = catalogs.setdefault(folder.name, {})
            for entry in folder.iterdir():
                if entry.name.endswith(".po"):
                    with entry.open("rb") as handle:
                        po = read_po(handle)
                    messages.update({str(m.id): str(m.string) for m in po if m.id and m.string})
        return cls(catalogs)

    @property
    def languages(self) -> list[str]:
        return sorted(self._catalogs)

    def keys(self, language: str) -> set[str]:
        return set(self._catalogs.get(language, {}))

    def template(self, language: str, key: str) -> str:
        catalog = self._catalogs.get(language) or self._catalogs[DEFAULT_LANGUAGE]
        try:
            return catalog[key]
        except KeyError:
            raise MissingMessage(f"{language}:{key}") from None

    def text(self, language: str, message: Msg) -> str:
        values = {k: self._plain(language, v) for k, v in message.values.items()}
        return self.template(language, message.key).format_map(values)

    def html(self, language: str, message: Msg) -> Markup:
        values = {k: self._markup(language, v) for k, v in message.values.items()}
        return Markup(escape(self.template(language, message.key))).format_map(values)

    def _plain(self, language: str, value: Any) -> str:
        if isinstance(value, Msg):
            return self.text(language, value)
        if isinstance(value, UserText) and value.shows_original:
            return f"{value.text} ({value.original})"
        if isinstance(value, Bold | Code | UserText):
            return value.text
        return str(value)

    def _markup(self, language: str, value: Any) -> Markup | str:
        if isinstance(value, Msg):
            return self.html(language, value)
        if isinstance(value, Bold):
            return Markup("<b>{}</b>").format(value.text)
        if isinstance(value, Code):
            return Markup("<code>{}</code>").format(value.text)
        if isinstance(value, UserText):
            if value.shows_original:
                return Markup("{} <i>({})</i>").format(value.text, value.original)
            return value.text
        return str(value)  # Markup.format_map escapes plain strings


def to_data(value: Any) -> Any:
    """A message (or one of its values) as plain JSON data, to be worded later, elsewhere."""
    if isinstance(value, Msg):
        return {"msg": value.key, "values": {k: to_data(v) for k, v in value.values.items()}}
    if isinstance(value, Bold):
        return {"bold": value.text}
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
    if "bold" in data:
        return Bold(str(data["bold"]))
    if "code" in data:
        return Code(str(data["code"]))
    return UserText(str(data["user"]), str(data["language"]), data.get("original"))


def user_texts(message: Msg) -> list[UserText]:
    """Every person-written text in a message, nested messages included."""
    found = []
    for value in message.values.values():
        if isinstance(value, Msg):
            found.extend(user_texts(value))
        elif isinstance(value, UserText):
            found.append(value)
    return found

