"""The script process: runs designer code the engine cannot bound, under hard limits.

Started by script_host.py as ``python -I -c BOOTSTRAP`` with the paths of this module,
the sandbox, the value domain and the wire format; it loads them by path (not through
the engine package, which would import the database layer and SpiffWorkflow) and serves
one request at a time on its standard input and output until the engine closes the pipe.

Each request is checked and compiled again (sandbox.compile_code: a request is never
trusted to be checked), runs over fresh globals (a fresh ``BpmnError`` class each time:
nothing a script touches outlives its evaluation), under the sandbox's step budget and a
CPU-time limit, in a process whose address space is limited (RLIMIT_AS), which may not
write files (RLIMIT_FSIZE 0) or open more than a few descriptors. The engine kills the
process when a request outlasts its time; after running out of memory it exits by itself.
The results are checked against the variable domain here, so what travels back is data.
"""
from __future__ import annotations

import os
import resource
import sys
import traceback
from types import ModuleType
from typing import Any

SCRIPT_FILENAME = "<script>"


class _Pipe:
    def __init__(self, wire: ModuleType):
        self.wire = wire

    def read(self) -> dict | None:
        body = self.read_body()
        return None if body is None else self.wire.decode(body)

    def read_body(self) -> bytes | None:
        header = self._exactly(self.wire.HEADER.size)
        if header is None:
            return None
        (size,) = self.wire.HEADER.unpack(header)
        return self._exactly(size)

    def write(self, message: dict) -> None:
        data = memoryview(self.wire.encode(message))
        while data:
            written = os.write(1, data)
            data = data[written:]

    @staticmethod
    def _exactly(size: int) -> bytes | None:
        chunks, left = [], size
        while left:
            chunk = os.read(0, min(left, 1 << 20))
            if not chunk:
                return None
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)


def _limit(memory_bytes: int) -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NOFILE, (16, 16))
    if memory_bytes > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))


def _cpu_limit(seconds: float) -> None:
    """The CPU time this process may still use: what it used so far plus `seconds` (a backstop
    for the engine's own timeout, should the engine itself be gone)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    soft = int(usage.ru_utime + usage.ru_stime + seconds) + 1
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def _script_line(exc: BaseException) -> int | None:
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == SCRIPT_FILENAME:
            line = frame.lineno
    return line


class _Server:
    def __init__(self, sandbox: ModuleType, values: ModuleType, wire: ModuleType):
        self.sandbox, self.values, self.wire = sandbox, values, wire
        self.pipe = _Pipe(wire)

    def call(self, fn: str) -> Any:
        """One of the engine's recorded functions: asked of the engine, which records it."""
        self.pipe.write({"call": fn})
        reply = self.pipe.read()
        if reply is None:
            os._exit(0)
        if "error" in reply:
            raise RuntimeError(reply["error"])
        return reply["value"]

    def functions(self) -> dict[str, Any]:
        call = self.call

        def now():
            return call("now")

        def today():
            return call("today")

        def new_id():
            return call("new_id")

        class BpmnError(Exception):
            """Raised by a script to throw a BPMN error, caught by error boundary events by its code."""

            def __init__(self, code, message=None):
                super().__init__(message or code)
                self.code = str(code)
                self.message = message

        return {"now": now, "today": today, "new_id": new_id, "BpmnError": BpmnError}

    def run(self, request: dict, pristine: dict) -> dict:
        sandbox, values = self.sandbox, self.values
        mode = request["mode"]
        _cpu_limit(request.get("cpu", 10.0))
        try:
            code = sandbox.compile_code(request["source"], mode)
        except sandbox.UnsafeCode as exc:
            return {"error": {"kind": "unsafe", "message": str(exc)}}
        functions = self.functions()
        bpmn_error = functions["BpmnError"]
        env = sandbox.script_globals(functions)
        external = request.get("ext") or {}
        reserved = set(env) | set(external)
        env.update(request["vars"])
        env.update(external)
        limits = values.ValueLimits(max_variable_bytes=request.get("max_variable_bytes", 512 * 1024))
        try:
            result = sandbox.run_with_budget(eval if mode == "eval" else exec, code, env,
                                             max_steps=request.get("max_steps", 1_000_000))
        except bpmn_error as err:
            return {"bpmn_error": {"code": err.code, "message": None if err.message is None else str(err.message)}}
        except sandbox.BudgetExceeded as exc:
            return {"error": {"kind": "budget", "message": str(exc)}}
        except MemoryError:
            raise
        except RecursionError as exc:
            return {"error": {"kind": "exception", "type": "RecursionError", "message": str(exc),
                              "line": _script_line(exc)}}
        except Exception as exc:
            return {"error": {"kind": "exception", "type": type(exc).__name__, "message": str(exc)[:2000],
                              "line": _script_line(exc)}}
        try:
            if mode == "eval":
                value = values.check_value(result, "the value", budget=[2 * limits.max_variable_bytes])
                return {"ok": value}
            after = {k: v for k, v in env.items()
                     if k not in reserved and not k.startswith("__") and not callable(v) and not isinstance(v, ModuleType)}
            changed = {k: v for k, v in after.items() if k not in pristine or pristine[k] != v}
            changed = values.check_variables(changed, limits)
            deleted = [k for k in pristine if k not in after]
            return {"ok": {"set": changed, "deleted": deleted}}
        except values.InvalidValue as exc:
            return {"error": {"kind": "value", "path": exc.path, "message": exc.reason}}

    def serve(self) -> None:
        while True:
            body = self.pipe.read_body()
            if body is None:
                return
            try:
                request = self.wire.decode(body)
                # a script may change values in place: what it changed is found against a copy
                pristine = self.wire.decode(body)["vars"] if request.get("mode") == "exec" else {}
                reply = self.run(request, pristine)
                self.pipe.write(reply)
            except MemoryError:
                self._out_of_memory()
            except Exception as exc:  # an answer that could not be encoded, say
                try:
                    self.pipe.write({"error": {"kind": "exception", "type": type(exc).__name__,
                                               "message": str(exc)[:2000]}})
                except MemoryError:
                    self._out_of_memory()

    def _out_of_memory(self) -> None:
        try:
            self.pipe.write({"error": {"kind": "memory"}})
        finally:
            os._exit(3)  # a heap that ran out is not reused


def main(sandbox: ModuleType, values: ModuleType, wire: ModuleType, memory_bytes: int) -> None:
    _limit(memory_bytes)
    sys.setrecursionlimit(400)  # far below what the C stack takes, however deep a script recurses
    server = _Server(sandbox, values, wire)
    server.pipe.write({"ready": True})  # started: from here on, the engine counts the scripts' time
    server.serve()
