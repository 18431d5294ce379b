"""Instance migration between versions of a process: a batch, all or nothing, after a dry run
that lists, per instance, the elements of its state the target version does not have.

An instance's stored state names its tasks' specs by BPMN id; it moves to another version
when every one of those ids (after the optional `mapping` old id -> new id) exists there.
Its row takes the target's definition id, version and current bindings (decisions, forms,
called processes), and its chain gets `instance_migrated`, which replay follows."""
from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import orjson

from ..db import definitions, instance_tasks, instances, tasks
from ..errors import InvalidData, NotFound
from ..runtime import workflow_state
from ..runtime.workflow_run import WorkflowRun
from .base import Command, CommandContext, handles
from .instance_store import add_event, load, save

MIGRATABLE = ("running", "suspended", "failed")
MAX_BATCH = 1000


@dataclass(frozen=True)
class MigrateInstances(Command[dict]):
    """Move instances of process `key` to version `to_version` (or say what stops them)."""

    key: str = ""
    to_version: int = 0
    instance_ids: tuple[str, ...] = ()  # empty: every live instance on another version (or on `from_version`)
    from_version: int | None = None
    mapping: dict[str, str] = field(default_factory=dict)  # element ids renamed in the target
    dry_run: bool = False


@handles(MigrateInstances)
def migrate_instances(cmd: MigrateInstances, ctx: CommandContext) -> dict:
    """Returns {"dry_run", "to_version", "instances": [{"instance_id", "business_key",
    "from_version", "ok", "unmapped"}], "migrated"}.

    Raises NotFound (process or version), InvalidData (an instance that cannot map, of
    another process, ended or already there: nothing is migrated).
    """
    engine, conn = ctx.engine, ctx.conn
    target = definitions.by_version(conn, "process", cmd.key, cmd.to_version)
    if target is None:
        raise NotFound(f"process {cmd.key!r} has no version {cmd.to_version}")
    bindings = engine._bindings(conn, target)
    built = engine._built_spec(conn, target.id, bindings)
    heads = _candidates(ctx, cmd)
    report, problems = [], {}
    for head in heads:
        entry = {"instance_id": head.id, "business_key": head.business_key, "from_version": head.definition_version,
                 "ok": True, "unmapped": []}
        why = _refusal(cmd, head)
        if why is None:
            stored = workflow_state.assemble(instances.state(conn, head.id).state, instance_tasks.rows(conn, head.id))
            entry["unmapped"] = sorted(_unmapped(stored, built, cmd.mapping))
            if entry["unmapped"]:
                why = f"the target version has no element {', '.join(entry['unmapped'])}"
        if why is not None:
            entry["ok"], entry["reason"] = False, why
            problems[head.id] = [why]
        report.append(entry)
    result = {"dry_run": cmd.dry_run, "to_version": cmd.to_version, "instances": report, "migrated": 0}
    if cmd.dry_run:
        return result
    if problems:
        raise InvalidData(f"{len(problems)} instance(s) cannot move to v{cmd.to_version}: nothing was migrated",
                          errors=problems)
    for head in heads:
        _migrate_one(ctx, cmd, head, target, bindings, built)
    result["migrated"] = len(heads)
    return result


def _candidates(ctx: CommandContext, cmd: MigrateInstances) -> list:
    conn = ctx.conn
    if cmd.instance_ids:
        heads = []
        for instance_id in dict.fromkeys(cmd.instance_ids):
            head = instances.head(conn, instance_id)
            if head is None:
                raise NotFound(f"instance {instance_id} not found")
            heads.append(head)
    else:
        ids = []
        for status in MIGRATABLE:
            page, _ = instances.page(conn, definition_key=cmd.key, status=status, per_page=MAX_BATCH + 1)
            ids += [r.id for r in page if r.definition_version != cmd.to_version
                    and (cmd.from_version is None or r.definition_version == cmd.from_version)]
        heads = [instances.head(conn, i) for i in ids]
    if len(heads) > MAX_BATCH:
        raise InvalidData(f"at most {MAX_BATCH} instances per batch", errors={"instance_ids": [
            f"At most {MAX_BATCH}: give them, or from_version, in smaller batches."]})
    return heads


