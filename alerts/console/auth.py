"""Console accounts, sessions and login throttling, all in Redis; passwords hashed with Argon2id.

Keys: console:user:{name} account JSON | console:session:{token} session JSON (expires) |
console:login-fail:{user|addr} failure counters (expire with the window).
"""

from __future__ import annotations

import functools
import hmac
import logging
import re
import secrets
import time
from typing import Literal

import redis.asyncio as aioredis
from aiohttp import web
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import BaseModel, ConfigDict, Field
from redis.exceptions import WatchError

from alerts.config import RESPONDER_TOPIC, ConsoleConfig

logger = logging.getLogger(__name__)

ADDRESS_FACTOR = 5
TOPIC_RULE = "an ntfy topic is 16-64 letters, digits, _ or - (anyone who knows it can read it: make it long and random)"
_HASHER = PasswordHasher()  # Argon2id with the library's current recommended parameters


@functools.cache
def _dummy_hash() -> str:
    """Verified against for unknown users, so timing does not tell; made on first use (Argon2 takes ~0.3 s
    of CPU, which every CLI command paid at import)."""
    return _HASHER.hash("not-a-password")


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


class Account(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    username: str
    role: Literal["officer", "supervisor", "admin", "guard", "patrol"]
    password_hash: str
    ntfy_topic: str | None = Field(default=None, pattern=RESPONDER_TOPIC, description="Their own ntfy topic (secret)")


class ChangeRefused(Exception):
    """The account cannot be changed here (unknown, or from the config); the message is safe to show."""


class Session(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    token: str
    username: str
    role: Literal["officer", "supervisor", "admin", "guard", "patrol"]
    csrf: str
    expires_at: float

    def csrf_ok(self, presented: str | None) -> bool:
        return presented is not None and hmac.compare_digest(presented, self.csrf)


SESSION_KEY = web.RequestKey("session", Session)  # the signed-in session, set on each request by the console


class LoginRefused(Exception):
    """Wrong credentials, or too many failures; the message is safe to show."""


class ConsoleAuth:
    def __init__(self, client: aioredis.Redis, config: ConsoleConfig, prefix: str = "sentinel:") -> None:
        self.redis = client
        self.config = config
        self.prefix = prefix
        _dummy_hash()  # made now, so the first unknown user does not take longer than the next ones

    def _key(self, *parts: str) -> str:
        return self.prefix + ":".join(("console", *parts))

    async def add_account(self, username: str, role: str, password: str) -> Account:
        previous = await self.redis.get(self._key("user", username))
        topic = Account.model_validate_json(previous).ntfy_topic if previous else None  # a new password keeps it
        account = Account(username=username, role=role, password_hash=hash_password(password), ntfy_topic=topic)  # type: ignore[arg-type]
        await self.redis.set(self._key("user", username), account.model_dump_json())
        logger.info("console account %s (%s) saved", username, role)
        return account

    async def account(self, username: str) -> Account | None:
        for configured in self.config.accounts:
            if configured.username == username:
                return Account(
                    username=username,
                    role=configured.role,
                    password_hash=configured.password_hash.get_secret_value(),
                    ntfy_topic=configured.ntfy_topic,
                )
        raw = await self.redis.get(self._key("user", username))
        return Account.model_validate_json(raw) if raw else None

    async def accounts(self) -> list[Account]:
        """Config accounts first, then those added in Redis (a config account wins over a same-named one)."""
        found = {
            a.username: Account(username=a.username, role=a.role, password_hash="", ntfy_topic=a.ntfy_topic)
            for a in self.config.accounts
        }
        async for key in self.redis.scan_iter(match=self._key("user", "*")):
            raw = await self.redis.get(key)
            if raw:
                account = Account.model_validate_json(raw)
                found.setdefault(account.username, account.model_copy(update={"password_hash": ""}))
        return list(found.values())

    async def set_ntfy_topic(self, username: str, topic: str | None) -> Account:
        """Give an account added in Redis its own ntfy topic (None: none); the topic is validated, never logged."""
        if topic is not None and not re.fullmatch(RESPONDER_TOPIC, topic):
            raise ChangeRefused(TOPIC_RULE)
        if any(a.username == username for a in self.config.accounts):
            raise ChangeRefused(f"{username} is a config account: set its ntfy_topic in alerts.console.accounts")
        key = self._key("user", username)
        async with self.redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    await pipe.watch(key)
                    raw = await pipe.get(key)
                    if not raw:
                        raise ChangeRefused(f"no account {username}")
                    account = Account.model_validate_json(raw).model_copy(update={"ntfy_topic": topic})
                    pipe.multi()
                    pipe.set(key, account.model_dump_json())
                    await pipe.execute()
                    break
                except WatchError:
                    continue
        logger.info("console account %s: ntfy topic %s", username, "set" if topic else "cleared")
        return account

    async def remove_account(self, username: str) -> bool:
        """Remove an account added in Redis and end its sessions at their next request (config ones stay)."""
        removed = bool(await self.redis.delete(self._key("user", username)))
        if removed:
            logger.info("console account %s removed", username)
        return removed

    async def login(self, username: str, password: str, address: str) -> Session:
        counters = (self._key("login-fail", "user", username), self._key("login-fail", "addr", address))
        by_user, by_address = (int(v or 0) for v in await self.redis.mget(counters))
        limit = self.config.login_max_failures
        # an address gets more tries than a user: a police station's officers share one NAT address
        if by_user >= limit or by_address >= limit * ADDRESS_FACTOR:
            raise LoginRefused(f"too many failed logins; try again in {self.config.login_window_s // 60 or 1} min")
        account = await self.account(username)
        try:
            _HASHER.verify(account.password_hash if account else _dummy_hash(), password)
            ok = account is not None
        except (VerificationError, InvalidHashError):
            ok = False
        if not ok or account is None:
            pipe = self.redis.pipeline(transaction=True)
            for key in counters:
                pipe.incr(key)
                pipe.expire(key, self.config.login_window_s)
            await pipe.execute()
            logger.warning("console login failed for %r from %s", username, address)
            raise LoginRefused("wrong user name or password")
        await self.redis.delete(counters[0])
        session = Session(
            token=secrets.token_urlsafe(32),
            username=account.username,
            role=account.role,
            csrf=secrets.token_urlsafe(24),
            expires_at=time.time() + self.config.session_ttl_s,
        )
        await self.redis.set(
            self._key("session", session.token), session.model_dump_json(), ex=self.config.session_ttl_s
        )
        logger.info("console login: %s (%s)", account.username, account.role)
        return session

    async def session(self, token: str | None) -> Session | None:
        if not token:
            return None
        raw = await self.redis.get(self._key("session", token))
        if not raw:
            return None
        session = Session.model_validate_json(raw)
        if await self.account(session.username) is None:  # the account was removed meanwhile
            await self.logout(token)
            return None
        return session

    async def logout(self, token: str) -> None:
        await self.redis.delete(self._key("session", token))
