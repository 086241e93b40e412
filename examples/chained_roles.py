"""Role chaining on top of IAM Identity Center, offline against the local emulator.

Signs in (a seeded login in a throw-away home), takes alice's AdministratorAccess permission
set in the Development account, assumes ``Deploy`` in Staging and from there ``Audit`` in
Production, and keeps calling STS while the short-lived assumed-role credentials (4 s, the
emulator's ``assumed_role_ttl`` knob) turn over underneath. Then an MFA-protected hop, with the
code coming from a callable (here the emulator's own authenticator; in real life e.g.
``pyotp.TOTP(secret).now`` or ``["ykman", "oath", "accounts", "code", "-s", "AWS"]``).

    python examples/chained_roles.py
"""

from __future__ import annotations

import os
import tempfile
import time

from refreshable_sso import AssumeRoleConfig, SSORefreshableSession
from refreshable_sso.emulator import Emulator


def main() -> None:
    with tempfile.TemporaryDirectory() as home, Emulator(assumed_role_ttl=4) as emu:
        os.environ["HOME"] = home  # the token and assume-role caches go here, not to ~/.aws
        emu.seed_token_cache(sso_session_name="corp")
        session = SSORefreshableSession(
            start_url=emu.start_url,
            sso_region=emu.region,
            sso_session_name="corp",
            account_id="111111111111",
            role_name="AdministratorAccess",
            region_name="us-east-1",
            endpoints={"sso": emu.url, "sso_oidc": emu.url, "sts": emu.url},
            advisory_timeout=2.0,
            mandatory_timeout=1.0,
            assume_role=[
                AssumeRoleConfig(
                    role_arn="arn:aws:iam::222222222222:role/Deploy", role_session_name="deploy"
                ),
                {"role_arn": "arn:aws:iam::333333333333:role/Audit", "role_session_name": "audit"},
            ],
        )
        print("whoami:", session.whoami()["Arn"])
        sts = session.client("sts", endpoint_url=emu.url)
        keys = set()
        deadline = time.monotonic() + 6
        while time.monotonic() < deadline:
            sts.get_caller_identity()
            keys.add(session.refreshable_credentials().access_key)
            time.sleep(0.1)
        print(f"{len(keys)} generations of Audit credentials in 6 s, no failed call")

        guarded = session.for_role("111111111111", "AdministratorAccess").assume_role(
            "arn:aws:iam::222222222222:role/MfaProtected",
            mfa_serial="arn:aws:iam::111111111111:mfa/alice",
            mfa_token_provider=emu.mfa_code,
        )
        print("with MFA:", guarded.whoami()["Arn"])
        print("calls:", emu.stats()["calls"])


if __name__ == "__main__":
    main()
