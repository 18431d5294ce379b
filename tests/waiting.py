"""Waiting in tests for what another thread or process does."""
from __future__ import annotations

import time


def wait_for(predicate, timeout: float = 10.0) -> bool:
    """Whether `predicate()` came true within `timeout` seconds (asked every 20 ms)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False
