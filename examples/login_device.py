"""Sign in with a device code (works over SSH and in containers), then sign out.

    python examples/login_device.py                      # offline: the built-in emulator
    python examples/login_device.py --start-url https://d-123.awsapps.com/start \
        --sso-region eu-west-1 --sso-session my-sso      # for real

The URL and code are printed to stderr (and a browser opens where one can). Offline, a
pretend person approves the code two seconds later. The token lands in the AWS CLI's cache,
so ``aws`` and plain boto3 use the same sign-in.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path

from refreshable_sso import login, logout
from refreshable_sso.emulator import Emulator


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start-url")
    parser.add_argument("--sso-region")
    parser.add_argument("--sso-session")
    args = parser.parse_args()
    with ExitStack() as stack:
        cache: Path | None = None  # None: the real ~/.aws caches
        endpoint: str | None = None  # None: the real endpoints (or AWS_ENDPOINT_URL_*)
        if args.start_url and args.sso_region:
            start_url, region, session = args.start_url, args.sso_region, args.sso_session
        else:
            emu = stack.enter_context(Emulator(auto_approve=False))
            start_url, region, session = emu.start_url, emu.region, "example"
            cache = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            endpoint = emu.url

            def pretend_person() -> None:
                while not emu.pending_user_codes():
                    time.sleep(0.1)
                time.sleep(2)
                print("(the pretend person approves the code in their browser)")
                emu.approve(emu.pending_user_codes()[0])

            threading.Thread(target=pretend_person, daemon=True).start()

        token = login(
            start_url,
            region,
            sso_session_name=session,
            use_device_code=True,
            message="Open {url} and enter the code {code} (or just open {url_complete})",
            oidc_endpoint_url=endpoint,
            cache_dir=cache / "sso" if cache else None,
        )
        print(f"signed in; token valid until {token.expires_at:%H:%M:%S} UTC")
        print(f"refreshable: {token.can_refresh()}  (repr masks secrets: {token!r:.60}...)")

        result = logout(
            start_url,
            region,
            sso_session_name=session,
            cache_dir=cache / "sso" if cache else None,
            cli_cache_dir=cache / "cli" if cache else None,
            sso_endpoint_url=endpoint,
            oidc_endpoint_url=endpoint,
        )
        print(f"signed out: {result.signed_out}; removed {len(result.removed)} file(s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
