"""The AI answer cache: a re-run of the same lecture with the same prompt and model costs nothing.

Keys are the sha256 of (engine, model, task, prompt name, prompt version, canonical JSON of the inputs), so a
changed prompt text or model lands in a new namespace by itself. Values are JSON (never pickle: a cache shared
between processes must not be a way to run code). Backends: the database (default), Redis, or off. Entries
expire after HANDOUTS_AI_CACHE_TTL_DAYS; beyond HANDOUTS_AI_CACHE_MAX_ENTRIES the oldest are evicted.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Protocol

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ..errors import ConfigError
from ..models import AICacheEntry
from ..settings import Settings


def _now() -> datetime:
    return datetime.now(timezone.utc)


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no spaces: equal inputs give equal text, hence equal keys."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def cache_key(engine: str, model: str, task: str, prompt_name: str, prompt_version: str, inputs: Any) -> str:
    """The cache key of one task's answer."""
    material = canonical_json([engine, model, task, prompt_name, prompt_version, inputs])
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class EntryInfo:
    """What is stored beside a cached value, so entries can be listed and cleared by prompt."""

    engine: str
    model: str
    prompt_name: str
    prompt_version: str


class Cache(Protocol):
    """A JSON answer cache."""

    def get(self, key: str) -> dict | None: ...

    def put(self, key: str, value: dict, info: EntryInfo) -> None: ...

    def clear(self, prompt_name: str | None = None) -> int: ...


class NullCache:
    """HANDOUTS_AI_CACHE=off: every lookup misses."""

    def get(self, key: str) -> dict | None:
        """Always a miss."""
        return None

    def put(self, key: str, value: dict, info: EntryInfo) -> None:
        """Keep nothing."""

    def clear(self, prompt_name: str | None = None) -> int:
        """Nothing to clear."""
        return 0


class DBCache:
    """Entries as rows of `ai_cache`; each call is its own short transaction."""

    def __init__(self, sessions: sessionmaker[Session], *, ttl_days: float, max_entries: int,
                 clock: Callable[[], datetime] = _now) -> None:
        self.sessions = sessions
        self.ttl = timedelta(days=ttl_days)
        self.max_entries = max_entries
        self.clock = clock

    def get(self, key: str) -> dict | None:
        """The value under `key`, or None when absent or expired (an expired row is removed)."""
        with self.sessions() as session, session.begin():
            row = session.get(AICacheEntry, key)
            if row is None:
                return None
            if _aware(row.expires_at) <= self.clock():
                session.delete(row)
                return None
            row.hits += 1
            return row.value

    def put(self, key: str, value: dict, info: EntryInfo) -> None:
        """Store `value`, then drop expired rows and the oldest beyond the size bound."""
        now = self.clock()
        text = canonical_json(value)
        try:
            self._put(key, value, info, now, len(text))
        except IntegrityError:
            # Another worker stored the same key between our merge's lookup and insert: its answer will do.
            pass

    def _put(self, key: str, value: dict, info: EntryInfo, now: datetime, size: int) -> None:
        with self.sessions() as session, session.begin():
            session.merge(AICacheEntry(key=key, engine=info.engine, model=info.model, prompt_name=info.prompt_name,
                                       prompt_version=info.prompt_version, value=value, size=size, hits=0,
                                       created_at=now, expires_at=now + self.ttl))
            session.flush()
            session.execute(delete(AICacheEntry).where(AICacheEntry.expires_at <= now))
            excess = session.scalar(select(func.count()).select_from(AICacheEntry)) - self.max_entries
            if excess > 0:
                oldest = select(AICacheEntry.key).order_by(AICacheEntry.created_at, AICacheEntry.key).limit(excess)
                session.execute(delete(AICacheEntry).where(AICacheEntry.key.in_(list(session.scalars(oldest)))))

    def clear(self, prompt_name: str | None = None) -> int:
        """Delete every entry (or those of one prompt); the number deleted."""
        with self.sessions() as session, session.begin():
            stmt = delete(AICacheEntry)
            if prompt_name:
                stmt = stmt.where(AICacheEntry.prompt_name == prompt_name)
            return session.execute(stmt).rowcount or 0

    def count(self) -> int:
        """Entries stored, expired ones included until the next put."""
        with self.sessions() as session:
            return session.scalar(select(func.count()).select_from(AICacheEntry)) or 0


