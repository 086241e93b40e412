"""The sign-in's end as IAM Identity Center keeps it, against the emulator's portal sessions.

An approval in a browser whose portal session lives joins it, so only ``sso:Logout`` first
makes a re-login start a new session. These tests show that ``relogin_ahead`` and
``login(new_session=True)`` do that, that the old behaviour (a re-login without Logout) does
not move the end, and that ``sign_in_expires_at`` stays equal to the emulator's real end.
All of it runs on the shared virtual clock: an hour-long session ends three times in seconds.

The three-ends run has 4 other processes working through the ends, not only after them: they
read the parent's virtual clock from a shared file (``tests/process_clock.py``), never sign in,
and take each new token from the shared cache (``tests/session/session_end_child.py``). Its
``browser`` variant has a person approve every sign-in on the emulator's device page in a real
headless Chromium; the ``emulator`` variant (auto-approval) runs where no Chromium is.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from refreshable_sso import login
from refreshable_sso._clock import OffsetClock, use_clock
from refreshable_sso.emulator import Emulator
from refreshable_sso.tokens.login.policy import LoginEvent, LoginPolicyProvider
from tests.cli.helpers import cli_here
from tests.process_clock import PacedRun, PublishingClock
from tests.session.conftest import SSO_SESSION, session_for
from tests.start_line import release_when_ready
from tests.virtual_time import VirtualRun

HOUR = 3600.0
AHEAD = 600.0
STEP = 40.0  # virtual seconds per step of a long run (2 steps < the 120 s mandatory window)


def our_login(emu: Emulator, **options: Any) -> None:
    """Our own device-code sign-in into sso-session corp, approved by the emulator."""
    options.setdefault("prompt_callback", lambda *args, **kwargs: None)
    login(
        emu.start_url,
        emu.region,
        sso_session_name=SSO_SESSION,
        use_device_code=True,
        open_browser=False,
        oidc_endpoint_url=emu.url,
        sso_endpoint_url=emu.url,
        timeout=30,
        **options,
    )


def write_config(home: Any, emu: Emulator, *, duration: int | None = None) -> Any:
    """``[profile dev]`` on ``[sso-session corp]`` of ``emu`` in HOME's AWS config file."""
    config = home / ".aws" / "config"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(
        f"[profile dev]\nsso_session = {SSO_SESSION}\nsso_account_id = {emu.default_account_id}\n"
        f"sso_role_name = {emu.default_role_name}\nregion = {emu.region}\n\n"
        f"[sso-session {SSO_SESSION}]\nsso_start_url = {emu.start_url}\n"
        f"sso_region = {emu.region}\nsso_registration_scopes = sso:account:access\n"
        + (f"sso_session_duration = {duration}\n" if duration else ""),
        encoding="utf-8",
    )
    return config


def _close(actual: datetime | None, expected: datetime | None, within: float = 2.0) -> bool:
    return (
        actual is not None
        and expected is not None
        and abs((actual - expected).total_seconds()) <= within
    )


def _long_run(
    emu: Emulator, run: VirtualRun, session: Any, seconds: float
) -> tuple[list[BaseException], int]:
    """16 threads calling STS for ``seconds`` of virtual time; returns (failures, calls)."""
    failures: list[BaseException] = []
    calls = [0]
    lock = threading.Lock()
    stop = threading.Event()

    def worker() -> None:
        sts = session.client("sts", endpoint_url=emu.url)
        while not stop.is_set():
            try:
                with run.iteration():
                    sts.get_caller_identity()
                with lock:
                    calls[0] += 1
            except BaseException as exc:
                with lock:
                    failures.append(exc)
            stop.wait(0.005)

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for thread in threads:
        thread.start()
    run.run(seconds)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    return failures, calls[0]


def _session(emu: Emulator, events: list[LoginEvent]) -> Any:
    return session_for(
        emu,
        region_name=emu.region,
        login="auto",
        login_flow="device",
        sso_session_duration=HOUR,
        relogin_ahead=timedelta(seconds=AHEAD),
        advisory_timeout=300.0,
        mandatory_timeout=120.0,
        on_login=events.append,
    )


_CHILD = """
import json, boto3
sts = boto3.Session(profile_name="dev").client("sts")
print(json.dumps(sts.get_caller_identity()))
"""

