"""Plain, frozen views the engine hands out (never SpiffWorkflow objects)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Actor:
    """Who issues a command: a user with groups and roles, or `system`."""

    username: str
    groups: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles or self.username == "system"


SYSTEM = Actor("system", roles=("admin",))


def _dict(obj) -> dict[str, Any]:
    return asdict(obj)


@dataclass(frozen=True)
class DefinitionView:
    id: str
    key: str
    name: str | None
    version: int
    deployed_at: datetime
    start_form_key: str | None = None
    kind: str = "process"
    withdrawn: bool = False  # no new starts (running instances go on)
    starter_groups: tuple[str, ...] = ()  # set by an admin: whose clerks may start it (replaces the diagram's)
    candidate_starter_groups: tuple[str, ...] = ()  # the diagram's camunda:candidateStarterGroups
    candidate_starter_users: tuple[str, ...] = ()  # the diagram's camunda:candidateStarterUsers

    def to_dict(self) -> dict[str, Any]:
        return _dict(self)

    def may_start(self, actor: Actor) -> bool:
        """Whether `actor` may start it by hand (engine/starters.py says the precedence)."""
        return self.starters().allows(actor)

    def starters(self):
        from .starters import Starters

        return Starters(self.starter_groups, self.candidate_starter_groups, self.candidate_starter_users)


@dataclass(frozen=True)
class DeploymentView:
    id: str
    definitions: list[dict]
    forms: list[dict]
    decisions: list[dict]

    def to_dict(self) -> dict[str, Any]:
        return _dict(self)


@dataclass(frozen=True)
class IncidentView:
    id: str
    element_id: str | None
    message: str
    attempts: int
    created_at: datetime
    instance_id: str | None = None


@dataclass(frozen=True)
class InstanceView:
    id: str
    definition_key: str
    definition_version: int
    business_key: str | None
    status: str
    data: dict[str, Any]
    active_elements: list[str]
    created_at: datetime
    ended_at: datetime | None
    version: int
    started_by: str
    incidents: list[IncidentView] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return _dict(self)


@dataclass(frozen=True)
class TaskView:
    id: str
    instance_id: str
    definition_key: str
    element_id: str
    name: str | None
    state: str
    candidate_groups: list[str]
    candidate_users: list[str]
    assignee: str | None
    form_key: str | None
    due_at: datetime | None
    created_at: datetime
    documentation: str | None = None
    lane: str | None = None
    priority: int | None = None
    completed_at: datetime | None = None
    completed_by: str | None = None
    # A multi-instance task's item: {"variable": element variable or None, "index": its index or
    # key, "value": the element variable's value}; None outside a multi-instance.
    item: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return _dict(self)


@dataclass(frozen=True)
class EventView:
    seq: int
    at: datetime
    type: str
    actor: str
    element_id: str | None
    task_id: str | None
    payload: dict[str, Any]
    prev_hash: str
    hash: str

    def to_dict(self) -> dict[str, Any]:
        return _dict(self)


@dataclass(frozen=True)
class Page:
    items: list
    total: int
    page: int
    per_page: int


@dataclass(frozen=True)
class ExternalTaskView:
    """An external task (a service task waiting for a worker), as Camunda's REST API shows one.

    `variables` are filled by a fetch only (the instance's, or those asked for).
    """

    id: str
    instance_id: str
    definition_id: str
    definition_key: str
    element_id: str
    topic: str
    priority: int
    worker_id: str | None
    lock_expires_at: datetime | None
    retries: int | None
    error_message: str | None
    error_details: str | None
    created_at: datetime
    business_key: str | None
    suspended: bool
    properties: dict[str, str] = field(default_factory=dict)
    variables: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return _dict(self)


@dataclass(frozen=True)
class DraftView:
    """A designer's unpublished definition (one per kind and key, shared, saved by revision)."""

    kind: str
    key: str
    base_version: int | None
    filename: str
    source: str
    revision: int
    created_by: str
    created_at: datetime
    saved_by: str
    saved_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return _dict(self)


@dataclass(frozen=True)
class AdminEventView:
    """One event of the admin log (definitions, drafts, users, groups)."""

    seq: int
    at: datetime
    type: str
    actor: str
    subject: str
    payload: dict[str, Any]
    prev_hash: str
    hash: str

    def to_dict(self) -> dict[str, Any]:
        return _dict(self)
