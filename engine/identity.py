"""UserStore: users with roles and groups, argon2 passwords, throttled logins and bearer tokens."""
from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Iterable

import argon2
import argon2.low_level
from argon2 import PasswordHasher
from sqlalchemy.engine import Engine as SAEngine
from sqlalchemy.exc import IntegrityError

from .clock import Clock, SystemClock
from .db import users
from .db.connections import KeptConnections
from .db.failures import reported_unavailable
from .errors import Conflict, DiwanError, InvalidData, NotFound, Unavailable
from .token_cache import TokenCache
from .views import Actor

ROLES = ("admin", "designer", "clerk", "auditor", "worker", "supervisor")  # worker: external-task clients;
# supervisor: reassigns tasks of their groups, reads the SLA dashboard (with clerk to work tasks)
USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,149}")
GROUP = re.compile(r"[\w.@-]{1,255}")
RESERVED_USERNAMES = {"system"}  # the engine's own actor: an admin for everything it does
MIN_PASSWORD, MAX_PASSWORD = 8, 1024
# argon2's errors that say it could not run (low_level.error_to_str of MEMORY_ALLOCATION_ERROR, THREAD_FAIL).
ARGON2_RESOURCE_FAILURES = {argon2.low_level.error_to_str(code) for code in (
    argon2.low_level.lib.ARGON2_MEMORY_ALLOCATION_ERROR, argon2.low_level.lib.ARGON2_THREAD_FAIL)}


class Unauthorized(DiwanError):
    """Invalid credentials."""

    code = "unauthorized"


class TooManyRequests(DiwanError):
    """Too many failed logins: try again later."""

    code = "too_many_requests"

    def __init__(self, retry_after: int):
        super().__init__(f"Too many failed logins: try again in {retry_after} s.")
        self.retry_after = retry_after


@dataclass(frozen=True)
class UserView:
    username: str
    roles: tuple[str, ...]
    groups: tuple[str, ...]
    created_at: datetime
    disabled_at: datetime | None = None
    language: str | None = None  # the web pages' language the user chose (None: the default)

    @property
    def actor(self) -> Actor:
        """The engine actor for this user's commands."""
        return Actor(self.username, self.groups, self.roles)


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: datetime
    user: UserView


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def password_hasher(profile: str = "RFC_9106_LOW_MEMORY") -> PasswordHasher:
    """An argon2 hasher for a named `argon2.profiles` profile (`CHEAPEST` for tests only)."""
    parameters = getattr(argon2.profiles, profile, None) if profile.isupper() else None
    if parameters is None:
        raise ValueError(f"unknown argon2 profile {profile!r}: RFC_9106_LOW_MEMORY, RFC_9106_HIGH_MEMORY, ...")
    return PasswordHasher.from_parameters(parameters)


