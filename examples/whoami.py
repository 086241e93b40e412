"""Who am I? sts:GetCallerIdentity with an SSO profile's role credentials.

    python examples/whoami.py --profile my-sso-profile   # your real ~/.aws/config profile
    python examples/whoami.py                            # offline, against the built-in emulator

Offline mode starts the local IAM Identity Center emulator, signs in (the emulator plays the
person), and keeps every cache in a temporary directory, so your ~/.aws is not touched.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from refreshable_sso.emulator import Emulator
from refreshable_sso.errors import LoginRequiredError
from refreshable_sso.session import SSORefreshableSession


def show(session: SSORefreshableSession) -> None:
    identity = session.whoami()
    print(f"account   {identity['Account']}")
    print(f"role      {identity['role_name']}  (IAM role {identity['iam_role_name']})")
    print(f"user      {identity['user_name']}")
    print(f"arn       {identity['Arn']}")
    print(f"expires   {session.credentials_expiration}")
    print(f"session   {session!r}")  # no secret in here
    print(f"creds     {session.credentials!r}")  # nor here


def offline() -> None:
    with tempfile.TemporaryDirectory() as tmp, Emulator(auto_approve=True) as emu:
        cache = Path(tmp)
        emu.seed_token_cache(cache / "sso", sso_session_name="example")
        session = SSORefreshableSession(
            start_url=emu.start_url,
            sso_region=emu.region,
            sso_session_name="example",
            account_id=emu.default_account_id,
            role_name=emu.default_role_name,
            endpoints={"sso": emu.url, "sso_oidc": emu.url, "sts": emu.url},
            token_cache_dir=cache / "sso",
            credential_cache_dir=cache / "cli",
        )
        with session:
            show(session)
            # Another account/role of the same sign-in, sharing the token provider:
            admin = session.for_role("222222222222", "AdministratorAccess")
            print(f"sibling   {admin.whoami()['Arn']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", help="SSO profile of ~/.aws/config (default: emulator)")
    args = parser.parse_args()
    if args.profile is None:
        offline()
        return 0
    try:
        with SSORefreshableSession.from_profile(args.profile) as session:
            show(session)
    except LoginRequiredError as exc:
        print(exc)  # says which sso-session needs a login, and the command to run
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
