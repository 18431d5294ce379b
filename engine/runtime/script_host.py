"""Script processes: designer code the engine cannot bound runs in one, under hard limits.

Code that bounded.py cannot prove cheap (loops, comprehensions, functions, ``*``,
``sorted``, ...) could run for hours inside one C call (``sum(range(10**18))``,
``int(decimal.Decimal('1e100000000'))``, ``f'{1:>{10**9}}'``) where no step budget sees
it, and hold the instance's transaction (on SQLite, the database's write lock) while it
does. So it runs in a separate process (script_child.py) that the engine kills when the
command's script time is used up, and whose address space is limited. Whatever a script
does, its command fails within that time with a ScriptError (a request gets 422, a timer
is retried and then becomes an incident), and no other request, timer or lock waits on it
longer.

A :class:`ScriptHost` keeps a pool of idle processes (one per thread that ran a script at
the same time) so a call costs a pipe round trip (about 30 µs), not a process start. A
process is replaced after a timeout, after running out of memory, after it died, and after
:data:`MAX_USES` requests. Hosts are shared by every engine of the process with the same
limits (:func:`shared_host`); a forked child starts with an empty pool.
"""
from __future__ import annotations

import atexit
import os
import select
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from . import script_wire as wire

__all__ = ["ScriptFailed", "ScriptHost", "ScriptLimits", "shared_host"]

MAX_USES = 10_000
STARTUP_SECONDS = 30.0  # a loaded machine can take seconds to start an interpreter
_HERE = Path(__file__).resolve().parent
_MODULES = (str(_HERE / "sandbox.py"), str(_HERE.parent / "values.py"), str(_HERE / "script_wire.py"),
            str(_HERE / "script_child.py"))
_BOOTSTRAP = """
import importlib.util, sys
def load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
sandbox, values, wire, child = (load(n, p) for n, p in zip(
    ("diwan_sandbox", "diwan_values", "diwan_script_wire", "diwan_script_child"), sys.argv[1:5]))
child.main(sandbox, values, wire, int(sys.argv[5]))
"""


@dataclass(frozen=True)
class ScriptLimits:
    """What the designer code of one command may use.

    Attributes:
        timeout_seconds: wall-clock time the scripts of one command may run in total, in
            script processes (bounded code, run in the engine process, is not counted).
        memory_mb: address space of a script process (the interpreter takes about 20 MB of it).
        max_steps: Python lines one evaluation may run (the sandbox's step budget).
        max_variable_bytes: size of one variable a script sets (engine/values.py).
    """

    timeout_seconds: float = 2.0
    memory_mb: int = 256
    max_steps: int = 1_000_000
    max_variable_bytes: int = 512 * 1024


class ScriptFailed(Exception):
    """A request to a script process did not give a result.

    Attributes:
        kind: ``timeout``, ``memory``, ``crashed``, ``budget``, ``unsafe``, ``value``, ``exception``
            or ``bpmn_error``.
        message: what happened, in English.
        detail: the process's reply (``type``, ``line``, ``path``, ``code``...).
    """

    def __init__(self, kind: str, message: str, detail: dict | None = None):
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.detail = detail or {}


