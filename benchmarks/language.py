"""Language detection: each candidate library on the labelled chat lines, in a fresh process.

    python -m benchmarks.run --only language      (one process per candidate, side by side)
    python -m benchmarks.language CANDIDATE       (one candidate; prints its figures as JSON)

Each candidate runs in its own Python process, which first imports the bot (its resident
memory then is the bot's without a detector), then builds the detector, then answers every line
of tests/data/language_lines.tsv as if written in each room, `rounds` times. Every candidate
goes through the same rules (`bot.services.language_detection.LanguageDetector`: words only, a
minimum of letters, a margin between the two best languages), so only the library differs.
The time per message includes taking out mentions, links and the rest. py3langid comes with
`pip install -e '.[bench]'`; without it, its row says it is unavailable.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
LANGUAGES = ("en", "es")
CHOSEN = "lingua-low"
# The bot's own, then the alternatives it was chosen against.
CANDIDATES = ("lingua-low", "lingua-low-lazy", "lingua-high", "lingua-high-lazy", "py3langid")
# A long message: what one message can cost at most (the detector reads its first characters).
LONG_MESSAGE = " ".join(
    ["Creo que deberíamos pasar el tema del presupuesto a la próxima semana, @ana:localhost."] * 25
)


class Py3LangidModel:
    """py3langid restricted to the given languages, as a `LanguageModel`."""

    def __init__(self, languages: Sequence[str]) -> None:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        self._identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        self._identifier.set_languages(list(languages))

    def confidences(self, text: str) -> Mapping[str, float]:
        return dict(self._identifier.rank(text))


def memory_mb() -> dict[str, float]:
    """Resident memory now and at its peak, from /proc (VmRSS, VmHWM)."""
    found = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0]) / 1024
    return {"rss_mb": found["VmRSS"], "peak_mb": found["VmHWM"]}


def _model(candidate: str) -> Any:
    from bot.services.language_detection import LinguaModel

    if candidate == "py3langid":
        return Py3LangidModel(LANGUAGES)
    _, accuracy, *lazy = candidate.split("-")
    return LinguaModel(LANGUAGES, low_accuracy=accuracy == "low", preload=not lazy)


def _ms(seconds: Callable[[], float], times: int) -> list[float]:
    return [seconds() * 1000 for _ in range(times)]


def measure_here(candidate: str, rounds: int) -> dict[str, Any]:
    """The candidate's figures, measured in this process (which must be a fresh one)."""
    import bot.app
    import bot.cli  # noqa: F401
    from bot.services.language_detection import LanguageDetector
    from tests.harness.language_lines import labelled_lines, score

    without = memory_mb()
    lines = labelled_lines()
    started = time.perf_counter()
    detector = LanguageDetector(LANGUAGES, model=_model(candidate))
    detector.detect(lines[0].text, "en")  # a lazy model loads here
    load_ms = (time.perf_counter() - started) * 1000
    result = score(detector.detect, lines)

    def timed(text: str, room: str) -> float:
        begin = time.perf_counter()
        detector.detect(text, room)
        return time.perf_counter() - begin

    per_message = [
        timed(line.text, room) * 1000 for _ in range(rounds) for line in lines for room in LANGUAGES
    ]
    long_message = _ms(lambda: timed(LONG_MESSAGE, "en"), 50)
    return {
        "candidate": candidate,
        "lines": len(lines),
        "clear_accuracy": result.clear_accuracy,
        "fallback_accuracy": result.fallback_accuracy,
        "accuracy": result.accuracy,
        "mixed_fallback_accuracy": _mixed_share(result, lines),
        "p50_ms": percentile(per_message, 0.5),
        "p95_ms": percentile(per_message, 0.95),
        "mean_ms": statistics.fmean(per_message),
        "long_message_p95_ms": percentile(long_message, 0.95),
        "load_ms": load_ms,
        "without": without,
        "with": memory_mb(),
    }


def _mixed_share(result: Any, lines: Sequence[Any]) -> float:
    mixed = [line for line in lines if not line.is_clear and line.kind == "mixed"]
    missed = sum(1 for m in result.misses if m.line in mixed)
    return 1 - missed / (2 * len(mixed)) if mixed else 0.0


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def measure(rounds: int = 10) -> dict[str, Any]:
    """Every candidate, one fresh process each, one after the other."""
    results: dict[str, Any] = {}
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    for candidate in CANDIDATES:
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.language", candidate, "--rounds", str(rounds)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            reason = done.stderr.strip().splitlines()[-1:] or ["failed"]
            results[candidate] = {"candidate": candidate, "unavailable": reason[0]}
            continue
        results[candidate] = json.loads(done.stdout)
    return {"chosen": CHOSEN, "languages": list(LANGUAGES), "rounds": rounds, "candidates": results}


def print_comparison(details: Mapping[str, Any]) -> None:
    print(
        f"\nlanguage detection, {details['rounds']} rounds of every line in each room "
        f"(the bot uses {details['chosen']})"
    )
    print(
        f"{'candidate':<18}{'clear %':>8}{'fallbk %':>9}{'mixed %':>8}{'p50 ms':>8}{'p95 ms':>8}"
        f"{'long ms':>8}{'load ms':>8}{'RSS MB':>8}{'peak MB':>8}{'no det.':>8}{'peak×':>7}"
    )
    for name, c in details["candidates"].items():
        if "unavailable" in c:
            print(f"{name:<18}unavailable: {c['unavailable']}")
            continue
        print(
            f"{name:<18}{c['clear_accuracy'] * 100:>8.1f}{c['fallback_accuracy'] * 100:>9.1f}"
            f"{c['mixed_fallback_accuracy'] * 100:>8.1f}{c['p50_ms']:>8.3f}{c['p95_ms']:>8.3f}"
            f"{c['long_message_p95_ms']:>8.2f}{c['load_ms']:>8.0f}{c['with']['rss_mb']:>8.1f}"
            f"{c['with']['peak_mb']:>8.1f}{c['without']['rss_mb']:>8.1f}"
            f"{c['with']['peak_mb'] / c['without']['rss_mb']:>7.2f}"
        )


def main(argv: Sequence[str]) -> int:
    candidate = argv[0]
    rounds = int(argv[argv.index("--rounds") + 1]) if "--rounds" in argv else 10
    if candidate not in CANDIDATES:
        raise SystemExit(f"unknown candidate {candidate!r}: one of {', '.join(CANDIDATES)}")
    print(json.dumps(measure_here(candidate, rounds)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
