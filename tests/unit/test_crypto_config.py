"""The encryption settings of a configuration file, each mistake named by its dotted key."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load_config
from bot.settings import Trust, VerifiedDevice

KEY = "abcd" * 10 + "efg"  # 43 characters, like an Ed25519 key in unpadded base64

BASE = """
[matrix]
homeserver = "https://matrix.example.org"
user_id = "@asamblea:example.org"
password = "secret"
{matrix}

[bot]
database = "data/asamblea.db"

[translation]
provider = "none"

[[assemblies]]
name = "General"
chairs = ["@ana:example.org"]
{assembly}
[[assemblies.rooms]]
room = "#en:example.org"
language = "en"
center = "US"
[[assemblies.rooms]]
room = "#es:example.org"
language = "es"
center = "MX"
"""


def load(tmp_path: Path, matrix: str = "", assembly: str = ""):
    path = tmp_path / "config.toml"
    path.write_text(BASE.format(matrix=matrix, assembly=assembly), encoding="utf-8")
    return load_config(path, environ={})


def test_encryption_is_on_by_default_trusting_members_with_keys_beside_the_database(
    tmp_path: Path,
) -> None:
    config = load(tmp_path)
    encryption = config.matrix.encryption
    assert encryption.enabled and encryption.trust is Trust.TOFU
    assert encryption.store_path == tmp_path / "data" / "asamblea-crypto"
    assert encryption.verified_devices == ()
    assert config.assemblies[0].allow_unencrypted_mirror is False


def test_strict_trust_with_listed_devices_and_an_own_store(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        matrix=f"""
trust = "verified"
store_path = "keys"
[[matrix.verified_devices]]
user_id = "@ana:example.org"
device_id = "PHONE"
ed25519 = "{" ".join(KEY[i : i + 4] for i in range(0, 43, 4))}"
""",
        assembly="allow_unencrypted_mirror = true",
    )
    encryption = config.matrix.encryption
    assert encryption.trust is Trust.VERIFIED
    assert encryption.store_path == tmp_path / "keys"
    [device] = encryption.verified_devices
    assert device == VerifiedDevice("@ana:example.org", "PHONE", device.ed25519)
    assert device.fingerprint == KEY
    assert config.assemblies[0].allow_unencrypted_mirror is True


def test_every_encryption_mistake_names_its_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as error:
        load(
            tmp_path,
            matrix="""
encryption = "yes"
trust = "everyone"
[[matrix.verified_devices]]
user_id = "ana"
ed25519 = "short"
""",
            assembly='allow_unencrypted_mirror = "no"',
        )
    keys = sorted(problem.split(":")[0] for problem in error.value.problems)
    assert keys == [
        "assemblies[0].allow_unencrypted_mirror",
        "matrix.encryption",
        "matrix.trust",
        "matrix.verified_devices[0].device_id",
        "matrix.verified_devices[0].ed25519",
        "matrix.verified_devices[0].user_id",
    ]


def test_encryption_can_be_switched_off(tmp_path: Path) -> None:
    assert load(tmp_path, matrix="encryption = false").matrix.encryption.enabled is False
