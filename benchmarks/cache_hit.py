"""Median cost of a client-cache hit: ours (through the session and direct), boto3-refresh-session's,
and an uncached ``boto3.Session.client`` for scale.

    python benchmarks/cache_hit.py [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import SSO_SESSION, isolate_home, median_call_us


def measure() -> dict[str, float]:
    isolate_home()
    import boto3
    from botocore.config import Config

    from refreshable_sso.clients import ClientCache
    from refreshable_sso.config import CacheConfig
    from refreshable_sso.emulator import Emulator
    from refreshable_sso.session import SSORefreshableSession

    results: dict[str, float] = {}
    config = Config(retries={"max_attempts": 5, "mode": "standard"}, connect_timeout=3)

    with Emulator(auto_approve=True) as emu:
        emu.seed_token_cache(sso_session_name=SSO_SESSION)
        session = SSORefreshableSession(
            start_url=emu.start_url,
            sso_region=emu.region,
            sso_session_name=SSO_SESSION,
            account_id=emu.default_account_id,
            role_name=emu.default_role_name,
            region_name="us-east-1",
            endpoints={"sso": emu.url, "sso_oidc": emu.url, "sts": emu.url},
        )
        results["ours: SSORefreshableSession.client('s3')"] = median_call_us(
            lambda: session.client("s3")
        )
        results["ours: session.client('s3', region_name=..., config=Config(...))"] = median_call_us(
            lambda: session.client("s3", region_name="eu-west-1", config=config)
        )
        assert session.cache_info().misses == 2, session.cache_info()

    plain = boto3.Session(
        region_name="us-east-1", aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="x"
    )
    for policy in ("LRU", "LFU"):
        cache = ClientCache(CacheConfig(eviction_policy=policy, max_size=64))
        results[f"ours: ClientCache.client(..., 's3') {policy}"] = median_call_us(
            lambda cache=cache: cache.client(plain.client, "us-east-1", "s3")
        )

    from boto3_refresh_session import CustomRefreshableSession

    def credentials() -> dict[str, str]:
        expiry = datetime.now(timezone.utc) + timedelta(hours=1)
        return {
            "access_key": "AKIDEXAMPLE",
            "secret_key": "x",
            "token": "y",
            "expiry_time": expiry.isoformat(),
        }

    brs: Any = CustomRefreshableSession(
        custom_credentials_method=credentials, region_name="us-east-1"
    )
    first = brs.client("s3")
    assert brs.client("s3") is first  # really a cache hit
    results["boto3-refresh-session: client('s3')"] = median_call_us(lambda: brs.client("s3"))
    results["boto3-refresh-session: client('s3', region_name=..., config=Config(...))"] = (
        median_call_us(lambda: brs.client("s3", region_name="eu-west-1", config=config))
    )

    results["boto3.Session.client('s3'), uncached"] = median_call_us(
        lambda: plain.client("s3"), number=5, repeat=21
    )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = measure()
    if args.json:
        print(json.dumps(results))
        return
    width = max(map(len, results))
    for name, value in results.items():
        print(f"{name:<{width}}  {value:10.2f} µs")


if __name__ == "__main__":
    main()
