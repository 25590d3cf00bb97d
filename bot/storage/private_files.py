"""Files that hold the assembly's words and the bot's secrets are readable by their owner only.

The database holds the access token and every mirrored message; the crypto store holds the keys
to every encrypted room; exported minutes may hold a secret poll's context. Modes are set
explicitly, so a permissive umask (022 is common) changes nothing.
"""

from __future__ import annotations

import os
from pathlib import Path

FILE_MODE = 0o600
FOLDER_MODE = 0o700
# SQLite's companions of a database file; it creates them with the database file's own mode.
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def new_folders(path: Path) -> Path:
    """Create `path` and any missing parents, each owner-only. `mkdir`'s mode is filtered by
    the umask, and the parents `parents=True` makes get the umask's default, so each new folder
    is set after it is made; folders that already existed are someone else's choice and keep
    their mode."""
    missing = [folder for folder in (path, *path.parents) if not folder.exists()]
    for folder in reversed(missing):
        folder.mkdir(mode=FOLDER_MODE, exist_ok=True)
        folder.chmod(FOLDER_MODE)
    return path


def private_folder(path: Path) -> Path:
    """A folder of secrets (the crypto store): owner-only even if it existed, with its files."""
    new_folders(path)
    path.chmod(FOLDER_MODE)
    for child in path.iterdir():
        if child.is_file():
            child.chmod(FILE_MODE)
    return path


def private_file(path: Path) -> Path:
    """Create `path` if needed, owner-only either way."""
    descriptor = os.open(path, os.O_CREAT | os.O_WRONLY, FILE_MODE)
    os.close(descriptor)
    path.chmod(FILE_MODE)
    return path


def private_database(path: Path) -> None:
    """The database file (created empty if new) and any companions already there."""
    private_file(path)
    for suffix in SQLITE_COMPANIONS:
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            companion.chmod(FILE_MODE)


def write_private_text(path: Path, text: str) -> None:
    """Write a file that only its owner can read, even if it already existed."""
    private_file(path)
    path.write_text(text, encoding="utf-8")
