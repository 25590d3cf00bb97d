"""Every word the bot says exists in English and in Spanish, with the same placeholders."""

from __future__ import annotations

from bot.i18n import Bold, Catalogs, Code, Msg, placeholders


def test_both_catalogs_hold_the_same_messages() -> None:
    catalogs = Catalogs.load_default()
    assert catalogs.languages == ["en", "es"]
    assert catalogs.keys("en") == catalogs.keys("es")
    for key in catalogs.keys("en"):
        english, spanish = catalogs.template("en", key), catalogs.template("es", key)
        assert placeholders(english) == placeholders(spanish), key


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