class UserStore:
    """Users, their credentials and tokens, kept in the engine's database.

    Tokens and throttling use the real clock even when the engine runs on a manual one
    (API.md: tokens and sessions expire on the real clock).

    Args:
        db: the SQLAlchemy engine (`Engine.db`).
        token_ttl: how long a bearer token lives.
        max_failures: failed logins of one username from one client address allowed
            within `failure_window`; the next attempt from there is refused
            (`TooManyRequests`) until the oldest failure leaves the window.
        max_address_failures: failed logins from one client address, whatever the
            username, allowed within `failure_window` (0: no limit).
        hasher: the argon2 password hasher.
        clock: the real clock (tests may pass a manual one).
    """

    def __init__(self, db: SAEngine, *, token_ttl: timedelta = timedelta(hours=12), max_failures: int = 5,
                 max_address_failures: int = 30, failure_window: timedelta = timedelta(minutes=15),
                 hasher: PasswordHasher | None = None, clock: Clock | None = None,
                 kept: KeptConnections | None = None, cache: TokenCache | None = None):
        self.db = db
        self.cache = cache  # the serving engine's token checks (engine/token_cache.py), on PostgreSQL
        # Token checks (every API request) run on the thread's kept connection of the engine
        # serving them, as one statement outside a transaction (db/connections.py); without one
        # (the command line), on a connection of the pool.
        self.kept = kept
        self.token_ttl = token_ttl
        self.max_failures = max_failures
        self.max_address_failures = max_address_failures
        self.failure_window = failure_window
        self.hasher = hasher or password_hasher()
        self.clock = clock or SystemClock()
        self._dummy_hash = self.hasher.hash(secrets.token_hex(16))

    # -- users ---------------------------------------------------------------------------
    def create_user(self, username: str, password: str, roles: Iterable[str], groups: Iterable[str] = (),
                    actor: str = "system") -> UserView:
        """Create a user (the CreateUser command's handler, in this store's own transaction: the
        CLI, the demo and the API create users before or beside any engine).

        Raises:
            InvalidData: a bad username, password, role or group (`errors` by field).
            Conflict: the username is taken.
        """
        from .commands.base import CommandContext
        from .commands.identity import CreateUser, create_user

        roles, groups = sorted(set(roles)), sorted(set(groups))
        _check_user(username, password, roles, groups)
        now = self.clock.now()
        password_hash = self._hash(password)
        cmd = CreateUser(Actor(actor), username, password_hash, tuple(roles), tuple(groups))
        try:
            with reported_unavailable(), self.db.begin() as conn:
                return create_user(cmd, CommandContext(conn, now, None))
        except IntegrityError as exc:  # a concurrent creation of the same name won
            raise Conflict(f"the username {username!r} is taken") from exc

    def hash_password(self, password: str) -> str:
        """Check a new password (8 to 1024 characters) and hash it for ResetPassword.

        Raises:
            InvalidData: the password is too short or too long.
            Unavailable: argon2 cannot allocate its memory.
        """
        if not isinstance(password, str) or not MIN_PASSWORD <= len(password) <= MAX_PASSWORD or "\x00" in password:
            raise InvalidData("invalid password", errors={"password": [f"{MIN_PASSWORD} to {MAX_PASSWORD} characters."]})
        return self._hash(password)

    def get_user(self, username: str) -> UserView:
        """Raises NotFound."""
        with reported_unavailable(), self.db.connect() as conn:
            row = users.by_username(conn, username)
            if row is None:
                raise NotFound(f"user {username!r} not found")
            return _view(conn, row)

    def set_language(self, username: str, language: str | None) -> None:
        """Remember the web pages' language `username` chose (a preference: no admin log entry).

        Raises NotFound.
        """
        with reported_unavailable(), self.db.begin() as conn:
            row = users.by_username(conn, username)
            if row is None:
                raise NotFound(f"user {username!r} not found")
            users.set_language(conn, row.id, language)
        self._identity_changed()

    def list_users(self, page: int = 1, per_page: int = 50) -> tuple[list[UserView], int]:
        with reported_unavailable(), self.db.connect() as conn:
            rows, total = users.page(conn, page, per_page)
            return [_view(conn, r) for r in rows], total

    # -- logins and tokens ---------------------------------------------------------------
    def authenticate(self, username: str, password: str, remote_addr: str | None = None) -> UserView:
        """Check a username and password from a client address.

        Failures are counted per (username, address) and per address within the window:
        a client that guessed too often is refused (even with the right password) until
        its oldest failures leave the window, while the same user from another address
        still logs in. A success forgets that pair's failures, not the address's.

        Raises:
            TooManyRequests: too many failures of this username from this address, or of
                any username from this address, lately (checked first).
            Unauthorized: unknown user or wrong password (recorded as a failure).
            Unavailable: the database or argon2 (memory) cannot serve now; never "wrong password".
        """
        if "\x00" in username or "\x00" in password:  # no database accepts NUL in text
            raise Unauthorized("wrong username or password")
        now = self.clock.now()
        key, addr = username[:150], (remote_addr or "")[:64]
        with reported_unavailable():
            with self.db.connect() as conn:
                counts = users.failures_since(conn, key, addr, now - self.failure_window)
                retry = self._throttled(counts, now)
                if retry is not None:
                    raise TooManyRequests(retry)
                row = users.by_username(conn, username)
            if not self._verify(row.password_hash if row else None, password) or (
                    row is not None and row.disabled_at is not None):
                with self.db.begin() as conn:
                    users.forget_failures(conn, before=now - self.failure_window)
                    users.record_failure(conn, key, addr, now)
                raise Unauthorized("wrong username or password")
            with self.db.begin() as conn:
                if counts.pair:
                    users.forget_failures(conn, key, addr)
                if self.hasher.check_needs_rehash(row.password_hash):
                    users.set_password_hash(conn, row.id, self._hash(password))
                return _view(conn, row)

    def _throttled(self, counts: users.FailureCounts, now: datetime) -> int | None:
        """Seconds until the fullest bucket (pair or address) has room again, or None."""
        waits = [(_utc(oldest) + self.failure_window - now).total_seconds() if oldest else 1
                 for count, limit, oldest in ((counts.pair, self.max_failures, counts.pair_oldest),
                                              (counts.address, self.max_address_failures, counts.address_oldest))
                 if limit and count >= limit]
        return max(1, int(max(waits)) + 1) if waits else None

    def issue_token(self, user: UserView, kind: str = "bearer") -> IssuedToken:
        """A new random token (32 bytes) for `user`; only its sha256 is stored."""
        token = secrets.token_urlsafe(32)
        now = self.clock.now()
        expires_at = now + self.token_ttl
        with reported_unavailable(), self.db.begin() as conn:
            row = users.by_username(conn, user.username)
            if row is None:
                raise NotFound(f"user {user.username!r} not found")
            users.delete_expired_tokens(conn, now - timedelta(days=1))
            users.insert_token(conn, id=uuid.uuid4().hex, user_id=row.id, token_hash=hash_token(token), kind=kind,
                               created_at=now, expires_at=expires_at)
        return IssuedToken(token, expires_at, user)

    def login(self, username: str, password: str, remote_addr: str | None = None) -> IssuedToken:
        """Authenticate, then issue a bearer token. Raises TooManyRequests, Unauthorized."""
        return self.issue_token(self.authenticate(username, password, remote_addr))

    def resolve(self, token: str) -> UserView | None:
        """The user holding a live token, or None (unknown, expired or revoked)."""
        if not token or len(token) > 200:
            return None
        token_hash, now, cache = hash_token(token), self.clock.now(), self.cache
        if cache is not None:
            view = cache.get(token_hash, now)
            if view is not None:
                return view
            generation = cache.generation  # before the query: a change after it is not missed
        if self.kept is not None:
            with self.kept.transaction(write=False, single=True) as conn:
                rows = users.token_owner_grants(conn, token_hash, now)
        else:
            with reported_unavailable(), self.db.connect() as conn:
                rows = users.token_owner_grants(conn, token_hash, now)
        if not rows:
            return None
        row = rows[0]
        roles = sorted(r.name for r in rows if r.kind == "role")
        groups = sorted(r.name for r in rows if r.kind == "group")
        view = UserView(row.username, tuple(roles), tuple(groups), _utc(row.created_at), None, row.language)
        if cache is not None:
            cache.put(token_hash, view, _utc(row.expires_at), generation)
        return view

    def revoke(self, token: str) -> bool:
        """Revoke a token (logout); False when it was not live."""
        with reported_unavailable(), self.db.begin() as conn:
            revoked = users.revoke_token(conn, hash_token(token), self.clock.now())
        if revoked:
            self._identity_changed()
        return revoked

    def _identity_changed(self) -> None:
        """After a commit that changed what token checks find: this process's cache forgets
        at once (the others hear the transaction's notice)."""
        if self.cache is not None:
            self.cache.clear()

    def _verify(self, password_hash: str | None, password: str) -> bool:
        """Whether `password` matches; an unknown user costs the same time as a known one.

        Raises:
            Unavailable: argon2 could not run (its memory could not be allocated, a thread
                could not start): the password is neither right nor wrong.
        """
        try:
            matches = self.hasher.verify(password_hash or self._dummy_hash, password)
        except (argon2.exceptions.VerifyMismatchError, argon2.exceptions.InvalidHashError):
            return False
        except argon2.exceptions.VerificationError as exc:
            if str(exc) in ARGON2_RESOURCE_FAILURES:
                raise _no_memory(exc) from exc
            return False  # a stored hash argon2 cannot decode: no password matches it
        except MemoryError as exc:
            raise _no_memory(exc) from exc
        return matches and password_hash is not None

    def _hash(self, password: str) -> str:
        """Raises Unavailable when argon2 cannot allocate its memory."""
        try:
            return self.hasher.hash(password)
        except (argon2.exceptions.HashingError, MemoryError) as exc:
            raise _no_memory(exc) from exc


