"""Benchmarks: Asamblea against a minimal relay bot, side by side on one homeserver."""
