"""Who may start a process: Camunda's candidateStarterGroups/Users and the admin's starter groups.

Precedence (README, "What designers may write"): the starter groups an admin sets for a process
key (engine/designer.py, `set_starters`) replace what the diagram says; when an admin set none,
the diagram's `camunda:candidateStarterGroups` / `camunda:candidateStarterUsers` apply (either
list lets its members start); when neither says anything, every clerk may. Admins always may.
The check covers starts by a person (none start events); message, signal and timer starts are
not a clerk's and are not restricted.
"""
from __future__ import annotations

from dataclasses import dataclass

from .views import Actor


@dataclass(frozen=True)
class Starters:
    """Who may start one process key."""

    admin_groups: tuple[str, ...] = ()  # set by an admin; when non-empty, they alone decide
    diagram_groups: tuple[str, ...] = ()  # camunda:candidateStarterGroups
    diagram_users: tuple[str, ...] = ()  # camunda:candidateStarterUsers

    @property
    def source(self) -> str:
        """`admin`, `diagram` or `everyone`: which rule applies."""
        if self.admin_groups:
            return "admin"
        return "diagram" if self.diagram_groups or self.diagram_users else "everyone"

    def allows(self, actor: Actor) -> bool:
        if actor.is_admin:
            return True
        if self.source == "admin":
            return bool(set(self.admin_groups) & set(actor.groups))
        if self.source == "diagram":
            return actor.username in self.diagram_users or bool(set(self.diagram_groups) & set(actor.groups))
        return True

    def refusal(self, key: str) -> str:
        """Why someone outside the list may not start `key` (the Forbidden message)."""
        if self.source == "admin":
            return f"only clerks of {', '.join(self.admin_groups)} may start {key!r} (starter groups set by an admin)"
        who = [f"clerks of {', '.join(self.diagram_groups)}"] if self.diagram_groups else []
        who += [", ".join(self.diagram_users)] if self.diagram_users else []
        return (f"only {' or '.join(who)} may start {key!r} (camunda:candidateStarterGroups/"
                "candidateStarterUsers of the diagram)")


def split_list(value: str | None) -> tuple[str, ...]:
    """A Camunda comma-separated list (`"sales, finance"`), trimmed, empty items dropped."""
    return tuple(item.strip() for item in (value or "").split(",") if item.strip())
