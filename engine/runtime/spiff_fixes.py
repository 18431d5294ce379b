"""Workarounds for SpiffWorkflow 3.2 bugs, each small and tested (tests/engine/test_spiff_fixes.py).

1. Deep task trees stall silently (notes §6.1): `TaskIterator(max_depth=1000)` makes a
   READY task deeper than 1,000 levels invisible, so a loop of ~333 iterations inside
   one command stops and the workflow reports itself completed. The engine bounds depth
   between commands by compaction (runtime/compaction.py) and stops runaway loops by a
   step budget; within one command the iterator must still see every task, so the
   default depth limit is raised well above anything the step budget allows.
"""
from __future__ import annotations

from SpiffWorkflow.bpmn.util.task import BpmnTaskIterator
from SpiffWorkflow.util.task import TaskIterator

MAX_DEPTH = 10_000_000


def _raise_default_depth(cls) -> None:
    defaults = list(cls.__init__.__defaults__)
    defaults[1] = MAX_DEPTH  # (end_at_spec=None, max_depth=1000, ...): index 1
    cls.__init__.__defaults__ = tuple(defaults)


def apply() -> None:
    """Apply every workaround (idempotent)."""
    for cls in (TaskIterator, BpmnTaskIterator):
        _raise_default_depth(cls)


apply()
