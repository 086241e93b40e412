"""``refreshable-sso serve``: a container-credentials endpoint for other processes and
containers, until interrupted.

Prints the variables a client needs (one ``AWS_CONTAINER_CREDENTIALS_FULL_URI`` per profile and
the token, or the path of a 0600 token file with ``--token-file``), then serves. Several
profiles of one sign-in share its token and refresh.
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from refreshable_sso.cli._target import add_target_arguments, build_sessions


def register(subparsers: Any) -> None:
    """Add the ``serve`` command."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "serve",
        help="serve refreshed role credentials to other processes (container-credentials protocol)",
        description=(
            "Serve the roles' credentials over the container credential provider protocol that "
            "botocore and every AWS SDK speak. Binds 127.0.0.1 unless --host says otherwise. "
            "Prints export lines for the client (eval them, or pass them to docker run -e)."
        ),
    )
    add_target_arguments(parser, many_profiles=True)
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to bind (default 127.0.0.1; anything else is logged as a warning)",
    )
    parser.add_argument("--port", type=int, default=0, help="port (default: any free one)")
    parser.add_argument(
        "--token-file",
        type=Path,
        metavar="PATH",
        help="write the token to this file (mode 0600) and print "
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE instead of the token",
    )
    parser.set_defaults(handler=run)


def _write_token(path: Path, token: str) -> None:
    path = path.expanduser()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, token.encode("utf-8"))
    finally:
        os.close(fd)


def run(args: argparse.Namespace) -> int:
    from refreshable_sso.serving.container import (
        FULL_URI_ENV,
        TOKEN_ENV,
        TOKEN_FILE_ENV,
        ContainerCredentialServer,
    )

    sessions = build_sessions(args)
    single = len(sessions) == 1
    server = ContainerCredentialServer(
        next(iter(sessions.values())) if single else sessions, host=args.host, port=args.port
    )
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        server.start()
        lines = []
        for index, (name, url) in enumerate(server.urls.items()):
            if not single:  # eval-ing the output selects the first; the others are comments
                lines.append(f"# profile {name}")
            prefix = "" if index == 0 else "# "
            lines.append(f"{prefix}export {FULL_URI_ENV}={shlex.quote(url)}")
        if args.token_file is not None:
            _write_token(args.token_file, server.token)
            path = str(args.token_file.expanduser().resolve())
            lines.append(f"export {TOKEN_FILE_ENV}={shlex.quote(path)}")
        else:
            lines.append(f"export {TOKEN_ENV}={shlex.quote(server.token)}")
        sys.stdout.write("\n".join(lines) + "\n")
        sys.stdout.flush()
        print("refreshable-sso: serving; press Ctrl-C to stop", file=sys.stderr, flush=True)
        server.serve_forever(stop)
    finally:
        server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0
