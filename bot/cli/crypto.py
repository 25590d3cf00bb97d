"""`asamblea crypto`: the bot's cross-signing identity, and verifying people with it.

Both act as the bot's own session (the access token in the configuration, or the one the bot
keeps in its database) and with the keys in its crypto store; the bot may keep running meanwhile.

- `bootstrap` publishes the bot's identity, as the bot does at start when it has its password:
  for a bot configured with an access token only, or with `--reset` to replace an identity the
  bot does not hold. The bot signs its device with it at its next start (only the bot knows its
  device's key for sure).
- `verify @user` shows the person's master key; once the operator has compared it with what the
  person reads out, the bot signs it (so clients see the person as verified by the bot) and
  records it, which `matrix.trust = "verified"` requires before sharing room keys with them.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nio import AsyncClient, WhoamiResponse

from bot.cli.support import EXIT_REFUSED, EXIT_USAGE, Problem, add_config_option, run_to_exit
from bot.config import Config, ConfigError, load_config
from bot.matrix.cross_signing import (
    CrossSigningError,
    CrossSigningKeys,
    OwnIdentitySetup,
    reset_advice,
)
from bot.matrix.identities import identities_from_query
from bot.matrix.keys_api import KeysApi, KeysApiError
from bot.matrix.pins import Pin, PinStore
from bot.matrix.session import ACCESS_TOKEN
from bot.matrix.signing import fingerprint
from bot.storage.database import Database
from bot.storage.runtime_store import RuntimeStore

# What the homeserver or the crypto store may refuse, told to the operator as it is.
REFUSED = (KeysApiError, CrossSigningError, OSError)


def add_crypto_command(sub: Any) -> None:
    crypto = sub.add_parser("crypto", help="the bot's cross-signing identity; verify people")
    actions = crypto.add_subparsers(required=True, metavar="ACTION")
    bootstrap = actions.add_parser("bootstrap", help="publish the bot's cross-signing identity")
    add_config_option(bootstrap)
    bootstrap.add_argument(
        "--reset", action="store_true", help="replace an identity the bot does not hold"
    )
    bootstrap.set_defaults(action=_bootstrap)
    verify = actions.add_parser("verify", help="verify a person's master key and sign it")
    verify.add_argument("user_id", help="the person, e.g. @ana:example.org")
    add_config_option(verify)
    verify.add_argument(
        "--fingerprint", help="the key the person read out (otherwise asked for confirmation)"
    )
    verify.set_defaults(action=_verify)


def _bootstrap(args: argparse.Namespace) -> int:
    return run_to_exit(_bootstrap_identity(args), REFUSED)


def _verify(args: argparse.Namespace) -> int:
    return run_to_exit(_verify_user(args), REFUSED)


@dataclass
class _Session:
    config: Config
    api: KeysApi
    pins: PinStore
    user_id: str
    device_id: str

    @property
    def crypto_store(self) -> Path:
        return self.config.matrix.encryption.store_path or Path("asamblea-crypto")


@asynccontextmanager
async def _session(config_path: Path) -> AsyncIterator[_Session]:
    try:
        config = load_config(config_path)
    except ConfigError as error:
        raise Problem(f"{config_path}: {'; '.join(error.problems)}", EXIT_USAGE) from None
    matrix = config.matrix
    db = await Database.open(config.database_path)
    client = AsyncClient(matrix.homeserver, matrix.user_id)
    try:
        store = RuntimeStore(db)
        client.access_token = matrix.access_token or await store.get_value(ACCESS_TOKEN) or ""
        if not client.access_token:
            raise Problem(
                "no access token: start the bot once (it logs in and keeps its session), "
                "or set matrix.access_token",
                EXIT_REFUSED,
            )
        who = await client.whoami()
        if not isinstance(who, WhoamiResponse) or not who.device_id:
            raise Problem(
                f"the homeserver did not accept the bot's access token: {who}", EXIT_REFUSED
            )
        yield _Session(config, KeysApi(client), PinStore(store), who.user_id, who.device_id)
    finally:
        await client.close()
        await db.close()


async def _bootstrap_identity(args: argparse.Namespace) -> int:
    async with _session(args.config) as session:
        password = session.config.matrix.password  # ASAMBLEA_PASSWORD counts as configured
        if not password and sys.stdin.isatty():
            password = getpass.getpass(f"password of {session.user_id}: ") or None
        setup = OwnIdentitySetup(
            session.api, session.crypto_store, session.user_id, session.device_id
        )
        own = await setup.settle(password, reset=args.reset, config_hint=f"--config {args.config}")
    print(own.summary)
    if own.keys is None:
        return EXIT_REFUSED
    print("restart the bot if it is running: it signs its device at start")
    return 0


async def _verify_user(args: argparse.Namespace) -> int:
    async with _session(args.config) as session:
        keys = await _own_keys(session, args.config)
        answer = await session.api.query([args.user_id])
        identity = identities_from_query(answer).get(args.user_id)
        if identity is None:
            raise Problem(
                f"{args.user_id} has no cross-signing identity yet; they set one up in their "
                "client (Element asks for it when they verify a session or set up recovery)",
                EXIT_REFUSED,
            )
        print(f"master key of {args.user_id}: {fingerprint(identity.master)}")
        if not _confirmed(args.fingerprint, identity.master):
            print("not verified: the keys differ or the operator did not confirm them")
            return EXIT_REFUSED
        signed = keys.master_key_signature(identity.master_object)
        await session.api.upload_signatures({args.user_id: {identity.master: signed}})
        await session.pins.save(args.user_id, Pin(identity.master, verified=True))
    print(f"verified {args.user_id}: the bot has signed their master key")
    return 0


async def _own_keys(session: _Session, config_path: Path) -> CrossSigningKeys:
    keys = CrossSigningKeys.load(session.crypto_store)
    answer = await session.api.query([session.user_id])
    published = identities_from_query(answer).get(session.user_id)
    if published is None:
        raise Problem(
            "the bot has no cross-signing identity to sign with yet; start it with its password, "
            f"or run `asamblea crypto bootstrap --config {config_path}`",
            EXIT_REFUSED,
        )
    if keys is None or not keys.owns(published):
        raise Problem(
            "the account's cross-signing identity is not one the bot holds. "
            + reset_advice(f"--config {config_path}"),
            EXIT_REFUSED,
        )
    return keys


def _confirmed(given: str | None, master: str) -> bool:
    if given is not None:
        return "".join(given.split()) == master
    try:
        answer = input("Does the person read out the same key in their client? [y/N] ")
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes", "s", "sí", "si")
