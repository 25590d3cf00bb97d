"""Signed JSON as the Matrix specification defines it: canonical form, Ed25519, unpadded base64.
The fixed signatures are the specification's own examples (appendix "Signing JSON")."""

from __future__ import annotations

import pytest

from bot.matrix.signing import (
    SigningKey,
    canonical_json,
    decode_base64,
    encode_base64,
    fingerprint,
    signature_valid,
    signing_bytes,
)

SPEC_SEED = "YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1"
USER = "@asamblea:example.org"


def spec_key() -> SigningKey:
    return SigningKey(decode_base64(SPEC_SEED))


def test_canonical_json_sorts_keys_drops_spaces_and_keeps_utf8_as_it_is() -> None:
    value = {"b": [1, {"z": True, "a": None}], "a": "mañana ✅", "c": {"y": 2, "x": "\n"}}
    assert canonical_json(value) == (
        '{"a":"mañana ✅","b":[1,{"a":null,"z":true}],"c":{"x":"\\n","y":2}}'.encode()
    )


def test_a_signature_covers_neither_signatures_nor_unsigned() -> None:
    signed = {"keys": {"k": "v"}, "signatures": {USER: {"ed25519:x": "s"}}, "unsigned": {"n": 1}}
    assert signing_bytes(signed) == b'{"keys":{"k":"v"}}'


def test_signatures_match_the_specifications_examples() -> None:
    key = spec_key()
    assert key.signature({}) == (
        "K8280/U9SSy9IVtjBuVeLr+HpOB4BQFWbg+UZaADMtTdGYI7Geitb76LTrr5QV/7Xg4ahLwYGYZzuHGZKM5ZAQ"
    )
    assert key.signature({"one": 1, "two": "Two"}) == (
        "KqmLSbO39/Bzb0QIYE82zqLwsA+PDzYIpIRA2sRQ4sL53+sN6/fpNSoqE7BP7vBZhG6kYdD13EIMJpvhJI+6Bw"
    )


def test_signing_adds_to_the_signatures_already_there_and_verifies() -> None:
    first, second = SigningKey.generate(), SigningKey.generate()
    signed = second.sign(first.sign({"user_id": USER, "usage": ["master"]}, USER), USER)
    assert set(signed["signatures"][USER]) == {first.key_id, second.key_id}
    assert signature_valid(signed, USER, first.public_key)
    assert signature_valid(signed, USER, second.public_key)


def test_a_forged_or_misplaced_signature_is_refused() -> None:
    key, stranger = SigningKey.generate(), SigningKey.generate()
    signed = key.sign({"device_id": "PHONE"}, USER)
    assert not signature_valid({**signed, "device_id": "LAPTOP"}, USER, key.public_key)
    assert not signature_valid(signed, "@mallory:example.org", key.public_key)
    assert not signature_valid(signed, USER, stranger.public_key)
    # A stranger's signature filed under our key's name does not pass for ours.
    forged = {**signed, "signatures": {USER: {key.key_id: stranger.signature(signed)}}}
    assert not signature_valid(forged, USER, key.public_key)
    garbled = {**signed, "signatures": {USER: {key.key_id: "not base64!"}}}
    assert not signature_valid(garbled, USER, key.public_key)


def test_a_device_signs_under_its_device_id() -> None:
    key = SigningKey.generate()
    signature = key.signature({"device_id": "PHONE"})
    signed = {"device_id": "PHONE", "signatures": {USER: {"ed25519:PHONE": signature}}}
    assert signature_valid(signed, USER, key.public_key, key_name="PHONE")
    assert not signature_valid(signed, USER, key.public_key)


def test_keys_travel_as_unpadded_base64_and_are_read_aloud_in_groups_of_four() -> None:
    assert encode_base64(b"\x00\x01") == "AAE"
    assert decode_base64("AAE") == b"\x00\x01" == decode_base64("AAE=")
    with pytest.raises(ValueError):
        decode_base64("no base64 here")
    assert spec_key().public_key == "XGX0JRS2Af3be3knz2fBiRbApjm2Dh61gXDJA8kcJNI"
    assert fingerprint("ABCDEFGHIJ") == "ABCD EFGH IJ"


def test_a_seed_is_32_bytes() -> None:
    with pytest.raises(ValueError):
        SigningKey(b"short")
