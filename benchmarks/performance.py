"""Every row of the performance issue's table, ours beside the peer and the floor, in one run.

    .venv/bin/python benchmarks/performance.py [--rounds N] [--json]

Needs the ``benchmark`` extra (boto3-refresh-session, psutil). Each figure is measured in rounds;
inside a round every candidate runs once, in alternating order, so a machine that gets busier
or quieter during the run affects all of them alike. Printed per candidate: median, min-max;
per row: ours / peer and the issue's target.

Rows:

1. ``python -c "import refreshable_sso"`` vs ``import boto3`` (fresh interpreters);
2. new process to first identity: cached token, cold role cache; ours
   (``SSORefreshableSession.from_profile(P).client("sts").get_caller_identity()``) vs plain boto3
   with the same ``sso-session`` profile, and as a floor plain boto3's path after importing
   pydantic and filelock (what a pydantic-validated, cross-process-locked library must load).
   The child prints ``time.monotonic()`` (one clock for every process on the host) when it has
   its identity, so the figure ends there; the time to process exit, interpreter teardown
   included, is printed as a note;
3. RSS per held role: 100 ``for_role`` siblings with one sts client each, vs 100 plain boto3
   sessions, vs the floor (100 boto3 sessions on one shared botocore loader);
4. ``get_credentials().get_frozen_credentials()`` per request: ours vs botocore's SSO
   credentials vs static credentials, floor a function returning a stored object;
5. 8 processes started together with 300 s left on the access token: wall time until all have
   an identity (the last child's printed moment, as in row 2; time to the last exit in a note),
   plus the CreateToken / GetRoleCredentials / errors the emulator saw;
6. ``client("s3")`` cache hit: ours vs boto3-refresh-session, floor a function building the key;
7. the pytest plugin: a one-test pytest run with and without ``-p no:refreshable_sso``, plus
   the plugin module's own import time (``python -X importtime``) as a note.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _common import SSO_SESSION, isolate_home  # noqa: E402

PROFILE = "bench"
PROCESSES = 8


@dataclass
class Row:
    """One table row: samples per candidate, the unit, and the target on ours / peer."""

    title: str
    unit: str
    target: str
    samples: dict[str, list[float]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(self, name: str, value: float) -> None:
        self.samples.setdefault(name, []).append(value)

    def median(self, name: str) -> float:
        return statistics.median(self.samples[name])

    def as_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "unit": self.unit,
            "target": self.target,
            "median": {name: self.median(name) for name in self.samples},
            "min": {name: min(values) for name, values in self.samples.items()},
            "max": {name: max(values) for name, values in self.samples.items()},
            "n": {name: len(values) for name, values in self.samples.items()},
            "notes": self.notes,
        }


def interleaved(
    rounds: int, candidates: Sequence[tuple[str, Callable[[], float]]], row: Row
) -> None:
    """Run every candidate once per round, alternating the order between rounds."""
    for index in range(rounds):
        order = list(candidates) if index % 2 == 0 else list(reversed(candidates))
        for name, measure in order:
            row.add(name, measure())


# -- environment ------------------------------------------------------------------------------


def write_profile(emu: Any, home: str) -> None:
    """An sso-session profile both boto3 and we read, pointing at the emulator."""
    aws = Path(home, ".aws")
    aws.mkdir(parents=True, exist_ok=True)
    Path(aws, "config").write_text(
        textwrap.dedent(
            f"""
            [profile {PROFILE}]
            sso_session = {SSO_SESSION}
            sso_account_id = {emu.default_account_id}
            sso_role_name = {emu.default_role_name}
            region = {emu.region}

            [sso-session {SSO_SESSION}]
            sso_start_url = {emu.start_url}
            sso_region = {emu.region}
            sso_registration_scopes = sso:account:access
            """
        )
    )


def near_expiry_token(emu: Any, seconds_left: float = 300.0) -> None:
    """A fresh sign-in whose cached token says it expires in ``seconds_left`` (refresh window)."""
    path = emu.seed_token_cache(sso_session_name=SSO_SESSION)
    data = json.loads(path.read_text())
    now = time.time()
    data["expiresAt"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + seconds_left))
    path.write_text(json.dumps(data))
    issued = now + seconds_left - 8 * 3600  # written when issued, 8 hours before it expires
    os.utime(path, (issued, issued))


def clear_role_cache(home: str) -> None:
    shutil.rmtree(Path(home, ".aws", "cli", "cache"), ignore_errors=True)


def child_env(emu: Any) -> dict[str, str]:
    env = dict(os.environ)
    env.update(emu.env())
    return env


def run_seconds(
    argv: list[str], env: dict[str, str] | None = None, cwd: str | None = None
) -> float:
    started = time.perf_counter()
    # stdin is no terminal, as for a service: no interactive login is prepared
    subprocess.run(
        argv, env=env, cwd=cwd, check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL
    )
    return time.perf_counter() - started


# Each child prints the moment it has its identity (CLOCK_MONOTONIC is one clock for every
# process on the host): the row is "to first identity"; interpreter teardown comes after it.
IDENTITY_AT = "\nimport time\nprint(time.monotonic())"
IDENTITY_OURS = (
    "from refreshable_sso import SSORefreshableSession\n"
    f"SSORefreshableSession.from_profile({PROFILE!r}).client('sts').get_caller_identity()"
    + IDENTITY_AT
)
IDENTITY_BOTO3 = (
    f"import boto3\nboto3.Session(profile_name={PROFILE!r}).client('sts').get_caller_identity()"
    + IDENTITY_AT
)


# What a pydantic-validated library that locks its caches across processes must import before
# its first request, then plain boto3's path: shows how much of the gap those imports are.
IDENTITY_FLOOR = (
    "import pydantic, filelock\nfrom pydantic import BaseModel, Field, SecretStr\n" + IDENTITY_BOTO3
)


def run_to_identity(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Seconds from spawning ``argv`` to the identity it prints, and to its exit."""
    started = time.monotonic()
    done = subprocess.run(
        argv, env=env, check=True, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True
    )
    exited = time.monotonic()
    return float(done.stdout.split()[-1]) - started, exited - started


