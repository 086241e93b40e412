"""Async session vs aiobotocore with static keys: client CPU per call, throughput, and event-loop
lag during refreshes.

    python benchmarks/aio_throughput.py [--rounds 8] [--json]

The emulators run in a child process, so their HTTP threads do not share this process's GIL
with the event loop being measured. Side by side, medians over rounds; each round measures both
clients, and which one goes first alternates from round to round (the one measured first in a
round was found to be the slower one, which biased a fixed order by up to 1.5x either way; an
even number of rounds puts each client first equally often):

* client CPU per call: ``time.process_time()`` of this (the client) process over 200 concurrent
  ``get_caller_identity`` tasks, divided by 200, through one client of ours vs one aiobotocore
  client with static credentials. It counts only what the client itself computes (signing,
  serializing, parsing, our expiry check), so a loaded machine distorts it far less than a
  rate; this is the figure to compare (ratio ours/static);
* throughput: the same 200 tasks as calls per second of wall time (ratio ours/static; target
  >= 0.95). The emulator answers every call, so on a loaded machine this says more about the
  machine than about either client;
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
    # inside its refresh window: the first role-credential fetch refreshes it. The file must
    # look an hour old too: a token whose file was written 2 minutes before its expiry looks
    # like a 2-minute token, whose window is half its lifetime (1 minute), and is not refreshed.
    token["expiresAt"] = format_cache_time(utcnow() + timedelta(minutes=2))
    path.write_text(json.dumps(token))
    an_hour_ago = time.time() - 3600
    os.utime(path, (an_hour_ago, an_hour_ago))
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


async def _timed_fanout(client: Any) -> tuple[float, float]:
    """Wall seconds and client-process CPU seconds of ``TASKS`` concurrent calls."""
    cpu, started = time.process_time(), time.perf_counter()
    await asyncio.gather(*(client.get_caller_identity() for _ in range(TASKS)))
    return time.perf_counter() - started, time.process_time() - cpu


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
    cpus: dict[str, list[float]] = {"static": [], "ours": []}
    lags: dict[str, list[float]] = {"static": [], "ours": []}
    firsts: list[str] = []
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
        fanout = {"static": plain, "ours": ours}
        bursting = {"static": plain, "ours": refreshing}
        for round_number in range(rounds):
            order = ("static", "ours") if round_number % 2 == 0 else ("ours", "static")
            firsts.append(order[0])
            for name in order:
                wall, cpu = await _timed_fanout(fanout[name])
                times[name].append(wall)
                cpus[name].append(cpu)
            for name in order:
                client = bursting[name]
                lags[name].append(await _worst_lag(lambda client=client: _bursts(client)))
        refreshes = ours_short.refresh_count
    static_time, our_time = statistics.median(times["static"]), statistics.median(times["ours"])
    static_cpu, our_cpu = statistics.median(cpus["static"]), statistics.median(cpus["ours"])
    static_lag, our_lag = statistics.median(lags["static"]), statistics.median(lags["ours"])

    def by_order(first: str) -> dict[str, float | None]:
        """Median calls/s of each client over the rounds in which ``first`` went first."""
        picked = [i for i, name in enumerate(firsts) if name == first]
        return {
            name: statistics.median(TASKS / times[name][i] for i in picked) if picked else None
            for name in ("static", "ours")
        }

    return {
        "tasks": TASKS,
        "rounds": rounds,
        "first_in_round": firsts,
        "static_cpu_us_per_call": static_cpu / TASKS * 1e6,
        "ours_cpu_us_per_call": our_cpu / TASKS * 1e6,
        "cpu_ratio": our_cpu / static_cpu,
        "static_calls_per_s": TASKS / static_time,
        "ours_calls_per_s": TASKS / our_time,
        "throughput_ratio": static_time / our_time,
        "calls_per_s_by_order": {f"{first}_first": by_order(first) for first in ("static", "ours")},
        "cpu_us_per_call_per_round": {
            name: [round(cpu / TASKS * 1e6) for cpu in values] for name, values in cpus.items()
        },
        "calls_per_s_per_round": {
            name: [round(TASKS / wall, 1) for wall in values] for name, values in times.items()
        },
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


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rounds", type=int, default=8, help="an even number puts each client first equally often"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    results = measure(args.rounds)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(
        f"{TASKS} concurrent get_caller_identity, medians of {args.rounds} rounds, order "
        "alternating (static first in rounds 1, 3, ...)"
    )
    print("                             client CPU per call     calls/s   calls/s min-max")
    for label, name in (
        ("aiobotocore, static keys", "static"),
        ("AioSSORefreshableSession", "ours"),
    ):
        rates = results["calls_per_s_per_round"][name]
        print(
            f"  {label:<26} {results[f'{name}_cpu_us_per_call']:11.0f} µs"
            f" {results[f'{name}_calls_per_s']:13.0f}   {min(rates):.0f}-{max(rates):.0f}"
        )
    print(
        f"  ours/static: CPU per call {results['cpu_ratio']:.3f}x (the figure to compare), "
        f"throughput {results['throughput_ratio']:.3f}x (target >= 0.95)"
    )
    orders = results["calls_per_s_by_order"]
    print(
        "  calls/s by order: static first: "
        f"static {_rate(orders['static_first']['static'])}, "
        f"ours {_rate(orders['static_first']['ours'])}; ours first: "
        f"ours {_rate(orders['ours_first']['ours'])}, "
        f"static {_rate(orders['ours_first']['static'])}"
    )
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
