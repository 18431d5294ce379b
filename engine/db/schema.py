"""Every table, imported in one place for migrations and tests."""
from . import access, audit_checkpoints, audit_events, clock, definitions, external_tasks, incidents, instances, labels, outbox, subscriptions, tasks, timers, users  # noqa: F401
from .base import metadata

__all__ = ["metadata"]
