"""A long-running program outlives the person's sign-in session: ``login="auto"``.

    python examples/login_policy.py

Offline, the emulator's sign-in sessions last 6 seconds. With ``login="never"`` (the default)
the program would stop with a ``LoginRequiredError`` once that happens; with ``login="auto"``
the session signs the person in again (here with a device code a pretend person approves),
says so through ``on_login``, and no call fails.
"""

from __future__ import annotations

import logging
import tempfile
import threading
import time
from pathlib import Path

from refreshable_sso.emulator import Emulator
from refreshable_sso.session import SSORefreshableSession
from refreshable_sso.tokens import DeviceCodeProvider, LoginEvent


def main() -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    with (
        Emulator(
            auto_approve=False, session_ttl=6, access_token_ttl=4, role_credentials_ttl=3
        ) as emu,
        tempfile.TemporaryDirectory() as scratch,
    ):
        cache = Path(scratch)
        emu.seed_token_cache(cache / "sso", sso_session_name="example")

        def pretend_person() -> None:  # approves every device code shown
            while True:
                for code in emu.pending_user_codes():
                    emu.approve(code)
                time.sleep(0.2)

        threading.Thread(target=pretend_person, daemon=True).start()

        def on_login(event: LoginEvent) -> None:
            print(f"  on_login: {event.phase} ({event.reason[:60]}...)")

        session = SSORefreshableSession(
            start_url=emu.start_url,
            sso_region=emu.region,
            sso_session_name="example",
            account_id=emu.default_account_id,
            role_name=emu.default_role_name,
            region_name="us-east-1",
            advisory_timeout=2,
            mandatory_timeout=1,
            token_refresh_window=2,
            endpoints={"sso": emu.url, "sso_oidc": emu.url, "sts": emu.url},
            token_cache_dir=cache / "sso",
            credential_cache_dir=cache / "cli",
            login="auto",
            login_provider=DeviceCodeProvider(
                emu.start_url,
                emu.region,
                sso_session_name="example",
                oidc_endpoint_url=emu.url,
                cache_dir=cache / "sso",
                open_browser=False,
                message="  (sign-in needed: {url_complete})",
            ),
            on_login=on_login,
        )
        calls, deadline = 0, time.monotonic() + 12
        while time.monotonic() < deadline:
            session.whoami()
            calls += 1
            time.sleep(0.5)
        print(f"{calls} calls, none failed, across the end of the sign-in session")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
