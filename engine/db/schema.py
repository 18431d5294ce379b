"""Every table, imported in one place for migrations and tests."""
from . import access, admin_events, audit_events, clock, definitions, drafts, incidents, instances, labels, lifecycle, outbox, subscriptions, tasks, timers, users  # noqa: F401
from .base import metadata

__all__ = ["metadata"]