def _no_memory(exc: BaseException) -> Unavailable:
    return Unavailable(f"The password cannot be checked now ({exc or 'out of memory'}): retry shortly.")


def _check_user(username: str, password: str, roles: list[str], groups: list[str]) -> None:
    errors: dict[str, list[str]] = {}
    if not isinstance(username, str) or not USERNAME.fullmatch(username):
        errors["username"] = ["1 to 150 characters: letters, digits and . _ @ -, starting with a letter or digit."]
    elif username.lower() in RESERVED_USERNAMES:
        errors["username"] = [f"{username!r} is reserved."]
    if not isinstance(password, str) or not MIN_PASSWORD <= len(password) <= MAX_PASSWORD or "\x00" in password:
        errors["password"] = [f"{MIN_PASSWORD} to {MAX_PASSWORD} characters."]
    if not roles:
        errors["roles"] = ["At least one role."]
    elif unknown := [r for r in roles if r not in ROLES]:
        errors["roles"] = [f"Unknown role {r!r}: one of {', '.join(ROLES)}." for r in unknown]
    if bad := [g for g in groups if not isinstance(g, str) or not GROUP.fullmatch(g)]:
        errors["groups"] = [f"Invalid group {g!r}: letters, digits and . _ @ -." for g in bad]
    if errors:
        raise InvalidData("invalid user", errors=errors)


def _view(conn, row) -> UserView:
    roles, groups = users.roles_and_groups(conn, row.id)
    disabled = getattr(row, "disabled_at", None)
    return UserView(row.username, tuple(roles), tuple(groups), _utc(row.created_at),
                    _utc(disabled) if disabled is not None else None, getattr(row, "language", None))


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
