"""GET /api/v1/events: Server-Sent Events for every open screen."""

from __future__ import annotations

from flask import Response, current_app, g, request, stream_with_context

from appliance.i18n import _
from appliance.errors import TillboxError

from ..access import LOGIN, access
from ..events import sse_format
from . import bp
from .training import shown_to

HEARTBEAT_SECONDS = 15


class NoSlot(TillboxError):
    status = 503
    code = "busy"


@bp.get("/events")
@access(LOGIN)
def events():
    if request.method != "GET":  # HEAD: no body will be read, so hold no slot for one
        return Response(mimetype="text/event-stream")
    bus = current_app.config["EVENTS"]
    session = g.session
    sessions, token = current_app.config["SESSIONS"], session.token
    sub = bus.subscribe()
    if sub is None:
        raise NoSlot(_("too many screens are following events; close one and retry"))

    def stream():
        try:
            yield "retry: 3000\n\n"
            while not sub.dropped and sessions.alive(token):  # sign-out ends the stream
                event = sub.get(HEARTBEAT_SECONDS)
                # A comment line keeps proxies and phones from closing an idle stream; an
                # event of the other mode (training or real) is not this screen's.
                yield sse_format(event) if event and shown_to(event, session.training) \
                    else ": keep-alive\n\n"
        finally:
            sub.close()

    return Response(stream_with_context(stream()), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
