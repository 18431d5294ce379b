"""`diwan serve` as a real process for the tests that need real gunicorn: started on a free port,
ready once /healthz answers, stopped at the end."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def diwan_serve(database_url: str, log_path: Path, *, deploy: bool = False, ready_seconds: float = 60,
                **settings: str) -> Iterator[int]:
    """Run `diwan serve` (no timer worker, one gunicorn worker unless `settings` say otherwise:
    `DIWAN_<NAME>` for each `NAME=value`) until the block ends; yields its port once /healthz
    answers. Its output is appended to `log_path`, shown when it dies or never gets ready."""
    port = free_port()
    env = {**os.environ, "DIWAN_DATABASE_URL": database_url, "DIWAN_WORKER": "off", "DIWAN_WORKERS": "1",
           "DIWAN_SECRET_KEY": "test-secret", "DIWAN_LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT),
           **{f"DIWAN_{name}": value for name, value in settings.items()}}
    args = [sys.executable, "-m", "api.cli", "serve", "--port", str(port)] + ([] if deploy else ["--no-deploy"])
    with log_path.open("a") as log:
        process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + ready_seconds
            while True:
                assert process.poll() is None, log_path.read_text()
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as answer:
                        if answer.status == 200:
                            break
                except OSError:
                    pass
                assert time.monotonic() < deadline, log_path.read_text()
                time.sleep(0.2)
            yield port
        finally:
            process.terminate()
            process.wait(30)
