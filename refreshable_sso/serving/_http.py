"""The HTTP plumbing of :class:`~refreshable_sso.serving.container.ContainerCredentialServer`.

Kept apart so ``http.server`` is imported only when a server starts. One thread per
connection (stdlib ``ThreadingHTTPServer``); HTTP/1.1 keep-alive; the request line is logged at
DEBUG, headers never (the token travels in one).
"""

from __future__ import annotations

import logging
import socket
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

from refreshable_sso.tokens.login._prompt_server import PromptStopMixin


class Reply(Protocol):
    """One answer as the HTTP layer writes it: a status, extra headers and the encoded body."""

    @property
    def status(self) -> int: ...

    @property
    def headers(self) -> tuple[tuple[str, str], ...]: ...

    def encoded(self) -> bytes: ...


class Responder(Protocol):
    """What the HTTP layer needs of the server that owns it: one answer per request.

    A protocol rather than the container server's class, so this module does not import the
    module that imports it.
    """

    def answer(self, method: str, path: str, authorization: str | None) -> Reply:
        """The answer to one request (``authorization`` is the raw header, or None); never
        raises."""
        ...


logger = logging.getLogger("refreshable_sso.serving.container")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "refreshable-sso"
    sys_version = ""
    # Headers and body are two writes: without TCP_NODELAY, Nagle and delayed ACKs add ~40 ms.
    disable_nagle_algorithm = True
    server: CredentialHTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s - %s", self.address_string(), format % args)

    def _reply(self) -> None:
        answer = self.server.owner.answer(
            self.command, self.path, self.headers.get("Authorization")
        )
        body = answer.encoded()
        # Drain a request body (non-GET) so the connection stays usable.
        length = self.headers.get("Content-Length")
        if length and length.isdigit() and int(length) <= 1 << 16:
            self.rfile.read(int(length))
        elif length:
            self.close_connection = True
        self.send_response(answer.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for name, value in answer.headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = _reply
    do_POST = _reply
    do_PUT = _reply
    do_DELETE = _reply
    do_PATCH = _reply
    do_HEAD = _reply
    do_OPTIONS = _reply


class CredentialHTTPServer(PromptStopMixin, ThreadingHTTPServer):
    """A threaded server with a backlog deep enough for many clients connecting at once."""

    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], owner: Responder) -> None:
        self.owner = owner
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)