class _Process:
    """One script process and its pipes."""

    def __init__(self, limits: ScriptLimits):
        self.proc = subprocess.Popen(
            [sys.executable, "-I", "-c", _BOOTSTRAP, *_MODULES, str(limits.memory_mb * 1024 * 1024)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            cwd="/", env={}, close_fds=True, start_new_session=True, bufsize=0)
        self.out = self.proc.stdin.fileno()
        self.inp = self.proc.stdout.fileno()
        self.uses = 0
        try:
            self.receive(time.monotonic() + STARTUP_SECONDS)  # {"ready": true}
        except (TimeoutError, EOFError, OSError, ValueError) as exc:
            self.kill()
            raise ScriptFailed("crashed", f"the script process did not start: {exc!r}") from None

    def send(self, data: bytes, deadline: float) -> None:
        view = memoryview(data)
        while view:
            if not select.select([], [self.out], [], max(0.0, deadline - time.monotonic()))[1]:
                raise TimeoutError
            view = view[os.write(self.out, view[: 1 << 16]):]

    def receive(self, deadline: float) -> dict:
        header = self._exactly(wire.HEADER.size, deadline)
        (size,) = wire.HEADER.unpack(header)
        if size > wire.MAX_FRAME:
            raise EOFError(f"a frame of {size} bytes")
        return wire.decode(self._exactly(size, deadline))

    def _exactly(self, size: int, deadline: float) -> bytes:
        chunks, left = [], size
        while left:
            timeout = deadline - time.monotonic()
            if timeout <= 0 or not select.select([self.inp], [], [], timeout)[0]:
                raise TimeoutError
            chunk = os.read(self.inp, min(left, 1 << 20))
            if not chunk:
                raise EOFError
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def kill(self) -> None:
        try:
            self.proc.kill()
        except ProcessLookupError:
            pass
        self.close()

    def close(self) -> None:
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def exit_description(self) -> str:
        try:
            code = self.proc.wait(timeout=1)
        except subprocess.TimeoutExpired:
            return "it stopped answering"
        if code < 0:
            name = signal.Signals(-code).name
            if -code == signal.SIGXCPU:
                return f"it used up its CPU time ({name})"
            return f"it was killed by {name}"
        if code == 3:
            return "it ran out of memory"
        return f"it exited with status {code}"


class ScriptHost:
    """A pool of script processes with the same limits, safe to share between threads."""

    def __init__(self, limits: ScriptLimits | None = None):
        self.limits = limits or ScriptLimits()
        self._idle: list[_Process] = []
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self.started = 0  # processes started (for tests and metrics)

    def run(self, mode: str, source: str, variables: dict[str, Any], external: dict[str, Any] | None,
            seconds: float, call: Callable[[str], Any]) -> tuple[Any, float]:
        """Run checked code in a script process.

        Args:
            mode: ``"eval"`` or ``"exec"``.
            source: the code (checked again by the process).
            variables: the variables it sees (values of the variable domain).
            external: further names (SpiffWorkflow's external context), or None.
            seconds: the wall-clock time it may take.
            call: answers the process's calls of ``now``, ``today`` and ``new_id``.

        Returns:
            ``(result, seconds used)``: the expression's value, or for a script
            ``{"set": {...}, "deleted": [...]}``.

        Raises:
            ScriptFailed: timeout, memory, crash, or the code's own error.
        """
        if seconds <= 0:
            raise ScriptFailed("timeout", self._timeout_message())
        request = {"mode": mode, "source": source, "vars": variables, "ext": external or None,
                   "max_steps": self.limits.max_steps, "cpu": seconds,
                   "max_variable_bytes": self.limits.max_variable_bytes}
        try:
            frame = wire.encode(request)
        except TypeError as exc:
            raise ScriptFailed("value", str(exc)) from None
        process = self._acquire()
        started = time.monotonic()  # a process being started is not the script's time
        deadline = started + seconds
        try:
            process.send(frame, deadline)
            reply = process.receive(deadline)
            while "call" in reply:
                try:
                    answer = {"value": call(reply["call"])}
                except Exception as exc:  # an unknown function, or a replay that diverged
                    answer = {"error": str(exc)}
                    process.send(wire.encode(answer), deadline)
                    raise
                process.send(wire.encode(answer), deadline)
                reply = process.receive(deadline)
        except TimeoutError:
            process.kill()
            raise ScriptFailed("timeout", self._timeout_message()) from None
        except (EOFError, OSError, ValueError) as exc:
            detail = process.exit_description()
            process.kill()
            kind = "memory" if "memory" in detail else "crashed"
            raise ScriptFailed(kind, self._memory_message() if kind == "memory"
                               else f"the script process stopped: {detail}") from exc
        except BaseException:
            process.kill()
            raise
        used = time.monotonic() - started
        error = reply.get("error")
        if error is not None and error.get("kind") == "memory":
            process.kill()
            raise ScriptFailed("memory", self._memory_message())
        self._release(process)
        if error is not None:
            raise ScriptFailed(error.get("kind", "exception"), error.get("message", ""), error)
        if "bpmn_error" in reply:
            raise ScriptFailed("bpmn_error", reply["bpmn_error"]["code"], reply["bpmn_error"])
        return reply["ok"], used

    def _timeout_message(self) -> str:
        return (f"the scripts of this command ran longer than {self.limits.timeout_seconds:g} s "
                "(DIWAN_SCRIPT_TIMEOUT_SECONDS) and were stopped")

    def _memory_message(self) -> str:
        return f"the script ran out of memory (a script process may use {self.limits.memory_mb} MB, DIWAN_SCRIPT_MEMORY_MB)"

    def _acquire(self) -> _Process:
        with self._lock:
            if self._pid != os.getpid():  # forked: the parent's processes are not ours
                self._idle, self._pid = [], os.getpid()
            while self._idle:
                process = self._idle.pop()
                if process.proc.poll() is None:
                    return process
                process.close()
            self.started += 1
        return _Process(self.limits)

    def _release(self, process: _Process) -> None:
        process.uses += 1
        if process.uses >= MAX_USES:
            process.close()
            return
        with self._lock:
            if self._pid == os.getpid():
                self._idle.append(process)
                return
        process.close()

    def close(self) -> None:
        """Stop the idle processes (busy ones stop when their request ends)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for process in idle:
            process.close()


_hosts: dict[ScriptLimits, ScriptHost] = {}
_hosts_lock = threading.Lock()


def shared_host(limits: ScriptLimits | None = None) -> ScriptHost:
    """The process-wide host for these limits."""
    limits = limits or ScriptLimits()
    with _hosts_lock:
        host = _hosts.get(limits)
        if host is None:
            host = _hosts[limits] = ScriptHost(limits)
        return host


def _close_all() -> None:
    for host in list(_hosts.values()):
        host.close()


atexit.register(_close_all)
