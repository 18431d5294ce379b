"""One smorest Blueprint per resource; `register` adds them all to the Api."""
from __future__ import annotations

from flask_smorest import Api

from . import (admin_log, audit, auth, clerk_work, clock, dashboard, definitions, deployments, drafts, external_tasks, history, incidents,
               instances, messages, operations, tasks, users)

BLUEPRINTS = [
    auth.blp, users.blp, deployments.blp, definitions.blp, instances.blp, tasks.blp, messages.blp,
    history.blp, audit.blp, incidents.blp, operations.blp, external_tasks.blp, drafts.blp, admin_log.blp,
    users.groups_blp, clerk_work.blp, dashboard.blp,
]


def register(api: Api, manual_clock: bool = False) -> None:
    """Register every blueprint; the clock route only exists with a manual clock (API.md, Time)."""
    for blueprint in BLUEPRINTS + ([clock.blp] if manual_clock else []):
        api.register_blueprint(blueprint)
    external_tasks.register_docs(api)
