"""Get the token from your own function: ``CallableTokenProvider``.

    python examples/login_callable.py   # offline: the function asks the emulator

The function returns an ``SSOToken`` or a mapping ``{"accessToken", "expiresAt"}`` (or None
to decline). It is called again only when the token it gave has under ``reuse_margin``
seconds left, or when a call was rejected.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from refreshable_sso.emulator import Emulator
from refreshable_sso.session import SSORefreshableSession
from refreshable_sso.tokens.simple import CallableTokenProvider


def main() -> int:
    with Emulator(auto_approve=True) as emu, tempfile.TemporaryDirectory() as cache:
        calls = 0

        def token_from_vault() -> dict[str, Any]:
            nonlocal calls
            calls += 1
            issued = emu.sign_in()  # stands in for a secrets manager, a broker, ...
            return {"accessToken": issued["accessToken"], "expiresAt": issued["expiresAt"]}

        session = SSORefreshableSession(
            start_url=emu.start_url,
            sso_region=emu.region,
            account_id=emu.default_account_id,
            role_name=emu.default_role_name,
            region_name="us-east-1",
            token_provider=CallableTokenProvider(token_from_vault),
            endpoints={"sso": emu.url, "sso_oidc": emu.url, "sts": emu.url},
            credential_cache_dir=Path(cache),
        )
        print("whoami:", session.whoami()["Arn"])
        print("whoami:", session.for_role("222222222222", "ReadOnlyAccess").whoami()["Arn"])
        print(f"the token function ran {calls} time(s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
