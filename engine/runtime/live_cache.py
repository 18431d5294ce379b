"""A cache of live workflow runs keyed by (instance id, version).

A command takes the run out (so no two commands share one), and puts it back after its
transaction committed, under the new version. A stale entry is never used: the version
must match the row's, and the versioned UPDATE rejects any write from a stale load.
"""
from __future__ import annotations

import threading
from collections import OrderedDict


class LiveCache:
    def __init__(self, max_entries: int):
        self._max = max_entries
        self._entries: OrderedDict[str, tuple[int, object]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, instance_id: str, version: int):
        if self._max <= 0:
            return None
        with self._lock:
            entry = self._entries.pop(instance_id, None)
        if entry is None or entry[0] != version:
            return None
        return entry[1]

    def put(self, instance_id: str, version: int, run) -> None:
        if self._max <= 0:
            return
        with self._lock:
            self._entries[instance_id] = (version, run)
            self._entries.move_to_end(instance_id)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
