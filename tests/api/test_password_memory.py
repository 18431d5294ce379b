"""A correct password is never "wrong" because argon2 could not get its memory: that is a
503 `unavailable`. Run for real in a child process whose address space (RLIMIT_AS) cannot
hold what the stored hash's parameters ask argon2 for."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHILD = r"""
import json, re, resource, sys

from api import create_app
from engine import Engine, EngineSettings
from engine.db import users
import sqlalchemy as sa

url, password = sys.argv[1], sys.argv[2]
engine = Engine(settings=EngineSettings(database_url=url))
app = create_app({"TESTING": True, "SECRET_KEY": "s", "PASSWORD_PROFILE": "CHEAPEST", "LOG_LEVEL": "ERROR"},
                 engine=engine)
store = app.extensions["diwan.users"]
store.create_user("karim", password, ["clerk"])
store.create_user("amina", password, ["clerk"])
# amina's stored hash asks argon2 for 1 GiB (m=1048576 KiB): a real hash, from a server
# configured with a heavier profile, that this process cannot afford right now.
heavy = "$argon2id$v=19$m=1048576,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$" + "A" * 43
with engine.db.begin() as conn:
    conn.execute(sa.update(users.user_account).where(users.user_account.c.username == "amina")
                 .values(password_hash=heavy))
client = app.test_client()
login = lambda name, pw=password: client.post("/api/v1/auth/token", json={"username": name, "password": pw})
assert login("karim").status_code == 200  # warm: every import and connection made before the limit
size = int(re.search(r"VmSize:\s+(\d+) kB", open("/proc/self/status").read()).group(1)) * 1024
resource.setrlimit(resource.RLIMIT_AS, (size + 256 * 1024 * 1024, resource.RLIM_INFINITY))
out = {}
for name, pw in (("karim", password), ("karim", "wrong password"), ("amina", password)):
    r = login(name, pw)
    out[f"{name}:{pw == password}"] = [r.status_code, r.get_json(), r.headers.get("Retry-After")]
print(json.dumps(out))
"""


def test_login__argon2_out_of_memory_is_503_never_a_wrong_password(database_url):
    password = "correct horse battery"
    child = subprocess.run([sys.executable, "-c", CHILD, database_url, password], cwd=ROOT, capture_output=True,
                           text=True, timeout=120, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert child.returncode == 0, child.stderr[-3000:]
    out = json.loads(child.stdout.strip().splitlines()[-1])
    assert out["karim:True"][0] == 200  # under the same limit, an affordable hash verifies
    assert out["karim:False"][0] == 401
    status, body, retry_after = out["amina:True"]
    assert status == 503, out
    assert body["code"] == "unavailable" and "Memory allocation error" in body["message"]
    assert int(retry_after) >= 1
