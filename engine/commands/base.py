"""Commands, their handler registry, and the per-command context."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable, Generic, TypeVar

from sqlalchemy.engine import Connection

from ..views import Actor

if TYPE_CHECKING:  # pragma: no cover
    from ..engine import Engine

T = TypeVar("T")


@dataclass(frozen=True)
class Command(Generic[T]):
    """A request to change state; one handler, one transaction."""

    actor: Actor


HANDLERS: dict[type, Callable[[Any, "CommandContext"], Any]] = {}


def handles(command_type: type) -> Callable:
    """Register the handler of a command type."""

    def register(fn):
        if command_type in HANDLERS:
            raise ValueError(f"{command_type.__name__} already has a handler")
        HANDLERS[command_type] = fn
        return fn

    return register


@dataclass
class CommandContext:
    """What a handler works with: the open transaction, the command's instant, the engine."""

    conn: Connection
    now: datetime
    engine: "Engine"
    after_commit: list[Callable[[], None]] = field(default_factory=list)
    # Messages thrown by the instances this command ran, for other instances (name, business key).
    thrown: list[tuple[str, str | None]] = field(default_factory=list)
