"""A LibreTranslate look-alike on 127.0.0.1 for tests.

It speaks the part of the API that deep-translator's ``LibreTranslator`` uses: ``POST
{url}translate`` with ``q``, ``source``, ``target``, ``format`` and ``api_key`` in the query string
(deep-translator's choice; the real server also accepts a form or JSON body, so this one does
too), answering ``{"translatedText": ...}``. ``GET /languages`` is served for completeness;
deep-translator never calls it (its language list is hard-coded).

Translation is deterministic: a small English/Spanish dictionary applied word by word. If every
word is known the result is a clean translation ("hello" -> "hola"); otherwise it is prefixed
with "[es] " (the target language) and unknown words pass through, so a test can always see
that a translation happened. Placeholders such as ``[[0]]`` and other non-words pass untouched.

    with FakeLibreTranslate() as server:
        translator = LibreTranslator(source="en", target="es", api_key="k", custom_url=server.url)
        server.fail_next(1, status=500)
        server.hang = True
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

# (english, spanish); the first pair for a word gives its default translation.
_PAIRS: tuple[tuple[str, str], ...] = (
    ("good morning", "buenos días"),
    ("good afternoon", "buenas tardes"),
    ("good night", "buenas noches"),
    ("thank you", "gracias"),
    ("hello", "hola"),
    ("goodbye", "adiós"),
    ("yes", "sí"),
    ("no", "no"),
    ("the", "el"),
    ("the", "la"),
    ("the", "los"),
    ("the", "las"),
    ("a", "un"),
    ("a", "una"),
    ("and", "y"),
    ("or", "o"),
    ("is", "es"),
    ("we", "nosotros"),
    ("i", "yo"),
    ("you", "tú"),
    ("today", "hoy"),
    ("tomorrow", "mañana"),
    ("please", "por favor"),
    ("friends", "amigos"),
    ("everyone", "todos"),
    ("welcome", "bienvenidos"),
    ("assembly", "asamblea"),
    ("meeting", "reunión"),
    ("proposal", "propuesta"),
    ("vote", "voto"),
    ("decision", "decisión"),
    ("consensus", "consenso"),
    ("block", "bloqueo"),
    ("agree", "acuerdo"),
    ("speak", "hablar"),
    ("turn", "turno"),
    ("time", "tiempo"),
    ("world", "mundo"),
    ("water", "agua"),
    ("house", "casa"),
    ("cat", "gato"),
    ("dog", "perro"),
    ("new", "nuevo"),
    ("see", "ver"),
    ("look", "mira"),
    ("at", "en"),
    ("this", "esto"),
    ("for", "para"),
    ("our", "nuestra"),
    ("budget", "presupuesto"),
)


def _dictionary(source: str, target: str) -> dict[str, str]:
    if (source, target) == ("en", "es"):
        pairs = _PAIRS
    elif (source, target) == ("es", "en"):
        pairs = tuple((es, en) for en, es in _PAIRS)
    else:
        return {}
    table: dict[str, str] = {}
    for word, translation in pairs:
        table.setdefault(word, translation)
    return table


_PHRASE_WORDS = max(len(word.split()) for pair in _PAIRS for word in pair)
# A word is a run of letters (apostrophes allowed inside); digits, brackets and punctuation are
# not words, so placeholders like [[0]] and ⟦1⟧ pass through untouched.
_WORD_RE = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")


def _match_case(template: str, word: str) -> str:
    if len(template) > 1 and template.isupper():
        return word.upper()
    if template[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


def fake_translate(text: str, source: str, target: str) -> str:
    """The server's deterministic "machine translation" (also handy for expected values)."""
    table = _dictionary(source, target)
    words = list(_WORD_RE.finditer(text))
    out: list[str] = []
    position = 0
    all_known = True
    index = 0
    while index < len(words):
        # Longest phrase first, but only across plain spaces ("good morning", not "good. Morning").
        for size in range(min(_PHRASE_WORDS, len(words) - index), 0, -1):
            group = words[index : index + size]
            span = text[group[0].start() : group[-1].end()]
            phrase = " ".join(m.group(0) for m in group)
            if span == phrase and phrase.lower() in table:
                out.append(text[position : group[0].start()])
                out.append(_match_case(phrase, table[phrase.lower()]))
                position = group[-1].end()
                index += size
                break
        else:
            all_known = False
            index += 1
    out.append(text[position:])
    result = "".join(out)
    return result if all_known and words else f"[{target}] {result}"


LANGUAGES = [
    {"code": "en", "name": "English", "targets": ["en", "es"]},
    {"code": "es", "name": "Spanish", "targets": ["en", "es"]},
]