def exit_note(exits: dict[str, list[float]]) -> str:
    """The same runs timed to process exit, teardown included (a note, not the row's figure)."""
    medians = {name: statistics.median(values) for name, values in exits.items()}
    sides = ", ".join(f"{name} {value:.3f} s" for name, value in medians.items())
    ratio = medians["ours"] / medians["peer"]
    return f"to process exit (interpreter teardown included): {sides}; ours / peer {ratio:.2f}x"


# -- rows -------------------------------------------------------------------------------------


def row_import(rounds: int) -> Row:
    row = Row("python -c 'import X' (fresh interpreter)", "s", "ours <= 1.10 x import boto3")
    py = sys.executable
    interleaved(
        rounds,
        [
            (
                "ours: import refreshable_sso",
                lambda: run_seconds([py, "-c", "import refreshable_sso"]),
            ),
            ("peer: import boto3", lambda: run_seconds([py, "-c", "import boto3"])),
            ("floor: python -c pass", lambda: run_seconds([py, "-c", "pass"])),
        ],
        row,
    )
    return row


def row_first_identity(emu: Any, home: str, rounds: int) -> Row:
    row = Row(
        "new process: session + first identity (cached token, cold role cache)",
        "s",
        "ours <= 1.25 x plain boto3",
    )
    env = child_env(emu)
    exits: dict[str, list[float]] = {}

    def run(code: str, side: str) -> Callable[[], float]:
        def measure() -> float:
            clear_role_cache(home)
            to_identity, to_exit = run_to_identity([sys.executable, "-c", code], env)
            exits.setdefault(side, []).append(to_exit)
            return to_identity

        return measure

    interleaved(
        rounds,
        [
            ("ours: from_profile + sts get_caller_identity", run(IDENTITY_OURS, "ours")),
            ("peer: plain boto3 sso profile + get_caller_identity", run(IDENTITY_BOTO3, "peer")),
            ("floor: the same after importing pydantic and filelock", run(IDENTITY_FLOOR, "floor")),
        ],
        row,
    )
    row.notes.append(exit_note(exits))
    return row


