"""The emulator's own HTTP control endpoints (``/_emulator/...``).

They let another process (a CLI under test, a child worker) read the counters or steer the
emulator the way Python callers do with ``emu.stats()``, ``emu.clock.advance()`` and
``emu.end_sign_in_sessions()``.
"""

from __future__ import annotations

import json

from refreshable_sso.emulator.authority import Authority
from refreshable_sso.emulator.counters import Counters
from refreshable_sso.emulator.wire import ApiError, Request, Response


class ControlEndpoints:
    """Handlers for stats, health, clock and session control."""

    def __init__(self, authority: Authority, counters: Counters) -> None:
        self.authority = authority
        self.counters = counters

    def stats(self, _: Request) -> Response:
        """``{"calls": {op: n}, "errors": {op: {code: n}}}``."""
        body = json.dumps(self.counters.snapshot(), sort_keys=True).encode("utf-8")
        return Response(200, body)

    def health(self, _: Request) -> Response:
        settings = self.authority.settings
        return Response.json(
            {"ok": True, "startUrl": settings.start_url, "region": settings.region}
        )

    def advance_clock(self, request: Request) -> Response:
        raw = request.query.get("seconds", "")
        try:
            self.authority.clock.advance(float(raw))
        except ValueError:
            raise ApiError(
                400, "InvalidRequestException", f"seconds={raw!r}: pass a number >= 0"
            ) from None
        return Response.json({"offset": self.authority.clock.offset})

    def end_sessions(self, request: Request) -> Response:
        revoke = request.query.get("revoke_access_tokens", "") in ("1", "true")
        return Response.json({"ended": self.authority.end_sessions(revoke)})
