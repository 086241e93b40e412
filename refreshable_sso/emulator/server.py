"""The HTTP server: one threaded listener, routing every service by method and path.

All three AWS services share one base URL (as ``AWS_ENDPOINT_URL_SSO``,
``..._SSO_OIDC`` and ``..._STS`` all point at it); their paths never collide. Each request
is read with a size cap, routed, passed through the fault plan, counted, and answered; any
unexpected exception becomes a 500 with a JSON body, never a traceback on the wire.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from refreshable_sso.emulator.clock import Clock
from refreshable_sso.emulator.counters import Counters
from refreshable_sso.emulator.faults import Faults
from refreshable_sso.emulator.wire import (
    ApiError,
    Request,
    Response,
    Service,
    default_code,
    render_error,
)
from refreshable_sso.tokens.login._prompt_server import PromptStopMixin

logger = logging.getLogger(__name__)

Handler = Callable[[Request], Response]


@dataclass(frozen=True)
class Route:
    """One operation: its name (for counters and faults), service (for errors) and handler."""

    operation: str
    service: Service
    handler: Handler
    faultable: bool = True
    # Names the operation from the request when one path serves several (STS's Action).
    operation_of: Callable[[Request], str | None] | None = None


class Router:
    """``(method, path) -> Route`` with AWS-style answers for unknown paths and methods."""

    def __init__(self) -> None:
        self._routes: dict[str, dict[str, Route]] = {}
        self._targets: dict[str, Route] = {}  # AWS JSON 1.1: "Prefix.Operation" -> route
        self._target_services: dict[str, Service] = {}

    def add(self, method: str, path: str, route: Route) -> None:
        self._routes.setdefault(path, {})[method] = route

    def add_target(self, prefix: str, route: Route) -> None:
        """A JSON 1.1 operation, reached by ``POST /`` with ``X-Amz-Target: prefix.Operation``."""
        self._targets[f"{prefix}.{route.operation}"] = route
        self._target_services[prefix] = route.service

    def resolve_target(self, method: str, target: str | None) -> Route | None:
        """The route an ``X-Amz-Target`` names (None: not a JSON 1.1 call we know of)."""
        if not target or method != "POST":
            return None
        route = self._targets.get(target)
        if route is not None:
            return route
        prefix, _, operation = target.partition(".")
        service = self._target_services.get(prefix)
        if service is None:
            return None

        def unknown(request: Request) -> Response:
            raise ApiError(400, "UnknownOperationException", f"{operation} is not emulated")

        return Route(operation or target, service, unknown, faultable=False)

    def resolve(self, method: str, path: str) -> Route:
        by_method = self._routes.get(path)
        if by_method is None:
            raise ApiError(404, "UnknownOperationException", f"No operation at path {path!r}")
        route = by_method.get(method)
        if route is None:
            allowed = ", ".join(sorted(by_method))
            raise ApiError(
                405,
                "MethodNotAllowedException",
                f"{method} is not allowed on {path}; use {allowed}",
            )
        return route


@dataclass
class ServerContext:
    """What the request handler needs from the emulator."""

    router: Router
    counters: Counters
    faults: Faults
    max_body_bytes: int
    clock: Clock | None = None  # the Date header follows it (a skewed emulator shows it)


class EmulatorHTTPServer(PromptStopMixin, ThreadingHTTPServer):
    """A threaded server whose handler threads never block interpreter exit."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], context: ServerContext) -> None:
        self.context = context
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _RequestHandler)

    def track(self, connection: socket.socket, active: bool) -> None:
        """Remember open client connections so :meth:`close_connections` can end them."""
        with self._connections_lock:
            if active:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def close_connections(self) -> None:
        """Cut every open keep-alive connection: once stopped, nothing is served any more."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Answer even an unparseable request line with a status line (never bare HTTP/0.9).
    default_request_version = "HTTP/1.0"
    server_version = "refreshable-sso-emulator"
    timeout = 60  # idle keep-alive connections and stalled uploads give up after this
    server: EmulatorHTTPServer

    def setup(self) -> None:
        super().setup()
        # Small request/response pairs on keep-alive connections: without this, Nagle's
        # algorithm and delayed ACKs add ~40 ms to every call.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection, active=True)

    def finish(self) -> None:
        self.server.track(self.connection, active=False)
        super().finish()

    def parse_request(self) -> bool:
        if not super().parse_request():
            return False
        if self.headers.defects:
            self.close_connection = True
            self.send_error(400, "Malformed request headers")
            return False
        return True

    def version_string(self) -> str:
        return self.server_version

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The ``Date`` header on the emulator's clock, as a skewed server would send it."""
        clock = self.server.context.clock
        if timestamp is None and clock is not None:
            timestamp = clock.now()
        return formatdate(timestamp, usegmt=True)

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s " + format, self.address_string(), *args)

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        ctx = self.server.context
        service = Service.PORTAL
        operation: str | None = None
        try:
            parts = urlsplit(self.path)
            route: Route | None = None
            try:
                route = ctx.router.resolve_target(
                    self.command, self.headers.get("X-Amz-Target")
                ) or ctx.router.resolve(self.command, parts.path or "/")
                service = route.service
            except ApiError as exc:
                unrouted = exc
            # Read the body before failing, so a keep-alive connection never mistakes an
            # unread body for the next request.
            body = self._read_body(ctx.max_body_bytes)
            if route is None:
                raise unrouted
            request = Request(
                method=self.command,
                path=parts.path or "/",
                query=dict(parse_qsl(parts.query, keep_blank_values=True)),
                headers={k: v for k, v in self.headers.items()},
                body=body,
                raw_query=parts.query,
            )
            operation = (route.operation_of and route.operation_of(request)) or route.operation
            ctx.counters.record_call(operation)
            if route.faultable:
                _apply_fault(ctx.faults, operation, service)
            response = route.handler(request)
        except ApiError as exc:
            if operation is not None:
                ctx.counters.record_error(operation, exc.code)
            response = render_error(service, exc)
        except Exception:
            logger.exception("emulator: unexpected error handling %s %s", self.command, self.path)
            if operation is not None:
                ctx.counters.record_error(operation, "InternalServerException")
            response = render_error(
                service,
                ApiError(500, "InternalServerException", "The emulator hit an internal error"),
            )
        # AWS sends a request id on every response; botocore reads it into ResponseMetadata.
        response.headers.setdefault("x-amzn-RequestId", str(uuid.uuid4()))
        self._write(response)

    def _read_body(self, limit: int) -> bytes:
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            raise ApiError(
                411,
                "LengthRequiredException",
                "Chunked bodies are not accepted; send Content-Length",
            )
        raw = self.headers.get("Content-Length")
        if raw is None or raw.strip() == "":
            return b""
        try:
            length = int(raw)
        except ValueError:
            self.close_connection = True
            raise ApiError(
                400, "InvalidRequestException", f"Invalid Content-Length {raw!r}"
            ) from None
        if length < 0:
            self.close_connection = True
            raise ApiError(400, "InvalidRequestException", f"Invalid Content-Length {raw!r}")
        if length > limit:
            self.close_connection = True
            raise ApiError(
                413,
                "RequestEntityTooLargeException",
                f"Request body of {length} bytes exceeds the {limit}-byte limit",
            )
        try:
            body = self.rfile.read(length)
        except OSError:  # the client stalled past `timeout` or went away mid-body
            self.close_connection = True
            raise ApiError(
                408, "RequestTimeoutException", "Timed out reading the request body"
            ) from None
        if len(body) != length:
            self.close_connection = True
            raise ApiError(
                400, "InvalidRequestException", "Request body is shorter than Content-Length"
            )
        return body

    def _write(self, response: Response) -> None:
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            for name, value in response.headers.items():
                self.send_header(name, value)
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


def _apply_fault(faults: Faults, operation: str, service: Service) -> None:
    fault = faults.decide(operation)
    if fault is None:
        return
    if fault.latency:
        time.sleep(fault.latency)
    if fault.status is not None:
        code = fault.code or default_code(service, fault.status)
        raise ApiError(fault.status, code, fault.message or "injected fault")
