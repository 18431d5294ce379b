"""Every table, imported in one place for migrations and tests."""
from . import (access, admin_events, audit_checkpoints, audit_events, clock, definitions, drafts,  # noqa: F401
               external_tasks, incidents, instances, labels, lifecycle, outbox, subscriptions, tasks, timers, users)
from . import access_log, attachments, instance_tasks  # noqa: F401
from .base import metadata

__all__ = ["metadata"]
