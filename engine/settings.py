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
        script_timeout_seconds: wall-clock time the scripts of one command may run in total in
            script processes, after which they are stopped and the command fails.
        script_memory_mb: address space of one script process.
        max_variable_kb: size of one variable as a command sets it (JSON, KiB).
        max_instance_data_kb: size of all the variables of one instance (JSON, KiB).
        max_multi_instance_items: instances one multi-instance activity may create.
        live_cache_size: live workflow objects kept in memory (0 disables the cache).
        sqlite_synchronous: SQLite `PRAGMA synchronous` (NORMAL or FULL).
        max_attempts: failed timer firings / deliveries before an incident.
        retry_backoff_seconds: first retry delay; it doubles with each attempt.
        lease_seconds: how long a worker's claim on a timer or outbox row lasts.
        sweep_seconds: how often a worker looks for due work besides its wake-ups.
        clock: `system` (wall clock) or `manual` (kept in the database; tests and demos).
        external_task_poll_seconds: how often a waiting fetchAndLock looks for external tasks
            that another process created (this process's own wake it at once).
        audit_key_file: the Ed25519 key that signs audit checkpoints (default: beside a SQLite
            database file; none, so no checkpoints, otherwise).
        audit_checkpoint_seconds: how often the worker signs a checkpoint of every chain head.
        require_claim: a clerk completes only a task they claimed (409 otherwise; admins act
            for anyone). On by default, from the environment (DIWAN_REQUIRE_CLAIM=false turns it
            off) and in code alike; code that drives tasks without claiming them says so.
        max_attachment_bytes: size limit of one uploaded file (DIWAN_MAX_ATTACHMENT, bytes).
        attachment_types: media types accepted when a filepicker field says none (`accept`).
        attachments_dir: folder for uploaded files (named by id); None keeps them in the database.
        applicant_fields: the variables that name or reach the applicant, searched by the inbox's
            text search with the business key (DIWAN_APPLICANT_FIELDS, comma-separated).
        consulate_field: the variable the SLA dashboard groups overdue tasks by (DIWAN_CONSULATE_FIELD).
        token_cache_seconds: on PostgreSQL, how long a process may reuse a bearer token check
            (engine/token_cache.py: emptied at once by any change to tokens, users or groups;
            0 turns the cache off).
    """

    database_url: str = "sqlite:///diwan.db"
    timezone: str = "Africa/Casablanca"
    max_steps: int = 2_000
    script_max_steps: int = 1_000_000
    script_timeout_seconds: float = 2.0
    script_memory_mb: int = 256
    max_variable_kb: int = 512
    max_instance_data_kb: int = 1024
    max_multi_instance_items: int = 10_000
    live_cache_size: int = 2_000
    sqlite_synchronous: str = "NORMAL"
    max_attempts: int = 3
    retry_backoff_seconds: float = 2.0
    lease_seconds: float = 60.0
    sweep_seconds: float = 30.0
    clock: str = "system"
    external_task_poll_seconds: float = 1.0
    audit_key_file: str | None = None
    audit_checkpoint_seconds: float = 300.0
    require_claim: bool = True
    max_attachment_bytes: int = 10 * 1024 * 1024
    attachment_types: tuple[str, ...] = ("application/pdf", "image/png", "image/jpeg")
    attachments_dir: str | None = None
    applicant_fields: tuple[str, ...] = ("applicant_name", "association_name", "contact_name", "first_name",
                                         "last_name", "email")
    consulate_field: str = "consulate"
    token_cache_seconds: float = 30.0
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_env(cls, **overrides) -> "EngineSettings":
        """Settings from `DIWAN_*` environment variables, then explicit overrides."""
        values = {
            "database_url": _env("DATABASE_URL", cls.database_url),
            "timezone": _env("TIMEZONE", cls.timezone),
            "max_steps": int(_env("MAX_STEPS", str(cls.max_steps))),
            "script_max_steps": int(_env("SCRIPT_MAX_STEPS", str(cls.script_max_steps))),
            "script_timeout_seconds": float(_env("SCRIPT_TIMEOUT_SECONDS", str(cls.script_timeout_seconds))),
            "script_memory_mb": int(_env("SCRIPT_MEMORY_MB", str(cls.script_memory_mb))),
            "max_variable_kb": int(_env("MAX_VARIABLE_KB", str(cls.max_variable_kb))),
            "max_instance_data_kb": int(_env("MAX_INSTANCE_DATA_KB", str(cls.max_instance_data_kb))),
            "max_multi_instance_items": int(_env("MAX_MULTI_INSTANCE_ITEMS", str(cls.max_multi_instance_items))),
            "live_cache_size": int(_env("LIVE_CACHE_SIZE", str(cls.live_cache_size))),
            "sqlite_synchronous": _env("SQLITE_SYNCHRONOUS", cls.sqlite_synchronous).upper(),
            "max_attempts": int(_env("MAX_ATTEMPTS", str(cls.max_attempts))),
            "retry_backoff_seconds": float(_env("RETRY_BACKOFF_SECONDS", str(cls.retry_backoff_seconds))),
            "lease_seconds": float(_env("LEASE_SECONDS", str(cls.lease_seconds))),
            "sweep_seconds": float(_env("SWEEP_SECONDS", str(cls.sweep_seconds))),
            "clock": _env("CLOCK", cls.clock).lower(),
            "external_task_poll_seconds": float(_env("EXTERNAL_TASK_POLL_SECONDS",
                                                     str(cls.external_task_poll_seconds))),
            "audit_key_file": _env("AUDIT_KEY_FILE", "") or None,
            "audit_checkpoint_seconds": float(_env("AUDIT_CHECKPOINT_SECONDS", str(cls.audit_checkpoint_seconds))),
            "require_claim": _env("REQUIRE_CLAIM", str(cls.require_claim)).lower() not in ("0", "false", "no", "off"),
            "max_attachment_bytes": int(_env("MAX_ATTACHMENT", str(cls.max_attachment_bytes))),
            "attachment_types": tuple(t.strip() for t in _env("ATTACHMENT_TYPES", ",".join(cls.attachment_types))
                                      .split(",") if t.strip()),
            "attachments_dir": _env("ATTACHMENTS_DIR", "") or None,
            "applicant_fields": tuple(f.strip() for f in _env("APPLICANT_FIELDS", ",".join(cls.applicant_fields))
                                      .split(",") if f.strip()),
            "consulate_field": _env("CONSULATE_FIELD", cls.consulate_field),
            "token_cache_seconds": float(_env("TOKEN_CACHE_SECONDS", str(cls.token_cache_seconds))),
        }
        known = {f.name for f in fields(cls)}
        values.update({k: v for k, v in overrides.items() if k in known and v is not None})
        return cls(**values)
