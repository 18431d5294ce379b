"""The SLA dashboard (supervisors, admins): volumes per process, cycle time per step (median and
90th percentile of the completed user tasks' durations, from ready to completed), overdue tasks
by group and by consulate (a variable, `EngineSettings.consulate_field`). A mixin of `Engine`."""
from __future__ import annotations

import math
from datetime import datetime
from typing import TYPE_CHECKING

import orjson

from .db import dashboard

if TYPE_CHECKING:  # pragma: no cover
    from .engine import Engine

NO_CONSULATE = "(non renseigné)"


def percentile(values: list[float], p: float) -> float | None:
    """The nearest-rank percentile (p in 0..100) of `values`, or None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


class DashboardMethods:
    def sla_dashboard(self: "Engine", since: datetime | None = None) -> dict:
        """The dashboard's figures.

        Returns:
            {"generated_at", "volumes": [{"definition_key", "running", "completed", "cancelled", "failed",
            "suspended", "total"}], "steps": [{"definition_key", "element_id", "name", "count",
            "median_hours", "p90_hours"}], "overdue_by_group": [{"group", "count"}],
            "overdue_by_consulate": [{"consulate", "count"}], "overdue": [{"task_id", ...}]}
        """
        from .engine import _utc

        now = self.clock.now()
        field = self.settings.consulate_field
        with self.kept.transaction(write=False) as conn:
            volume_rows = dashboard.volumes(conn, since)
            done = dashboard.completed_tasks(conn, since)
            late = dashboard.overdue_tasks(conn, now)
        volumes: dict[str, dict] = {}
        for key, status, n in volume_rows:
            row = volumes.setdefault(key, {"definition_key": key, "running": 0, "completed": 0, "cancelled": 0,
                                           "failed": 0, "suspended": 0, "total": 0})
            row[status] = row.get(status, 0) + n
            row["total"] += n
        durations: dict[tuple[str, str], dict] = {}
        for key, element, name, created, completed in done:
            step = durations.setdefault((key, element), {"definition_key": key, "element_id": element,
                                                          "name": name or element, "hours": []})
            step["hours"].append((_utc(completed) - _utc(created)).total_seconds() / 3600)
        steps = []
        for step in sorted(durations.values(), key=lambda s: (s["definition_key"], s["name"])):
            hours = step.pop("hours")
            steps.append({**step, "count": len(hours), "median_hours": round(percentile(hours, 50), 2),
                          "p90_hours": round(percentile(hours, 90), 2)})
        by_group: dict[str, int] = {}
        by_consulate: dict[str, int] = {}
        overdue = []
        for r in late:
            groups = orjson.loads(r.candidate_groups) or ["(sans groupe)"]
            for g in groups:
                by_group[g] = by_group.get(g, 0) + 1
            consulate = orjson.loads(r.data).get(field) if field else None
            consulate = consulate if isinstance(consulate, str) and consulate.strip() else NO_CONSULATE
            by_consulate[consulate] = by_consulate.get(consulate, 0) + 1
            overdue.append({"task_id": r.id, "definition_key": r.definition_key, "element_id": r.element_id,
                            "name": r.name, "business_key": r.business_key, "due_at": _utc(r.due_at),
                            "groups": groups, "consulate": consulate,
                            "late_hours": round((now - _utc(r.due_at)).total_seconds() / 3600, 1)})
        overdue.sort(key=lambda o: o["due_at"])
        return {"generated_at": now, "volumes": sorted(volumes.values(), key=lambda v: v["definition_key"]),
                "steps": steps,
                "overdue_by_group": [{"group": g, "count": n} for g, n in sorted(by_group.items(), key=lambda x: (-x[1], x[0]))],
                "overdue_by_consulate": [{"consulate": c, "count": n}
                                         for c, n in sorted(by_consulate.items(), key=lambda x: (-x[1], x[0]))],
                "overdue": overdue}
