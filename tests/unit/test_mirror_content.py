"""What a mirrored copy looks like: attributed, labelled, escaped, and never too large to send."""

from __future__ import annotations

from dataclasses import replace

from bot.domain.mirror import MirrorText, Speaker
from bot.domain.names import isolate
from bot.domain.text_protection import GlossaryUse
from bot.i18n import Catalogs
from bot.render.mirror import MAX_CONTENT_BYTES, content_size, text_content

CATALOGS = Catalogs.load_default()
ALICE = Speaker("Alice", "US")
# How a copy names her: isolated, so her name cannot turn the label around (`test_names`).
ALICE_US = f"{isolate('Alice')} (US)"


def test_a_translated_copy_names_the_speaker_and_keeps_the_original() -> None:
    words = MirrorText("hola", "hello", "en", "es", pending=False)
    content = text_content(CATALOGS, ALICE, "m.text", words)
    assert content["body"].startswith(f"{ALICE_US} [traducción automática]: hola")
    assert "> hello" in content["body"]
    assert "<summary>Original (inglés)</summary>hello" in content["formatted_body"]


def test_a_pending_copy_shows_the_original_once_with_the_label() -> None:
    words = MirrorText("hello", "hello", "en", "es", pending=True)
    content = text_content(CATALOGS, ALICE, "m.text", words)
    assert content["body"] == f"{ALICE_US} [traducción pendiente]: hello"
    assert "<details>" not in content["formatted_body"]


def test_markup_from_people_is_escaped() -> None:
    speaker = Speaker("<img src=x>", "<b>US</b>")
    words = MirrorText("<script>x</script>", "<script>y</script>", "en", "es", pending=False)
    html = text_content(CATALOGS, speaker, "m.emote", words)["formatted_body"]
    assert "<script>" not in html and "<img" not in html and "<b>US" not in html
    assert html.startswith("<b><bdi>&lt;img src=x&gt;</bdi></b> (&lt;b&gt;US&lt;/b&gt;)")


def test_a_copy_a_chat_glossary_term_changed_names_it_in_its_label_escaped() -> None:
    changed = (GlossaryUse("no", "YES"), GlossaryUse("May First", "May First"))
    words = MirrorText("YES gracias", "no thanks", "en", "es", pending=False, glossary=changed)
    content = text_content(CATALOGS, ALICE, "m.text", words)
    assert content["body"].startswith(
        f"{ALICE_US} [traducción automática · glosario: no → YES, May First (sin traducir)]: "
    )
    english = replace(words, source_language="es", target_language="en")
    content = text_content(CATALOGS, ALICE, "m.text", english)
    assert "[machine translation · glossary: no → YES, May First (kept)]" in content["body"]

    many = tuple(GlossaryUse(f"<b>{n}</b>", f"t{n}") for n in range(5))
    content = text_content(CATALOGS, ALICE, "m.text", replace(words, glossary=many))
    html = content["formatted_body"]
    assert "&lt;b&gt;0&lt;/b&gt; → t0" in html and "<b>0" not in html
    assert "<b>2</b> → t2, 2 más]" in content["body"] and "<b>3" not in content["body"]


def test_an_emote_stays_an_emote_told_after_the_bots_name() -> None:
    """Clients show an emote after its sender's name: "* Asamblea Alice (US) saluda"."""
    words = MirrorText("saluda", "waves", "en", "es", pending=False)
    content = text_content(CATALOGS, ALICE, "m.emote", words)
    assert content["msgtype"] == "m.emote"
    assert content["body"].startswith(f"{ALICE_US} [traducción automática] saluda")


def test_a_huge_message_still_fits_in_one_event() -> None:
    original = "hello world " * 6000
    words = MirrorText("hola mundo ñ " * 6000, original, "en", "es", pending=False)
    content = text_content(CATALOGS, ALICE, "m.text", words)
    assert content_size(content) <= MAX_CONTENT_BYTES
    assert "<details>" not in content["formatted_body"]
    assert content["body"].endswith("[…]")
    assert content["body"].startswith(f"{ALICE_US} [traducción automática]: hola mundo")


def test_a_long_message_that_fits_alone_keeps_its_translation_whole() -> None:
    words = MirrorText("hola " * 5000, "hello " * 5000, "en", "es", pending=False)
    content = text_content(CATALOGS, ALICE, "m.text", words)
    assert content_size(content) <= MAX_CONTENT_BYTES
    assert not content["body"].endswith("[…]")


def test_words_that_need_no_translation_are_not_labelled_as_translated() -> None:
    words = MirrorText("👍🏽🎉", "👍🏽🎉", "en", "es", pending=False)
    content = text_content(CATALOGS, ALICE, "m.text", words)
    assert content["body"] == f"{ALICE_US}: 👍🏽🎉"


def test_a_copy_left_as_written_says_it_is_not_translated_in_the_rooms_language() -> None:
    """With no translator (provider `none`), the Spanish room is not shown English as if it
    were its own: the copy says it was not translated, in Spanish; the English room likewise."""
    to_spanish = MirrorText("We eat at noon", "We eat at noon", "en", "es", pending=False)
    content = text_content(CATALOGS, ALICE, "m.text", to_spanish)
    assert content["body"] == f"{ALICE_US} [sin traducir]: We eat at noon"
    assert "<sup>[sin traducir]</sup>: We eat at noon" in content["formatted_body"]
    to_english = MirrorText("Comemos a mediodía", "Comemos a mediodía", "es", "en", pending=False)
    body = text_content(CATALOGS, ALICE, "m.text", to_english)["body"]
    assert body == f"{ALICE_US} [not translated]: Comemos a mediodía"


def test_a_copy_with_nothing_to_translate_or_in_the_rooms_language_has_no_label() -> None:
    for shown, source in (("👍🎉", "en"), ("https://example.org/agenda", "en"), ("hola", "es")):
        words = MirrorText(shown, shown, source, "es", pending=False)
        assert text_content(CATALOGS, ALICE, "m.text", words)["body"] == f"{ALICE_US}: {shown}"
