"""Use AWS IAM Identity Center offline: plain boto3 against the local emulator.

Runs with no AWS account and no network. It starts the emulator, writes an sso-session
profile and a cached login into a throw-away home directory, and lets an unmodified
``boto3.Session(profile_name=...)`` fetch role credentials and call STS -- in a child
process, because botocore fixes its ``~/.aws/sso/cache`` location when it is imported.

    python examples/offline_emulator.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import boto3

from refreshable_sso.emulator import Emulator

CHILD = """
import boto3
session = boto3.Session(profile_name="dev")
print("whoami:", session.client("sts").get_caller_identity()["Arn"])
"""


def main() -> None:
    with Emulator(role_credentials_ttl=900) as emu, tempfile.TemporaryDirectory() as home:
        # 1. Talk to it directly, as your own code would in a test.
        token = emu.sign_in()["accessToken"]
        sso = boto3.client("sso", region_name=emu.region, endpoint_url=emu.url)
        for account in sso.list_accounts(accessToken=token)["accountList"]:
            print(f"account {account['accountId']} {account['accountName']}")

        # 2. Or let plain boto3 find everything through a profile, as with a real login.
        aws = Path(home, ".aws")
        aws.mkdir(mode=0o700)
        (aws / "config").write_text(
            "[profile dev]\n"
            "sso_session = offline\n"
            f"sso_account_id = {emu.default_account_id}\n"
            f"sso_role_name = {emu.default_role_name}\n"
            f"region = {emu.region}\n\n"
            "[sso-session offline]\n"
            f"sso_start_url = {emu.start_url}\n"
            f"sso_region = {emu.region}\n"
            "sso_registration_scopes = sso:account:access\n"
        )
        emu.seed_token_cache(cache_dir=aws / "sso" / "cache", sso_session_name="offline")
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(emu.env(), HOME=home, AWS_CONFIG_FILE=str(aws / "config"))
        subprocess.run([sys.executable, "-c", CHILD], env=env, check=True)

        print("calls:", emu.stats()["calls"])


if __name__ == "__main__":
    main()
