"""The `diwan` command line: thin wrappers over the engine and the app."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from engine import DiwanError, Engine, InvalidDefinition

ROOT = Path(__file__).resolve().parent.parent


def _engine() -> Engine:
    return Engine()


def _collect(paths) -> list[Path]:
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            files += sorted(f for f in p.rglob("*") if f.suffix in (".bpmn", ".dmn", ".form"))
        elif p.exists():
            files.append(p)
        else:
            raise click.BadParameter(f"{p} does not exist")
    return files


def deploy_paths(engine: Engine, paths, only_new: bool = False) -> None:
    files = _collect(paths)
    if not files:
        click.echo("nothing to deploy")
        return
    try:
        result = engine.deploy(files, only_new=only_new)
    except InvalidDefinition as exc:
        click.echo("deployment refused:", err=True)
        for p in exc.errors:
            click.echo(f"  {p['file'] or '-'}: {p['element'] or '-'}: {p['message']}", err=True)
        sys.exit(1)
    for kind, items in (("process", result.definitions), ("decision", result.decisions), ("form", result.forms)):
        for d in items:
            click.echo(f"{kind} {d['key']} v{d['version']}{STATUS_NOTES[d['status']]}")


STATUS_NOTES = {
    "new": "",
    "unchanged": " (unchanged)",
    "older": " (the content of an older version: the current version stays; "
             "`diwan definitions republish` makes an old version current)",
    "kept": " (already deployed: left as it is)",
}


def deploy_bundled(engine: Engine) -> None:
    """Deploy the bundled processes/bpmn and forms whose keys were never deployed (a key that
    has any version, from the disk or from a designer, is left alone)."""
    bundled = [p for p in (ROOT / "processes" / "bpmn", ROOT / "forms") if p.is_dir()]
    if _collect(bundled):
        deploy_paths(engine, bundled, only_new=True)


@click.group()
def main() -> None:
    """diwan: BPMN workflows for public administration."""


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Upgrade the database schema to the latest version."""
    engine = _engine()
    engine.upgrade_schema()
    click.echo("database schema is up to date")


@main.command()
@click.argument("paths", nargs=-1, required=True)
def deploy(paths) -> None:
    """Deploy BPMN, DMN and form files (files or folders), all or nothing."""
    engine = _engine()
    engine.upgrade_schema()
    deploy_paths(engine, paths)


@main.command()
@click.option("--drain", is_flag=True, help="Fire what is due, deliver what is pending, then exit.")
def worker(drain: bool) -> None:
    """Run the timer and outbox worker (any number may run against one database)."""
    import signal
    import threading

    from engine.workers.scheduler import WorkerService

    engine = _engine()
    engine.upgrade_schema()
    service = WorkerService(engine)
    if drain:
        click.echo(f"done: {service.run_once()}")
        return
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    service.start()
    click.echo(f"worker {service.timers.owner} running")
    stop.wait()
    service.stop()


@main.group()
def users() -> None:
    """Users, roles and groups."""


@users.command("create")
@click.argument("name")
@click.option("--password", required=True, help="At least 8 characters.")
@click.option("--role", "roles", multiple=True, required=True,
              type=click.Choice(["admin", "designer", "clerk", "auditor", "worker", "supervisor"]), help="Repeatable.")
@click.option("--group", "groups", multiple=True, help="Repeatable.")
def users_create(name: str, password: str, roles, groups) -> None:
    """Create a user (the first admin comes from here)."""
    from engine.identity import UserStore

    engine = _engine()
    engine.upgrade_schema()
    try:
        user = UserStore(engine.db).create_user(name, password, roles, groups)
    except DiwanError as exc:
        click.echo(f"refused: {exc.message}", err=True)
        for field, messages in (exc.errors or {}).items():
            click.echo(f"  {field}: {' '.join(messages)}", err=True)
        sys.exit(1)
    finally:
        engine.dispose()
    click.echo(f"user {user.username} created: roles {', '.join(user.roles)}"
               + (f"; groups {', '.join(user.groups)}" if user.groups else ""))


@main.group()
def instances() -> None:
    """Process instances (administration)."""


