"""A socketserver loop that stops the moment it is asked to, not at its next poll.

``socketserver.BaseServer.serve_forever(poll_interval)`` notices ``shutdown()`` only when its
``select`` times out, so every stop costs up to one poll interval (0.1-0.5 s) of waiting. Our
loopback servers (the emulator, the PKCE callback listener, the container-credentials
endpoint) start and stop many times in a test suite and once per sign-in in a program, so that
wait adds up to minutes of idle time. This loop also watches one end of a socket pair and
:meth:`PromptStopMixin.stop_serving` writes a byte to the other: the ``select`` returns at
once and the loop ends. Nothing polls while the server is idle.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading
from typing import Any


class PromptStopMixin:
    """Mix into a ``socketserver.BaseServer`` subclass (before it) for a stop without polling.

    Run :meth:`serve_until_stopped` in a thread; call :meth:`stop_serving` from any other
    thread to end it, join the thread, then ``server_close()`` as usual.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # before the server's own __init__, which calls server_close() when it cannot bind
        reader, writer = socket.socketpair()
        reader.setblocking(False)
        self._prompt_stop = (reader, writer, threading.Event())
        super().__init__(*args, **kwargs)

    def _prompt_stop_state(self) -> tuple[socket.socket, socket.socket, threading.Event]:
        return self._prompt_stop

    def serve_until_stopped(self) -> None:
        """Handle requests until :meth:`stop_serving` is called (then return at once)."""
        reader, _writer, stop = self._prompt_stop_state()
        with selectors.DefaultSelector() as selector:
            selector.register(self, selectors.EVENT_READ)  # type: ignore[arg-type]
            selector.register(reader, selectors.EVENT_READ)
            while not stop.is_set():
                for key, _events in selector.select():
                    if key.fileobj is not reader and not stop.is_set():
                        self._handle_request_noblock()  # type: ignore[attr-defined]
                self.service_actions()  # type: ignore[attr-defined]

    def stop_serving(self) -> None:
        """Ask the loop to end; it wakes at once (safe to call twice, or before it runs)."""
        _reader, writer, stop = self._prompt_stop_state()
        stop.set()
        with contextlib.suppress(OSError):
            writer.send(b"\0")

    def server_close(self) -> None:
        """Close the listening socket (as socketserver does) and the wake-up pair."""
        super().server_close()  # type: ignore[misc]
        for end in self._prompt_stop[:2]:
            with contextlib.suppress(OSError):
                end.close()
