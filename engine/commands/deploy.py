"""Deploy: validate BPMN, DMN and form files together, then store them all or nothing."""
from __future__ import annotations

import logging
from dataclasses import dataclass

import orjson
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException

from ..db import definitions
from ..definitions.constructs import unsupported_constructs
from ..definitions import sameness
from ..definitions.files import DeployedFile, read_file
from ..definitions.highlight import Highlighter, retarget
from ..definitions.spec_cache import build_spec, validation_problem
from ..definitions.transforms import ORIGIN
from ..errors import InvalidDefinition, problem
from ..messages import msg
from ..views import DeploymentView
from .admin_log import record
from .base import Command, CommandContext, handles

MAX_FILES = 200
MAX_FILENAME = 255
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Deploy(Command[DeploymentView]):
    """Deploy files given as (filename, content bytes) pairs."""

    files: tuple[tuple[str, bytes], ...] = ()
    # The bundled definitions (`diwan serve`, `diwan demo`): a key that has any version is
    # left as it is, so what designers published is never replaced by the files on disk.
    only_new: bool = False
    # Validate and say what each definition would become (statuses), storing nothing.
    dry_run: bool = False
    # Re-publish this older version: its bytes make the next version (RepublishVersion, drafts).
    republish_of: int | None = None


@handles(Deploy)
def deploy(cmd: Deploy, ctx: CommandContext) -> DeploymentView:
    """Validate every file, then store new versions of what changed.

    Raises InvalidDefinition (nothing stored) listing every problem with file and element.
    """
    if not cmd.files:
        raise InvalidDefinition([problem(None, None, msg("no files to deploy"))])
    if len(cmd.files) > MAX_FILES:
        raise InvalidDefinition([problem(None, None, msg("at most {limit} files per deployment", limit=MAX_FILES))])
    problems: list[dict] = []
    files: list[DeployedFile] = []
    seen_keys: dict[tuple[str, str], str] = {}
    for filename, content in cmd.files:
        if not filename or len(filename) > MAX_FILENAME or "\x00" in filename:
            problems.append(problem(filename[:MAX_FILENAME] if filename else None, None,
                                    msg("a file name has 1 to {limit} characters, without NUL", limit=MAX_FILENAME)))
            continue
        f, issues = read_file(filename, content, unsupported_constructs)
        problems += issues
        if f is None:
            continue
        for one in (f, *f.generated):  # a diagram's camunda:formData forms come with it
            files.append(one)
            for kind, key in _keys(one):
                if (kind, key) in seen_keys:
                    problems.append(problem(filename, key, (msg("process {key} is also declared in {file}", key=repr(key), file=seen_keys[kind, key]) if kind == "process" else msg("decision {key} is also declared in {file}", key=repr(key), file=seen_keys[kind, key]) if kind == "decision" else msg("form {key} is also declared in {file}", key=repr(key), file=seen_keys[kind, key]))))
                seen_keys[kind, key] = filename
    refused = {(p["file"], p["element"]) for p in problems}
    problems += [p for f in files for p in _check_timer_starts(f) if (p["file"], p["element"]) not in refused]
    # Every problem in one answer: references are resolved even when files have problems; SpiffWorkflow
    # parses the processes once diwan's own checks found none (its parser stops at its first error).
    problems += _check_processes(ctx, files, parse=[] if problems else files)
    if problems:
        raise InvalidDefinition(retarget(problems, {f.filename: f.translated for f in files if f.kind == "bpmn"}))
    return _store(ctx, cmd, files)


def _keys(f: DeployedFile):
    if f.kind == "bpmn":
        return [("process", p.key) for p in f.processes]
    if f.kind == "dmn":
        return [("decision", d) for d, _ in f.decisions]
    return [("form", f.form["id"])]


