"""Feed a session a token you already have: ``StaticTokenProvider``.

    python examples/login_static.py     # offline: the emulator issues the token

Useful when a parent process or a secrets store hands you an access token. The session uses
it until it expires (a static token cannot be refreshed: the provider then declines).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from refreshable_sso.emulator import Emulator
from refreshable_sso.session import SSORefreshableSession
from refreshable_sso.tokens.base import SSOToken
from refreshable_sso.tokens.simple import StaticTokenProvider


def main() -> int:
    with Emulator(auto_approve=True) as emu, tempfile.TemporaryDirectory() as cache:
        handed_over = SSOToken.from_cache_dict(emu.sign_in())  # e.g. from a parent process
        session = SSORefreshableSession(
            start_url=emu.start_url,
            sso_region=emu.region,
            account_id=emu.default_account_id,
            role_name=emu.default_role_name,
            region_name="us-east-1",
            token_provider=StaticTokenProvider(handed_over),
            endpoints={"sso": emu.url, "sso_oidc": emu.url, "sts": emu.url},
            credential_cache_dir=Path(cache),
        )
        print("whoami:", session.whoami()["Arn"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
