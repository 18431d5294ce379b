"""Recording reads of a case's personal data in the access log (engine `log_access`)."""
from __future__ import annotations

from flask import request

from .auth import current_actor
from .extensions import current_engine


def record_view(instance_id: str, view: str) -> None:
    """The caller viewed `instance_id`'s data through `view` (after the read check passed)."""
    current_engine().log_access(current_actor(), instance_id, view, request.remote_addr)