def _refusal(cmd: MigrateInstances, head) -> str | None:
    if head.definition_key != cmd.key:
        return f"an instance of {head.definition_key!r}, not of {cmd.key!r}"
    if head.status not in MIGRATABLE:
        return f"the instance has ended ({head.status})"
    if head.definition_version == cmd.to_version:
        return f"already on v{cmd.to_version}"
    if cmd.from_version is not None and head.definition_version != cmd.from_version:
        return f"on v{head.definition_version}, not v{cmd.from_version}"
    return None


def _workflows(state: dict):
    """(state dict, spec name or None for the top workflow) of the top workflow and each subprocess."""
    yield state, None
    for sub in (state.get("subprocesses") or {}).values():
        yield sub, sub.get("spec")


def _unmapped(state: dict, built, mapping: dict[str, str]) -> set[str]:
    missing = set()
    for wf, spec_name in _workflows(state):
        spec = built.spec if spec_name is None else built.subprocess_specs.get(mapping.get(spec_name, spec_name))
        if spec is None:
            missing.add(spec_name)
            continue
        for task in wf["tasks"].values():
            name = mapping.get(task["task_spec"], task["task_spec"])
            if name not in spec.task_specs:
                missing.add(task["task_spec"])
    return missing


def renamed_state(state: dict, mapping: dict[str, str]) -> dict:
    """The state with the mapped element ids (tasks' specs, subprocess specs) renamed."""
    if not mapping:
        return state
    for wf, spec_name in _workflows(state):
        if spec_name is not None and spec_name in mapping:
            wf["spec"] = mapping[spec_name]
        for task in wf["tasks"].values():
            task["task_spec"] = mapping.get(task["task_spec"], task["task_spec"])
    return state


def moved_run(run: WorkflowRun, built, mapping: dict[str, str]) -> WorkflowRun:
    """The run restored onto another version's spec (the same tasks, ids and variables)."""
    state = renamed_state(orjson.loads(workflow_state.dump(run.wf)), mapping)
    wf = workflow_state.load(workflow_state.encode(state), built.spec, built.subprocess_specs)
    moved = WorkflowRun(wf, run.variables)
    return moved


def _migrate_one(ctx: CommandContext, cmd: MigrateInstances, head, target, bindings: dict, built) -> None:
    engine, conn = ctx.engine, ctx.conn
    loaded = load(ctx, head.id, head)
    loaded.run.wf.data["variables"] = loaded.run.variables
    run = moved_run(loaded.run, built, cmd.mapping)
    run.attach(engine._script_engine(ctx, head.id, head.business_key), engine.settings.max_steps)
    row: Any = SimpleNamespace(**{k: getattr(head, k) for k in head._fields})
    row.definition_id, row.definition_version = target.id, target.version
    row.bindings = orjson.dumps(bindings).decode()
    loaded.row, loaded.run, loaded.built = row, run, built
    ready = run.project().ready  # names and mapped ids as the new version says (recorded for verify)
    add_event(loaded, "instance_migrated", cmd.actor.username, payload={
        "from_definition_id": head.definition_id, "from_version": head.definition_version,
        "to_definition_id": target.id, "to_version": target.version, "bindings": bindings,
        "mapping": dict(sorted(cmd.mapping.items())),
        "tasks": {tid: {"element_id": t.element_id, "name": t.name} for tid, t in sorted(ready.items())}})
    save(ctx, loaded)
    instances.set_definition(conn, head.id, target.id, target.version, row.bindings)
    for task_id, t in ready.items():
        tasks.rename(conn, task_id, t.element_id, t.name)
