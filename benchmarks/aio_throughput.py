"""Async session vs aiobotocore with static keys: throughput, and event-loop lag during refreshes.

    python benchmarks/aio_throughput.py [--rounds 7] [--json]

The emulators run in a child process, so their HTTP threads do not share this process's GIL
with the event loop being measured. Side by side, interleaved, medians over rounds:

* throughput: 200 concurrent ``get_caller_identity`` tasks through one client of ours vs one
  aiobotocore client with static credentials (ratio ours/static; target >= 0.95);
* loop lag: a ticker task's worst lag while bursts of calls run, on our client with 3-second role
  credentials (role-credential refreshes, and a token refresh in the first round, happen during
  the run) vs the static client (target < 20 ms above static).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import isolate_home

TASKS = 200
ROLE_TTL = 3.0


def _serve(conn: Connection, home: str) -> None:
    """Child process: a long-lived emulator, a short-lived one, the sign-in seeded for both."""
    os.environ["HOME"] = home
    from refreshable_sso.emulator import Emulator
    from refreshable_sso.tokens.base import format_cache_time, utcnow

    steady = Emulator(auto_approve=True, start_url="https://d-1111111111.awsapps.com/start").start()
    short = Emulator(
        auto_approve=True,
        role_credentials_ttl=ROLE_TTL,
        start_url="https://d-2222222222.awsapps.com/start",
    ).start()
    steady.seed_token_cache(sso_session_name="steady")
    path = short.seed_token_cache(sso_session_name="short")
    token = json.loads(path.read_text())
    # inside its refresh window: the first role-credential fetch refreshes it
    token["expiresAt"] = format_cache_time(utcnow() + timedelta(minutes=2))
    path.write_text(json.dumps(token))
    conn.send(
        {
            name: {
                "url": emu.url,
                "start_url": emu.start_url,
                "region": emu.region,
                "account_id": emu.default_account_id,
                "role_name": emu.default_role_name,
                "static": emu.role_credentials() if name == "steady" else None,
            }
            for name, emu in (("steady", steady), ("short", short))
        }
    )
    while True:
        request = conn.recv()
        if request == "stop":
            break
        conn.send({"steady": steady.stats(), "short": short.stats()})
    steady.stop()
    short.stop()


def _session(info: dict[str, Any], name: str, **options: Any) -> Any:
    from refreshable_sso.aio import AioSSORefreshableSession

    return AioSSORefreshableSession(
        start_url=info["start_url"],
        sso_region=info["region"],
        sso_session_name=name,
        account_id=info["account_id"],
        role_name=info["role_name"],
        region_name=info["region"],
        endpoints={"sso": info["url"], "sso_oidc": info["url"], "sts": info["url"]},
        login="never",
        **options,
    )


async def _worst_lag(workload: Callable[[], Awaitable[None]], tick: float = 0.005) -> float:
    worst = 0.0
    stop = asyncio.Event()

    async def ticker() -> None:
        nonlocal worst
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            before = loop.time()
            await asyncio.sleep(tick)
            worst = max(worst, loop.time() - before - tick)

    task = asyncio.create_task(ticker())
    try:
        await workload()
    finally:
        stop.set()
        await task
    return worst


async def _timed_fanout(client: Any) -> float:
    started = time.perf_counter()
    await asyncio.gather(*(client.get_caller_identity() for _ in range(TASKS)))
    return time.perf_counter() - started


async def _bursts(client: Any, rounds: int = 5) -> None:
    for _ in range(rounds):
        await asyncio.gather(*(client.get_caller_identity() for _ in range(20)))
        await asyncio.sleep(0.3)


async def _measure(servers: dict[str, Any], rounds: int) -> dict[str, Any]:
    from aiobotocore.session import AioSession

    steady, short = servers["steady"], servers["short"]
    static = steady["static"]
    ours_steady = _session(steady, "steady")
    ours_short = _session(short, "short", advisory_timeout=1.5, mandatory_timeout=1.0)
    times: dict[str, list[float]] = {"static": [], "ours": []}
    lags: dict[str, list[float]] = {"static": [], "ours": []}
    async with (
        AioSession().create_client(
            "sts",
            region_name=steady["region"],
            endpoint_url=steady["url"],
            aws_access_key_id=static["AccessKeyId"],
            aws_secret_access_key=static["SecretAccessKey"],
            aws_session_token=static["SessionToken"],
        ) as plain,
        ours_steady,
        ours_short,
    ):
        ours = await ours_steady.client("sts", endpoint_url=steady["url"])
        refreshing = await ours_short.client("sts", endpoint_url=short["url"])
        for client in (plain, ours):  # warm up: connections, endpoint rules, first signing
            await _timed_fanout(client)
        for _ in range(rounds):
            times["static"].append(await _timed_fanout(plain))
            times["ours"].append(await _timed_fanout(ours))
            lags["static"].append(await _worst_lag(lambda: _bursts(plain)))
            lags["ours"].append(await _worst_lag(lambda: _bursts(refreshing)))
        refreshes = ours_short.refresh_count
    static_time, our_time = statistics.median(times["static"]), statistics.median(times["ours"])
    static_lag, our_lag = statistics.median(lags["static"]), statistics.median(lags["ours"])
    return {
        "tasks": TASKS,
        "rounds": rounds,
        "static_calls_per_s": TASKS / static_time,
        "ours_calls_per_s": TASKS / our_time,
        "throughput_ratio": static_time / our_time,
        "static_worst_lag_ms": static_lag * 1000,
        "ours_worst_lag_ms": our_lag * 1000,
        "lag_above_static_ms": (our_lag - static_lag) * 1000,
        "role_credential_refreshes_during_lag_runs": refreshes,
        "worst_lag_ms_per_round": {
            name: [round(lag * 1000, 1) for lag in values] for name, values in lags.items()
        },
    }


def measure(rounds: int) -> dict[str, Any]:
    home = isolate_home()
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    server = context.Process(target=_serve, args=(child, home), daemon=True)
    server.start()
    try:
        servers = parent.recv()
        results = asyncio.run(_measure(servers, rounds))
        parent.send("stats")
        stats = parent.recv()
        results["token_refreshes"] = stats["short"]["calls"].get("CreateToken", 0)
        results["get_role_credentials_short"] = stats["short"]["calls"].get("GetRoleCredentials", 0)
        parent.send("stop")
        results["load_average_1min"] = os.getloadavg()[0]  # lag figures mean little under load
    finally:
        server.join(timeout=10)
        if server.is_alive():
            server.terminate()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    results = measure(args.rounds)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"{TASKS} concurrent get_caller_identity, median of {args.rounds} interleaved rounds")
    print(f"  aiobotocore, static keys   {results['static_calls_per_s']:8.0f} calls/s")
    print(f"  AioSSORefreshableSession   {results['ours_calls_per_s']:8.0f} calls/s")
    print(f"  throughput ratio ours/static: {results['throughput_ratio']:.3f}x (target >= 0.95)")
    print("worst event-loop lag during bursts (median of rounds)")
    print(f"  static keys                {results['static_worst_lag_ms']:8.1f} ms")
    print(
        f"  ours, refreshing           {results['ours_worst_lag_ms']:8.1f} ms "
        f"({results['role_credential_refreshes_during_lag_runs']} role-credential refreshes, "
        f"{results['token_refreshes']} token refresh)"
    )
    print(f"  lag above static: {results['lag_above_static_ms']:+.1f} ms (target < 20 ms)")
    print(f"machine load average (1 min) at the end: {results['load_average_1min']:.1f}")


if __name__ == "__main__":
    main()