@instances.command("migrate")
@click.argument("key")
@click.option("--to", "to_version", type=int, required=True, help="The target version.")
@click.option("--from", "from_version", type=int, help="Only the instances on this version.")
@click.option("--instance", "instance_ids", multiple=True, help="An instance id (repeatable; default: every live one).")
@click.option("--map", "mappings", multiple=True, help="OLD=NEW: an element id renamed in the target (repeatable).")
@click.option("--dry-run", is_flag=True, help="Say what would happen, change nothing.")
def instances_migrate(key, to_version, from_version, instance_ids, mappings, dry_run) -> None:
    """Move live instances of a process to another version, all or nothing (each one's history records it)."""
    mapping = {}
    for item in mappings:
        old, sep, new = item.partition("=")
        if not sep or not old or not new:
            raise click.BadParameter(f"{item!r}: give OLD=NEW", param_hint="--map")
        mapping[old] = new
    engine = _engine()
    engine.upgrade_schema()
    try:
        result = engine.migrate_instances(key, to_version, instance_ids=instance_ids, from_version=from_version,
                                          mapping=mapping, dry_run=dry_run)
    except DiwanError as exc:
        click.echo(f"refused: {exc.message}", err=True)
        for instance_id, reasons in (exc.errors or {}).items() if isinstance(exc.errors, dict) else ():
            click.echo(f"  {instance_id}: {' '.join(reasons)}", err=True)
        sys.exit(1)
    finally:
        engine.dispose()
    for item in result["instances"]:
        state = "ok" if item["ok"] else f"cannot move: {item.get('reason')}"
        click.echo(f"{item['instance_id']} ({item['business_key'] or '-'}) v{item['from_version']}: {state}")
    click.echo(("dry run: " if dry_run else "") + f"{len(result['instances'])} instance(s), "
               f"{result['migrated']} migrated to v{to_version}")


@main.group()
def groups() -> None:
    """Groups and their display names."""


@groups.command("set")
@click.argument("name")
@click.option("--label", required=True, help="The display name pages show (e.g. \"Bureau d'ordre\").")
def groups_set(name: str, label: str) -> None:
    """Create a group or change its display name (recorded in the admin log)."""
    engine = _engine()
    engine.upgrade_schema()
    try:
        engine.save_group(name, label)
    except DiwanError as exc:
        click.echo(f"refused: {exc.message}", err=True)
        sys.exit(1)
    finally:
        engine.dispose()
    click.echo(f"group {name}: {label}")


@main.command()
@click.option("--if-empty", is_flag=True, help="Do nothing (and succeed) when the database has instances.")
def demo(if_empty: bool) -> None:
    """Create demo users (every group and role) and instances of each process (demo only)."""
    from engine.demo import DEMO_PASSWORD, DEMO_USERS, create_demo
    from engine.identity import UserStore

    engine = _engine()
    engine.upgrade_schema()
    if engine.list_instances(per_page=1).total:
        if if_empty:
            click.echo("demo: the database already has instances, nothing to do")
            return
        click.echo("refused: the database already has instances (the demo only runs on a fresh database)", err=True)
        sys.exit(1)
    deploy_bundled(engine)
    created = create_demo(engine, UserStore(engine.db))
    for key, count in created.items():
        click.echo(f"demo: {count} instance(s) of {key}")
    click.echo(f"demo users (password {DEMO_PASSWORD}): " + ", ".join(u for u, _, _ in DEMO_USERS))


@main.group()
def audit() -> None:
    """Verify instance histories; sign and export checkpoints of them."""


@audit.command("verify")
@click.option("--all", "everything", is_flag=True, help="Verify every instance.")
@click.option("--instance", "instance_ids", multiple=True, help="An instance id (repeatable).")
@click.option("--anchor", "anchor_file", type=click.Path(exists=True, dir_okay=False),
              help="A checkpoint exported by `diwan audit anchor` and held outside: the database must still hold it.")
