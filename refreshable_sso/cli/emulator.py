"""``refreshable-sso emulator``: run the local IAM Identity Center in the foreground."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from refreshable_sso.emulator import Emulator

# refreshable_sso.emulator.settings.DEFAULT_START_URL, named here so --help imports no emulator
DEFAULT_START_URL = "https://d-90670ca11e.awsapps.com/start"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The emulator's options (shared with ``python -m refreshable_sso.emulator``)."""
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    parser.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    parser.add_argument(
        "--region", default="us-east-1", help="SSO region it claims (default us-east-1)"
    )
    parser.add_argument("--start-url", default=DEFAULT_START_URL, help="start URL it accepts")
    parser.add_argument(
        "--directory", type=Path, metavar="FILE", help="JSON file with users and accounts"
    )
    parser.add_argument(
        "--auto-approve", action="store_true", help="approve every sign-in without a browser"
    )
    for name, default, what in (
        ("access-token-ttl", 3600, "access token lifetime"),
        ("session-ttl", 8 * 3600, "sign-in session lifetime"),
        ("role-credentials-ttl", 3600, "role credential lifetime"),
        ("device-code-ttl", 600, "device code lifetime"),
        ("registration-ttl", 90 * 86400, "client registration lifetime"),
    ):
        parser.add_argument(
            f"--{name}",
            type=float,
            default=default,
            metavar="SECONDS",
            help=f"{what} (default {default})",
        )
    parser.add_argument(
        "--assumed-role-ttl",
        type=float,
        default=None,
        metavar="SECONDS",
        help="cap on AssumeRole credential lifetimes, below AWS's 900 s minimum too "
        "(default: no cap, DurationSeconds as asked)",
    )
    parser.add_argument(
        "--device-interval",
        type=float,
        default=1,
        metavar="SECONDS",
        help="device poll interval (default 1, as IAM Identity Center; below 1 only for tests)",
    )


def emulator_from_args(args: argparse.Namespace) -> Emulator:
    """An (unstarted) emulator configured from parsed arguments."""
    from refreshable_sso.emulator import Emulator

    options: dict[str, Any] = {
        "host": args.host,
        "port": args.port,
        "region": args.region,
        "start_url": args.start_url,
        "auto_approve": args.auto_approve,
        "access_token_ttl": args.access_token_ttl,
        "session_ttl": args.session_ttl,
        "role_credentials_ttl": args.role_credentials_ttl,
        "assumed_role_ttl": args.assumed_role_ttl,
        "device_code_ttl": args.device_code_ttl,
        "registration_ttl": args.registration_ttl,
        "device_interval": args.device_interval,
    }
    return Emulator(directory=args.directory, **options)


def run(
    args: argparse.Namespace, out: TextIO = sys.stdout, stop: threading.Event | None = None
) -> int:
    """Serve until Ctrl-C, SIGTERM or ``stop`` is set, after printing the exports and the
    start URL."""
    emulator = emulator_from_args(args).start()
    stop = stop or threading.Event()
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set()) if in_main_thread else None
    try:
        for name, value in emulator.env().items():
            print(f"export {name}={value}", file=out)
        print(f"# start URL: {emulator.start_url}  region: {emulator.region}", file=out)
        print(f"# device verification page: {emulator.url}/device", file=out)
        if args.host not in ("127.0.0.1", "localhost", "::1"):
            print(
                f"# WARNING: listening on {args.host}: anyone who can reach it can sign in",
                file=out,
            )
        print("# serving; press Ctrl-C to stop", file=out, flush=True)
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)
        emulator.stop()
        print("# emulator stopped", file=out, flush=True)
    return 0


def register(subparsers: Any) -> None:
    """Add the ``emulator`` command."""
    parser = subparsers.add_parser(
        "emulator",
        help="run a local IAM Identity Center (SSO, SSO-OIDC, STS) for offline use",
        description="Run a local IAM Identity Center emulator in the foreground.",
    )
    add_arguments(parser)
    parser.set_defaults(handler=run)
