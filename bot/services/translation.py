"""Asamblea's asynchronous translation interface.

Layers, outermost first, each a ``Translator``:

    ProtectedTranslator   keeps mentions, links, code, emoji and glossary terms away from MT
      CachedTranslator    one provider call per distinct text (cache + single-flight)
        ProviderTranslator  deep-translator / deepl in a bounded thread pool with a timeout

deep-translator is synchronous ``requests`` code without any timeout, its exceptions share no
base class, and several of its clients keep per-call state on the instance. Everything that
touches it lives in ``ProviderTranslator`` so the rest of the bot only ever sees ``str`` results
or one ``TranslationError``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Literal, Protocol

from bot.domain.text_protection import (
    EMPTY_GLOSSARY,
    Glossary,
    is_emoji_only,
    protect,
    split_text,
)
from bot.observability.metrics import Metrics
from bot.settings import PROVIDERS, TranslationSettings

log = logging.getLogger(__name__)

# Hard request-size limits of the services, below which max_chars is lowered automatically.
# deep-translator validates ``len(text) < limit`` for Google (5000) and MyMemory (500).
_PROVIDER_MAX_CHARS = {"google": 4999, "mymemory": 499}

# MyMemory wants locale codes; the centres are the United States and Mexico.
_MYMEMORY_LOCALES = {"en": "en-US", "es": "es-MX", "pt": "pt-BR", "fr": "fr-FR", "de": "de-DE"}
# DeepL rejects the bare "EN"/"PT" as targets.
_DEEPL_TARGETS = {"en": "EN-US", "pt": "PT-BR"}
# LibreTranslate servers without keys still get one: deep-translator refuses an empty api_key.
_LIBRE_PLACEHOLDER_KEY = "asamblea-no-key"

ErrorReason = Literal["timeout", "provider", "config", "closed"]


class TranslationError(Exception):
    """The only exception the translation layer lets out.

    ``reason`` lets callers word their notice ("translation is slow" vs. "misconfigured");
    the original exception, if any, is chained as ``__cause__``.
    """

    def __init__(self, message: str, *, provider: str = "", reason: ErrorReason = "provider"):
        super().__init__(message)
        self.provider = provider
        self.reason = reason


class Translator(Protocol):
    async def translate(self, text: str, source: str, target: str) -> str: ...


class GlossaryTranslator(Protocol):
    """A translator that protects an assembly's glossary and the names mentioned (the
    `ProtectedTranslator` below): what the mirror and the translation gateway use."""

    async def translate(
        self,
        text: str,
        source: str,
        target: str,
        *,
        glossary: Glossary | None = None,
        display_names: Sequence[str] = (),
    ) -> str: ...


# --- provider clients (run inside worker threads) -----------------------------------------------

# A function that translates one chunk synchronously; may return None (deep-translator does).
SyncTranslate = Callable[[str], str | None]


def _mymemory_locale(language: str) -> str:
    if "-" in language:
        return language
    if language in _MYMEMORY_LOCALES:
        return _MYMEMORY_LOCALES[language]
    from deep_translator.constants import MY_MEMORY_LANGUAGES_TO_CODES

    for code in MY_MEMORY_LANGUAGES_TO_CODES.values():
        if code.split("-")[0] == language:
            return code
    return language


def _libre_url(url: str) -> str:
    # deep-translator builds the endpoint as custom_url + "translate".
    return url if url.endswith("/") else url + "/"


class _ClientFactory:
    """Builds the synchronous per-pair translate function for one provider.

    Google and MyMemory write the text into ``self._url_params`` before sending, so one
    instance shared by two threads can send the other thread's text: those get a fresh,
    cheap instance per call. Libre's ``translate`` is stateless, so it is cached per pair.
    Microsoft's constructor itself downloads the language list (no timeout), so it is built
    lazily inside a worker thread and cached per pair.
    """

    def __init__(self, settings: TranslationSettings) -> None:
        self._settings = settings
        self._lock = threading.Lock()
        self._per_pair: dict[tuple[str, str], Any] = {}
        self._deepl = _make_deepl_client(settings) if settings.provider == "deepl" else None

    def for_pair(self, source: str, target: str) -> SyncTranslate:
        provider = self._settings.provider
        if provider == "google":
            return lambda text: self._google(source, target).translate(text)
        if provider == "mymemory":
            return lambda text: self._mymemory(source, target).translate(text)
        if provider == "deepl":
            return lambda text: self._deepl_translate(text, source, target)
        return lambda text: self._cached(source, target).translate(text)

    def _google(self, source: str, target: str) -> Any:
        from deep_translator import GoogleTranslator

        return GoogleTranslator(source=source, target=target)

    def _mymemory(self, source: str, target: str) -> Any:
        from deep_translator import MyMemoryTranslator

        return MyMemoryTranslator(source=_mymemory_locale(source), target=_mymemory_locale(target))

    def _cached(self, source: str, target: str) -> Any:
        with self._lock:
            client = self._per_pair.get((source, target))
            if client is None:
                client = self._build(source, target)
                self._per_pair[(source, target)] = client
            return client

    def _build(self, source: str, target: str) -> Any:
        settings = self._settings
        if settings.provider == "libre":
            from deep_translator import LibreTranslator

            return LibreTranslator(
                source=source,
                target=target,
                api_key=settings.api_key or _LIBRE_PLACEHOLDER_KEY,
                custom_url=_libre_url(settings.url or ""),
            )
        from deep_translator import MicrosoftTranslator

        return MicrosoftTranslator(
            source=source, target=target, api_key=settings.api_key, region=settings.region
        )

    def _deepl_translate(self, text: str, source: str, target: str) -> str:
        assert self._deepl is not None
        result = self._deepl.translate_text(
            text,
            source_lang=source.split("-")[0].upper(),
            target_lang=_DEEPL_TARGETS.get(target, target.upper()),
        )
        return str(result.text)


def _make_deepl_client(settings: TranslationSettings) -> Any:
    # Imported lazily so the bot runs without the optional ``deepl`` package.
    try:
        import deepl  # type: ignore[import-not-found]
    except ImportError as exc:
        raise TranslationError(
            "translation.provider is 'deepl' but the 'deepl' package is not installed "
            "(pip install 'asamblea[deepl]')",
            provider="deepl",
            reason="config",
        ) from exc
    options: dict[str, Any] = {"send_platform_info": False}
    if settings.url:
        options["server_url"] = settings.url
    return deepl.Translator(settings.api_key, **options)


# --- the provider translator --------------------------------------------------------------------


class ProviderTranslator:
    """Calls the configured MT service without ever blocking the event loop.

    Each message gets one deadline, ``timeout_seconds`` from the call, shared by its chunks
    and by any wait for a free thread. deep-translator passes
    no timeout to ``requests`` and offers no way to set one, so a hung provider keeps its thread
    until the TCP connection dies. The timeout frees the *caller*; the semaphore, released only
    when the thread really finishes, keeps hung threads from piling up work in the pool queue:
    when all ``max_workers`` slots are hung, new calls wait for a slot and time out cleanly.
    """

    def __init__(self, settings: TranslationSettings, metrics: Metrics | None = None) -> None:
        self.settings = settings
        self.provider = settings.provider
        self._metrics = metrics or Metrics()
        self._clients = _ClientFactory(settings) if settings.provider != "none" else None
        self._max_chars = min(settings.max_chars, _PROVIDER_MAX_CHARS.get(self.provider, 10**9))
        self._pool = ThreadPoolExecutor(
            max_workers=settings.max_workers, thread_name_prefix=f"translate-{self.provider}"
        )
        self._slots = asyncio.Semaphore(settings.max_workers)
        self._busy = 0  # threads currently inside a provider call, hung ones included
        self._closed = False

    @property
    def in_flight(self) -> int:
        """Provider calls whose thread has not finished (for health checks and tests)."""
        return self._busy

    async def translate(self, text: str, source: str, target: str) -> str:
        if self._clients is None or source == target or not _is_translatable(text):
            return text
        if self._closed:
            raise TranslationError("translator is closed", provider=self.provider, reason="closed")
        call = self._clients.for_pair(source, target)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settings.timeout_seconds
        parts = []
        for chunk in split_text(text, self._max_chars):
            parts.append(await self._translate_chunk(call, chunk, deadline))
        return "".join(parts)

    async def _translate_chunk(self, call: SyncTranslate, chunk: str, deadline: float) -> str:
        # Providers strip surrounding whitespace (Google, MyMemory); keep it so chunks rejoin.
        core = chunk.strip()
        if not _is_translatable(core):
            return chunk
        lead = chunk[: len(chunk) - len(chunk.lstrip())]
        trail = chunk[len(chunk.rstrip()) :]
        translated = await self._run(lambda: call(core), deadline)
        # Google answers None for text without letters or digits: nothing to translate.
        return lead + (core if translated is None else translated) + trail

    async def _run(self, job: Callable[[], str | None], deadline: float) -> str | None:
        started = asyncio.get_running_loop().time()
        try:
            async with asyncio.timeout_at(deadline):
                await self._slots.acquire()
                result = await self._submit(job)
        except TimeoutError as exc:
            self._metrics.translation_failed(self.provider, "timeout")
            raise TranslationError(
                f"{self.provider} did not answer within {self.settings.timeout_seconds:g}s",
                provider=self.provider,
                reason="timeout",
            ) from exc
        except TranslationError as error:
            self._metrics.translation_failed(self.provider, error.reason)
            raise
        self._metrics.translated(self.provider, asyncio.get_running_loop().time() - started)
        return result

    async def _submit(self, job: Callable[[], str | None]) -> str | None:
        """Run job in the pool; the caller holds a slot, given back when the thread is done.

        This is ``loop.run_in_executor`` spelled out: the slot must follow the concurrent
        future (finished or cancelled before it started), not the asyncio wrapper, which is
        cancelled as soon as the caller times out while the thread is still stuck.
        """
        loop = asyncio.get_running_loop()

        def give_back_slot() -> None:
            self._busy -= 1
            self._slots.release()

        def on_thread_done(_: Future[str | None]) -> None:
            # RuntimeError: the loop is gone, so nobody is left waiting for a slot.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(give_back_slot)

        try:
            future = self._pool.submit(_call_provider, job, self.provider)
        except RuntimeError as exc:  # the pool was shut down by aclose()
            self._slots.release()
            raise TranslationError(
                "translator is closed", provider=self.provider, reason="closed"
            ) from exc
        self._busy += 1
        future.add_done_callback(on_thread_done)
        return await asyncio.wrap_future(future, loop=loop)

    async def aclose(self) -> None:
        """Stop accepting work; hung threads are abandoned, not waited for."""
        self._closed = True
        self._pool.shutdown(wait=False, cancel_futures=True)


def _call_provider(job: Callable[[], str | None], provider: str) -> str | None:
    """Run in a worker thread: turn every library failure into TranslationError here.

    Converting inside the thread matters: a StopIteration escaping MyMemory's ``next(matches)``
    cannot be set on an asyncio future and would leave the caller waiting until the timeout.
    """
    try:
        result = job()
    except Exception as exc:  # the libraries' exceptions share no base class
        raise TranslationError(
            f"{provider} failed: {type(exc).__name__}: {exc}", provider=provider
        ) from exc
    if result is not None and not isinstance(result, str):
        raise TranslationError(f"{provider} returned {type(result).__name__}", provider=provider)
    return result


def _is_translatable(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


# --- cache with single-flight -------------------------------------------------------------------


class TranslationCache(Protocol):
    async def get(self, provider: str, source: str, target: str, text: str) -> str | None: ...

    async def put(
        self, provider: str, source: str, target: str, text: str, translated: str
    ) -> None: ...


class MemoryTranslationCache:
    """In-memory TranslationCache for tests and for running without storage."""

    def __init__(self) -> None:
        self.entries: dict[tuple[str, str, str, str], str] = {}

    async def get(self, provider: str, source: str, target: str, text: str) -> str | None:
        return self.entries.get((provider, source, target, text))

    async def put(
        self, provider: str, source: str, target: str, text: str, translated: str
    ) -> None:
        self.entries[(provider, source, target, text)] = translated


_CacheKey = tuple[str, str, str]


class CachedTranslator:
    """Asks the provider once per distinct (source, target, text).

    Concurrent identical requests (the same announcement mirrored to several rooms at once)
    share one in-flight call. A cache failure is logged and the translation proceeds: a broken
    cache must not silence the mirror.
    """

    def __init__(self, inner: Translator, cache: TranslationCache, provider: str) -> None:
        self._inner = inner
        self._cache = cache
        self._provider = provider
        self._in_flight: dict[_CacheKey, asyncio.Task[str]] = {}

    async def translate(self, text: str, source: str, target: str) -> str:
        if source == target or not text.strip():
            return text
        key = (source, target, text)
        task = self._in_flight.get(key)
        if task is None:
            task = asyncio.create_task(self._lookup_or_translate(text, source, target))
            self._in_flight[key] = task
            task.add_done_callback(self._forget)
        # shield: one waiter being cancelled must not cancel the call the others share.
        return await asyncio.shield(task)

    def _forget(self, task: asyncio.Task[str]) -> None:
        key = next((k for k, t in self._in_flight.items() if t is task), None)
        if key is not None:
            del self._in_flight[key]
        if not task.cancelled():
            task.exception()  # mark retrieved: every waiter may have been cancelled meanwhile

    async def _lookup_or_translate(self, text: str, source: str, target: str) -> str:
        cached = await self._cache_get(text, source, target)
        if cached is not None:
            return cached
        translated = await self._inner.translate(text, source, target)
        await self._cache_put(text, source, target, translated)
        return translated

    async def _cache_get(self, text: str, source: str, target: str) -> str | None:
        try:
            return await self._cache.get(self._provider, source, target, text)
        except Exception:  # see the class docstring
            log.warning("translation cache read failed", exc_info=True)
            return None

    async def _cache_put(self, text: str, source: str, target: str, translated: str) -> None:
        try:
            await self._cache.put(self._provider, source, target, text, translated)
        except Exception:  # see the class docstring
            log.warning("translation cache write failed", exc_info=True)


# --- protection ---------------------------------------------------------------------------------


class ProtectedTranslator:
    """Shields what must survive translation verbatim, then restores it.

    ``glossary`` and ``display_names`` can be given per call, because each assembly has its
    own glossary and each room its own members.
    """

    def __init__(self, inner: Translator, glossary: Glossary = EMPTY_GLOSSARY) -> None:
        self._inner = inner
        self._glossary = glossary

    async def translate(
        self,
        text: str,
        source: str,
        target: str,
        *,
        glossary: Glossary | None = None,
        display_names: Sequence[str] = (),
    ) -> str:
        if source == target or is_emoji_only(text):
            return text
        protected = protect(
            text,
            source=source,
            target=target,
            glossary=glossary if glossary is not None else self._glossary,
            display_names=display_names,
        )
        if not protected.needs_translation:
            # Only links, mentions, numbers…: restoring applies glossary terms, no MT call.
            return protected.restore(protected.masked)
        translated = await self._inner.translate(protected.masked, source, target)
        return protected.restore(translated)


def build_translator(
    settings: TranslationSettings,
    cache: TranslationCache | None = None,
    glossary: Glossary = EMPTY_GLOSSARY,
    metrics: Metrics | None = None,
) -> tuple[ProtectedTranslator, ProviderTranslator]:
    """Wire the standard stack; the provider is returned too so the app can ``aclose()`` it."""
    provider = ProviderTranslator(settings, metrics)
    inner: Translator = provider
    if cache is not None and settings.provider != "none":  # nothing to keep: words as written
        inner = CachedTranslator(provider, cache, settings.provider)
    return ProtectedTranslator(inner, glossary), provider


# What `asamblea check-config --online` and `asamblea doctor` ask the provider.
PROBE = ("Good morning", "en", "es")


async def try_provider(settings: TranslationSettings) -> str:
    """One short translation through the same client the bot uses; raises TranslationError."""
    translator = ProviderTranslator(settings)
    try:
        return await translator.translate(*PROBE)
    finally:
        await translator.aclose()


__all__ = [
    "PROVIDERS",
    "CachedTranslator",
    "MemoryTranslationCache",
    "ProtectedTranslator",
    "ProviderTranslator",
    "TranslationCache",
    "TranslationError",
    "TranslationSettings",
    "Translator",
    "build_translator",
    "try_provider",
]