def _check_processes(ctx: CommandContext, files: list[DeployedFile], parse: list[DeployedFile]) -> list[dict]:
    """Resolve the forms, decisions and calls of every file; parse the processes of `parse` with
    SpiffWorkflow (once every reference resolves) and check their connectors."""
    engine, conn = ctx.engine, ctx.conn
    forms = {f.form["id"] for f in files if f.kind == "form"}
    dmn = [(f.filename, f.translated) for f in files if f.kind == "dmn"]
    decisions = {d for f in files if f.kind == "dmn" for d, _ in f.decisions}
    bpmn = [(f.filename, f.translated) for f in files if f.kind == "bpmn"]
    processes = {p.key for f in files if f.kind == "bpmn" for p in f.processes}
    problems = []
    # References to what is already deployed join the parse.
    for f in files:
        for p in f.processes:
            for ref in sorted(p.decisions - decisions):
                row = definitions.latest(conn, "decision", ref)
                if row is None:
                    problems.append(problem(f.filename, Highlighter(f.translated).referrer("decision", ref) or ref,
                                            msg("decision {ref} is not deployed: deploy its DMN file with this diagram, or correct camunda:decisionRef", ref=repr(ref))))
                else:
                    dmn.append((row.filename, engine._translated(row)))
                    decisions.add(ref)
            for ref in sorted(p.calls - processes):
                row = definitions.latest(conn, "process", ref)
                if row is None:
                    problems.append(problem(f.filename, Highlighter(f.translated).referrer("process", ref) or ref,
                                            msg("called process {ref} is not deployed: deploy it first or with this diagram, or correct calledElement", ref=repr(ref))))
                else:
                    bpmn.append((row.filename, engine._translated(row)))
                    processes.add(ref)
            for key in sorted(p.forms - forms):
                if definitions.latest(conn, "form", key) is None:
                    problems.append(problem(f.filename, _form_user(f, key), msg("form {key} is not deployed: deploy its .form file with this diagram, or correct camunda:formKey", key=repr(key))))
    if problems:
        return problems
    for f in parse:
        for p in f.processes:
            try:
                built = build_spec(p.key, bpmn, dmn)
            except ValidationException as exc:
                problems.append(_designer_element(validation_problem(exc, f.filename), f.translated))
                continue
            except RecursionError:
                problems.append(problem(f.filename, p.key, msg("the process is nested too deeply for SpiffWorkflow's parser: split it into called processes")))
                continue
            except Exception as exc:  # noqa: BLE001 - SpiffWorkflow's parser on a hostile diagram: never a 500
                log.exception("SpiffWorkflow failed to parse %s in %s", p.key, f.filename)
                problems.append(problem(f.filename, p.key, msg("SpiffWorkflow cannot parse the process ({detail})", detail=f"{type(exc).__name__}: {exc}")))
                continue
            problems += _check_spec(engine, f.filename, built)
    return problems


def _form_user(f: DeployedFile, key: str) -> str | None:
    from ..definitions.files import normalize_form_key
    from ..definitions.translate import CAMUNDA

    for node in f.translated.iter():
        if isinstance(node.tag, str) and key in (
            normalize_form_key(node.get(f"{{{CAMUNDA}}}formKey")), normalize_form_key(node.get(f"{{{CAMUNDA}}}formRef"))
        ):
            return node.get("id")
    return None


def _check_timer_starts(f: DeployedFile) -> list[dict]:
    return [problem(f.filename, t["id"], msg("a timer start event needs an ISO 8601 literal (its process has no variables yet when it starts)")) for p in f.processes for t in p.timer_starts if not t["value"]]


def _check_spec(engine, filename: str, built) -> list[dict]:
    from ..runtime.service_task import ConnectorServiceTask

    problems = []
    for spec in [built.spec, *built.subprocess_specs.values()]:
        for task_spec in spec.task_specs.values():
            if isinstance(task_spec, ConnectorServiceTask):
                name = task_spec.connector_name()
                if not name or (name == "external" and not task_spec.topic()):
                    problems.append(problem(filename, task_spec.bpmn_id,
                                            msg("a service task needs camunda:topic (a registered connector, or the topic of an external task)")))
                elif task_spec.is_external(engine.connectors):
                    continue  # an external task: workers fetch it by its topic (README, External tasks)
                elif name not in engine.connectors:
                    problems.append(problem(filename, task_spec.bpmn_id, (msg("no connector named {name} is registered (known: {names})", name=repr(name), names=", ".join(engine.connectors.names())) if engine.connectors.names() else msg("no connector named {name} is registered (known: none)", name=repr(name)))))
    return problems


