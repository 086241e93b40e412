"""``refreshable-sso demo``: watch a session outlive several credential and token expiries.

Everything runs locally: the built-in emulator plays IAM Identity Center with lifetimes of
seconds, caches live in a temporary directory (the real ``~/.aws`` is never touched), and a
few threads call ``whoami()`` in a loop. Exit status 0 only if every call succeeded.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from refreshable_sso import _clock

if TYPE_CHECKING:  # imported in run(): building the CLI's parser stays cheap
    from refreshable_sso.emulator import Emulator
    from refreshable_sso.session import SSORefreshableSession

SSO_SESSION_NAME = "refreshable-sso-demo"


def register(subparsers: Any) -> None:
    """Add the ``demo`` command."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "demo",
        help="run a long-running session against the built-in emulator (no AWS account needed)",
        description=(
            "Start the local IAM Identity Center emulator with short lifetimes, sign in, and "
            "call sts:GetCallerIdentity from several threads through repeated role-credential "
            "and access-token expiries. Exits 0 only if every call succeeded."
        ),
    )
    parser.add_argument(
        "--duration", type=float, default=60.0, metavar="SECONDS", help="run time (default 60)"
    )
    parser.add_argument("--threads", type=int, default=4, help="calling threads (default 4)")
    parser.add_argument(
        "--role-ttl",
        type=float,
        default=20.0,
        metavar="SECONDS",
        help="role credential lifetime (default 20)",
    )
    parser.add_argument(
        "--token-ttl",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="access token lifetime (default 30)",
    )
    parser.add_argument(
        "--interval",
        type=float,
        default=0.25,
        metavar="SECONDS",
        help="pause between one thread's calls (default 0.25)",
    )
    parser.set_defaults(handler=run)