def audit_verify(everything: bool, instance_ids, anchor_file: str | None) -> None:
    """Verify each instance (hash chain, head, latest signed checkpoint, replay, stored
    projections) and the checkpoints themselves; exit 1 on any failure."""
    import json

    if not everything and not instance_ids:
        raise click.UsageError("give --all or --instance ID")
    anchor = None
    if anchor_file:
        try:
            anchor = json.loads(Path(anchor_file).read_text())
        except ValueError as exc:
            raise click.BadParameter(f"{anchor_file} is not JSON: {exc}", param_hint="--anchor") from None
    engine = _engine()
    if everything:
        instance_ids, page = [], 1
        while True:
            batch = engine.list_instances(page=page, per_page=500)
            instance_ids += [i.id for i in batch.items]
            if page * 500 >= batch.total:
                break
            page += 1
    failures, coverage = 0, {}
    checkpoints = engine.checkpoint_verifier()
    for instance_id in instance_ids:
        try:
            result = engine.verify(instance_id, checkpoints)
        except DiwanError as exc:
            click.echo(f"{instance_id}: {exc.message}", err=True)
            failures += 1
            continue
        status = result["checkpoint"]["status"]
        coverage[status] = coverage.get(status, 0) + 1
        if not result["ok"]:
            failures += 1
            click.echo(f"FAIL {instance_id}: chain_ok={result['chain_ok']} replay_ok={result['replay_ok']} "
                       f"projections_ok={result['projections_ok']} first_bad_seq={result['first_bad_seq']}: "
                       f"{result['detail']}")
            for f in result["findings"]:
                click.echo(f"  {f['kind']} {f['subject']}: stored {_short(f['stored'])}, expected "
                           f"{_short(f['expected'])} ({f['detail']})")
    problems = engine.verify_checkpoints(anchor)
    for problem in problems:
        click.echo(f"FAIL checkpoints: {problem}")
    click.echo(f"verified {len(instance_ids)} instance(s): {len(instance_ids) - failures} ok, {failures} failed")
    latest = engine.latest_checkpoint()
    if not latest["enabled"]:
        click.echo(latest["detail"])
    elif latest["checkpoint"] is None:
        click.echo("no checkpoint yet: `diwan audit checkpoint` makes one")
    else:
        click.echo(f"checkpoint {latest['checkpoint']['seq']} of {latest['checkpoint']['at']}: "
                   + ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in sorted(coverage.items())))
    if failures or problems:
        sys.exit(1)


def _short(value) -> str:
    import json

    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 200 else text[:197] + "..."


@audit.command("checkpoint")
def audit_checkpoint() -> None:
    """Sign every instance's chain head now (a Merkle root, Ed25519) and print the checkpoint (JSON)."""
    import json

    from engine.audit.signing import KeyUnavailable

    engine = _engine()
    try:
        made = engine.checkpoint()
    except KeyUnavailable as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    if made is None:
        latest = engine.latest_checkpoint()["checkpoint"]
        click.echo(f"no chain head changed since checkpoint {latest['seq']}" if latest else "no instance to sign")
        return
    click.echo(json.dumps(made, indent=2))


@audit.command("anchor")
@click.option("--leaves", is_flag=True, help="Include every signed head (to recompute the root).")
def audit_anchor(leaves: bool) -> None:
    """Print the latest signed checkpoint with the public key (JSON), for a third party to hold."""
    import json

    try:
        anchor = _engine().anchor(with_leaves=leaves)
    except DiwanError as exc:
        click.echo(exc.message, err=True)
        sys.exit(1)
    click.echo(json.dumps(anchor, indent=2))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--deploy/--no-deploy", "bundled", default=True, show_default=True,
              help="Deploy the bundled processes/bpmn and forms whose keys were never deployed "
                   "(never over what is deployed).")
def serve(host: str, port: int, bundled: bool) -> None:
    """Upgrade the schema and serve the app with gunicorn (`DIWAN_WORKERS`, `DIWAN_REQUEST_TIMEOUT_SECONDS`)."""
    import os

    engine = _engine()
    engine.upgrade_schema()
    if bundled:
        deploy_bundled(engine)
    engine.dispose()
    from .serving import DiwanServer

    worker_process = None
    if os.environ.get("DIWAN_WORKER", "on").lower() != "off":
        # The timer and outbox worker runs beside gunicorn, as its own process (the same
        # code as `diwan worker`; several servers on one PostgreSQL share the work safely).
        import subprocess
        import sys

        worker_process = subprocess.Popen([sys.executable, "-m", "api.cli", "worker"])
    try:
        DiwanServer(host, port).run()
    finally:
        if worker_process is not None:
            worker_process.terminate()
            worker_process.wait(30)


if __name__ == "__main__":  # pragma: no cover
    main()
