"""Engine: built once from settings; `execute(command)` is the only write path, plus read queries."""
from __future__ import annotations

import logging
import threading
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterable
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy.engine import make_url

from .clock import Clock, SystemClock
from .commands import deploy as _deploy_cmds  # noqa: F401  (registers handlers)
from .commands import events as _event_cmds  # noqa: F401
from .commands import instances as _instance_cmds
from .commands import incidents as _incident_cmds  # noqa: F401
from .commands import tasks as _task_cmds
from .commands.base import HANDLERS, Command, CommandContext
from .commands.deploy import Deploy
from .commands.events import CorrelateMessage
from .commands.incidents import RetryIncident
from .connectors.registry import ConnectorRegistry
from .db import audit_events, definitions, failures, instances, tasks, timers
from .db import incidents as incidents_db
from .db.base import create_db_engine
from .db.checkpoints import WalCheckpointer
from .db.connections import KeptConnections
from .token_cache import TokenCache
from .admin import AdminMethods
from .attachments import AttachmentMethods
from .clerk_work import ClerkWorkMethods
from .dashboard import DashboardMethods
from .designer import DesignerMethods
from .definitions import safe_xml
from .definitions.spec_cache import BuiltSpec, SpecCache, build_spec
from .definitions.spiff_dialect import translate_spiff
from .definitions.translate import translate_bpmn, translate_dmn
from .errors import Conflict, DiwanError, InvalidData, NotFound, ScriptError
from .external_tasks import ExternalTaskMethods, ExternalTaskSignal
from .forms.form_schema import FormValidator
from .runtime.live_cache import LiveCache
from .runtime.script_engine import DiwanScriptEngine
from .runtime.script_host import ScriptLimits, shared_host
from .runtime.workflow_run import RunawayLoop, StepFailed
from .settings import EngineSettings
from .values import ValueLimits
from .views import SYSTEM, Actor, DefinitionView, EventView, IncidentView, InstanceView, Page, TaskView

log = logging.getLogger("diwan.engine")


