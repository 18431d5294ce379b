"""Every table, imported in one place for migrations and tests."""
from . import (access, admin_events, audit_events, clock, definitions, drafts, incidents, instances, labels,  # noqa: F401
               lifecycle, outbox, subscriptions, tasks, timers, users)
from .base import metadata

__all__ = ["metadata"]