def _aware(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; every time we store is UTC.
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


class RedisCache:
    """Entries as JSON strings with a TTL; a sorted set by age bounds their number, a set per prompt clears them."""

    def __init__(self, client: Any, *, ttl_days: float, max_entries: int, prefix: str = "handouts:ai:",
                 clock: Callable[[], datetime] = _now) -> None:
        self.client = client
        self.ttl_seconds = max(1, int(ttl_days * 86400))
        self.max_entries = max_entries
        self.prefix = prefix
        self.clock = clock

    def _entry(self, key: str) -> str:
        return f"{self.prefix}entry:{key}"

    def _by_prompt(self, prompt_name: str) -> str:
        return f"{self.prefix}prompt:{prompt_name}"

    @property
    def _index(self) -> str:
        return f"{self.prefix}index"

    def get(self, key: str) -> dict | None:
        """The value under `key`, or None (Redis expires entries itself)."""
        raw = self.client.get(self._entry(key))
        if raw is None:
            return None
        return json.loads(raw)["value"]

    def put(self, key: str, value: dict, info: EntryInfo) -> None:
        """Store `value` with the TTL and evict the oldest entries beyond the bound."""
        now = self.clock().timestamp()
        record = canonical_json({"value": value, "engine": info.engine, "model": info.model,
                                 "prompt_name": info.prompt_name, "prompt_version": info.prompt_version})
        pipe = self.client.pipeline()
        pipe.set(self._entry(key), record, ex=self.ttl_seconds)
        pipe.zadd(self._index, {key: now})
        pipe.sadd(self._by_prompt(info.prompt_name), key)
        pipe.sadd(f"{self.prefix}prompts", info.prompt_name)
        # Index members older than the TTL point at entries Redis has already dropped.
        pipe.zremrangebyscore(self._index, "-inf", now - self.ttl_seconds)
        pipe.execute()
        excess = self.client.zcard(self._index) - self.max_entries
        if excess > 0:
            oldest = [k.decode() if isinstance(k, bytes) else k for k, _ in self.client.zpopmin(self._index, excess)]
            self.client.delete(*[self._entry(k) for k in oldest])

    def clear(self, prompt_name: str | None = None) -> int:
        """Delete every entry (or those of one prompt); the number of live entries deleted."""
        names = ([prompt_name] if prompt_name else
                 [n.decode() if isinstance(n, bytes) else n for n in self.client.smembers(f"{self.prefix}prompts")])
        deleted = 0
        for name in names:
            keys = [k.decode() if isinstance(k, bytes) else k for k in self.client.smembers(self._by_prompt(name))]
            if keys:
                deleted += self.client.delete(*[self._entry(k) for k in keys])
                self.client.zrem(self._index, *keys)
            self.client.delete(self._by_prompt(name))
            self.client.srem(f"{self.prefix}prompts", name)
        if not prompt_name:
            self.client.delete(self._index)
        return deleted


def redis_client(settings: Settings):
    """A Redis client for HANDOUTS_AI_CACHE=redis, from REDIS_URL."""
    if not settings.redis_url:
        raise ConfigError("REDIS_URL", "required when HANDOUTS_AI_CACHE=redis; set it (redis://host:6379/0) or "
                          "use HANDOUTS_AI_CACHE=db")
    import redis

    return redis.Redis.from_url(settings.redis_url)


def make_cache(settings: Settings, sessions: sessionmaker[Session] | None, *, client: Any = None) -> Cache:
    """The cache HANDOUTS_AI_CACHE asks for."""
    if settings.ai_cache == "off":
        return NullCache()
    if settings.ai_cache == "redis":
        return RedisCache(client if client is not None else redis_client(settings),
                          ttl_days=settings.ai_cache_ttl_days, max_entries=settings.ai_cache_max_entries)
    if sessions is None:
        raise ConfigError("HANDOUTS_AI_CACHE", "the database cache needs a database; set HANDOUTS_AI_CACHE=off "
                          "to run without one")
    return DBCache(sessions, ttl_days=settings.ai_cache_ttl_days, max_entries=settings.ai_cache_max_entries)
