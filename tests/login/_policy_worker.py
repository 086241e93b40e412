"""One process of the multi-process login test (run as a script, not collected by pytest).

Says it is ready (``ready-<pid>`` in the rendezvous folder), waits for ``go`` there, then asks a ``login="auto"`` policy provider for a token and prints
``{"token": <sha256 of the access token>, "logins": <completed logins in this process>}``.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from pathlib import Path

from refreshable_sso.config import SSOConfig
from refreshable_sso.tokens.cached import CachedTokenProvider
from refreshable_sso.tokens.login.device import DeviceCodeProvider
from refreshable_sso.tokens.login.policy import LoginEvent, LoginPolicyProvider


def main() -> int:
    start_url, region, session_name, rendezvous = sys.argv[1:5]
    sso = SSOConfig(
        start_url=start_url,
        sso_region=region,
        account_id="111111111111",
        role_name="ReadOnlyAccess",
        sso_session_name=session_name,
    )
    events: list[LoginEvent] = []
    provider = LoginPolicyProvider(
        CachedTokenProvider(start_url, region, sso_session_name=session_name),
        policy="auto",
        interactive=DeviceCodeProvider(
            start_url,
            region,
            sso_session_name=session_name,
            open_browser=False,
            notifier=lambda _text: None,
            timeout=60,
        ),
        sso=sso,
        on_login=events.append,
    )
    Path(rendezvous, f"ready-{os.getpid()}").touch()
    deadline = time.monotonic() + 60
    while not Path(rendezvous, "go").exists():
        if time.monotonic() > deadline:
            return 2
        time.sleep(0.005)
    token = provider.get_token()
    digest = hashlib.sha256(token.access_token.get_secret_value().encode()).hexdigest()
    completed = sum(1 for event in events if event.phase == "completed")
    print(json.dumps({"token": digest, "logins": completed}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
