"""One smorest Blueprint per resource; `register` adds them all to the Api."""
from __future__ import annotations

from flask_smorest import Api

from . import auth, definitions, deployments, history, instances, messages, operations, tasks, users

BLUEPRINTS = [
    auth.blp, users.blp, deployments.blp, definitions.blp, instances.blp, tasks.blp, messages.blp,
    history.blp, operations.blp,
    # Still to come with their engine features: incidents.blp (GET /api/v1/incidents,
    # POST /api/v1/incidents/{id}/retry, admin) and clock.blp (POST /api/v1/admin/clock,
    # admin, registered only with DIWAN_CLOCK=manual). Protect them with auth.requires("admin").
]


def register(api: Api) -> None:
    for blueprint in BLUEPRINTS:
        api.register_blueprint(blueprint)