ROOT = Path(__file__).resolve().parents[2]
CHILDREN = 4


@pytest.fixture
def process_clock(tmp_path: Path) -> Iterator[PublishingClock]:
    """The shared virtual clock, published to a file the child processes read at every call."""
    clock = PublishingClock(tmp_path / "clock")
    with use_clock(clock):
        yield clock
    clock.close()


def _start_children(
    clock: PublishingClock, emu: Emulator, folder: Path
) -> tuple[list[subprocess.Popen[str]], Path]:
    """Start the 4 child processes of the run (tests/session/session_end_child.py) on
    ``clock``; returns them and their rendezvous folder (release them with
    ``release_when_ready``)."""
    rendezvous = folder / "rendezvous"
    rendezvous.mkdir()
    env = {**os.environ, **emu.env(), "PYTHONPATH": str(ROOT)}
    children = []
    for child in range(CHILDREN):
        # files, not pipes: a child that logs a lot must never block on a full pipe
        with (
            (folder / f"child-{child}.out").open("w") as out,
            (folder / f"child-{child}.err").open("w") as err,
        ):
            children.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "tests.session.session_end_child",
                        str(clock.shared.path),
                        str(child),
                        str(rendezvous),
                    ],
                    cwd=ROOT,
                    env=env,
                    stdout=out,
                    stderr=err,
                    text=True,
                )
            )
    return children, rendezvous


def _children_results(
    clock: PublishingClock, children: list[subprocess.Popen[str]], folder: Path
) -> list[dict[str, Any]]:
    """Stop the children and read what each saw (see session_end_child.py)."""
    clock.stop_children()
    results = []
    for child, process in enumerate(children):
        process.wait(timeout=120)
        err = (folder / f"child-{child}.err").read_text()
        assert process.returncode == 0, err[-3000:]
        results.append(json.loads((folder / f"child-{child}.out").read_text()))
    return results


class _Person:
    """The person at a real headless Chromium: approves each device code shown to them on the
    emulator's device page, in one browser context (so its portal session cookie lives across
    sign-ins). Playwright's sync API belongs to the thread that started it, so the browser
    lives in a thread of its own and the prompt callback hands it the URL."""

    def __init__(self, emu: Emulator) -> None:
        from tests.browser import require_chromium

        require_chromium()  # skip (or fail in CI) here, in the test's thread
        pytest.importorskip("playwright.sync_api")
        self.emu = emu
        self.pages: list[tuple[int, str]] = []  # (Logouts before the page, the page's text)
        self.errors: list[BaseException] = []
        self._urls: queue.Queue[str | None] = queue.Queue()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="person", daemon=True)
        self._thread.start()
        # the browser is up and has drawn a page of the emulator before any sign-in starts:
        # a sign-in's record and the emulator's session start differ by the approval's time
        assert self._ready.wait(120), self.errors
        assert self.errors == [], self.errors

    def _run(self) -> None:
        from tests.browser import chromium, new_page

        try:
            with chromium() as browser, new_page(browser) as page:
                page.goto(f"{self.emu.url}/device")
                self._ready.set()
                while (url := self._urls.get()) is not None:
                    try:
                        page.goto(url)
                        # recorded before the approval, which lets the sign-in complete
                        self.pages.append((self.emu.calls("Logout"), page.inner_text("body")))
                        page.click("#approve")
                        assert "approved" in page.inner_text("#status")
                    except BaseException as exc:
                        self.errors.append(exc)
        except BaseException as exc:
            self.errors.append(exc)
        finally:
            self._ready.set()

    def callback(self, uri: str, code: str, uri_complete: str, expires_at: Any) -> None:
        """The prompt callback: the person opens the link (the sign-in polls meanwhile)."""
        self._urls.put(uri_complete)

    def close(self) -> None:
        self._urls.put(None)
        self._thread.join(timeout=60)


