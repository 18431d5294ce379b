"""Prometheus metrics: request latency by route, commands by type and outcome, timers fired, open tasks."""
from __future__ import annotations

import os
import time

from flask import Flask, Response, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

from engine import Engine


class OpenTasksCollector:
    """`diwan_open_tasks{definition_key}`: ready user tasks per process, counted at scrape time."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def collect(self):
        family = GaugeMetricFamily("diwan_open_tasks", "Ready user tasks by process.", labels=["definition_key"])
        try:
            for definition in self.engine.list_definitions():
                total = self.engine.list_tasks(see_all=True, definition_key=definition.key, per_page=1).total
                family.add_metric([definition.key], total)
        except Exception:  # the database is down: /healthz says so; metrics still answer
            pass
        yield family


class Metrics:
    """The app's metrics, in a registry of its own (several apps may live in one test process)."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Histogram("diwan_http_request_duration_seconds", "HTTP request latency by route.",
                                  ["method", "route", "status"], registry=self.registry)
        self.commands = Counter("diwan_commands", "Engine commands by type and outcome.", ["command", "outcome"],
                                registry=self.registry)
        self.timers_fired = Counter("diwan_timers_fired", "Timers fired by this process.", registry=self.registry)
        self.open_tasks = OpenTasksCollector(engine)
        self.registry.register(self.open_tasks)

    def count_commands(self) -> None:
        """Count every command this process runs (the engine's command listener)."""
        engine = self.engine
        if getattr(engine, "_diwan_metrics", None) is self:
            return
        engine._diwan_metrics = self

        def counted(name: str, outcome: str, result) -> None:
            self.commands.labels(name, outcome).inc()
            if name == "FireTimer" and outcome == "ok" and result is not None:
                self.timers_fired.inc()

        engine.on_command(counted)

    def exposition(self) -> Response:
        registry = self.registry
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # gunicorn workers: add up every process's files
            from prometheus_client import multiprocess

            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            registry.register(self.open_tasks)
        return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


def register(app: Flask, engine: Engine) -> Metrics:
    metrics = Metrics(engine)
    metrics.count_commands()
    app.extensions["diwan.metrics"] = metrics

    @app.before_request
    def _start() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _observe(response):
        route = request.url_rule.rule if request.url_rule else "unmatched"
        metrics.requests.labels(request.method, route, str(response.status_code)).observe(
            time.perf_counter() - g.get("metrics_started", time.perf_counter()))
        return response

    return metrics
