"""`diwan demo`: demo users for every group and role, and a handful of instances of each
process in different states, so a new user lands in a living system. Demo only: the
passwords are fixed and listed in the README."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .engine import Engine
from .errors import Conflict
from .identity import UserStore
from .views import Actor

DEMO_PASSWORD = "demo-diwan-2026"

# username, roles, groups (DOMAIN.md: people and groups)
DEMO_USERS: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("admin", ("admin",), ()),
    ("nadia.conception", ("designer",), ()),
    ("omar.inspection", ("auditor",), ()),
    ("amina.bo", ("clerk",), ("bureau_ordre",)),
    ("youssef.juridique", ("clerk",), ("service_juridique",)),
    ("salma.consulaire", ("clerk",), ("service_consulaire",)),
    ("karim.social", ("clerk",), ("service_social",)),
    ("leila.superviseur", ("clerk",), ("superviseurs",)),
    ("hassan.comite", ("clerk",), ("comite_labellisation",)),
    ("fatima.evaluation", ("clerk",), ("evaluateurs",)),
    ("driss.evaluation", ("clerk",), ("evaluateurs",)),
    ("rachid.financement", ("clerk",), ("comite_financement",)),
    ("zineb.finances", ("clerk",), ("service_financier",)),
    ("imane.accompagnement", ("clerk",), ("assistants_sociaux",)),
    ("mehdi.consulat", ("clerk",), ("consulats",)),
)


# The ministry's groups (DOMAIN.md) and the names pages show for them.
GROUP_LABELS: dict[str, str] = {
    "bureau_ordre": "Bureau d'ordre", "service_juridique": "Service juridique",
    "service_consulaire": "Service consulaire", "service_social": "Service social", "superviseurs": "Superviseurs",
    "comite_labellisation": "Comité de labellisation", "evaluateurs": "Évaluateurs",
    "comite_financement": "Comité de financement", "service_financier": "Service financier",
    "assistants_sociaux": "Assistants sociaux", "consulats": "Consulats",
}


@dataclass
class DemoContext:
    engine: Engine
    actors: dict[str, Actor]

    def clerk_of(self, group: str) -> Actor:
        return next(a for a in self.actors.values() if group in a.groups)

    def complete(self, instance_id: str, element_id: str, data: dict | None = None, group: str | None = None):
        """Complete the ready task `element_id` of an instance as a clerk of its group."""
        task = next(t for t in self.engine.list_tasks(see_all=True, instance_id=instance_id, per_page=500).items
                    if t.element_id == element_id)
        actor = self.clerk_of(group or task.candidate_groups[0])
        self.engine.claim(task.id, actor)
        return self.engine.complete_task(task.id, data or {}, actor=actor)


SCENARIOS: dict[str, Callable[[DemoContext], int]] = {}


def scenario(process_key: str):
    """Register the demo instances of one process (run only when the process is deployed)."""
    def register(fn):
        SCENARIOS[process_key] = fn
        return fn
    return register


def create_demo(engine: Engine, users: UserStore) -> dict[str, int]:
    """Create the demo users and instances; returns instances created per process.

    Raises:
        Conflict: the database already has instances (the demo never mixes with real work).
    """
    if engine.list_instances(per_page=1).total:
        raise Conflict("the database already has instances: the demo only runs on a fresh database")
    actors = {}
    for username, roles, groups in DEMO_USERS:
        try:
            user = users.create_user(username, DEMO_PASSWORD, roles, groups)
        except Conflict:
            user = users.get_user(username)
        actors[username] = user.actor
    for name, label in GROUP_LABELS.items():
        engine.save_group(name, label)
    ctx = DemoContext(engine, actors)
    deployed = {d.key for d in engine.list_definitions()}
    from . import demo_scenarios  # noqa: F401  (registers the scenarios)

    return {key: fn(ctx) for key, fn in SCENARIOS.items() if key in deployed}
