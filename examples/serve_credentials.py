"""Hand a session's refreshed credentials to another process through a container endpoint.

Runs offline: it starts the emulator with 4-second role credentials, serves the session on
127.0.0.1, and runs a child Python process that only knows ``server.env()``. The child's plain
boto3 keeps calling STS across several credential lifetimes without a restart.

    python examples/serve_credentials.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

from refreshable_sso import SSORefreshableSession
from refreshable_sso.emulator import Emulator

CHILD = """
import time, boto3
session = boto3.Session(region_name="us-east-1")
sts = session.client("sts")
seen = []
for _ in range(60):
    sts.get_caller_identity()
    key = session.get_credentials().get_frozen_credentials().access_key
    if key not in seen:
        seen.append(key)
        print("child: new credentials", key[:8] + "...", flush=True)
    if len(seen) >= 3:
        break
    time.sleep(0.2)
"""


def main() -> None:
    home = tempfile.mkdtemp(prefix="serve-example-")
    os.environ["HOME"] = home  # never touch the real ~/.aws
    with Emulator(auto_approve=True, role_credentials_ttl=4) as emu:
        emu.seed_token_cache()  # as if `aws sso login` had just run (in the temporary HOME)
        session = SSORefreshableSession(
            start_url=emu.start_url,
            sso_region=emu.region,
            account_id=emu.default_account_id,
            role_name=emu.default_role_name,
            endpoints={"sso": emu.url, "sso_oidc": emu.url, "sts": emu.url},
            advisory_timeout=1.5,
            mandatory_timeout=0.5,
        )
        with session.serve_container_credentials() as server:
            print("serving at", server.url)
            env = {**os.environ, **server.env(), "AWS_ENDPOINT_URL_STS": emu.url}
            subprocess.run([sys.executable, "-c", CHILD], env=env, check=True, timeout=120)


if __name__ == "__main__":
    main()
