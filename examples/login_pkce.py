"""Sign in through the browser: authorization code + PKCE on a loopback listener.

    python examples/login_pkce.py                      # offline: the built-in emulator
    python examples/login_pkce.py --start-url https://d-123.awsapps.com/start \
        --sso-region eu-west-1 --sso-session my-sso    # for real: your browser opens

Where no browser can open (SSH, container, AWS_SSO_DISABLE_BROWSER=1) the provider falls
back to the device code on its own; ``fallback_to_device=False`` turns that off. Offline, a
tiny stand-in "browser" (urllib) follows the emulator's redirect to our listener.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import urllib.request
from contextlib import ExitStack
from pathlib import Path

from refreshable_sso.emulator import Emulator
from refreshable_sso.tokens import AuthorizationCodeProvider


def standin_browser(url: str) -> bool:
    """Opens ``url`` like a browser would (the emulator approves at once and redirects)."""

    def visit() -> None:
        with urllib.request.urlopen(url, timeout=10) as page:  # noqa: S310 (loopback emulator)
            print("browser shows:", page.read().decode().split("<h1>")[1].split("</h1>")[0])

    threading.Thread(target=visit, daemon=True).start()
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start-url")
    parser.add_argument("--sso-region")
    parser.add_argument("--sso-session")
    args = parser.parse_args()
    with ExitStack() as stack:
        if args.start_url and args.sso_region:
            provider = AuthorizationCodeProvider(
                args.start_url, args.sso_region, sso_session_name=args.sso_session
            )
        else:
            emu = stack.enter_context(Emulator(auto_approve=True))
            cache = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            provider = AuthorizationCodeProvider(
                emu.start_url,
                emu.region,
                sso_session_name="example",
                oidc_endpoint_url=emu.url,
                cache_dir=cache,
                browser_opener=standin_browser,
                timeout=30,
            )
        token = provider.get_token()
        print(f"signed in through the browser; token valid until {token.expires_at:%H:%M:%S} UTC")
        print(f"stored for aws/boto3 in {provider.token_cache.path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
