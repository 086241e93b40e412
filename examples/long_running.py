"""A long-running worker whose SSO credentials never go stale.

    python examples/long_running.py                       # offline: emulator, 45 s, 8 s credentials
    python examples/long_running.py --profile my-profile  # for real (runs until Ctrl-C)

The session refreshes role credentials by itself (botocore's advisory/mandatory windows) and
the access token with its refresh token; the loop only does its work. Before a batch it calls
``ensure_valid_credentials()`` so a problem (sign-in session over) surfaces between batches,
as a clear ``LoginRequiredError``, rather than in the middle of one.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from refreshable_sso.emulator import Emulator
from refreshable_sso.errors import LoginRequiredError
from refreshable_sso.session import SSORefreshableSession


def offline_session(stack: ExitStack) -> tuple[SSORefreshableSession, Emulator]:
    emu = stack.enter_context(
        Emulator(auto_approve=True, role_credentials_ttl=8, access_token_ttl=15)
    )
    cache = Path(stack.enter_context(tempfile.TemporaryDirectory()))
    emu.seed_token_cache(cache / "sso", sso_session_name="worker")
    session = SSORefreshableSession(
        start_url=emu.start_url,
        sso_region=emu.region,
        sso_session_name="worker",
        account_id=emu.default_account_id,
        role_name=emu.default_role_name,
        region_name="us-east-1",
        advisory_timeout=3,  # refresh 3 s before expiry, one thread at a time
        mandatory_timeout=1,  # everybody waits for new credentials 1 s before expiry
        token_refresh_window=5,
        endpoints={"sso": emu.url, "sso_oidc": emu.url, "sts": emu.url},
        http={"connect_timeout": 2, "read_timeout": 5, "max_attempts": 4},
        token_cache_dir=cache / "sso",
        credential_cache_dir=cache / "cli",
    )
    return session, emu


def work(session: SSORefreshableSession, sts: Any) -> str:
    """One unit of work: here just GetCallerIdentity through a cached client."""
    return str(sts.get_caller_identity()["Arn"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", help="SSO profile of ~/.aws/config (default: emulator)")
    parser.add_argument("--duration", type=float, default=45.0, help="seconds (offline mode)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    with ExitStack() as stack:
        if args.profile:
            session = SSORefreshableSession.from_profile(args.profile)
            sts = session.client("sts")
            deadline = float("inf")
        else:
            session, emu = offline_session(stack)
            sts = session.client("sts", endpoint_url=emu.url)
            deadline = time.monotonic() + args.duration
        stack.enter_context(session)  # closes the cached clients at the end
        batches = 0
        try:
            while time.monotonic() < deadline:
                session.ensure_valid_credentials()
                arn = work(session, sts)
                batches += 1
                print(
                    f"batch {batches:3d}: {arn}  credentials expire {session.expiration_time:%H:%M:%S}"
                    f", last refreshed {session.last_refresh_time:%H:%M:%S}"
                )
                time.sleep(1.0)
        except LoginRequiredError as exc:
            print(f"stopping: {exc}")
            return 1
        except KeyboardInterrupt:
            pass
        print(f"{batches} batches, {session.refresh_count} credential refreshes, no failure")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
