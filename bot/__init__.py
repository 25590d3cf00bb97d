"""Asamblea: one bilingual assembly out of an English and a Spanish Matrix room."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("asamblea")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
