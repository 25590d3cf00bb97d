"""Every word the bot says exists in English and in Spanish, with the same placeholders."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import string

import commands
from bot.domain.messages import Bold, Code, Msg
from bot.framework.commands import CommandGroup, declared_specs
from bot.i18n import Catalogs


def declared_groups() -> list[type[CommandGroup]]:
    """Every command group declared in `commands/`."""
    groups = []
    for module_info in pkgutil.iter_modules(commands.__path__):
        module = importlib.import_module(f"commands.{module_info.name}")
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, CommandGroup) and value.__module__ == module.__name__:
                groups.append(value)
    return groups


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_both_catalogs_hold_the_same_messages() -> None:
    catalogs = Catalogs.load_default()
    assert catalogs.languages == ["en", "es"]
    assert catalogs.keys("en") == catalogs.keys("es")
    for key in catalogs.keys("en"):
        english, spanish = catalogs.template("en", key), catalogs.template("es", key)
        assert placeholders(english) == placeholders(spanish), key


def test_every_declared_command_has_its_catalog_keys() -> None:
    """Help text, parameter labels and group heading, derived by the rule in
    bot/framework/commands.py, in both languages for every command declared in `commands/`."""
    catalogs = Catalogs.load_default()
    groups = declared_groups()
    named = {group.group_name for group in groups}
    assert named >= {"general", "meetings", "agenda", "stack", "polls", "mirror", "records"}
    missing = []
    for group in groups:
        for attribute, spec in declared_specs(group):
            for key in spec.catalog_keys(group.group_name):
                missing += [
                    (lang, group.__name__, attribute, key)
                    for lang in ("en", "es")
                    if key not in catalogs.keys(lang)
                ]
    assert not missing


def test_values_are_escaped_in_html_but_not_in_plain_text() -> None:
    catalogs = Catalogs.load_default()
    message = Msg.of("status.header", assembly=Bold("<img src=x>"), version="<b>1</b>")
    html = catalogs.html("en", message)
    assert "<img" not in html and "&lt;img src=x&gt;" in html
    assert "<b>&lt;img src=x&gt;</b>" in html and "&lt;b&gt;1&lt;/b&gt;" in html
    assert "<img src=x>" in catalogs.text("en", message)


def test_nested_messages_are_worded_in_the_same_language() -> None:
    catalogs = Catalogs.load_default()
    message = Msg.of(
        "status.room",
        room=Code("!r:x"),
        language=Msg.of("language.es"),
        center="MX",
        timezone="UTC",
    )
    assert "Spanish" in catalogs.text("en", message)
    assert "español" in catalogs.text("es", message)
