"""EngineSettings: the engine's configuration, from arguments or `DIWAN_*` variables."""
from __future__ import annotations

import os
from dataclasses import dataclass, field, fields


def _env(name: str, default: str) -> str:
    return os.environ.get(f"DIWAN_{name}", default)


@dataclass(frozen=True)
class EngineSettings:
    """Tunable limits and defaults of the engine.

    Attributes:
        database_url: SQLAlchemy URL; SQLite `./diwan.db` by default.
        timezone: IANA zone in which calendar units (days, months, years) count.
        max_steps: engine steps one command may run without reaching a wait state
            before it stops as a runaway loop.
        script_max_steps: Python lines one script or expression evaluation may run.
        live_cache_size: live workflow objects kept in memory (0 disables the cache).
        sqlite_synchronous: SQLite `PRAGMA synchronous` (NORMAL or FULL).
    """

    database_url: str = "sqlite:///diwan.db"
    timezone: str = "Africa/Casablanca"
    max_steps: int = 2_000
    script_max_steps: int = 1_000_000
    live_cache_size: int = 2_000
    sqlite_synchronous: str = "NORMAL"
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_env(cls, **overrides) -> "EngineSettings":
        """Settings from `DIWAN_*` environment variables, then explicit overrides."""
        values = {
            "database_url": _env("DATABASE_URL", cls.database_url),
            "timezone": _env("TIMEZONE", cls.timezone),
            "max_steps": int(_env("MAX_STEPS", str(cls.max_steps))),
            "script_max_steps": int(_env("SCRIPT_MAX_STEPS", str(cls.script_max_steps))),
            "live_cache_size": int(_env("LIVE_CACHE_SIZE", str(cls.live_cache_size))),
            "sqlite_synchronous": _env("SQLITE_SYNCHRONOUS", cls.sqlite_synchronous).upper(),
        }
        known = {f.name for f in fields(cls)}
        values.update({k: v for k, v in overrides.items() if k in known and v is not None})
        return cls(**values)
