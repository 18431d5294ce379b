"""This process's id without a system call: `os.getpid()` is one on Linux, and the command
path asks several times per command (is this connection, this thread, ours or a parent's
from before a fork?)."""
from __future__ import annotations

import os

_pid = os.getpid()


def _forked() -> None:
    global _pid
    _pid = os.getpid()


os.register_at_fork(after_in_child=_forked)


def current_pid() -> int:
    """`os.getpid()`, kept up to date across forks."""
    return _pid
