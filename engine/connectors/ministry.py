"""The connectors the ministry's processes call (service tasks name them by `camunda:topic`).

Value connectors (run inside the command, results recorded for replay):
- `issue_label`: issues a label into the label registry (number `MDM-LBL-<year>-<n>`,
  valid 3 years), or extends the association's active label (a renewal). Reads the
  variables `association_name`, `registration_number`, `country`; sets `label_number`,
  `label_issued_on`, `label_expires_on`, `label_renewed`.
- `lookup_label`: reads `label_number`; sets `label_valid`, `label_expires_on`,
  `label_seniority_years`, `label_association`.

Effect connectors (outbox rows, delivered by the worker at least once):
- `notify_applicant`: properties `to` (the variable holding the address, default
  `email`), `subject` and `body` (French text; `{name}` takes a variable, and
  `{business_key}` the instance's business key, the file's reference).
- `order_payment`: properties `amount` (variable holding the amount) and `label`; the
  payment order goes to the payments log (`diwan.payments`) with its idempotency key.
"""
from __future__ import annotations

import json
import logging
from datetime import date

from ..db import labels
from .registry import ConnectorCall, ConnectorRegistry, Delivery
from .transports import Notification, transport_from_env

LABEL_YEARS = 3
payments_log = logging.getLogger("diwan.payments")


class _Missing(dict):
    def __missing__(self, key):
        return "{" + key + "}"


def _render(text: str, variables: dict) -> str:
    return text.format_map(_Missing({k: v for k, v in variables.items() if not k.startswith("_")}))


def _add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def issue_label(call: ConnectorCall) -> dict:
    """Issue (or renew) an association's label in the label registry."""
    v, conn = call.variables, call.connection
    today = call.now.astimezone(call.tz).date() if call.tz else call.now.date()
    current = labels.active_for(conn, str(v["registration_number"]), today)
    if current is not None:
        expires = _add_years(current.expires_on, LABEL_YEARS)
        labels.extend(conn, current.number, expires, call.instance_id, call.now)
        return {"label_number": current.number, "label_issued_on": current.issued_on.isoformat(),
                "label_expires_on": expires.isoformat(), "label_renewed": True}
    number = f"MDM-LBL-{today.year}-{labels.count_issued_in(conn, today.year) + 1:05d}"
    expires = _add_years(today, LABEL_YEARS)
    labels.insert(conn, number=number, association=str(v["association_name"]),
                  registration_number=str(v["registration_number"]), country=str(v.get("country", "")),
                  issued_on=today, expires_on=expires, status="active", instance_id=call.instance_id,
                  updated_at=call.now)
    return {"label_number": number, "label_issued_on": today.isoformat(), "label_expires_on": expires.isoformat(),
            "label_renewed": False}


def lookup_label(call: ConnectorCall) -> dict:
    """Look a label up: valid (active, not expired), seniority in whole years."""
    today = call.now.astimezone(call.tz).date() if call.tz else call.now.date()
    row = labels.by_number(call.connection, str(call.variables.get("label_number", "")).strip())
    if row is None:
        return {"label_valid": False, "label_expires_on": None, "label_seniority_years": 0, "label_association": None}
    seniority = today.year - row.issued_on.year - ((today.month, today.day) < (row.issued_on.month, row.issued_on.day))
    return {"label_valid": row.status == "active" and row.expires_on >= today,
            "label_expires_on": row.expires_on.isoformat(), "label_seniority_years": max(seniority, 0),
            "label_association": row.association}


def register(registry: ConnectorRegistry, transport=None) -> ConnectorRegistry:
    """Register the ministry's connectors; `transport` delivers notifications (default: from env)."""
    transport = transport or transport_from_env()
    registry.transport = transport
    registry.value("issue_label")(issue_label)
    registry.value("lookup_label")(lookup_label)

    @registry.effect("notify_applicant")
    def notify_applicant(delivery: Delivery) -> None:
        """Notify the applicant (mail or log)."""
        variables, props = delivery.payload["variables"], delivery.payload["properties"]
        # `{business_key}` names the file (the complaint's reference, say) in texts.
        variables = {**variables, "business_key": delivery.payload.get("business_key") or ""}
        to = variables.get(props.get("to", "email"))
        if not to:
            raise ValueError(f"no address in variable {props.get('to', 'email')!r}")
        transport.send(Notification(delivery.idempotency_key, str(to),
                                    _render(props.get("subject", "Votre dossier"), variables),
                                    _render(props.get("body", "Votre dossier a été mis à jour."), variables),
                                    delivery.instance_id))

    @registry.effect("order_payment")
    def order_payment(delivery: Delivery) -> None:
        """Send a payment order to the finance service's log."""
        variables, props = delivery.payload["variables"], delivery.payload["properties"]
        amount = variables.get(props.get("amount", "amount"))
        if amount is None:
            raise ValueError(f"no amount in variable {props.get('amount', 'amount')!r}")
        payments_log.info(json.dumps({"payment_order": delivery.idempotency_key, "instance_id": delivery.instance_id,
                                      "amount": amount, "label": _render(props.get("label", ""), variables)},
                                     ensure_ascii=False))
        registry.payments.append({"key": delivery.idempotency_key, "amount": amount})

    registry.payments = []
    return registry


def ministry_connectors(transport=None) -> ConnectorRegistry:
    """A registry with the ministry's connectors (what `diwan serve` and `diwan worker` use)."""
    return register(ConnectorRegistry(), transport)
