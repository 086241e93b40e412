"""A child process of the three-ends run: another program on the host, on the parent's clock.

Why a separate process: the issue's promise is that every process on the host keeps working
while one of them ends the sign-in session (``sso:Logout``) and signs in again, and that the
new token reaches them through the shared cache under the existing locks. A thread cannot show
that: it shares the parent's in-memory token cache object.

Run as ``python -m tests.session.session_end_child CLOCK_FILE CHILD RENDEZVOUS`` (the repository
root on ``PYTHONPATH``, HOME and the ``AWS_ENDPOINT_URL_*`` variables of the test):

- installs a :class:`tests.process_clock.FileClock` over ``CLOCK_FILE`` (the parent's virtual
  clock) as the library's clock, before it builds anything;
- builds ``SSORefreshableSession.from_profile("dev", login="never")``: it reads the token and
  role-credential caches in ``~/.aws`` the parent's session writes, and never signs in (nobody
  is there to approve);
- touches ``RENDEZVOUS/ready-CHILD``, waits for ``RENDEZVOUS/go``, then calls
  ``sts:GetCallerIdentity`` once in every step it sees (and every 20 ms of real time while the
  step stays, as during a sign-in), reading the step before each call and acknowledging it
  after (the parent advances time only once every child has);
- when the parent says stop, prints one JSON line: calls, failures, the distinct role access
  keys it signed with, and how far botocore's ``time_fetcher`` was ahead of real time.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from refreshable_sso._clock import set_clock
from refreshable_sso.session import SSORefreshableSession
from tests.process_clock import FileClock

#: Real seconds between two calls while the step does not change (e.g. while the parent's
#: sign-in holds the clock): the children keep calling then, without hogging the CPU.
IDLE_CALL_EVERY = 0.02


def main(argv: list[str]) -> int:
    """Run the child (see the module docstring); returns the exit status.

    Args:
        argv: ``[program, CLOCK_FILE, CHILD, RENDEZVOUS]``.
    """
    clock_file, child, rendezvous = Path(argv[1]), int(argv[2]), Path(argv[3])
    clock = FileClock(clock_file, child)
    set_clock(clock)
    session = SSORefreshableSession.from_profile("dev", login="never")
    sts = session.client("sts")
    (rendezvous / f"ready-{child}").touch()
    deadline = time.monotonic() + 120  # real time: the start line is real
    while not (rendezvous / "go").exists():
        if time.monotonic() > deadline:
            print("no start signal", file=sys.stderr)
            return 2
        time.sleep(0.005)
    calls = 0
    failures: list[str] = []
    keys: set[str] = set()
    last_step, last_call = -1, 0.0
    while not clock.stopped():
        step = clock.step()
        if step == last_step and time.monotonic() - last_call < IDLE_CALL_EVERY:
            time.sleep(0.001)  # the parent serves every call: leave it the CPU
            continue
        last_step, last_call = step, time.monotonic()
        try:
            sts.get_caller_identity()
            calls += 1
            credentials = session.get_credentials()
            assert credentials is not None
            keys.add(str(credentials.get_frozen_credentials().access_key))
        except Exception as exc:  # every failure is a finding: the parent asserts none
            failures.append(f"step {step}: {type(exc).__name__}: {exc}"[:400])
        clock.ack(step)
    # botocore decides refreshes with the time_fetcher our adapter gave it: the shared clock
    time_fetcher: Any = getattr(session.get_credentials(), "_time_fetcher", None)
    print(
        json.dumps(
            {
                "calls": calls,
                "failures": failures,
                "keys": len(keys),
                "botocore_ahead": (time_fetcher() - datetime.now(timezone.utc)).total_seconds(),
                "offset": clock.offset,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
