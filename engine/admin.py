"""The engine's methods for admins: users and groups (commands in engine/commands/identity.py,
each in the admin log) and the group directory's display names (a mixin of `Engine`)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from .commands import identity as _identity
from .commands import migration as _migration
from .db import users
from .views import SYSTEM, Actor

if TYPE_CHECKING:  # pragma: no cover
    from .engine import Engine


class AdminMethods:
    """Users, groups and their display names."""

    def group_labels(self: "Engine") -> dict[str, str]:
        """Display name of each group of the directory by group name ("bureau_ordre" ->
        "Bureau d'ordre"); a name missing here shows as itself."""
        with self.kept.transaction(write=False) as conn:
            return users.group_labels(conn)

    def groups(self: "Engine") -> list[dict]:
        """Every group (the directory's and those only memberships name): name, label, members."""
        from .engine import _utc

        with self.kept.transaction(write=False) as conn:
            rows = users.groups_directory(conn)
        return [{"name": r.name, "label": r.label or r.name, "labelled": r.label is not None and r.label != r.name,
                 "members": r.members, "created_at": _utc(r.created_at) if r.created_at else None} for r in rows]

    def group_members(self: "Engine", name: str) -> list[str]:
        with self.kept.transaction(write=False) as conn:
            return users.members(conn, name)

    def save_group(self: "Engine", name: str, label: str, members: Iterable[str] | None = None,
                   actor: Actor = SYSTEM) -> dict:
        """Create a group or rename it for display; `members`: its members from now on."""
        return self.execute(_identity.SaveGroup(actor, name, label, tuple(members) if members is not None else None))

    def update_user(self: "Engine", username: str, *, roles: Iterable[str] | None = None,
                    groups: Iterable[str] | None = None, disabled: bool | None = None, actor: Actor = SYSTEM):
        """Change roles, groups or whether the user is disabled (disabling revokes their tokens)."""
        return self.execute(_identity.UpdateUser(actor, username, tuple(roles) if roles is not None else None,
                                                 tuple(groups) if groups is not None else None, disabled))

    def reset_password(self: "Engine", username: str, password_hash: str, actor: Actor = SYSTEM) -> None:
        """Set a new password (hashed by `UserStore.hash_password`); the user's tokens are revoked."""
        self.execute(_identity.ResetPassword(actor, username, password_hash))

    def create_user(self: "Engine", username: str, password_hash: str, roles: Iterable[str],
                    groups: Iterable[str] = (), actor: Actor = SYSTEM):
        """Create a user whose password `UserStore.hash_password` hashed (checked by `check_user`)."""
        return self.execute(_identity.CreateUser(actor, username, password_hash, tuple(sorted(set(roles))),
                                                 tuple(sorted(set(groups)))))

    def migrate_instances(self: "Engine", key: str, to_version: int, *, instance_ids: Iterable[str] = (),
                          from_version: int | None = None, mapping: dict[str, str] | None = None,
                          dry_run: bool = False, actor: Actor = SYSTEM) -> dict:
        """Move live instances of a process to another version, all or nothing; `dry_run` lists,
        per instance, the elements of its state the target version lacks (see commands/migration.py)."""
        return self.execute(_migration.MigrateInstances(actor, key, to_version, tuple(instance_ids), from_version,
                                                        dict(mapping or {}), dry_run))