def _schedule_timer_starts(ctx: CommandContext, definition_id: str, key: str, starts: list[dict]) -> None:
    """A new version's timer start events replace the previous version's schedule."""
    from ..db import timers
    from ..runtime.schedules import occurrence

    rows = []
    for start in starts:
        due = occurrence(start["kind"], start["value"], ctx.now, 0, ctx.engine.tz)
        if due is not None:
            rows.append({"id": ctx.engine.new_id(), "definition_id": definition_id, "definition_key": key,
                         "element_id": start["id"], "kind": start["kind"], "value": start["value"], "occurrence": 0,
                         "origin": ctx.now, "due_at": due, "attempts": 0})
    timers.replace_start_timers(ctx.conn, key, rows)


def _store(ctx: CommandContext, cmd: Deploy, files: list[DeployedFile]) -> DeploymentView:
    engine, conn, now = ctx.engine, ctx.conn, ctx.now
    deployment_id = engine.new_id()
    if not cmd.dry_run:
        definitions.insert_deployment(conn, deployment_id, now, cmd.actor.username)
    out = {"process": [], "decision": [], "form": []}
    for f in files:
        entries = []
        if f.kind == "bpmn":
            entries = [("process", p.key, p.name, p.meta()) for p in f.processes]
        elif f.kind == "dmn":
            entries = [("decision", d, n, {}) for d, n in f.decisions]
        else:
            entries = [("form", f.form["id"], f.form.get("name") or f.form["id"], {})]
        for kind, key, name, meta in entries:
            row_id, version, status = _version_for(ctx, cmd, kind, key, f)
            if status == "new" and not cmd.dry_run:
                row_id = engine.new_id()
                if cmd.republish_of is not None:
                    meta = {**meta, "republished_from": cmd.republish_of}
                definitions.insert_definition(
                    conn, id=row_id, kind=kind, key=key, version=version, name=name, filename=f.filename,
                    content_hash=f.content_hash, source=f.text, meta=orjson.dumps(meta).decode(),
                    deployment_id=deployment_id, deployed_at=now)
                if kind == "process" and not _withdrawn(conn, key):
                    _schedule_timer_starts(ctx, row_id, key, meta.get("timer_starts", []))
            out[kind].append({"id": row_id, "key": key, "name": name, "version": version, "status": status})
    made = [{"kind": kind, "key": e["key"], "version": e["version"]} for kind in out for e in out[kind]
            if e["status"] == "new"]
    if made and not cmd.dry_run:
        record(ctx, "definitions_deployed", f"deployment:{deployment_id}",
               {"deployment_id": deployment_id, "definitions": made}, cmd.actor.username)
    return DeploymentView(
        id=deployment_id,
        definitions=out["process"],
        forms=[{"key": e["key"], "version": e["version"], "status": e["status"]} for e in out["form"]],
        decisions=[{"key": e["key"], "version": e["version"], "status": e["status"]} for e in out["decision"]],
    )


def _withdrawn(conn, key: str) -> bool:
    from ..db import lifecycle

    state = lifecycle.get(conn, "process", key)
    return state is not None and state.withdrawn_at is not None


def _version_for(ctx: CommandContext, cmd: Deploy, kind: str, key: str, f: DeployedFile) -> tuple[str | None, int, str]:
    """(row id, version, status) of one uploaded definition.

    status: `new` (a new version to store), `unchanged` (the current version says the same),
    `older` (the bytes of an older version: the newer current version stays; re-publishing
    an old version is its own command), `kept` (`only_new`: the key already has versions).
    """
    conn = ctx.conn
    latest = definitions.latest(conn, kind, key)
    if latest is None:
        return None, 1, "new"
    if cmd.only_new:
        return latest.id, latest.version, "kept"
    if latest.content_hash == f.content_hash or sameness.same(kind, latest.source, f.text):
        return latest.id, latest.version, "unchanged"
    older = definitions.by_hash(conn, kind, key, f.content_hash)
    if older is not None and older.version != cmd.republish_of:
        return older.id, older.version, "older"
    return None, latest.version + 1, "new"


def _designer_element(found: dict, translated) -> dict:
    """A problem SpiffWorkflow found on an element a deploy-time transformation added names the
    designer's element it stands for (transforms/, ORIGIN)."""
    element = found.get("element")
    if element and translated is not None:
        for el in translated.iter():
            if isinstance(el.tag, str) and el.get("id") == element and el.get(ORIGIN):
                return {**found, "element": el.get(ORIGIN)}
    return found