@dataclass(frozen=True)
class ReceivedRequest:
    path: str
    text: str
    source: str
    target: str
    format: str
    api_key: str | None


class FakeLibreTranslate:
    """A threaded HTTP server on a free loopback port; see the module docstring."""

    #: How long a hung request waits for release() before answering anyway.
    hang_limit_seconds = 30.0

    def __init__(self, *, require_api_key: str | None = None) -> None:
        self.require_api_key = require_api_key
        self.received: list[ReceivedRequest] = []
        self._lock = threading.Lock()
        self._failures: list[int] = []
        self._released = threading.Event()
        self._released.set()
        self._hanging = 0
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.delay_seconds = 0.0

    # --- lifecycle -----------------------------------------------------------------------------

    def start(self) -> FakeLibreTranslate:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        # A short poll interval keeps stop() (and so each test's teardown) fast.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-libretranslate",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release()  # hung handler threads must finish, or clients would wait for them
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> FakeLibreTranslate:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base URL with the trailing slash deep-translator needs."""
        if self._httpd is None:
            raise RuntimeError("server is not running")
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/"

    # --- fault controls ------------------------------------------------------------------------

    @property
    def hang(self) -> bool:
        return not self._released.is_set()

    @hang.setter
    def hang(self, value: bool) -> None:
        if value:
            self._released.clear()
        else:
            self._released.set()

    def release(self) -> None:
        """Let hung requests answer normally."""
        self.hang = False

    @property
    def hanging(self) -> int:
        """Requests currently held by ``hang``."""
        with self._lock:
            return self._hanging

    def heal(self) -> None:
        """Back to normal service: no failures queued, nothing held."""
        with self._lock:
            self._failures.clear()
        self.release()

    def fail_next(self, n: int = 1, status: int = 500) -> None:
        """Answer the next n translate requests with an error status."""
        with self._lock:
            self._failures.extend([status] * n)

    # --- observations --------------------------------------------------------------------------

    @property
    def requests(self) -> list[str]:
        """Texts received by /translate, in arrival order (failed and hung ones included)."""
        with self._lock:
            return [r.text for r in self.received if r.path == "/translate"]

    @property
    def api_keys_seen(self) -> list[str | None]:
        with self._lock:
            return [r.api_key for r in self.received]

    # --- used by the handler -------------------------------------------------------------------

    def _record(self, request: ReceivedRequest) -> None:
        with self._lock:
            self.received.append(request)

    def _next_failure(self) -> int | None:
        with self._lock:
            return self._failures.pop(0) if self._failures else None

    def _wait_if_hung(self) -> None:
        if self._released.is_set():
            return
        with self._lock:
            self._hanging += 1
        try:
            self._released.wait(self.hang_limit_seconds)
        finally:
            with self._lock:
                self._hanging -= 1


class _Handler(BaseHTTPRequestHandler):
    fake: FakeLibreTranslate
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep pytest output clean

    def do_GET(self) -> None:
        if urlsplit(self.path).path == "/languages":
            self._reply(200, LANGUAGES)
        else:
            self._reply(404, {"error": "Not Found"})

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        params = self._params()
        request = ReceivedRequest(
            path=path,
            text=params.get("q", ""),
            source=params.get("source", ""),
            target=params.get("target", ""),
            format=params.get("format", "text"),
            api_key=params.get("api_key"),
        )
        self.fake._record(request)
        if path != "/translate":
            self._reply(404, {"error": "Not Found"})
            return
        self.fake._wait_if_hung()
        if self.fake.delay_seconds:
            threading.Event().wait(self.fake.delay_seconds)
        status = self.fake._next_failure()
        if status is not None:
            self._reply(status, {"error": f"injected failure {status}"})
        elif self.fake.require_api_key and request.api_key != self.fake.require_api_key:
            self._reply(403, {"error": "Invalid API key"})
        elif not request.text or not request.source or not request.target:
            self._reply(400, {"error": "Invalid request: missing q, source or target"})
        else:
            translated = fake_translate(request.text, request.source, request.target)
            self._reply(200, {"translatedText": translated})

    def _params(self) -> dict[str, str]:
        # Query string first (deep-translator), then a form or JSON body (other clients).
        params = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if body and "json" in (self.headers.get("Content-Type") or ""):
            data = json.loads(body)
            params.update({k: str(v) for k, v in data.items() if v is not None})
        elif body:
            params.update({k: v[0] for k, v in parse_qs(body.decode()).items()})
        return params

    def _reply(self, status: int, payload: Any) -> None:
        body = json.dumps(payload, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
