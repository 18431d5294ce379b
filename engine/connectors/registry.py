"""The connector registry: the extension point through which service tasks reach Python code.

Two kinds of connector (ARCHITECTURE.md, "Messages and service tasks"):

* a **value** connector computes something the process needs (issue a label number,
  look a label up). It runs inside the command; its result becomes instance variables
  and is recorded in the audit log so that replay does not call it again::

      @registry.value("label_lookup")
      def label_lookup(call: ConnectorCall) -> dict:
          return {"label_valid": call.variables["label_number"] in REGISTRY}

* an **effect** connector acts outside diwan (notify the applicant, order a payment).
  The service task only writes an outbox row in the command's transaction; a worker
  delivers it later, at least once, with the row id as idempotency key::

      @registry.effect("notify_applicant")
      def notify(delivery: Delivery) -> None:
          send_mail(delivery.payload["variables"]["email"], key=delivery.idempotency_key)

A service task names its connector with `camunda:topic` (or `camunda:type`); its
`camunda:properties` reach the connector as `properties`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable


@dataclass(frozen=True)
class ConnectorCall:
    """What a value connector receives."""

    name: str
    instance_id: str | None
    business_key: str | None
    element_id: str
    variables: dict[str, Any]
    properties: dict[str, str]
    now: datetime
    connection: Any = None  # the command's open transaction (diwan's own tables only)
    tz: Any = None  # the engine's time zone (for calendar dates)


@dataclass(frozen=True)
class Delivery:
    """What an effect connector receives when the outbox worker delivers a row."""

    name: str
    idempotency_key: str
    instance_id: str
    element_id: str
    payload: dict[str, Any]


@dataclass
class Connector:
    name: str
    kind: str  # value | effect
    fn: Callable[..., Any]
    description: str = ""


@dataclass
class OutboxEntry:
    """An effect to deliver after the command commits."""

    connector: str
    element_id: str
    payload: dict[str, Any] = field(default_factory=dict)


class UnknownConnector(LookupError):
    """No connector is registered under this name."""


class ConnectorRegistry:
    """Named connectors; one registry per Engine."""

    def __init__(self) -> None:
        self._connectors: dict[str, Connector] = {}

    def value(self, name: str) -> Callable:
        """Decorator: register a value connector `fn(call: ConnectorCall) -> dict | None`."""
        return lambda fn: self._add(Connector(name, "value", fn, (fn.__doc__ or "").strip()))

    def effect(self, name: str) -> Callable:
        """Decorator: register an effect connector `fn(delivery: Delivery) -> None`."""
        return lambda fn: self._add(Connector(name, "effect", fn, (fn.__doc__ or "").strip()))

    def _add(self, connector: Connector):
        if connector.name in self._connectors:
            raise ValueError(f"connector {connector.name!r} is already registered")
        self._connectors[connector.name] = connector
        return connector.fn

    def get(self, name: str) -> Connector:
        try:
            return self._connectors[name]
        except KeyError:
            raise UnknownConnector(f"no connector named {name!r} is registered") from None

    def names(self) -> list[str]:
        return sorted(self._connectors)

    def __contains__(self, name: str) -> bool:
        return name in self._connectors

    def call(self, name: str, task, properties: dict, script_engine) -> dict:
        """Run a service task's connector: a value connector now, an effect through the outbox."""
        connector = self.get(name)
        element = task.task_spec.bpmn_id
        context = script_engine.context
        if connector.kind == "effect":
            script_engine.outbox.append(OutboxEntry(name, element, {
                "variables": dict(task.data), "properties": dict(properties),
                "business_key": context.get("business_key")}))
            return {}
        if getattr(script_engine, "replaying", False):  # replay uses the recorded result
            return script_engine.recorder.record(element, f"connector:{name}", None)
        call = ConnectorCall(name, context.get("instance_id"), context.get("business_key"), element,
                             dict(task.data), dict(properties), script_engine.now(), context.get("connection"),
                             script_engine.tz)
        result = connector.fn(call) or {}
        if not isinstance(result, dict):
            raise TypeError(f"connector {name!r} must return a dict of variables, not {type(result).__name__}")
        script_engine.recorder.record(element, f"connector:{name}", result)
        return result
