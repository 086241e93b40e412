"""Warm-cache ``credential_process`` wall time and container-endpoint throughput.

Side by side, interleaved, medians of N runs each:

* ``refreshable-sso credential-process`` answering from a fresh role-credential cache entry;
* ``aws-sso-util credential-process`` answering from the same entry (it shares the AWS CLI's
  cache file names); install it with the ``benchmark`` extra;
* ``python -c "import boto3"`` (the floor for anything that imports boto3);
* ``python -c "pass"`` (the interpreter's own start-up, for scale);

then requests per second of a ContainerCredentialServer with 1 and 16 concurrent clients
(keep-alive connections, warm credentials).

    python benchmarks/credential_process.py [--runs 21] [--seconds 3] [--json]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import isolate_home

PROFILE = "bench-legacy"


def _write_config(start_url: str, region: str, account: str, role: str) -> None:
    path = Path(os.environ["AWS_CONFIG_FILE"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"[profile {PROFILE}]\nsso_start_url = {start_url}\nsso_region = {region}\n"
        f"sso_account_id = {account}\nsso_role_name = {role}\nregion = {region}\n",
        encoding="utf-8",
    )


def _time_once(argv: list[str]) -> float:
    started = time.perf_counter()
    result = subprocess.run(argv, capture_output=True, check=False)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{argv[0]} failed: {result.stderr.decode()[-500:]}")
    return elapsed


def wall_times(runs: int) -> dict[str, float]:
    """Median wall time in ms per command, the commands interleaved run by run."""
    bin_dir = Path(sys.executable).parent
    commands = {
        "refreshable-sso credential-process (warm)": [
            sys.executable,
            "-m",
            "refreshable_sso.cli.main",
            "credential-process",
            "--profile",
            PROFILE,
        ],
        'python -c "import boto3"': [sys.executable, "-c", "import boto3"],
        'python -c "pass" (the interpreter alone)': [sys.executable, "-c", "pass"],
    }
    sso_util = shutil.which("aws-sso-util", path=str(bin_dir)) or shutil.which("aws-sso-util")
    if sso_util:
        commands["aws-sso-util credential-process (warm)"] = [
            sso_util,
            "credential-process",
            "--profile",
            PROFILE,
        ]
    else:
        print("aws-sso-util not installed (pip install -e '.[benchmark]'): not measured")
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for argv in commands.values():
        _time_once(argv)  # warm the page cache and .pyc files
    for _ in range(runs):
        for name, argv in commands.items():
            samples[name].append(_time_once(argv) * 1000)
    return {name: statistics.median(values) for name, values in samples.items()}


def requests_per_second(url: str, token: str, clients: int, seconds: float) -> float:
    """Total answered requests per second over ``clients`` keep-alive connections."""
    parts = urlsplit(url)
    counts = [0] * clients
    failures: list[str] = []
    start = threading.Barrier(clients + 1)
    stop = threading.Event()

    def client(index: int) -> None:
        connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
        start.wait()
        while not stop.is_set():
            connection.request("GET", parts.path, headers={"Authorization": token})
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                failures.append(str(response.status))
                return
            counts[index] += 1
        connection.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    if failures:
        raise SystemExit(f"endpoint answered {failures[0]}")
    return sum(counts) / elapsed


def measure(runs: int, seconds: float) -> dict[str, float]:
    isolate_home()
    from refreshable_sso.emulator import Emulator
    from refreshable_sso.session import SSORefreshableSession

    results: dict[str, float] = {}
    with Emulator(auto_approve=True) as emu:
        os.environ.update(emu.env())
        emu.seed_token_cache()
        _write_config(emu.start_url, emu.region, emu.default_account_id, emu.default_role_name)
        with SSORefreshableSession.from_profile(PROFILE) as session:
            session.ensure_valid_credentials()  # the warm cache entry every command reads
            calls = emu.calls("GetRoleCredentials")
            for name, ms in wall_times(runs).items():
                results[f"{name} [ms]"] = ms
            if emu.calls("GetRoleCredentials") != calls:
                raise SystemExit("a warm run called GetRoleCredentials: the cache was not shared")
            with session.serve_container_credentials() as server:
                for clients in (1, 16):
                    rps = requests_per_second(server.url, server.token, clients, seconds)
                    results[f"endpoint, {clients} concurrent client(s) [requests/s]"] = rps
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21, help="interleaved runs per command")
    parser.add_argument("--seconds", type=float, default=3.0, help="seconds per throughput run")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = measure(args.runs, args.seconds)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    width = max(len(name) for name in results)
    for name, value in results.items():
        print(f"{name:<{width}}  {value:10.1f}")


if __name__ == "__main__":
    main()
