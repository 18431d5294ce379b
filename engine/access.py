"""InstanceAccess: who may read which instances and their history (API.md, "Who reads instances")."""
from __future__ import annotations

from sqlalchemy.engine import Engine as SAEngine

from .db import access
from .views import Actor

READ_ALL = frozenset({"admin", "auditor"})


class InstanceAccess:
    """Read authorization over instances, on the engine's database.

    Admins and auditors read every instance; a clerk those they started, those in which a
    task was offered to one of their groups (or to them by name, or assigned to them),
    and those where they claimed or completed a task; anyone else none. The same rule
    covers an instance's history and its tasks.

    Args:
        db: the SQLAlchemy engine (`Engine.db`).
    """

    def __init__(self, db: SAEngine):
        self.db = db

    @staticmethod
    def reads_all(actor: Actor) -> bool:
        return bool(READ_ALL & set(actor.roles))

    @staticmethod
    def reads_some(actor: Actor) -> bool:
        """Whether the actor may read any instance at all (admins, auditors, clerks)."""
        return bool((READ_ALL | {"clerk"}) & set(actor.roles))

    def may_read(self, actor: Actor, instance_id: str) -> bool:
        """Whether `actor` may read the instance (False for an unknown id too, unless they read all)."""
        if self.reads_all(actor):
            return True
        if "clerk" not in actor.roles:
            return False
        with self.db.connect() as conn:
            return access.exists(conn, instance_id, access.clerk_may_read(actor.username, actor.groups))

    def exists(self, instance_id: str) -> bool:
        with self.db.connect() as conn:
            return access.exists(conn, instance_id)

    def readable_page(self, actor: Actor, *, page: int = 1, per_page: int = 50, **search) -> tuple[list[str], int]:
        """Ids of the instances a clerk may read, newest first, and their total.

        For actors who read all, use `Engine.list_instances` directly.
        """
        with self.db.connect() as conn:
            return access.page_ids(conn, access.clerk_may_read(actor.username, actor.groups), page=page,
                                   per_page=per_page, **search)
