"""Files that hold a secret (the web session key, the audit signing key): written once, mode 0600."""
from __future__ import annotations

import os
from pathlib import Path


def write_once(path: Path, data: bytes) -> None:
    """Create `path` holding `data` (mode 0600) unless another process got there first (then
    theirs is kept): the file is written beside it and linked into place, which fails when
    the name exists."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