@pytest.mark.soak  # no real waiting, but 16 threads and 4 processes paced through hours of
# virtual time: 20-35 s on a busy 2-core machine
@pytest.mark.multiprocess
@pytest.mark.parametrize(
    "approver", ["emulator", pytest.param("browser", marks=pytest.mark.browser)]
)
def test_relogin_ahead_starts_a_new_session_before_each_of_three_ends(
    sso_emulator_factory: Any,
    process_clock: PublishingClock,
    isolated_aws_home: Any,
    tmp_path: Path,
    approver: str,
) -> None:
    """16 threads of our session and 4 other processes (sessions from the profile, on the
    same virtual clock through a shared file, never signing in) call STS through three session
    ends: each end is one Logout and one sign-in ahead of it, and nobody fails a call. With
    ``approver="browser"`` every sign-in is approved on the emulator's device page in a real
    headless Chromium, whose sign-in step shows that each re-login started a new session."""
    emu: Emulator = sso_emulator_factory(
        auto_approve=approver == "emulator",
        session_ttl=HOUR,
        role_credentials_ttl=900,
        clock=process_clock,
    )
    person = _Person(emu) if approver == "browser" else None
    write_config(isolated_aws_home, emu)
    try:
        _three_ends(emu, process_clock, tmp_path, person)
    finally:
        if person is not None:
            person.close()


