"""The inbox and task search at a million task rows, on PostgreSQL.

Fills a fresh database (COPY) with 100,000 instances of five processes, 1,000,000 task rows of
which 100,000 are open, each offered to one of 30 groups (a tenth of them also to a user), a
third of the open ones claimed, half with a due date; then asks, as a clerk in 3 groups, 300
times each: the inbox (first page, and page 5), the overdue inbox, the inbox of one process, of
one group, and the clerk's claimed tasks. Prints p50/p95 per query; last line `inbox p95: N ms`
(the worst p95).

Usage: .venv/bin/python bench/inbox_scale.py [--pg postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
       [--tasks 1000000] [--open 100000]
"""
from __future__ import annotations

import argparse
import io
import random
import statistics
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from engine import Engine, EngineSettings  # noqa: E402

GROUPS = [f"group_{i:02d}" for i in range(30)]
CLERK_GROUPS = GROUPS[:3]
KEYS = ["complaint", "labelling", "grant", "returnee", "crisis"]
RUNS = 300
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=timezone.utc)


def _copy(conn, table: str, columns: list[str], rows) -> None:
    with conn.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def fill(url: str, n_tasks: int, n_open: int) -> None:
    rnd = random.Random(7)
    n_instances = n_open  # one open task per instance, the rest ended
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=False) as conn:
        cur = conn.cursor()
        dep = str(uuid.uuid4())
        cur.execute("INSERT INTO deployment (id, deployed_at, deployed_by) VALUES (%s, %s, 'bench')", (dep, NOW))
        definitions = {}
        for key in KEYS:
            definitions[key] = str(uuid.uuid4())
            cur.execute("INSERT INTO definition (id, kind, key, version, name, filename, content_hash, source, meta, "
                        "deployment_id, deployed_at) VALUES (%s, 'process', %s, 1, %s, %s, %s, '', '{}', %s, %s)",
                        (definitions[key], key, key, f"{key}.bpmn", key * 2, dep, NOW))
        instances = [str(uuid.uuid4()) for _ in range(n_instances)]
        inst_key = [KEYS[i % len(KEYS)] for i in range(n_instances)]
        _copy(conn, "instance", ["id", "definition_id", "definition_key", "definition_version", "business_key",
                                 "status", "bindings", "data", "active_elements", "state", "version", "last_seq",
                                 "last_hash", "started_by", "created_at"],
              ((iid, definitions[k], k, 1, f"REF-{i:07d}", "running", "{}", "{}", "[]", "{}", 1, 0, "0" * 64,
                "bench", NOW - timedelta(days=30)) for i, (iid, k) in enumerate(zip(instances, inst_key))))
        task_cols = ["id", "instance_id", "definition_key", "element_id", "name", "lane", "candidate_groups",
                     "candidate_users", "assignee", "form_key", "priority", "due_at", "state", "created_at",
                     "claimed_at", "completed_at", "completed_by"]
        candidates: list[tuple] = []

        def tasks():
            for n in range(n_tasks):
                i = n % n_instances
                is_open = n < n_open
                tid = str(uuid.uuid4())
                group = GROUPS[rnd.randrange(len(GROUPS))]
                user = f"clerk_{rnd.randrange(200)}" if rnd.random() < 0.1 else None
                assignee = (user or f"clerk_{rnd.randrange(200)}") if rnd.random() < 0.33 else None
                due = NOW + timedelta(hours=rnd.randrange(-240, 480)) if rnd.random() < 0.5 else None
                created = NOW - timedelta(minutes=rnd.randrange(60 * 24 * 60))
                # As the engine writes them: on offer while ready and unclaimed, with the sort keys.
                offered = is_open and assignee is None
                candidates.append((tid, "group", group, offered, inst_key[i], due, created))
                if user:
                    candidates.append((tid, "user", user, offered, inst_key[i], due, created))
                yield (tid, instances[i], inst_key[i], f"step_{n % 7}", f"Étape {n % 7}", group,
                       f'["{group}"]', f'["{user}"]' if user else "[]", assignee, None, None, due,
                       "ready" if is_open else "completed", created, created if assignee else None,
                       None if is_open else created + timedelta(hours=1), None if is_open else "bench")
        _copy(conn, "task", task_cols, tasks())
        _copy(conn, "task_candidate", ["task_id", "kind", "name", "offered", "definition_key", "due_at", "created_at"],
              candidates)
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--tasks", type=int, default=1_000_000)
    parser.add_argument("--open", type=int, default=100_000)
    parser.add_argument("--keep", metavar="NAME", help="fill (once) and keep this database instead of a fresh one")
    args = parser.parse_args()
    name = args.keep or f"diwan_inbox_{int(time.time())}"
    admin = sa.create_engine(args.pg, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        exists = c.exec_driver_sql("SELECT 1 FROM pg_database WHERE datname = %(n)s", {"n": name}).first()
        if not exists:
            c.exec_driver_sql(f"CREATE DATABASE {name}")
    url = args.pg.rsplit("/", 1)[0] + "/" + name
    try:
        engine = Engine(settings=EngineSettings(database_url=url))
        engine.upgrade_schema()
        if not exists:
            t0 = time.perf_counter()
            fill(url, args.tasks, args.open)
            print(f"filled {args.tasks:,} task rows ({args.open:,} open) in {time.perf_counter() - t0:.0f} s",
                  flush=True)
        clerk = "clerk_7"
        queries = {
            "inbox, first page": dict(user=clerk, groups=CLERK_GROUPS),
            "inbox, page 5": dict(user=clerk, groups=CLERK_GROUPS, page=5),
            "inbox, overdue": dict(user=clerk, groups=CLERK_GROUPS, overdue=True),
            "inbox, one process": dict(user=clerk, groups=CLERK_GROUPS, definition_key="grant"),
            "inbox, one group": dict(user=clerk, groups=CLERK_GROUPS, candidate_group=CLERK_GROUPS[1]),
            "claimed by me": dict(user=clerk, groups=CLERK_GROUPS, assigned_to_me=True),
        }
        worst = 0.0
        for label, kwargs in queries.items():
            engine.list_tasks(**kwargs)  # warm
            times = []
            for _ in range(RUNS):
                t0 = time.perf_counter()
                result = engine.list_tasks(**kwargs)
                times.append(time.perf_counter() - t0)
            p95 = statistics.quantiles(times, n=20)[-1] * 1000
            worst = max(worst, p95)
            print(f"{label:<20} total {result.total:>6}: p50 {statistics.median(times) * 1000:.1f} ms, "
                  f"p95 {p95:.1f} ms", flush=True)
        engine.dispose()
        print(f"inbox p95: {worst:.1f} ms")
    finally:
        if not args.keep:
            with admin.connect() as c:
                c.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


if __name__ == "__main__":
    main()
