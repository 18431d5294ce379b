"""Notification transports: how the `notify_applicant` effect reaches people.

`log` (default) writes one JSON line per notification to the `diwan.notifications`
logger; `smtp` sends mail through the server named by `DIWAN_SMTP_HOST` (with
`DIWAN_SMTP_PORT`, `DIWAN_SMTP_USER`, `DIWAN_SMTP_PASSWORD`, `DIWAN_SMTP_FROM`,
`DIWAN_SMTP_STARTTLS`). Choose with `DIWAN_NOTIFY_TRANSPORT`.
"""
from __future__ import annotations

import json
import logging
import os
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage

log = logging.getLogger("diwan.notifications")


@dataclass(frozen=True)
class Notification:
    key: str  # idempotency key (the outbox row id)
    to: str
    subject: str
    body: str
    instance_id: str


class LogTransport:
    """Writes each notification as a JSON line; keeps the last ones for inspection."""

    def __init__(self) -> None:
        self.sent: list[Notification] = []

    def send(self, n: Notification) -> None:
        log.info(json.dumps({"notification": n.key, "to": n.to, "subject": n.subject, "body": n.body,
                             "instance_id": n.instance_id}, ensure_ascii=False))
        self.sent.append(n)
        del self.sent[:-1000]


class SmtpTransport:
    """Sends mail; the outbox key travels as Message-ID so a receiver can drop duplicates."""

    def __init__(self, host: str, port: int = 25, user: str | None = None, password: str | None = None,
                 sender: str = "diwan@localhost", starttls: bool = False, timeout: float = 30):
        self.host, self.port, self.user, self.password = host, port, user, password
        self.sender, self.starttls, self.timeout = sender, starttls, timeout

    def send(self, n: Notification) -> None:
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = self.sender, n.to, n.subject
        msg["Message-ID"] = f"<{n.key}@diwan>"
        msg.set_content(n.body)
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.user:
                smtp.login(self.user, self.password or "")
            smtp.send_message(msg)


def transport_from_env():
    kind = os.environ.get("DIWAN_NOTIFY_TRANSPORT", "log").lower()
    if kind == "smtp":
        return SmtpTransport(
            os.environ["DIWAN_SMTP_HOST"], int(os.environ.get("DIWAN_SMTP_PORT", "25")),
            os.environ.get("DIWAN_SMTP_USER"), os.environ.get("DIWAN_SMTP_PASSWORD"),
            os.environ.get("DIWAN_SMTP_FROM", "diwan@localhost"),
            os.environ.get("DIWAN_SMTP_STARTTLS", "").lower() in ("1", "true", "yes"))
    if kind != "log":
        raise ValueError(f"DIWAN_NOTIFY_TRANSPORT must be log or smtp, not {kind!r}")
    return LogTransport()