_MEMORY_CHILD = textwrap.dedent(
    """
    import gc, json, sys
    import psutil
    kind, start_url, region, account, role = sys.argv[1:6]
    ROLES = 100
    process = psutil.Process()
    accounts = [f"{900000000000 + i}" for i in range(ROLES)]

    if kind == "ours":
        from refreshable_sso import SSORefreshableSession
        parent = SSORefreshableSession(
            start_url=start_url, sso_region=region, account_id=account, role_name=role,
            region_name=region, sso_session_name="bench",
        )
        parent.client("sts")
        make = lambda i: parent.for_role(accounts[i], role)
    elif kind == "boto3":
        import boto3
        boto3.Session(region_name=region).client("sts")
        make = lambda i: boto3.Session(region_name=region)
    else:  # floor: boto3 sessions on one shared botocore loader
        import boto3, botocore.session
        from botocore.loaders import create_loader
        loader = create_loader()
        def make(i):
            core = botocore.session.Session()
            core.register_component("data_loader", loader)
            return boto3.Session(region_name=region, botocore_session=core)
        make(0).client("sts")
    gc.collect()
    before = process.memory_info().rss
    held = []
    for i in range(ROLES):
        session = make(i)
        held.append((session, session.client("sts")))
    gc.collect()
    after = process.memory_info().rss
    print(json.dumps({"per_role_mib": (after - before) / ROLES / 2**20,
                      "total_mib": after / 2**20}))
    """
)


def row_memory(emu: Any, rounds: int) -> Row:
    row = Row(
        "RSS per held role, 100 roles with one sts client each (psutil, fresh process)",
        "MiB",
        "ours <= 1.5 MiB per role (<= 200 MiB total)",
    )
    totals: dict[str, list[float]] = {}

    def run(kind: str, name: str) -> Callable[[], float]:
        def measure() -> float:
            out = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    _MEMORY_CHILD,
                    kind,
                    emu.start_url,
                    emu.region,
                    emu.default_account_id,
                    emu.default_role_name,
                ],
                env=child_env(emu),
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            result = json.loads(out.strip().splitlines()[-1])
            totals.setdefault(name, []).append(result["total_mib"])
            return float(result["per_role_mib"])

        return measure

    interleaved(
        rounds,
        [
            ("ours: for_role x100", run("ours", "ours: for_role x100")),
            ("peer: plain boto3.Session x100", run("boto3", "peer: plain boto3.Session x100")),
            (
                "floor: boto3 sessions on one shared loader",
                run("floor", "floor: boto3 sessions on one shared loader"),
            ),
        ],
        row,
    )
    for name, values in totals.items():
        row.notes.append(
            f"process RSS at the end, {name}: median {statistics.median(values):.0f} MiB"
        )
    return row


def batch_us(func: Callable[[], Any], number: int) -> float:
    started = time.perf_counter()
    for _ in range(number):
        func()
    return (time.perf_counter() - started) / number * 1e6


def row_hot_path(emu: Any, rounds: int) -> Row:
    import boto3

    from refreshable_sso import SSORefreshableSession

    row = Row(
        "get_credentials().get_frozen_credentials() per request",
        "us",
        "ours <= 2 us median (and below botocore's SSO path)",
    )
    ours = SSORefreshableSession.from_profile(PROFILE)
    ours.get_credentials().get_frozen_credentials()
    botocore_sso = boto3.Session(profile_name=PROFILE)
    botocore_sso.get_credentials().get_frozen_credentials()  # loads them once
    static = boto3.Session(aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="x")
    stored = static.get_credentials().get_frozen_credentials()

    def floor() -> Any:
        return stored

    number = 20000
    interleaved(
        rounds * 5,
        [
            (
                "ours: SSORefreshableSession",
                lambda: batch_us(lambda: ours.get_credentials().get_frozen_credentials(), number),
            ),
            (
                "peer: botocore's SSO credentials",
                lambda: batch_us(
                    lambda: botocore_sso.get_credentials().get_frozen_credentials(), number // 10
                ),
            ),
            (
                "static credentials",
                lambda: batch_us(lambda: static.get_credentials().get_frozen_credentials(), number),
            ),
            ("floor: a function returning a stored object", lambda: batch_us(floor, number)),
        ],
        row,
    )
    return row