def _three_ends(
    emu: Emulator, clock: PublishingClock, folder: Path, person: _Person | None
) -> None:
    # How far our record may trail the emulator's session start: the real time a sign-in
    # takes flows on the held clock, plus the whole second the record keeps. The emulator
    # approves at once; a person in a browser takes the time the sign-in spans on the clock.
    slack = [2.0]
    started = clock.now()
    if person is not None:
        our_login(emu, prompt_callback=person.callback)
        assert "Sign in, then Approve" in person.pages[-1][1]  # nobody was signed in yet
        slack[0] = (clock.now() - started).total_seconds() + 1.0
    else:
        our_login(emu)
    first_end = emu.portal_session_end()
    events: list[LoginEvent] = []
    session = _session(emu, events)
    if person is not None:  # the session's sign-ins reach the person at the browser
        interactive: Any = session._login_policy.interactive
        interactive.prompt.prompt_callback = person.callback
    assert _close(session.sign_in_expires_at, first_end, within=slack[0])
    children, rendezvous = _start_children(clock, emu, folder)
    emu.reset_counters()
    ends_seen: list[tuple[datetime | None, datetime | None]] = []
    sign_in_started: list[datetime] = []

    run = PacedRun(
        clock,
        children=CHILDREN,
        lag=1,  # a child's call sees at most 2 steps pass, as a thread's (max_span)
        alive=lambda: all(child.poll() is None for child in children),
        step=STEP,
        max_span=2 * STEP,
        pause=0.002,
    )

    def sample(event: LoginEvent) -> None:
        events.append(event)
        if event.phase == "started":
            sign_in_started.append(clock.now())
        if event.phase == "completed":
            if person is not None:
                slack.append((clock.now() - sign_in_started[-1]).total_seconds() + 1.0)
            ends_seen.append((session.sign_in_expires_at, emu.portal_session_end()))

    # the clock is held while each sign-in runs
    session._login_policy.on_login = run.holding_sign_ins(sample)  # type: ignore[union-attr]
    try:
        release_when_ready(rendezvous, children)  # all 4 built their sessions, at the line
        # past the third end the first three sessions would have had (re-logins come every
        # HOUR - AHEAD, so the fourth is still ahead)
        failures, calls = _long_run(emu, run, session, 3 * HOUR + 120)
        results = _children_results(clock, children, folder)
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait()
    session.close()
    assert failures == [], failures[:3]
    assert calls > 300
    # the 4 processes worked through all three ends, on the shared clock, without signing in
    for result in results:
        assert result["failures"] == [], result["failures"][:3]
        # a child calls once in every step it sees, and the barrier lets none pass two
        # steps in a row without a call of it
        assert result["calls"] >= clock.step // 2 > 100, result
        # botocore in the child decided refreshes on the shared clock: its time_fetcher was
        # hours ahead of real time, and role credentials (15 min) rotated through the hours
        assert result["offset"] > 3 * HOUR
        assert abs(result["botocore_ahead"] - result["offset"]) < 5, result
        assert result["keys"] >= 6, result
    # one Logout and one sign-in per end, and not a single refused refresh token, with the
    # 4 processes present: they took the new token from the shared cache
    assert emu.calls("Logout") == 3
    assert emu.calls("StartDeviceAuthorization") == 3
    assert emu.errors("CreateToken").get("InvalidGrantException", 0) == 0
    assert [event.phase for event in events] == ["started", "completed"] * 3
    if person is not None:
        assert person.errors == [], person.errors[:3]
        relogins = person.pages[1:]
        assert len(relogins) == 3
        for number, (logouts, text) in enumerate(relogins, start=1):
            # the person met the sign-in step only after our Logout ended the live session
            assert logouts == number
            assert "Sign in, then Approve" in text
    # each re-login really moved the end, and our prediction is the emulator's truth
    assert len(ends_seen) == 3
    for number, (predicted, real) in enumerate(ends_seen, start=1):
        # the same end (the clock is held while a sign-in runs; our record keeps whole
        # seconds, and the real time the sign-in takes still flows), never later than the real
        assert predicted is not None
        assert real is not None
        assert (
            timedelta(0)
            <= real - predicted
            <= timedelta(seconds=2 if person is None else slack[number])
        )
    reals = [real for _, real in ends_seen]
    assert all(real is not None for real in reals)
    assert first_end is not None
    assert reals[0] > first_end + timedelta(seconds=HOUR / 2)  # type: ignore[operator]
    assert reals[1] > reals[0] + timedelta(seconds=HOUR / 2)  # type: ignore[operator]
    assert reals[2] > reals[1] + timedelta(seconds=HOUR / 2)  # type: ignore[operator]
    # 4 more processes (plain boto3 on an sso-session profile, on real time) find the third
    # session's token in the shared cache and work, with no refused refresh token anywhere
    plain = [
        subprocess.Popen(
            [sys.executable, "-c", _CHILD],
            env={**os.environ, **emu.env()},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    for child in plain:
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err[-2000:]
        assert json.loads(out)["Account"] == emu.default_account_id
    assert emu.errors("CreateToken").get("InvalidGrantException", 0) == 0
    assert emu.calls("StartDeviceAuthorization") == 3
    if person is not None:
        # inside the live (third) session the same browser approves with no sign-in step,
        # and the end stays where it is
        our_login(emu, force=True, prompt_callback=person.callback)
        assert "Sign in, then Approve" not in person.pages[-1][1]
        assert "this portal session ends" in person.pages[-1][1]
        assert emu.portal_session_end() == reals[2]
        assert emu.calls("Logout") == 3


@pytest.mark.soak  # no real waiting, but 16 threads through hours of virtual time: ~5-10 s
def test_a_relogin_without_a_new_session_does_not_move_the_end(
    sso_emulator_factory: Any, shared_clock: OffsetClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The old behaviour: a re-approval joins the live portal session. The job then dies at
    the original end, which is why relogin_ahead ends the session first."""
    monkeypatch.setattr(LoginPolicyProvider, "RELOGIN_NEW_SESSION", False)
    emu: Emulator = sso_emulator_factory(
        auto_approve=True, session_ttl=HOUR, role_credentials_ttl=900
    )
    our_login(emu)
    first_end = emu.portal_session_end()
    events: list[LoginEvent] = []
    session = _session(emu, events)
    emu.reset_counters()
    ends_seen: list[datetime | None] = []

    def sample(event: LoginEvent) -> None:
        events.append(event)
        if event.phase == "completed":
            ends_seen.append(emu.portal_session_end())

    session._login_policy.on_login = sample  # type: ignore[union-attr]
    run = VirtualRun(shared_clock, step=STEP, max_span=2 * STEP, pause=0.002)
    # past the end, and past the lifetime of the role credentials held at the end
    _long_run(emu, run, session, HOUR + 1200)
    session.close()
    assert emu.calls("Logout") == 0
    # it did sign in again ahead of the end, but that sign-in joined the live session ...
    assert ends_seen
    assert ends_seen[0] == first_end
    # ... so the end came anyway, and the job needed one more sign-in after it: the sign-in
    # the relogin ahead exists to spare
    assert emu.errors("CreateToken").get("InvalidGrantException", 0) >= 1
    assert emu.calls("StartDeviceAuthorization") >= 2


_WAITER = """
import sys, time
from pathlib import Path
from refreshable_sso._clock import set_clock
from tests.process_clock import FileClock
set_clock(FileClock(Path(sys.argv[1]), 0))
from refreshable_sso.session import SSORefreshableSession
session = SSORefreshableSession.from_profile("dev", login="never")
rendezvous = Path(sys.argv[2])
(rendezvous / "ready-0").touch()
while not (rendezvous / "logged-out").exists():
    time.sleep(0.002)
(rendezvous / "calling").touch()
print(session.whoami()["Account"])
"""


@pytest.mark.soak  # waits 0.5 s of real time for the other process to reach the token's lock
@pytest.mark.multiprocess
def test_another_process_waits_for_the_new_token_while_a_new_session_replaces_it(
    sso_emulator_factory: Any,
    process_clock: PublishingClock,
    isolated_aws_home: Any,
    tmp_path: Path,
) -> None:
    """Between our ``sso:Logout`` and the new token, another process whose token is inside
    its refresh window must not spend the dead refresh token: it waits on the token's lock
    for the new token (it cannot sign in: ``login="never"``)."""
    emu: Emulator = sso_emulator_factory(auto_approve=True, session_ttl=HOUR, clock=process_clock)
    write_config(isolated_aws_home, emu)
    our_login(emu)
    process_clock.advance(HOUR - 600)  # 10 minutes left: inside the 15-minute refresh window
    rendezvous = tmp_path / "rendezvous"
    rendezvous.mkdir()
    other = subprocess.Popen(
        [sys.executable, "-c", _WAITER, str(process_clock.shared.path), str(rendezvous)],
        cwd=ROOT,
        env={**os.environ, **emu.env(), "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    release_when_ready(rendezvous, [other])  # imported, its session built

    def approve_once_the_other_process_calls(*args: Any) -> None:
        # sso:Logout is done: the stored refresh token is dead until the new one is saved
        (rendezvous / "logged-out").touch()
        deadline = time.monotonic() + 60
        while not (rendezvous / "calling").exists():
            assert time.monotonic() < deadline, "the other process did not call"
            time.sleep(0.005)
        time.sleep(0.5)  # real time for it to reach the token's lock (or, unfixed, CreateToken)

    emu.reset_counters()
    our_login(emu, new_session=True, prompt_callback=approve_once_the_other_process_calls)
    out, err = other.communicate(timeout=120)
    assert other.returncode == 0, err[-3000:]
    assert out.strip() == emu.default_account_id
    assert emu.calls("Logout") == 1
    assert emu.errors("CreateToken").get("InvalidGrantException", 0) == 0
    assert "InvalidGrantException" not in err


def test_login_new_session_logs_out_first_and_keeps_old_role_credentials(
    sso_emulator_factory: Any, shared_clock: OffsetClock
) -> None:
    emu: Emulator = sso_emulator_factory(
        auto_approve=True, session_ttl=HOUR, role_credentials_ttl=HOUR
    )
    our_login(emu)
    session = session_for(emu, region_name=emu.region, sso_session_duration=HOUR)
    assert session.whoami()["Account"] == emu.default_account_id
    old_credentials = session.get_credentials().get_frozen_credentials()
    first_end = emu.portal_session_end()
    assert _close(session.sign_in_expires_at, first_end)
    shared_clock.advance(HOUR / 2)
    our_login(emu, force=True)  # a plain re-login inside the live session: joins it
    assert emu.portal_session_end() == first_end
    assert _close(session.sign_in_expires_at, first_end)  # the record did not move either
    assert emu.calls("Logout") == 0
    our_login(emu, new_session=True)
    assert emu.calls("Logout") == 1
    new_end = emu.portal_session_end()
    assert new_end is not None
    assert first_end is not None
    assert new_end > first_end + timedelta(seconds=HOUR / 2 - 5)
    assert _close(session.sign_in_expires_at, new_end)
    # role credentials issued before the Logout keep working until their own expiry
    import boto3

    sts = boto3.Session(
        aws_access_key_id=old_credentials.access_key,
        aws_secret_access_key=old_credentials.secret_key,
        aws_session_token=old_credentials.token,
        region_name=emu.region,
    ).client("sts", endpoint_url=emu.url)
    assert sts.get_caller_identity()["Account"] == emu.default_account_id
    session.close()


def test_nobody_to_ask_keeps_the_session_to_its_end(
    sso_emulator_factory: Any, shared_clock: OffsetClock, caplog: pytest.LogCaptureFixture
) -> None:
    emu: Emulator = sso_emulator_factory(auto_approve=True, session_ttl=HOUR)
    our_login(emu)
    session = session_for(
        emu,
        region_name=emu.region,
        login="auto",
        login_flow="device",
        sso_session_duration=HOUR,
        relogin_ahead=timedelta(seconds=AHEAD),
    )
    policy = session._login_policy
    assert policy is not None
    assert not policy.can_reach_a_person()  # no terminal under pytest, no callback
    assert policy.sign_in_again("ahead of the end") is None
    assert emu.calls("Logout") == 0
    assert emu.calls("StartDeviceAuthorization") == 1  # only our first login
    assert "keeping it to its end" in caplog.text
    session.close()


def test_the_cli_says_whether_it_started_a_new_session(
    sso_emulator_factory: Any, shared_clock: OffsetClock, isolated_aws_home: Any
) -> None:
    emu: Emulator = sso_emulator_factory(auto_approve=True, session_ttl=HOUR)
    write_config(isolated_aws_home, emu)
    env = {**emu.env()}
    first = cli_here(
        "login", "--sso-session", SSO_SESSION, "--use-device-code", "--no-browser", env=env
    )
    assert first.returncode == 0, first.stderr
    assert "Started a new sign-in session" in first.stdout
    shared_clock.advance(600)
    joined = cli_here(
        "login",
        "--sso-session",
        SSO_SESSION,
        "--use-device-code",
        "--no-browser",
        "--force",
        env=env,
    )
    assert joined.returncode == 0, joined.stderr
    assert "may have joined the sign-in session" in joined.stdout
    fresh = cli_here(
        "login",
        "--sso-session",
        SSO_SESSION,
        "--use-device-code",
        "--no-browser",
        "--new-session",
        env=env,
    )
    assert fresh.returncode == 0, fresh.stderr
    assert "Started a new sign-in session after ending the old one (sso:Logout)" in fresh.stdout
    assert emu.calls("Logout") == 1


def test_doctor_tells_when_the_sign_in_ends_and_how_to_extend_it(
    sso_emulator_factory: Any, shared_clock: OffsetClock, isolated_aws_home: Any
) -> None:
    from refreshable_sso.doctor.runner import check

    emu: Emulator = sso_emulator_factory(auto_approve=True, session_ttl=HOUR)
    write_config(isolated_aws_home, emu, duration=3600)
    our_login(emu)
    shared_clock.advance(600)
    findings = {finding.check: finding for finding in check("dev", network=False).findings}
    end = findings["sign-in end"]
    assert "ends in 49 min" in end.summary or "ends in 50 min" in end.summary
    assert "--new-session --sso-session corp" in " ".join(end.evidence)


@pytest.mark.browser
def test_a_new_session_is_approved_through_the_device_page_with_its_sign_in_step(
    sso_emulator_factory: Any,
) -> None:
    """In a real headless Chromium: after our Logout the device page asks the person to sign
    in first (a new session); a plain re-login finds the live session and keeps its end."""
    from tests.browser import chromium, new_page

    emu: Emulator = sso_emulator_factory(auto_approve=False, session_ttl=HOUR)
    shown: list[str] = []

    def approve_in_the_browser(page: Any) -> Any:
        def callback(uri: str, code: str, uri_complete: str, expires_at: Any) -> None:
            page.goto(uri_complete)
            shown.append(page.inner_text("body"))
            page.click("#approve")
            assert "approved" in page.inner_text("#status")

        return callback

    with chromium() as browser, new_page(browser) as page:
        our_login(emu, prompt_callback=approve_in_the_browser(page))
        first_end = emu.portal_session_end()
        assert first_end is not None
        assert "Sign in, then Approve" in shown[-1]  # nobody was signed in to the portal
        our_login(emu, force=True, prompt_callback=approve_in_the_browser(page))
        assert "Sign in, then Approve" not in shown[-1]  # the live session, no sign-in step
        assert "this portal session ends" in shown[-1]
        assert emu.portal_session_end() == first_end
        our_login(emu, new_session=True, prompt_callback=approve_in_the_browser(page))
        assert "Sign in, then Approve" in shown[-1]  # Logout ended it: sign in again
        assert emu.calls("Logout") == 1
        moved = emu.portal_session_end()
        assert moved is not None
        assert moved > first_end
