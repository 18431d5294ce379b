"""The ministry's connectors: the label registry (issue, renew, look up), notifications and
payment orders delivered through the outbox."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from engine import Engine, EngineSettings, ManualClock
from engine.connectors.ministry import lookup_label, ministry_connectors
from engine.connectors.registry import ConnectorCall
from engine.connectors.transports import LogTransport
from engine.db import labels
from engine.workers.outbox_worker import OutboxWorker
from tests.conftest import fixture_files

ASSOCIATION = {"association_name": "Association Atlas Solidarité", "registration_number": "W751234567",
               "country": "France", "email": "contact@atlas.example", "grant": 12000}


def _engine(database_url, clock):
    transport = LogTransport()
    engine = Engine(settings=EngineSettings(database_url=database_url), clock=clock,
                    connectors=ministry_connectors(transport))
    engine.deploy(fixture_files("ministry_connectors.bpmn"))
    return engine, transport


def test_label__issued_looked_up_notified_and_paid(database_url):
    clock = ManualClock(datetime(2026, 5, 4, 10, tzinfo=timezone.utc))
    engine, transport = _engine(database_url, clock)
    inst = engine.start("label_and_pay", dict(ASSOCIATION), business_key="LAB-2026-007")
    data = inst.data
    assert data["label_number"] == "MDM-LBL-2026-00001" and data["label_renewed"] is False
    assert data["label_issued_on"] == "2026-05-04" and data["label_expires_on"] == "2029-05-04"
    assert data["label_valid"] is True and data["label_seniority_years"] == 0
    with engine.db.connect() as conn:
        [row] = labels.all_labels(conn)
    assert (row.association, row.registration_number, row.status) == (
        "Association Atlas Solidarité", "W751234567", "active")
    assert OutboxWorker(engine).drain() == 2
    [mail] = transport.sent
    assert mail.to == "contact@atlas.example" and mail.subject == "Label MDM-LBL-2026-00001 (LAB-2026-007)"
    assert mail.body == "Bonjour Association Atlas Solidarité, votre label expire le 2029-05-04."
    assert engine.connectors.payments[0]["amount"] == 12000
    engine.dispose()


def test_label__renewal_extends_and_expiry_invalidates(database_url):
    clock = ManualClock(datetime(2026, 5, 4, 10, tzinfo=timezone.utc))
    engine, _ = _engine(database_url, clock)
    engine.start("label_and_pay", dict(ASSOCIATION))
    clock.advance(timedelta(days=33 * 30))  # renewal at about 33 months
    renewed = engine.start("label_and_pay", dict(ASSOCIATION))
    assert renewed.data["label_number"] == "MDM-LBL-2026-00001" and renewed.data["label_renewed"] is True
    assert renewed.data["label_expires_on"] == "2032-05-04"
    assert renewed.data["label_seniority_years"] == 2
    other = engine.start("label_and_pay", {**ASSOCIATION, "registration_number": "W999"})
    assert other.data["label_number"] == "MDM-LBL-2029-00001"
    # After its expiry the label no longer counts as valid.
    with engine.db.connect() as conn:
        call = lambda when: ConnectorCall("lookup_label", None, None, "x", {"label_number": "MDM-LBL-2026-00001"},
                                          {}, when, conn, engine.tz)
        assert lookup_label(call(datetime(2032, 5, 4, 12, tzinfo=timezone.utc)))["label_valid"] is True
        assert lookup_label(call(datetime(2032, 5, 5, 12, tzinfo=timezone.utc)))["label_valid"] is False
        assert lookup_label(call(datetime(2030, 5, 4, 12, tzinfo=timezone.utc)))["label_seniority_years"] == 4
    engine.dispose()