class Engine(ExternalTaskMethods, DesignerMethods, AdminMethods, ClerkWorkMethods, AttachmentMethods,
             DashboardMethods):
    """The diwan workflow engine (its external-task, designer and admin methods are in
    external_tasks.py, designer.py and admin.py).

    Args:
        database_url: SQLAlchemy URL (default from `DIWAN_DATABASE_URL`, else SQLite `./diwan.db`).
        clock: where "now" comes from (default: the wall clock).
        settings: limits and defaults (default: `EngineSettings.from_env()`).
        connectors: the service-task connector registry.
    """

    def __init__(self, database_url: str | None = None, *, clock: Clock | None = None,
                 settings: EngineSettings | None = None, connectors: ConnectorRegistry | None = None):
        self.settings = settings or EngineSettings.from_env(database_url=database_url)
        if database_url and settings is not None and settings.database_url != database_url:
            raise ValueError("give the database URL either directly or in settings, not both")
        self.db = create_db_engine(self.settings.database_url, sqlite_synchronous=self.settings.sqlite_synchronous)
        self.wall = SystemClock()  # leases and tokens count in real time
        if clock is None and self.settings.clock == "manual":
            from .db.clock import StoredClock

            clock = StoredClock(self.db)
        self.clock = clock or SystemClock()
        self.tz = ZoneInfo(self.settings.timezone)
        if connectors is None:
            from .connectors.ministry import ministry_connectors

            connectors = ministry_connectors()
        self.connectors = connectors
        self.kept = KeptConnections(self.db)
        self.checkpointer = _wal_checkpointer(self.settings.database_url)
        self.token_cache = _token_cache(self.db, self.settings.token_cache_seconds)
        self.scripts = shared_host(ScriptLimits(
            timeout_seconds=self.settings.script_timeout_seconds, memory_mb=self.settings.script_memory_mb,
            max_steps=self.settings.script_max_steps, max_variable_bytes=self.settings.max_variable_kb * 1024))
        self.value_limits = ValueLimits(max_variable_bytes=self.settings.max_variable_kb * 1024,
                                        max_instance_bytes=self.settings.max_instance_data_kb * 1024)
        from .audit.checkpoints import Checkpoints

        self.audit_checkpoints = Checkpoints(self)  # signed heads (the WAL checkpointer is another thing)
        self.specs = SpecCache()
        self.live = LiveCache(self.settings.live_cache_size)
        self._listeners: list[Callable[[str, str, Any], None]] = []
        self._forms: dict[str, FormValidator] = {}
        self._forms_lock = threading.Lock()
        self._flow_maps: dict = {}  # definition id -> FlowMap (time travel)
        self.external_signal = ExternalTaskSignal()  # wakes fetches waiting for external tasks

    # -- schema -------------------------------------------------------------------------
    def upgrade_schema(self) -> None:
        """Bring the database schema to the latest migration (Alembic)."""
        from .db.migrate import upgrade

        upgrade(self.db)

    def ping(self) -> None:
        """Raise if the database cannot be reached."""
        with self.db.connect() as conn:
            instances.ping(conn)

    def write_problem(self, timeout: float = 1.0) -> tuple[str, str] | None:
        """Why the database cannot take a write now, or None when it can (a probe for /healthz).

        SQLite: `BEGIN IMMEDIATE` (the write lock) within `timeout` and a table created,
        then rolled back.
        PostgreSQL: a transaction that gets a transaction id, with statement and lock
        timeouts of `timeout`, on a server that is not read-only.

        Returns:
            None, or ("unreachable" | "unwritable", what failed).
        """
        from .db.probe import write_problem

        return write_problem(self.db, timeout)

    def dispose(self) -> None:
        if self.checkpointer is not None:
            self.checkpointer.close()
        if self.token_cache is not None:
            self.token_cache.close()
        self.kept.close_all()
        self.db.dispose()

    # -- the command path ---------------------------------------------------------------
    def execute(self, command: Command) -> Any:
        """Run one command in one transaction; nothing is applied if it raises.

        Raises:
            DiwanError: NotFound, Forbidden, Conflict, InvalidData, InvalidDefinition, ScriptError,
                Unavailable (the database cannot be reached or its connection broke).
        """
        handler = HANDLERS[type(command)]
        ctx = None
        try:
            now = getattr(command, "at", None) or self.clock.now()  # before the write lock (StoredClock reads)
            with self.kept.transaction(write=True) as conn:
                ctx = CommandContext(conn, now, self)
                result = handler(command, ctx)
                self._deliver_thrown(ctx)
        except DiwanError as exc:
            log.info("%s refused: %s", type(command).__name__, exc.message)
            self._notify(command, exc.code, None)
            raise
        except Exception as exc:
            if failures.is_race(exc):
                self._notify(command, "conflict", None)
                raise Conflict("a concurrent change won; retry") from exc
            if failures.is_unavailable(exc):
                log.warning("%s: the database is unavailable: %s", type(command).__name__, exc)
                self._notify(command, "unavailable", None)
                raise failures.unavailable(exc) from exc
            self._notify(command, "error", None)
            raise
        if self.checkpointer is not None:
            self.checkpointer.committed()
        for callback in ctx.after_commit:
            callback()
        self._notify(command, "ok", result)
        return result

    def on_command(self, listener: Callable[[str, str, Any], None]) -> None:
        """Call `listener(command name, outcome, result)` after every command (metrics, logs).

        `outcome` is `ok`, an error code (`conflict`, `not_found`, ...) or `error`.
        """
        self._listeners.append(listener)

    def _notify(self, command: Command, outcome: str, result: Any) -> None:
        for listener in self._listeners:
            try:
                listener(type(command).__name__, outcome, result)
            except Exception:  # noqa: BLE001 - a listener never breaks a command
                log.exception("command listener failed")

    MAX_THROWN = 100

    def _deliver_thrown(self, ctx: CommandContext) -> None:
        """Deliver, in the command's transaction, the messages its instances threw (and the ones
        those deliveries throw, up to MAX_THROWN). A message nobody takes is dropped, as in BPMN."""
        if not ctx.thrown:
            return
        from .commands.events import deliver_message, deliver_signal
        from .commands.inputs import checked_data
        from .runtime.workflow_run import SIGNAL_PREFIX

        delivered = 0
        while ctx.thrown:
            name, key, data, correlated = ctx.thrown.pop(0)
            delivered += 1
            if delivered > self.MAX_THROWN:
                raise ScriptError(None, f"more than {self.MAX_THROWN} messages thrown in one command: a loop?")
            if name.startswith(SIGNAL_PREFIX):
                deliver_signal(ctx, SYSTEM, name.removeprefix(SIGNAL_PREFIX), data)
            else:
                deliver_message(ctx, SYSTEM, name, key, checked_data(data, self.value_limits), thrown=True,
                                any_key=correlated)

    def _run_step(self, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except StepFailed as exc:
            raise ScriptError(exc.element, exc.message) from exc
        except RunawayLoop as exc:
            raise ScriptError(None, str(exc)) from exc

    # -- thin public commands -----------------------------------------------------------
    def deploy(self, files: Iterable[tuple[str, bytes]] | Iterable[str | Path], actor: Actor = SYSTEM, *,
               only_new: bool = False):
        """Deploy BPMN, DMN and form files (paths, folders, or (filename, bytes) pairs), all or nothing.

        A definition whose current version says the same (formatting aside) keeps it; the
        bytes of an older version leave the newer current one in place. `only_new` (the
        bundled files) leaves alone every key that has a version.
        """
        return self.execute(Deploy(actor, tuple(_file_pairs(files)), only_new=only_new))

    def start(self, key: str, data: dict | None = None, business_key: str | None = None,
              actor: Actor = SYSTEM, version: int | None = None) -> InstanceView:
        return self.execute(_instance_cmds.StartInstance(actor, key, data or {}, business_key, version))

    def complete_task(self, task_id: str, data: dict | None = None, actor: Actor = SYSTEM) -> InstanceView:
        return self.execute(_task_cmds.CompleteTask(actor, task_id, data or {}))

    def claim(self, task_id: str, actor: Actor) -> TaskView:
        return self.execute(_task_cmds.ClaimTask(actor, task_id))

    def unclaim(self, task_id: str, actor: Actor) -> TaskView:
        return self.execute(_task_cmds.UnclaimTask(actor, task_id))

    def cancel(self, instance_id: str, reason: str | None = None, actor: Actor = SYSTEM) -> InstanceView:
        return self.execute(_instance_cmds.CancelInstance(actor, instance_id, reason))

    def suspend(self, instance_id: str, actor: Actor = SYSTEM, reason: str | None = None) -> InstanceView:
        return self.execute(_instance_cmds.SuspendInstance(actor, instance_id, reason))

    def resume(self, instance_id: str, actor: Actor = SYSTEM, reason: str | None = None) -> InstanceView:
        return self.execute(_instance_cmds.ResumeInstance(actor, instance_id, reason))

    def correlate(self, name: str, correlation_key: str, data: dict | None = None,
                  actor: Actor = SYSTEM) -> list[str]:
        """Deliver message `name` to the instances waiting for it under `correlation_key`."""
        return self.execute(CorrelateMessage(actor, name, correlation_key, data or {}))

    def fire_due_timers(self, limit: int = 100_000) -> int:
        """Fire, one command each, every timer due on the engine clock, earliest first."""
        from .workers.timer_worker import TimerWorker

        return TimerWorker(self).drain(limit)

    def advance_clock(self, *, to: datetime | None = None, by: timedelta | None = None) -> tuple[datetime, int]:
        """Move a manual clock forward, firing every timer due on the way, each at its own due
        time and in due order (timers created by a firing fire too). Returns (now, fired).

        Raises:
            InvalidData: the clock is not manual, or the move goes back in time.
        """
        from .workers.timer_worker import TimerWorker

        if not hasattr(self.clock, "set"):
            raise InvalidData("the engine clock is not manual", errors={"clock": ["Not a manual clock."]})
        now = self.clock.now()
        target = to if to is not None else now + (by or timedelta(0))
        if target.tzinfo is None:
            raise InvalidData("the time needs a UTC offset", errors={"set": ["Needs a UTC offset."]})
        if target < now:
            raise InvalidData("the clock never goes back", errors={"set": ["Must not be before the current time."]})
        worker, fired = TimerWorker(self), 0
        while True:
            jobs = worker.claim(until=target, limit=1)
            if not jobs:
                break
            job, *others = jobs  # the earliest (an instance timer or a timer start)
            for other in others:
                worker.release(other)
            if job.due_at > self.clock.now():
                self.clock.set(job.due_at)
            fired += worker.fire(job, at=max(job.due_at, self.clock.now()))
        self.clock.set(target)
        return self.clock.now(), fired

    def incidents(self, instance_id: str | None = None, page: int = 1, per_page: int = 50) -> Page:
        """Open incidents, oldest first (of one instance, or all)."""
        with self.kept.transaction(write=False) as conn:
            if instance_id:
                rows = incidents_db.open_for_instance(conn, instance_id)
                total = len(rows)
            else:
                rows, total = incidents_db.open_page(conn, page, per_page)
        return Page([_incident_view(r) for r in rows], total, page, per_page)

    def retry_incident(self, incident_id: str, actor: Actor = SYSTEM) -> InstanceView:
        return self.execute(RetryIncident(actor, incident_id))

    # -- reads (never through the command chain) ---------------------------------------
    def get_instance(self, instance_id: str) -> InstanceView:
        with self.kept.transaction(write=False) as conn:
            row = instances.full(conn, instance_id)
            if row is None:
                raise NotFound(f"instance {instance_id} not found")
            open_incidents = incidents_db.open_for_instance(conn, instance_id) if row.status == "failed" else []
        return _instance_view(row, [_incident_view(i) for i in open_incidents])

    def list_instances(self, *, definition_key=None, status=None, business_key=None, ids=None,
                       created_from: datetime | None = None, created_to: datetime | None = None,
                       page: int = 1, per_page: int = 50) -> Page:
        """Instances newest first, optionally by process, status, business key and creation time."""
        with self.kept.transaction(write=False) as conn:
            rows, total = instances.page(conn, definition_key=definition_key, status=status,
                                         business_key=business_key, ids=ids, created_from=created_from,
                                         created_to=created_to, page=page, per_page=per_page)
        return Page([_instance_view(r) for r in rows], total, page, per_page)

    def get_task(self, task_id: str) -> TaskView:
        with self.kept.transaction(write=False) as conn:
            return self._task_view(conn, task_id)

    def list_tasks(self, user: str | None = None, groups: Iterable[str] = (), *, see_all: bool = False,
                   assigned_to_me: bool = False, candidate_group: str | None = None,
                   definition_key: str | None = None, instance_id: str | None = None, overdue: bool = False,
                   due: str | None = None, q: str | None = None, sort: str = "due",
                   page: int = 1, per_page: int = 50) -> Page:
        """The inbox: ready tasks `user` may act on (all of them with `see_all`).

        Args:
            due: "overdue" (due before now), "today" (before the end of today), "week" (before
                the end of the 7th day from today), days counted in DIWAN_TIMEZONE.
            q: case-insensitive text in the business key or an applicant field
                (`settings.applicant_fields`).
            sort: "due" (default), "created", "-created" or "name".
        """
        now = self.clock.now()
        due_before = None
        if due == "overdue":
            overdue = True
        elif due in ("today", "week"):
            local = now.astimezone(self.tz)
            end = datetime.combine(local.date() + timedelta(days=1 if due == "today" else 7), datetime.min.time(),
                                   self.tz)
            due_before = end.astimezone(timezone.utc)
        elif due:
            raise InvalidData("unknown due filter", errors={"due": ["one of overdue, today, week"]})
        if sort not in tasks.SORTS:
            raise InvalidData("unknown sort", errors={"sort": [f"one of {', '.join(tasks.SORTS)}"]})
        # One statement (a second counts when the page is past the end): no transaction around it.
        with self.kept.transaction(write=False, single=True) as conn:
            rows, total = tasks.page(
                conn, user=user, groups=list(groups), see_all=see_all, assigned_to_me=assigned_to_me,
                candidate_group=candidate_group, definition_key=definition_key, instance_id=instance_id,
                overdue_at=now if overdue else None, due_before=due_before, search=(q or "").strip() or None,
                search_fields=self.settings.applicant_fields, sort=sort, page=page, per_page=per_page)
        return Page([_task_view(r) for r in rows], total, page, per_page)

    def history(self, instance_id: str, *, types: Iterable[str] | None = None, actor: str | None = None,
                since: datetime | None = None, until: datetime | None = None) -> list[EventView]:
        """An instance's hash-chained events in order (optionally filtered by type, actor, time)."""
        return [_event_view(r) for r in self._event_rows(instance_id, types=types, actor=actor, since=since,
                                                         until=until)]

    def _event_rows(self, instance_id: str, **filters) -> list:
        with self.kept.transaction(write=False) as conn:
            if instances.head(conn, instance_id) is None:
                raise NotFound(f"instance {instance_id} not found")
            return audit_events.for_instance(conn, instance_id, **filters)

    def state_at(self, instance_id: str, seq: int) -> dict:
        """The instance as it was right after event `seq`, from its history alone (data, status,
        active elements, open tasks, completed elements, taken sequence flows).

        Raises:
            NotFound: no such instance or event.
        """
        from .audit.time_travel import state_at

        events, flows = self._travel_inputs(instance_id)
        try:
            return state_at(events, seq, flows)
        except ValueError:
            raise NotFound(f"instance {instance_id} has no event {seq}") from None

    def state_now(self, instance_id: str) -> dict:
        """`state_at` the instance's last event (the diagram's current colouring)."""
        from .audit.time_travel import state_at

        events, flows = self._travel_inputs(instance_id)
        return state_at(events, events[-1]["seq"], flows) if events else {"taken_flows": [], "completed_elements": {}}

    def pictures(self, instance_id: str) -> list[dict]:
        """`state_at` for every event of the instance, in one pass (the web timeline, tests)."""
        from .audit.time_travel import pictures

        return pictures(*self._travel_inputs(instance_id))

    def _travel_inputs(self, instance_id: str):
        from .audit.flow_map import FlowMap, flow_map, merged

        with self.kept.transaction(write=False) as conn:
            head = instances.head(conn, instance_id)
            if head is None:
                raise NotFound(f"instance {instance_id} not found")
            rows = audit_events.for_instance(conn, instance_id)
            events = [_event_view(r).to_dict() for r in rows]
            # Every version the instance ran on (a migration names the one it left).
            ids = [e["payload"]["from_definition_id"] for e in events if e["type"] == "instance_migrated"]
            ids.append(head.definition_id)
            maps = []
            for definition_id in dict.fromkeys(ids):
                flows = self._flow_maps.get(definition_id)
                if flows is None:
                    row = definitions.by_id(conn, definition_id)
                    flows = self._flow_maps[definition_id] = flow_map(row.source) if row is not None else FlowMap()
                maps.append(flows)
        return events, merged(maps)

    def verify(self, instance_id: str, checkpoints=None) -> dict:
        """Verify an instance: its hash chain, its head and the latest signed checkpoint, the
        replay of its recorded inputs, and its stored projections (instance row, state, task,
        timer and subscription rows) against the chain and the replay.

        Args:
            checkpoints: a `checkpoint_verifier()` to share between many instances (the
                latest checkpoint is then checked once).

        Returns:
            {"instance_id", "ok", "chain_ok", "replay_ok", "projections_ok", "first_bad_seq",
            "detail", "findings", "checkpoint"} (engine/audit/verification.py).

        Raises:
            NotFound: no such instance.
        """
        from .audit.verification import verify_instance

        return verify_instance(self, instance_id, checkpoints or self.checkpoint_verifier())

    def verify_chain(self, instance_id: str) -> int | None:
        """The seq of the first event whose hash or link is wrong, None when the chain is intact."""
        from .audit.hash_chain import first_break_rows

        return first_break_rows(self._event_rows(instance_id), instance_id)

    def checkpoint_verifier(self):
        """Checks instances against the latest checkpoint, checking that checkpoint once."""
        return self.audit_checkpoints.verifier()

    def verify_checkpoints(self, anchor: dict | None = None) -> list[str]:
        """Problems with the checkpoints themselves: their sequence (no gaps, each signed and
        linked to the previous), instances of the latest one missing from the database, and,
        given an exported checkpoint held outside (`anchor()`), whether the database still
        holds it unchanged."""
        return self.audit_checkpoints.problems(anchor)

    def checkpoint(self) -> dict | None:
        """Sign every instance's chain head now (a Merkle root, Ed25519). Returns the new
        checkpoint as exported, or None when no head changed since the latest.

        Raises:
            engine.audit.signing.KeyUnavailable: checkpoints are off (no key) or the key file is unusable.
        """
        return self.audit_checkpoints.make()

    def checkpoint_if_due(self) -> dict | None:
        """`checkpoint()` when the latest is older than `audit_checkpoint_seconds` (the worker
        loop's call); never raises."""
        return self.audit_checkpoints.make_if_due()

    def latest_checkpoint(self, with_leaves: bool = False) -> dict:
        """{"enabled", "detail", "checkpoint"}: the latest signed checkpoint as exported (with
        the public key, and its leaves when asked), or None."""
        return self.audit_checkpoints.latest(with_leaves)

    def anchor(self, with_leaves: bool = False) -> dict:
        """The latest signed checkpoint with the public key, for a third party to hold.

        Raises:
            NotFound: checkpoints are off, or none was made yet.
        """
        latest = self.latest_checkpoint(with_leaves)
        if latest["checkpoint"] is None:
            raise NotFound(latest["detail"])
        return latest["checkpoint"]

    def list_definitions(self, *, startable: bool = False) -> list[DefinitionView]:
        """The latest version of each process (`startable`: without the withdrawn ones)."""
        from .db import lifecycle

        with self.kept.transaction(write=False) as conn:
            states = lifecycle.all_states(conn, "process")
            views = [_definition_view(r, states.get(r.key)) for r in definitions.latest_of_each(conn, "process")]
        return [v for v in views if not (startable and v.withdrawn)]

    def get_definition(self, key: str, version: int | None = None, kind: str = "process") -> DefinitionView:
        from .db import lifecycle

        row = self._definition_row(key, version, kind)
        with self.kept.transaction(write=False) as conn:
            state = lifecycle.get(conn, kind, key)
        return _definition_view(row, state)

    def definition_versions(self, key: str, kind: str = "process") -> list[DefinitionView]:
        with self.kept.transaction(write=False) as conn:
            rows = definitions.versions(conn, kind, key)
        if not rows:
            raise NotFound(f"{kind} {key!r} not found")
        return [_definition_view(r) for r in rows]

    def definition_source(self, key: str, version: int | None = None, kind: str = "process") -> str:
        return self._definition_row(key, version, kind).source

    def form(self, key: str, version: int | None = None) -> dict:
        return orjson.loads(self.definition_source(key, version, "form"))

    def timers(self, instance_id: str | None = None) -> list[dict]:
        with self.kept.transaction(write=False) as conn:
            return [{"id": r.id, "instance_id": r.instance_id, "element_id": r.element_id,
                     "due_at": _utc(r.due_at)} for r in timers.listing(conn, instance_id)]

    # -- helpers for command handlers ---------------------------------------------------
    def new_id(self) -> str:
        return uuid.uuid4().hex

    def _definition_row(self, key, version, kind):
        with self.kept.transaction(write=False) as conn:
            row = (definitions.by_version(conn, kind, key, version) if version is not None
                   else definitions.latest(conn, kind, key))
        if row is None:
            raise NotFound(f"{kind} {key!r} not found" + (f" in version {version}" if version else ""))
        return row

    def _translated(self, row):
        root = safe_xml.parse(row.source.encode("utf-8"))
        problems = (translate_dmn(root, row.filename) if row.kind == "decision"
                    else translate_spiff(root, row.filename) + translate_bpmn(root, row.filename))
        if problems:  # deployed content passed these checks; only a code change could break them
            raise ScriptError(None, f"stored definition {row.key} v{row.version} no longer translates: {problems}")
        return root

    def _bindings(self, conn, row) -> dict[str, str]:
        """Versions of everything a process uses, fixed when an instance starts."""
        bindings: dict[str, str] = {}
        todo = [row]
        while todo:
            current = todo.pop()
            meta = orjson.loads(current.meta)
            for key in meta.get("decisions", []):
                ref = definitions.latest_head(conn, "decision", key)
                if ref is not None:
                    bindings[f"decision:{key}"] = ref.id
            for key in meta.get("forms", []):
                ref = definitions.latest_head(conn, "form", key)
                if ref is not None:
                    bindings[f"form:{key}"] = ref.id
            for key in meta.get("calls", []):
                if f"process:{key}" not in bindings and key != row.key:
                    ref = definitions.latest_head(conn, "process", key)
                    if ref is not None:
                        bindings[f"process:{key}"] = ref.id
                        todo.append(ref)
        return bindings

    def _built_spec(self, conn, definition_id: str, bindings: dict[str, str]) -> BuiltSpec:
        key = (definition_id, tuple(sorted(bindings.items())))

        def build() -> BuiltSpec:
            main = definitions.by_id(conn, definition_id)
            bpmn, dmn, hashes = [(main.filename, self._translated(main))], [], {main.content_hash}
            for name, ref_id in sorted(bindings.items()):
                if name.startswith("form:"):
                    continue
                ref = definitions.by_id(conn, ref_id)
                if ref.content_hash in hashes:
                    continue
                hashes.add(ref.content_hash)
                (dmn if ref.kind == "decision" else bpmn).append((ref.filename, self._translated(ref)))
            return build_spec(main.key, bpmn, dmn)

        return self.specs.get(key, build)

    def _form_validator(self, conn, bindings: dict[str, str], form_key: str) -> FormValidator:
        ref_id = bindings.get(f"form:{form_key}")
        if ref_id:  # a definition id never changes content: no read when its validator is built
            with self._forms_lock:
                validator = self._forms.get(ref_id)
            if validator is not None:
                return validator
        row = definitions.by_id(conn, ref_id) if ref_id else definitions.latest(conn, "form", form_key)
        if row is None:
            raise NotFound(f"form {form_key!r} not found")
        with self._forms_lock:
            validator = self._forms.get(row.id)
        if validator is None:
            validator = FormValidator(orjson.loads(row.source))
            with self._forms_lock:
                self._forms[row.id] = validator
        return validator

    def _script_engine(self, ctx: CommandContext, instance_id: str, business_key: str | None) -> DiwanScriptEngine:
        now = ctx.now
        engine = DiwanScriptEngine(now=lambda: now, tz=self.tz, max_steps=self.settings.script_max_steps,
                                   connectors=self.connectors, host=self.scripts)
        engine.max_items = self.settings.max_multi_instance_items
        engine.context = {"instance_id": instance_id, "business_key": business_key, "connection": ctx.conn}
        return engine

    def _saved_view(self, head, values: dict) -> InstanceView:
        return InstanceView(
            id=head.id, definition_key=head.definition_key, definition_version=head.definition_version,
            business_key=head.business_key, status=values["status"], data=orjson.loads(values["data"]),
            active_elements=orjson.loads(values["active_elements"]), created_at=_utc(head.created_at),
            ended_at=_utc(values["ended_at"]), version=values["version"], started_by=head.started_by)

    def _task_view(self, conn, task_id: str) -> TaskView:
        row = tasks.get(conn, task_id)
        if row is None:
            raise NotFound(f"task {task_id} not found")
        return _task_view(row)


def _wal_checkpointer(url: str) -> WalCheckpointer | None:
    """A background checkpointer for a SQLite database file (none in memory or on PostgreSQL)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return WalCheckpointer(parsed.database)


def _token_cache(db, seconds: float) -> TokenCache | None:
    """The bearer-token cache: PostgreSQL only (engine/token_cache.py), unless turned off."""
    if db.dialect.name != "postgresql" or seconds <= 0:
        return None
    return TokenCache(db, seconds)


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def _event_view(row) -> EventView:
    return EventView(row.seq, _utc(row.at), row.type, row.actor, row.element_id, row.task_id,
                     orjson.loads(row.payload), row.prev_hash, row.hash)


def _incident_view(row) -> IncidentView:
    return IncidentView(row.id, row.element_id, row.message, row.attempts, _utc(row.created_at), row.instance_id)


def _instance_view(row, incidents: list | None = None) -> InstanceView:
    return InstanceView(
        id=row.id, definition_key=row.definition_key, definition_version=row.definition_version,
        business_key=row.business_key, status=row.status, data=orjson.loads(row.data),
        active_elements=orjson.loads(row.active_elements), created_at=_utc(row.created_at),
        ended_at=_utc(row.ended_at), version=row.version, started_by=row.started_by, incidents=incidents or [])


def _task_view(row) -> TaskView:
    return TaskView(
        id=row.id, instance_id=row.instance_id, definition_key=row.definition_key, element_id=row.element_id,
        name=row.name, state=row.state, candidate_groups=orjson.loads(row.candidate_groups),
        candidate_users=orjson.loads(row.candidate_users), assignee=row.assignee, form_key=row.form_key,
        due_at=_utc(row.due_at), created_at=_utc(row.created_at), documentation=row.documentation,
        lane=row.lane, priority=row.priority, completed_at=_utc(row.completed_at), completed_by=row.completed_by,
        item=orjson.loads(row.mi_item) if row.mi_item else None)


def _definition_view(row, state=None) -> DefinitionView:
    meta = orjson.loads(row.meta)
    starters = orjson.loads(state.starter_groups) if state is not None and state.starter_groups else []
    return DefinitionView(row.id, row.key, row.name, row.version, _utc(row.deployed_at),
                          meta.get("start_form_key"), row.kind, withdrawn=state is not None and
                          state.withdrawn_at is not None, starter_groups=tuple(starters),
                          candidate_starter_groups=tuple(meta.get("candidate_starter_groups") or ()),
                          candidate_starter_users=tuple(meta.get("candidate_starter_users") or ()))


DEPLOYABLE = (".bpmn", ".dmn", ".form")


def _file_pairs(files) -> list[tuple[str, bytes]]:
    """(filename, bytes) pairs from pairs, file paths and folders (their .bpmn, .dmn and .form files)."""
    out = []
    for f in files:
        if isinstance(f, tuple):
            out.append((f[0], f[1]))
            continue
        p = Path(f)
        paths = sorted(x for x in p.rglob("*") if x.suffix in DEPLOYABLE) if p.is_dir() else [p]
        out += [(x.name, x.read_bytes()) for x in paths]
    return out


def _driver_race_errors() -> tuple[type[Exception], ...]:
    """The drivers' own lock and constraint errors (the command path runs statements on the
    driver connection, so they arrive unwrapped by SQLAlchemy)."""
    import sqlite3

    errors: list[type[Exception]] = [sqlite3.OperationalError, sqlite3.IntegrityError]
    try:
        import psycopg
    except ImportError:  # pragma: no cover - installed with the project
        return tuple(errors)
    return (*errors, psycopg.errors.OperationalError, psycopg.errors.IntegrityError)


DRIVER_RACE_ERRORS = _driver_race_errors()
_is_lock_or_race = failures.is_race  # db/failures.py sorts database errors (races, unavailability)
