"""Messages (clerk, admin): correlate a message to the instances waiting for it."""
from __future__ import annotations

from flask.views import MethodView

from ..auth import current_actor, requires
from ..blueprint import Blueprint
from ..extensions import current_engine
from ..schemas.messages import CorrelatedSchema, MessageSchema

blp = Blueprint("messages", __name__, url_prefix="/api/v1/messages", description="BPMN messages.")


@blp.route("")
class MessagesResource(MethodView):
    @requires("clerk", "admin")
    @blp.arguments(MessageSchema())
    @blp.response(200, CorrelatedSchema)
    def post(self, body):
        """Send a message: every running instance waiting for it under the key receives it

        The key matches the instances' `business_key`; `data` is merged into their
        variables. Where none waits and a process has a message start event of that name,
        a new instance starts. Nothing waiting and no such start: 404.
        """
        correlated = current_engine().correlate(body["name"], body["correlation_key"], body["data"],
                                                actor=current_actor())
        return {"correlated": correlated}