_NEAR_EXPIRY_CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    kind, rendezvous, index = sys.argv[1:4]
    if kind == "ours":  # both import their library before the start signal
        from refreshable_sso import SSORefreshableSession
        make = lambda: SSORefreshableSession.from_profile("bench")
    else:
        import boto3
        make = lambda: boto3.Session(profile_name="bench")
    Path(rendezvous, "ready-" + index).touch()
    go = Path(rendezvous, "go")
    while not go.exists():
        time.sleep(0.001)
    make().client("sts").get_caller_identity()
    print(time.monotonic())
    """
)


def row_near_expiry(emu: Any, home: str, rounds: int) -> Row:
    row = Row(
        f"{PROCESSES} processes, access token with 300 s left: wall until all have an identity",
        "s",
        "ours <= 1.25 x plain boto3, with 1 CreateToken and 1 GetRoleCredentials",
    )
    env = child_env(emu)
    seen: dict[str, list[str]] = {}
    exits: dict[str, list[float]] = {}

    def run(kind: str, name: str) -> Callable[[], float]:
        def measure() -> float:
            clear_role_cache(home)
            near_expiry_token(emu)
            emu.reset_counters()
            rendezvous = Path(tempfile.mkdtemp(prefix="rendezvous-"))
            children = [
                subprocess.Popen(
                    [sys.executable, "-c", _NEAR_EXPIRY_CHILD, kind, str(rendezvous), str(i)],
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    text=True,
                )
                for i in range(PROCESSES)
            ]
            deadline = time.monotonic() + 300
            while len(list(rendezvous.glob("ready-*"))) < PROCESSES:
                if time.monotonic() > deadline:
                    raise RuntimeError("the benchmark's worker processes did not start")
                time.sleep(0.005)
            time.sleep(0.2)  # let the last one reach its wait loop
            started = time.monotonic()
            Path(rendezvous, "go").touch()  # the clock starts when all have imported
            outputs = [child.communicate()[0] for child in children]
            exits.setdefault(name, []).append(time.monotonic() - started)
            codes = [child.returncode for child in children]
            # until the last child has its identity (each prints that moment, as in row 2)
            wall = max(float(output.split()[-1]) for output in outputs) - started
            errors = {
                op: emu.errors(op) for op in ("CreateToken", "GetRoleCredentials") if emu.errors(op)
            }
            seen.setdefault(name, []).append(
                f"CreateToken {emu.calls('CreateToken')}, GetRoleCredentials "
                f"{emu.calls('GetRoleCredentials')}, errors {errors or 'none'}, "
                f"exit codes {sorted(set(codes))}"
            )
            return wall

        return measure

    interleaved(
        rounds,
        [
            ("ours: SSORefreshableSession", run("ours", "ours")),
            ("peer: plain boto3", run("boto3", "peer")),
        ],
        row,
    )
    row.notes.append(exit_note(exits))
    for name, lines in seen.items():
        distinct = sorted(set(lines))
        row.notes.append(f"{name}: " + " | ".join(distinct))
    return row


def row_cache_hit(emu: Any, rounds: int) -> Row:
    from datetime import datetime, timedelta, timezone

    from boto3_refresh_session import CustomRefreshableSession

    from refreshable_sso import SSORefreshableSession
    from refreshable_sso import clients as client_cache

    row = Row("client('s3') cache hit", "us", "ours <= 1.0 us median")
    ours = SSORefreshableSession.from_profile(PROFILE)
    first = ours.client("s3")
    assert ours.client("s3") is first

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
    peer_first = brs.client("s3")
    assert brs.client("s3") is peer_first

    region = ours.region_name

    def build_key() -> Any:
        return client_cache._make_key("client", client_cache._CLIENT, region, ("s3",), {})

    number = 20000
    interleaved(
        rounds * 5,
        [
            (
                "ours: SSORefreshableSession.client('s3')",
                lambda: batch_us(lambda: ours.client("s3"), number),
            ),
            (
                "peer: boto3-refresh-session client('s3')",
                lambda: batch_us(lambda: brs.client("s3"), number // 20),
            ),
            ("floor: a function that builds the key", lambda: batch_us(build_key, number)),
        ],
        row,
    )
    return row


def row_pytest_plugin(rounds: int) -> Row:
    row = Row(
        "one-test pytest run, refreshable_sso installed (plugin loaded) vs -p no:refreshable_sso",
        "s",
        "plugin adds <= 0.050 s",
    )
    project = Path(tempfile.mkdtemp(prefix="plugin-bench-"))
    (project / "test_one.py").write_text("def test_one():\n    assert True\n")
    base = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_one.py"]
    interleaved(
        rounds,
        [
            ("ours: plugin loaded", lambda: run_seconds(base, cwd=str(project))),
            (
                "floor: -p no:refreshable_sso",
                lambda: run_seconds([*base, "-p", "no:refreshable_sso"], cwd=str(project)),
            ),
        ],
        row,
    )
    # Two whole pytest runs differ by more than the plugin costs; its own import, timed by the
    # interpreter, is the figure that noise cannot hide.
    own = [plugin_import_seconds() for _ in range(rounds)]
    row.notes.append(
        f"the plugin module's import, python -X importtime after pytest: median "
        f"{statistics.median(own) * 1000:.1f} ms (min {min(own) * 1000:.1f} - max "
        f"{max(own) * 1000:.1f}, n={len(own)})"
    )
    return row


def plugin_import_seconds() -> float:
    """Cumulative import time of ``refreshable_sso.pytest_plugin`` once pytest is imported."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import pytest, refreshable_sso.pytest_plugin"],
        check=True,
        capture_output=True,
        text=True,
    )
    for line in done.stderr.splitlines():
        if line.rstrip().endswith("| refreshable_sso.pytest_plugin"):
            return int(line.split("|")[1]) / 1e6
    raise RuntimeError("python -X importtime printed no line for refreshable_sso.pytest_plugin")


