"""The translation service against a fake LibreTranslate on loopback, through the real
deep-translator ``LibreTranslator`` code."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator

import pytest

from bot.domain.text_protection import Glossary
from bot.services.translation import (
    CachedTranslator,
    MemoryTranslationCache,
    ProtectedTranslator,
    ProviderTranslator,
    TranslationError,
    TranslationSettings,
    _call_provider,
    _mymemory_locale,
    build_translator,
)
from tests.harness.libretranslate import FakeLibreTranslate, fake_translate

MakeTranslator = Callable[..., ProviderTranslator]


@pytest.fixture
def server() -> Iterator[FakeLibreTranslate]:
    with FakeLibreTranslate() as fake:
        yield fake


@pytest.fixture
async def make_translator(server: FakeLibreTranslate) -> AsyncIterator[MakeTranslator]:
    made: list[ProviderTranslator] = []

    def make(**overrides: object) -> ProviderTranslator:
        options: dict[str, object] = {"provider": "libre", "url": server.url, **overrides}
        translator = ProviderTranslator(TranslationSettings(**options))  # type: ignore[arg-type]
        made.append(translator)
        return translator

    yield make
    for translator in made:
        await translator.aclose()


async def ticker(ticks: list[float], stop: asyncio.Event) -> None:
    """Proves the event loop keeps running while a translation waits."""
    while not stop.is_set():
        ticks.append(time.monotonic())
        await asyncio.sleep(0.01)


# --- the fake server itself ---------------------------------------------------------------------


def test_fake_translates_known_words_cleanly_and_marks_the_rest() -> None:
    assert fake_translate("Good morning, assembly!", "en", "es") == "Buenos días, asamblea!"
    assert fake_translate("hola", "es", "en") == "hello"
    assert fake_translate("hello Bob [[0]]", "en", "es") == "[es] hola Bob [[0]]"
    assert fake_translate("bonjour", "fr", "en") == "[en] bonjour"


# --- provider calls -----------------------------------------------------------------------------


async def test_alice_says_hello_and_the_spanish_room_reads_hola(
    server: FakeLibreTranslate, make_translator: MakeTranslator
) -> None:
    translator = make_translator()
    assert await translator.translate("Hello", "en", "es") == "Hola"
    assert await translator.translate("buenos días", "es", "en") == "good morning"
    assert server.requests == ["Hello", "buenos días"]


async def test_libre_url_without_slash_and_placeholder_key(
    server: FakeLibreTranslate, make_translator: MakeTranslator
) -> None:
    translator = make_translator(url=server.url.rstrip("/"))
    assert await translator.translate("yes", "en", "es") == "sí"
    [key] = server.api_keys_seen
    assert key  # deep-translator refuses an empty key even for keyless servers


async def test_the_configured_api_key_is_sent(make_translator: MakeTranslator) -> None:
    with FakeLibreTranslate(require_api_key="s3cret") as keyed:
        good = make_translator(url=keyed.url, api_key="s3cret")
        assert await good.translate("hello", "en", "es") == "hola"
        bad = make_translator(url=keyed.url, api_key="wrong")
        with pytest.raises(TranslationError):
            await bad.translate("hello", "en", "es")
        assert keyed.api_keys_seen == ["s3cret", "wrong"]


async def test_whitespace_around_the_text_survives(make_translator: MakeTranslator) -> None:
    translator = make_translator()
    assert await translator.translate("\n  hello \n", "en", "es") == "\n  hola \n"


async def test_nothing_to_translate_never_calls_the_server(
    server: FakeLibreTranslate, make_translator: MakeTranslator
) -> None:
    translator = make_translator()
    assert await translator.translate("  ...!? ", "en", "es") == "  ...!? "
    assert await translator.translate("hello", "en", "en") == "hello"
    assert server.requests == []


async def test_provider_none_passes_text_through() -> None:
    translator = ProviderTranslator(TranslationSettings(provider="none"))
    assert await translator.translate("hello", "en", "es") == "hello"
    await translator.aclose()


async def test_long_text_is_split_on_sentences_and_rejoined(
    server: FakeLibreTranslate, make_translator: MakeTranslator
) -> None:
    translator = make_translator(max_chars=100)
    sentence = "The assembly will vote on the proposal today and everyone may speak once. "
    text = (sentence * 5).strip()
    result = await translator.translate(text, "en", "es")
    assert len(server.requests) == 5
    assert all(len(chunk) <= 100 for chunk in server.requests)
    assert all(chunk.startswith("The assembly") for chunk in server.requests)
    expected_chunk = fake_translate(sentence.strip(), "en", "es")
    assert result == " ".join([expected_chunk] * 5)


# --- failures -----------------------------------------------------------------------------------


async def test_a_500_becomes_translation_error_and_the_next_call_works(
    server: FakeLibreTranslate, make_translator: MakeTranslator
) -> None:
    translator = make_translator()
    server.fail_next(1, status=500)
    with pytest.raises(TranslationError) as caught:
        await translator.translate("hello", "en", "es")
    assert caught.value.reason == "provider"
    assert caught.value.provider == "libre"
    assert caught.value.__cause__ is not None
    assert await translator.translate("hello", "en", "es") == "hola"


async def test_a_refused_connection_becomes_translation_error() -> None:
    # deep-translator's Libre client catches the builtin ConnectionError, not requests' one.
    with FakeLibreTranslate() as gone:
        url = gone.url
    translator = ProviderTranslator(TranslationSettings(provider="libre", url=url))
    with pytest.raises(TranslationError):
        await translator.translate("hello", "en", "es")
    await translator.aclose()


async def test_an_unsupported_language_becomes_translation_error(
    make_translator: MakeTranslator,
) -> None:
    with pytest.raises(TranslationError):
        await make_translator().translate("hello", "en", "xx")


def test_library_stop_iteration_is_wrapped_in_the_worker_thread() -> None:
    # MyMemory can leak StopIteration, which an asyncio future refuses to carry.
    def broken() -> str:
        return next(iter([]))

    with pytest.raises(TranslationError):
        _call_provider(broken, "mymemory")


async def test_a_hung_server_times_out_while_the_bot_keeps_running(
    server: FakeLibreTranslate, make_translator: MakeTranslator
) -> None:
    translator = make_translator(timeout_seconds=0.3)
    server.hang = True
    ticks: list[float] = []
    stop = asyncio.Event()
    ticking = asyncio.create_task(ticker(ticks, stop))
    started = time.monotonic()
    with pytest.raises(TranslationError) as caught:
        await translator.translate("hello", "en", "es")
    elapsed = time.monotonic() - started
    stop.set()
    await ticking
    assert caught.value.reason == "timeout"
    assert 0.25 <= elapsed < 2
    assert len(ticks) >= 10  # the loop was free the whole time


async def test_hung_threads_are_bounded_by_max_workers(
    server: FakeLibreTranslate, make_translator: MakeTranslator
) -> None:
    translator = make_translator(timeout_seconds=0.3, max_workers=2)
    server.hang = True
    results = await asyncio.gather(
        *(translator.translate(f"hello {n}", "en", "es") for n in range(6)),
        return_exceptions=True,
    )
    assert all(isinstance(result, TranslationError) for result in results)
    # Only two threads ever reached the provider; the others waited for a slot and gave up.
    assert len(server.requests) == 2
    assert translator.in_flight == 2
    assert server.hanging == 2

    server.release()
    for _ in range(200):
        if translator.in_flight == 0:
            break
        await asyncio.sleep(0.01)
    assert translator.in_flight == 0
    assert await translator.translate("hello", "en", "es") == "hola"


async def test_aclose_does_not_wait_for_hung_threads(
    server: FakeLibreTranslate, make_translator: MakeTranslator
) -> None:
    translator = make_translator(timeout_seconds=0.2)
    server.hang = True
    with pytest.raises(TranslationError):
        await translator.translate("hello", "en", "es")
    started = time.monotonic()
    await translator.aclose()
    assert time.monotonic() - started < 0.5
    with pytest.raises(TranslationError) as caught:
        await translator.translate("hello", "en", "es")
    assert caught.value.reason == "closed"


async def test_a_cancelled_caller_is_cancelled_not_failed(
    server: FakeLibreTranslate, make_translator: MakeTranslator
) -> None:
    translator = make_translator(timeout_seconds=5)
    server.hang = True
    task = asyncio.create_task(translator.translate("hello", "en", "es"))
    await asyncio.sleep(0.1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


# --- configuration ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "key"),
    [
        ({"provider": "bing"}, "translation.provider"),
        ({"provider": "libre"}, "translation.url"),
        ({"provider": "deepl"}, "translation.api_key"),
        ({"provider": "google", "timeout_seconds": 0}, "translation.timeout_seconds"),
        ({"provider": "google", "max_workers": 0}, "translation.max_workers"),
    ],
)
def test_settings_errors_name_the_config_key(options: dict[str, object], key: str) -> None:
    with pytest.raises(ValueError, match=key):
        TranslationSettings(**options)  # type: ignore[arg-type]


def test_deepl_without_its_package_fails_clearly_at_construction(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "deepl", None)  # makes `import deepl` raise ImportError
    with pytest.raises(TranslationError, match=r"pip install 'asamblea\[deepl\]'") as caught:
        ProviderTranslator(TranslationSettings(provider="deepl", api_key="k"))
    assert caught.value.reason == "config"


def test_mymemory_gets_the_centres_locales() -> None:
    assert _mymemory_locale("en") == "en-US"
    assert _mymemory_locale("es") == "es-MX"
    assert _mymemory_locale("it") == "it-IT"
    assert _mymemory_locale("es-AR") == "es-AR"


# --- cache and single-flight --------------------------------------------------------------------


async def test_a_repeated_phrase_is_never_sent_twice(
    server: FakeLibreTranslate, make_translator: MakeTranslator
) -> None:
    cache = MemoryTranslationCache()
    translator = CachedTranslator(make_translator(), cache, "libre")
    assert await translator.translate("thank you", "en", "es") == "gracias"
    assert await translator.translate("thank you", "en", "es") == "gracias"
    assert server.requests == ["thank you"]
    assert cache.entries == {("libre", "en", "es", "thank you"): "gracias"}


async def test_the_same_text_to_another_language_is_its_own_entry(
    server: FakeLibreTranslate, make_translator: MakeTranslator
) -> None:
    translator = CachedTranslator(make_translator(), MemoryTranslationCache(), "libre")
    await translator.translate("no", "en", "es")
    await translator.translate("no", "es", "en")
    assert server.requests == ["no", "no"]


async def test_simultaneous_identical_requests_share_one_call(
    server: FakeLibreTranslate, make_translator: MakeTranslator
) -> None:
    server.delay_seconds = 0.2
    translator = CachedTranslator(make_translator(), MemoryTranslationCache(), "libre")
    results = await asyncio.gather(*(translator.translate("hello", "en", "es") for _ in range(5)))
    assert results == ["hola"] * 5
    assert server.requests == ["hello"]


async def test_one_impatient_waiter_does_not_cancel_the_shared_call(
    server: FakeLibreTranslate, make_translator: MakeTranslator
) -> None:
    server.delay_seconds = 0.2
    translator = CachedTranslator(make_translator(), MemoryTranslationCache(), "libre")
    impatient = asyncio.create_task(translator.translate("hello", "en", "es"))
    patient = asyncio.create_task(translator.translate("hello", "en", "es"))
    await asyncio.sleep(0.05)
    impatient.cancel()
    assert await patient == "hola"
    assert server.requests == ["hello"]


async def test_failures_are_shared_and_not_cached(
    server: FakeLibreTranslate, make_translator: MakeTranslator
) -> None:
    server.delay_seconds = 0.1
    server.fail_next(1)
    translator = CachedTranslator(make_translator(), MemoryTranslationCache(), "libre")
    results = await asyncio.gather(
        *(translator.translate("hello", "en", "es") for _ in range(3)), return_exceptions=True
    )
    assert all(isinstance(result, TranslationError) for result in results)
    assert await translator.translate("hello", "en", "es") == "hola"
    assert server.requests == ["hello", "hello"]


async def test_a_broken_cache_does_not_stop_translation(make_translator: MakeTranslator) -> None:
    class BrokenCache:
        async def get(self, provider: str, source: str, target: str, text: str) -> str | None:
            raise OSError("disk gone")

        async def put(self, provider: str, source: str, target: str, text: str, tr: str) -> None:
            raise OSError("disk gone")

    translator = CachedTranslator(make_translator(), BrokenCache(), "libre")
    assert await translator.translate("hello", "en", "es") == "hola"


# --- protection end to end ----------------------------------------------------------------------


async def test_mentions_links_and_code_reach_the_room_untouched(
    server: FakeLibreTranslate, make_translator: MakeTranslator
) -> None:
    translator = ProtectedTranslator(make_translator())
    text = "hello @beto:example.mx, the proposal is at https://example.org/p?id=3 — run `!vote yes`"
    result = await translator.translate(text, "en", "es")
    [sent] = server.requests
    assert "@beto" not in sent and "https://" not in sent and "`" not in sent
    assert result == (
        "[es] hola @beto:example.mx, el propuesta es en https://example.org/p?id=3"
        " — run `!vote yes`"
    )


async def test_a_display_name_pill_is_not_translated(
    server: FakeLibreTranslate, make_translator: MakeTranslator
) -> None:
    translator = ProtectedTranslator(make_translator())
    result = await translator.translate("thank you Dog", "en", "es", display_names=["Dog"])
    assert result == "gracias Dog"
    assert server.requests == ["thank you [[0]]"]


async def test_the_assembly_glossary_applies(
    server: FakeLibreTranslate, make_translator: MakeTranslator
) -> None:
    glossary = Glossary(
        keep=("Asamblea",),
        fixed={("en", "es"): {"assembly": "asamblea"}, ("es", "en"): {"asamblea": "assembly"}},
    )
    translator = ProtectedTranslator(make_translator(), glossary)
    result = await translator.translate("welcome to Asamblea, assembly friends", "en", "es")
    assert result == "[es] bienvenidos to Asamblea, asamblea amigos"
    assert server.requests == ["welcome to [[0]], [[1]] friends"]


async def test_an_emoji_reaction_never_reaches_the_server(
    server: FakeLibreTranslate, make_translator: MakeTranslator
) -> None:
    translator = ProtectedTranslator(make_translator())
    assert await translator.translate("👍🏽🎉", "en", "es") == "👍🏽🎉"
    assert await translator.translate("https://example.org @ana:x.mx", "es", "en") == (
        "https://example.org @ana:x.mx"
    )
    assert server.requests == []


async def test_the_standard_stack_caches_the_masked_text(server: FakeLibreTranslate) -> None:
    translator, provider = build_translator(
        TranslationSettings(provider="libre", url=server.url), MemoryTranslationCache()
    )
    assert await translator.translate("hello @ana:x.mx", "en", "es") == "hola @ana:x.mx"
    assert await translator.translate("hello @bob:x.us", "en", "es") == "hola @bob:x.us"
    assert server.requests == ["hello [[0]]"]
    await provider.aclose()
