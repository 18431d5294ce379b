"""diwan's workflow engine: the public surface (re-exports only)."""
from .clock import Clock, ManualClock, SystemClock
from .connectors.registry import ConnectorCall, ConnectorRegistry, Delivery
from .engine import Engine
from .errors import (Conflict, DiwanError, Forbidden, InvalidData, InvalidDefinition, NotFound,
                     ScriptError)
from .external_tasks import FetchAndLock, TopicRequest
from .settings import EngineSettings
from .views import (SYSTEM, Actor, DefinitionView, DeploymentView, EventView, ExternalTaskView, InstanceView, Page,
                    TaskView)

__all__ = [
    "Actor", "Clock", "Conflict", "ConnectorCall", "ConnectorRegistry", "DefinitionView", "Delivery",
    "DeploymentView", "DiwanError", "Engine", "EngineSettings", "EventView", "ExternalTaskView", "FetchAndLock",
    "Forbidden", "InstanceView",
    "InvalidData", "InvalidDefinition", "ManualClock", "NotFound", "Page", "SYSTEM", "ScriptError",
    "SystemClock", "TaskView", "TopicRequest",
]