# -- printing ---------------------------------------------------------------------------------


def print_row(number: int, row: Row) -> None:
    scale = 1.0
    unit = row.unit
    print(f"\n{number}. {row.title}   [target: {row.target}]")
    names = list(row.samples)
    width = max(map(len, names))
    for name in names:
        values = row.samples[name]
        print(
            f"   {name:<{width}}  median {row.median(name) * scale:9.3f} {unit}"
            f"   (min {min(values) * scale:.3f} - max {max(values) * scale:.3f}, n={len(values)})"
        )
    ours = [n for n in names if n.startswith("ours")]
    others = [n for n in names if not n.startswith("ours")]
    for mine in ours:
        for other in others:
            ratio = row.median(mine) / row.median(other) if row.median(other) else float("nan")
            print(f"   ratio {mine.split(':')[0]} / {other.split(':')[0]}: {ratio:.2f}x  ({other})")
    for note in row.notes:
        print(f"   note: {note}")


def compile_package_bytecode() -> str:
    """Write refreshable_sso's ``.pyc`` files, as ``pip install`` does, before timing start-up.

    An editable install (``pip install -e .``) under ``PYTHONDONTWRITEBYTECODE=1`` (set on these
    machines) never writes them, so every fresh interpreter would compile our modules from
    source while boto3's come precompiled from its wheel: about 0.15 s that no installed user
    pays. ``compileall`` writes them whatever that variable says.
    """
    import compileall
    import importlib.util

    spec = importlib.util.find_spec("refreshable_sso")
    if spec is None or spec.origin is None:
        return "bytecode: refreshable_sso not found"
    folder = Path(spec.origin).parent
    compileall.compile_dir(str(folder), quiet=1)
    return f"bytecode: compiled {folder} (as pip install does)"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=7, help="rounds per row (default 7)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON at the end")
    parser.add_argument("--only", type=int, nargs="+", metavar="ROW", help="run only these rows")
    args = parser.parse_args()
    home = isolate_home()
    os.environ["AWS_CONFIG_FILE"] = str(Path(home, ".aws", "config"))
    packages = ", ".join(
        f"{name} {version(name)}"
        for name in ("boto3", "botocore", "pydantic", "boto3-refresh-session")
    )
    load = os.getloadavg()
    print(
        f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs, load {load[0]:.1f}; {packages}"
    )

    print(compile_package_bytecode())

    from refreshable_sso.emulator import Emulator

    rows: list[Row] = []
    with Emulator(auto_approve=True) as emu:
        write_profile(emu, home)
        emu.seed_token_cache(sso_session_name=SSO_SESSION)
        for name, value in emu.env().items():
            os.environ[name] = value
        steps: list[Callable[[], Row]] = [
            lambda: row_import(args.rounds * 2),
            lambda: row_first_identity(emu, home, args.rounds * 2),
            lambda: row_memory(emu, max(3, args.rounds // 2)),
            lambda: row_hot_path(emu, args.rounds),
            lambda: row_near_expiry(emu, home, args.rounds),
            lambda: row_cache_hit(emu, args.rounds),
            lambda: row_pytest_plugin(args.rounds * 2),
        ]
        for number, step in enumerate(steps, 1):
            if args.only and number not in args.only:
                continue
            row = step()
            rows.append(row)
            print_row(number, row)
            sys.stdout.flush()
    if args.json:
        print(json.dumps([row.as_dict() for row in rows]))


if __name__ == "__main__":
    main()
