"""The manual clock (`DIWAN_CLOCK=manual`: tests and demos; the route does not exist otherwise)."""
from __future__ import annotations

from flask.views import MethodView

from engine import InvalidData

from ..auth import requires
from ..blueprint import Blueprint
from ..extensions import current_engine
from ..schemas.audit import ClockResultSchema, ClockSchema

blp = Blueprint("clock", __name__, url_prefix="/api/v1", description="Manual clock (tests and demos).")


@blp.route("/admin/clock")
class ClockResource(MethodView):
    @requires("admin")
    @blp.arguments(ClockSchema())
    @blp.response(200, ClockResultSchema)
    def post(self, body):
        """Move the engine clock forward, firing every timer that falls due on the way

        Each timer fires at its own due time, in due order (timers created by a firing
        fire too). The clock never goes back (422).
        """
        engine = current_engine()
        if "set" in body:
            now, fired = engine.advance_clock(to=body["set"])
        else:
            from engine.definitions.literals import LiteralError
            from engine.runtime.timer_events import add_duration

            try:
                target = add_duration(engine.clock.now(), body["advance"], engine.tz)
            except LiteralError as exc:
                raise InvalidData("advance must be an ISO 8601 duration", errors={"advance": [str(exc)]}) from None
            now, fired = engine.advance_clock(to=target)
        return {"now": now, "fired": fired}
