"""The database, its WAL and SHM files, the crypto store and exported minutes are readable by
their owner only, whatever the umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.matrix.encryption import prepare_store
from bot.settings import EncryptionSettings
from bot.storage.database import Database
from bot.storage.private_files import write_private_text


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    previous = os.umask(0o000)
    try:
        yield
    finally:
        os.umask(previous)


async def test_the_database_and_its_companions_are_private(
    tmp_path: Path, permissive_umask: None
) -> None:
    path = tmp_path / "asamblea.db"
    db = await Database.open(path)
    try:
        async with db.transaction():
            await db.execute("INSERT INTO kv (key, value) VALUES ('k', 'v')")
        companions = [path, path.with_name("asamblea.db-wal"), path.with_name("asamblea.db-shm")]
        assert all(p.exists() for p in companions)
        assert [mode(p) for p in companions] == [0o600, 0o600, 0o600]
    finally:
        await db.close()


async def test_an_existing_readable_database_is_made_private(tmp_path: Path) -> None:
    path = tmp_path / "asamblea.db"
    await (await Database.open(path)).close()
    path.chmod(0o644)
    db = await Database.open(path)
    await db.close()
    assert mode(path) == 0o600


def test_the_crypto_store_is_private(tmp_path: Path, permissive_umask: None) -> None:
    store = tmp_path / "asamblea-crypto"
    store.mkdir(mode=0o777)
    (store / "keys.db").write_text("secret")
    (store / "keys.db").chmod(0o666)
    prepare_store(EncryptionSettings(enabled=True, store_path=store))
    assert mode(store) == 0o700 and mode(store / "keys.db") == 0o600


def test_exported_minutes_are_private_even_over_a_readable_file(
    tmp_path: Path, permissive_umask: None
) -> None:
    output = tmp_path / "minutes.html"
    output.write_text("old minutes")
    output.chmod(0o644)
    write_private_text(output, "<h1>Acta</h1>")
    assert mode(output) == 0o600 and output.read_text() == "<h1>Acta</h1>"
    fresh = tmp_path / "fresh.md"
    write_private_text(fresh, "# Minutes")
    assert mode(fresh) == 0o600


async def test_folders_made_for_the_database_are_private(
    tmp_path: Path, permissive_umask: None
) -> None:
    path = tmp_path / "data" / "assembly" / "asamblea.db"
    await (await Database.open(path)).close()
    assert mode(tmp_path / "data") == 0o700 and mode(tmp_path / "data" / "assembly") == 0o700


def test_folders_made_for_the_crypto_store_are_private(
    tmp_path: Path, permissive_umask: None
) -> None:
    store = tmp_path / "state" / "asamblea-crypto"
    prepare_store(EncryptionSettings(enabled=True, store_path=store))
    assert mode(tmp_path / "state") == 0o700 and mode(store) == 0o700


async def test_a_folder_that_already_existed_keeps_its_mode(
    tmp_path: Path, permissive_umask: None
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    await (await Database.open(shared / "bot" / "asamblea.db")).close()
    assert mode(shared) == 0o755 and mode(shared / "bot") == 0o700