@dataclass
class _Tally:
    """Call outcomes shared by the worker threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    calls: int = 0
    failures: int = 0
    identity: str = "-"
    first_errors: list[str] = field(default_factory=list)

    def success(self, identity: str) -> None:
        with self.lock:
            self.calls += 1
            self.identity = identity

    def failure(self, error: BaseException) -> None:
        with self.lock:
            self.calls += 1
            self.failures += 1
            if len(self.first_errors) < 5:
                self.first_errors.append(f"{type(error).__name__}: {error}")


def _validate(args: argparse.Namespace) -> list[str]:
    problems = []
    if args.duration <= 0:
        problems.append("--duration must be positive")
    if args.threads < 1:
        problems.append("--threads must be at least 1")
    if args.role_ttl < 3:
        problems.append("--role-ttl must be at least 3 seconds")
    if args.token_ttl < 3:
        problems.append("--token-ttl must be at least 3 seconds")
    if args.interval < 0:
        problems.append("--interval must be >= 0")
    return problems


def _sign_in(emu: Emulator, cache_dir: Path, out: TextIO) -> str:
    """A real device-code login (the emulator approves it); seeding the cache as a fallback."""
    try:
        from refreshable_sso.tokens.login.device import DeviceCodeProvider
    except ImportError:  # pragma: no cover - only while the login work is absent
        emu.seed_token_cache(cache_dir, SSO_SESSION_NAME)
        return "token cache seeded by the emulator"
    provider = DeviceCodeProvider(
        emu.start_url,
        emu.region,
        sso_session_name=SSO_SESSION_NAME,
        open_browser=False,
        oidc_endpoint_url=emu.url,
        cache_dir=cache_dir,
        notifier=lambda text: print(_indent(text), file=out, flush=True),
        timeout=60,
    )
    provider.login()
    return "device code flow (approved by the emulator)"


def _indent(text: str) -> str:
    return "\n".join(f"  | {line}" if line.strip() else "  |" for line in text.strip().splitlines())


def _worker(
    session: SSORefreshableSession, tally: _Tally, stop: threading.Event, pause: float
) -> None:
    while not stop.is_set():
        try:
            identity = session.whoami()
            tally.success(
                f"{identity['user_name']} as {identity['role_name']}@{identity['Account']}"
            )
        except Exception as exc:  # the demo counts every failure, whatever it is
            tally.failure(exc)
        stop.wait(pause)


def run(args: argparse.Namespace) -> int:
    """Run the demo; 0 if every call succeeded, 1 otherwise (2 bad arguments, 130 Ctrl-C)."""
    from refreshable_sso.emulator import Emulator
    from refreshable_sso.session import SSORefreshableSession

    problems = _validate(args)
    if problems:
        print("refreshable-sso demo: " + "; ".join(problems), file=sys.stderr)
        return 2
    out = sys.stdout
    live = out.isatty()
    with (
        tempfile.TemporaryDirectory(prefix="refreshable-sso-demo-") as tmp,
        Emulator(
            auto_approve=True,
            access_token_ttl=args.token_ttl,
            role_credentials_ttl=args.role_ttl,
            session_ttl=max(3600.0, args.duration * 10),
        ) as emu,
    ):
        token_dir, credential_dir = Path(tmp) / "sso-cache", Path(tmp) / "cli-cache"
        print(f"Emulator: {emu.url} (start URL {emu.start_url}, region {emu.region})", file=out)
        print(f"Caches:   {tmp} (your ~/.aws is not used)", file=out)
        print(
            f"Lifetimes: role credentials {args.role_ttl:g} s, access token {args.token_ttl:g} s; "
            f"{args.threads} threads for {args.duration:g} s",
            file=out,
            flush=True,
        )
        how = _sign_in(emu, token_dir, out)
        print(f"Signed in: {how}", file=out, flush=True)
        session = SSORefreshableSession(
            start_url=emu.start_url,
            sso_region=emu.region,
            sso_session_name=SSO_SESSION_NAME,
            account_id=emu.default_account_id,
            role_name=emu.default_role_name,
            region_name=emu.region,
            advisory_timeout=args.role_ttl * 0.4,
            mandatory_timeout=args.role_ttl * 0.15,
            token_refresh_window=args.token_ttl * 0.35,
            endpoints={"sso": emu.url, "sso_oidc": emu.url, "sts": emu.url},
            token_cache_dir=token_dir,
            credential_cache_dir=credential_dir,
        )
        token_calls_at_start = emu.calls("CreateToken")
        tally = _Tally()
        stop = threading.Event()
        threads = [
            threading.Thread(
                target=_worker, args=(session, tally, stop, args.interval), daemon=True
            )
            for _ in range(args.threads)
        ]
        started = _clock.monotonic()
        for thread in threads:
            thread.start()
        interrupted = False
        last_line = 0.0
        try:
            while (elapsed := _clock.monotonic() - started) < args.duration:
                _clock.sleep(min(0.5, max(0.0, args.duration - elapsed)))
                if live or _clock.monotonic() - last_line >= 5.0:
                    last_line = _clock.monotonic()
                    line = _status(
                        session, emu, tally, _clock.monotonic() - started, token_calls_at_start
                    )
                    print(
                        ("\r" + line.ljust(110)) if live else line,
                        end="" if live else "\n",
                        file=out,
                        flush=True,
                    )
        except KeyboardInterrupt:
            interrupted = True
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=30)
            session.close()
        if live:
            print(file=out)
        elapsed = _clock.monotonic() - started
        role_fetches = emu.calls("GetRoleCredentials")
        token_refreshes = emu.calls("CreateToken") - token_calls_at_start
        print("Summary:", file=out)
        print(f"  ran {elapsed:.1f} s, {tally.calls} calls, {tally.failures} failed", file=out)
        print(f"  identity: {tally.identity}", file=out)
        print(
            f"  role credentials fetched {role_fetches} times (lifetime {args.role_ttl:g} s), "
            f"access token refreshed {token_refreshes} times (lifetime {args.token_ttl:g} s)",
            file=out,
        )
        for error in tally.first_errors:
            print(f"  error: {error}", file=out)
        ok = tally.failures == 0 and tally.calls > 0 and not interrupted
        if interrupted:
            verdict = f"INTERRUPTED after {elapsed:.1f} s ({tally.failures} failed so far)"
        else:
            verdict = "OK, every call succeeded" if ok else "FAILED"
        print("  result: " + verdict, file=out, flush=True)
    if interrupted:
        return 130
    return 0 if ok else 1


def _status(
    session: SSORefreshableSession, emu: Emulator, tally: _Tally, elapsed: float, token_base: int
) -> str:

    expiry = session.credentials_expiration
    left = f"{(expiry - _clock.now()).total_seconds():5.1f}s" if expiry else "  -  "
    with tally.lock:
        calls, failures, identity = tally.calls, tally.failures, tally.identity
    return (
        f"[{elapsed:5.1f}s] calls {calls:5d}  failed {failures}  "
        f"role fetches {emu.calls('GetRoleCredentials'):3d}  "
        f"token refreshes {emu.calls('CreateToken') - token_base:2d}  "
        f"creds expire in {left}  {identity}"
    )
