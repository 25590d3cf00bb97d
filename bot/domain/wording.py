"""When a translation is worth showing beside its original.

A provider may hand the words back unchanged (the `none` provider always does; names, numbers
and words shared by both languages often come back as they went): then the reader is shown the
words once, never "We eat at noon (We eat at noon)". Pure text logic, no I/O.
"""

from __future__ import annotations


def same_words(one: str, other: str) -> bool:
    """Whether two texts say the same, ignoring surrounding whitespace and case."""
    return one.strip().casefold() == other.strip().casefold()


def adds_something(translation: str | None, original: str) -> bool:
    """Whether `translation` is a translation worth showing next to `original`."""
    return bool(translation and translation.strip()) and not same_words(translation, original)
