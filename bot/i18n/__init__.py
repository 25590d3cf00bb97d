"""The bot's own words in every language it speaks, from gettext catalogs (never machine-made).

A message (`bot.domain.messages.Msg`) names its key (`help.header`); the catalogs in
`locales/<language>/` map keys to text with `{named}` placeholders, one `.po` file per command
group. Every language must hold the same keys and placeholders; a test checks it.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from typing import Any

from babel.messages.pofile import read_po
from markupsafe import Markup, escape

from bot.domain.messages import Bold, Code, Msg, Name, UserText
from bot.domain.names import clean_name, isolate

DEFAULT_LANGUAGE = "en"
# How a name is shown beside its center ("Ana (US)"), outside the name's isolation.
CENTER_KEY = "name.with_center"


class MissingMessage(KeyError):
    """A key the catalogs do not hold: a bug in the code, caught by the catalog tests."""


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
        if isinstance(value, Name):
            if value.center is None:
                return isolate(value.text)
            return self.template(language, CENTER_KEY).format(
                name=isolate(value.text), center=value.center
            )
        if isinstance(value, Bold | Code | UserText):
            return value.text
        return str(value)

    def _markup(self, language: str, value: Any) -> Markup | str:
        if isinstance(value, Msg):
            return self.html(language, value)
        if isinstance(value, Bold):
            return Markup("<b>{}</b>").format(value.text)
        if isinstance(value, Name):
            name = name_markup(value.text, bold=value.bold)
            if value.center is None:
                return name
            template = Markup(escape(self.template(language, CENTER_KEY)))
            return template.format(name=name, center=value.center)
        if isinstance(value, Code):
            return Markup("<code>{}</code>").format(value.text)
        if isinstance(value, UserText):
            if value.shows_original:
                return Markup("{} <i>({})</i>").format(value.text, value.original)
            return value.text
        return str(value)  # Markup.format_map escapes plain strings


def name_markup(name: str, *, bold: bool = True) -> Markup:
    """A person's name in HTML: escaped, cleaned and isolated in <bdi>."""
    isolated = Markup("<bdi>{}</bdi>").format(clean_name(name))
    return Markup("<b>{}</b>").format(isolated) if bold else isolated
