"""Try several token providers in order: ``ChainTokenProvider``.

    python examples/login_chain.py

Here: a token command that is not installed on this machine, then the AWS CLI cache. When
every provider declines, the error lists each one's reason.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from refreshable_sso.emulator import Emulator
from refreshable_sso.errors import LoginRequiredError
from refreshable_sso.tokens.cached import CachedTokenProvider
from refreshable_sso.tokens.chain import ChainTokenProvider
from refreshable_sso.tokens.simple import CommandTokenProvider


def main() -> int:
    with Emulator(auto_approve=True) as emu, tempfile.TemporaryDirectory() as scratch:
        cache = Path(scratch)
        chain = ChainTokenProvider(
            [
                CommandTokenProvider(["corp-token-helper", "--json"]),  # not installed here
                CachedTokenProvider(
                    emu.start_url,
                    emu.region,
                    sso_session_name="example",
                    cache_dir=cache,
                    oidc_endpoint_url=emu.url,
                ),
            ]
        )
        try:
            chain.get_token()
        except LoginRequiredError as exc:
            print(f"nobody had a token yet:\n  {exc}\n")

        emu.seed_token_cache(cache, sso_session_name="example")  # as if `aws sso login` ran
        token = chain.get_token()
        print(f"token from the AWS CLI cache, valid until {token.expires_at:%H:%M:%S} UTC")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
