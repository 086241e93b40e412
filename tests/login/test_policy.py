"""The login policy: what happens when the sign-in session ends under a running program."""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from refreshable_sso._clock import OffsetClock
from refreshable_sso.config import SSOConfig
from refreshable_sso.emulator import Emulator
from refreshable_sso.errors import (
    CacheFileError,
    ConfigurationError,
    LoginDeniedError,
    LoginRequiredError,
    LoginTimeoutError,
)
from refreshable_sso.storage.paths import private_dir, token_cache_path
from refreshable_sso.tokens.base import SSOToken
from refreshable_sso.tokens.cached import CachedTokenProvider
from refreshable_sso.tokens.login.policy import (
    LoginEvent,
    LoginPolicyProvider,
    default_login_policy,
    login_lock,
    login_lock_path,
)
from tests.fork_server import ForkServer
from tests.start_line import release_when_ready

from .conftest import SSO_SESSION, EmulatorFactory, Prompt, device_provider

WORKER = Path(__file__).with_name("_policy_worker.py")


def _sso(emu: Emulator) -> SSOConfig:
    return SSOConfig(
        start_url=emu.start_url,
        sso_region=emu.region,
        account_id=emu.default_account_id,
        role_name=emu.default_role_name,
        sso_session_name=SSO_SESSION,
    )


def _end_of_sign_in(emu: Emulator) -> Path:
    """A cached token that has expired, from a sign-in session that is over."""
    path = emu.seed_token_cache(sso_session_name=SSO_SESSION)
    data = json.loads(path.read_text())
    data["expiresAt"] = "2020-01-01T00:00:00Z"
    path.write_text(json.dumps(data))
    emu.end_sign_in_sessions(revoke_access_tokens=True)
    return path


def _policy(emu: Emulator, policy: str, **options: Any) -> LoginPolicyProvider:
    interactive = options.pop("interactive", None) or device_provider(emu, prompt_callback=Prompt())
    return LoginPolicyProvider(
        CachedTokenProvider(emu.start_url, emu.region, sso_session_name=SSO_SESSION),
        policy=policy,  # type: ignore[arg-type]
        interactive=interactive,
        sso=_sso(emu),
        **options,
    )


def test_never_passes_login_required_through(emu_factory: EmulatorFactory) -> None:
    emu = emu_factory(auto_approve=True)
    _end_of_sign_in(emu)
    with pytest.raises(LoginRequiredError) as info:
        _policy(emu, "never").get_token()
    assert info.value.sso_session_name == SSO_SESSION
    assert "InvalidGrant" in str(info.value)
    assert emu.calls("StartDeviceAuthorization") == 0


def test_auto_signs_in_tells_the_caller_and_carries_on(
    emu_factory: EmulatorFactory, caplog: pytest.LogCaptureFixture
) -> None:
    emu = emu_factory(auto_approve=True)
    path = _end_of_sign_in(emu)
    events: list[LoginEvent] = []
    caplog.set_level(logging.INFO, logger="refreshable_sso")
    token = _policy(emu, "auto", on_login=events.append).get_token()

    assert [event.phase for event in events] == ["started", "completed"]
    assert "InvalidGrant" in events[0].reason
    assert events[1].expires_at == token.expires_at
    assert "starting an interactive login" in caplog.text
    assert emu.calls("StartDeviceAuthorization") == 1
    assert json.loads(path.read_text())["accessToken"] == token.access_token.get_secret_value()
    assert login_lock_path(path).exists()


def test_auto_failed_login_is_reported_and_raised(emu_factory: EmulatorFactory) -> None:
    emu = emu_factory(auto_approve=False)
    _end_of_sign_in(emu)
    events: list[LoginEvent] = []
    denying = device_provider(emu, prompt_callback=Prompt(act=emu.deny))
    with pytest.raises(LoginDeniedError):
        _policy(emu, "auto", interactive=denying, on_login=events.append).get_token()
    assert [event.phase for event in events] == ["started", "failed"]
    assert isinstance(events[1].error, LoginDeniedError)


def test_a_broken_on_login_callback_does_not_break_the_login(emu_factory: EmulatorFactory) -> None:
    emu = emu_factory(auto_approve=True)
    _end_of_sign_in(emu)

    def broken(_event: LoginEvent) -> None:
        raise RuntimeError("callback bug")

    assert _policy(emu, "auto", on_login=broken).get_token().can_refresh()


def test_bad_policy_arguments() -> None:
    sso = SSOConfig(
        start_url="https://d-1.awsapps.com/start",
        sso_region="us-east-1",
        account_id="111111111111",
        role_name="ReadOnlyAccess",
    )
    base = CachedTokenProvider(sso.start_url, sso.sso_region)
    with pytest.raises(ConfigurationError) as info:
        LoginPolicyProvider(base, policy="sometimes", sso=sso, on_login="yes")  # type: ignore[arg-type]
    assert len(info.value.problems) == 2


def test_default_policy_is_never_without_a_terminal() -> None:
    # pytest's stdin is not a TTY.
    assert default_login_policy() == "never"


def test_waiting_for_another_login_is_bounded(emu_factory: EmulatorFactory) -> None:
    """A login lock held elsewhere: the waiter gives up with a clear error, not a hang."""
    import filelock

    emu = emu_factory(auto_approve=True)
    path = _end_of_sign_in(emu)
    held = threading.Event()
    release = threading.Event()

    def other_process_logging_in() -> None:
        # A separate FileLock object: the same as another process holding the file lock.
        with filelock.FileLock(str(login_lock_path(path))):
            held.set()
            release.wait(20)

    holder = threading.Thread(target=other_process_logging_in)
    holder.start()
    try:
        assert held.wait(10)
        # the lock is another process's, so the wait is real time: half a second of it
        with pytest.raises(LoginTimeoutError, match=r"still running after 0\.5 s") as info:
            _policy(emu, "auto", lock_timeout=0.5).get_token()
        assert str(login_lock_path(path)) in str(info.value)
        assert isinstance(info.value.__cause__, LoginRequiredError)
    finally:
        release.set()
        holder.join()
    assert emu.calls("StartDeviceAuthorization") == 0


def test_sixteen_threads_at_the_end_of_the_sign_in_cause_one_login(
    emu_factory: EmulatorFactory,
) -> None:
    emu = emu_factory(auto_approve=True)
    _end_of_sign_in(emu)
    prompt = Prompt()
    shared_interactive = device_provider(emu, prompt_callback=prompt)
    barrier = threading.Barrier(16)
    tokens: list[SSOToken] = []
    failures: list[BaseException] = []

    def worker(own_provider: bool) -> None:
        # Half share one provider object, half have their own (as separate sessions would).
        provider = (
            _policy(emu, "auto")
            if own_provider
            else _policy(emu, "auto", interactive=shared_interactive)
        )
        barrier.wait()
        try:
            tokens.append(provider.get_token())
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=worker, args=(i % 2 == 0,)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    assert len(tokens) == 16
    assert emu.calls("StartDeviceAuthorization") == 1
    assert len({token.access_token.get_secret_value() for token in tokens}) == 1


@pytest.mark.multiprocess
def test_four_processes_at_the_end_of_the_sign_in_cause_one_login(
    emu_factory: EmulatorFactory, tmp_path: Path, fork_server: Callable[..., ForkServer]
) -> None:
    emu = emu_factory(auto_approve=True)
    _end_of_sign_in(emu)
    rendezvous = tmp_path / "rendezvous"
    rendezvous.mkdir()
    # real processes, forked from one parent that has imported what the worker imports
    server = fork_server(["refreshable_sso.tokens.policy", "refreshable_sso.tokens.device"])
    procs = [
        server.popen(
            [sys.executable, str(WORKER), emu.start_url, emu.region, SSO_SESSION, str(rendezvous)]
        )
        for _ in range(4)
    ]
    release_when_ready(rendezvous, procs)  # all four imported and at the start line
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=90)
        assert proc.returncode == 0, err
        results.append(json.loads(out))
    assert emu.calls("StartDeviceAuthorization") == 1
    assert emu.calls("RegisterClient") == 1
    assert sorted(result["logins"] for result in results) == [0, 0, 0, 1]
    assert len({result["token"] for result in results}) == 1
    data = json.loads(token_cache_path(emu.start_url, SSO_SESSION).read_text())
    assert data["refreshToken"]


# -- a long-running session whose sign-in session ends mid-run ---------------------------------


def _session(emu: Emulator, **options: Any) -> Any:
    from refreshable_sso.session import SSORefreshableSession

    return SSORefreshableSession(
        start_url=emu.start_url,
        sso_region=emu.region,
        account_id=emu.default_account_id,
        role_name=emu.default_role_name,
        sso_session_name=SSO_SESSION,
        region_name="eu-west-1",
        advisory_timeout=2.0,
        mandatory_timeout=1.0,
        token_refresh_window=2.0,
        cache_credentials=False,
        **options,
    )


def _run(session: Any, seconds: float, clock: OffsetClock) -> tuple[int, list[BaseException]]:
    """Call whoami every 0.2 s for ``seconds`` of the shared virtual ``clock`` (advanced
    between the calls instead of sleeping); stops at the first failure."""
    calls, failures = 0, list[BaseException]()
    deadline = clock.monotonic() + seconds
    while clock.monotonic() < deadline:
        try:
            session.whoami()
            calls += 1
        except Exception as exc:
            failures.append(exc)
            break
        clock.advance(0.2)
    return calls, failures


def test_long_running_session_never_policy_fails_clearly(
    emu_factory: EmulatorFactory, shared_clock: OffsetClock
) -> None:
    emu = emu_factory(auto_approve=True, session_ttl=4, access_token_ttl=3, role_credentials_ttl=3)
    emu.seed_token_cache(sso_session_name=SSO_SESSION)
    calls, failures = _run(_session(emu, login="never"), 15, shared_clock)
    assert calls >= 3, "the session worked until the sign-in ended"
    assert len(failures) == 1
    error = failures[0]
    assert isinstance(error, LoginRequiredError), repr(error)
    assert "sign-in session has ended" in str(error) or "InvalidGrant" in str(error)
    assert f"--sso-session {SSO_SESSION}" in str(error)
    assert emu.calls("StartDeviceAuthorization") == 0


def test_long_running_session_auto_policy_signs_in_and_no_call_fails(
    emu_factory: EmulatorFactory, shared_clock: OffsetClock
) -> None:
    emu = emu_factory(auto_approve=True, session_ttl=4, access_token_ttl=3, role_credentials_ttl=3)
    emu.seed_token_cache(sso_session_name=SSO_SESSION)
    events: list[LoginEvent] = []
    session = _session(
        emu,
        login="auto",
        login_provider=device_provider(emu, prompt_callback=Prompt()),
        on_login=events.append,
    )
    calls, failures = _run(session, 10, shared_clock)
    assert failures == []
    assert calls >= 20
    completed = [event for event in events if event.phase == "completed"]
    assert completed, "the sign-in session ended, so a login must have happened"
    assert emu.calls("StartDeviceAuthorization") == len(completed)
    assert emu.errors("CreateToken").get("InvalidGrantException", 0) >= 1


def test_login_lock_that_cannot_be_created_is_a_cache_file_error(
    emu_factory: EmulatorFactory, tmp_path: Path
) -> None:
    emu = emu_factory(auto_approve=True)
    cache_dir = tmp_path / "cache"
    # Our lock files live in a private folder beside the cache folder: make that a file.
    not_a_dir = private_dir(cache_dir)
    not_a_dir.write_text("I am a file")
    with pytest.raises(CacheFileError) as info:
        _policy(emu, "auto", cache_dir=cache_dir).get_token()
    assert "login lock" in str(info.value)
    assert emu.calls("StartDeviceAuthorization") == 0


def test_forked_child_does_not_inherit_a_held_login_lock(tmp_path: Path) -> None:
    """multiprocessing forks on Linux; a child must wait for the file lock, not for a copy of
    a thread lock nobody in the child will ever release."""
    token_path = tmp_path / "sso" / "token.json"
    with login_lock(token_path, 5, "corp"):
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child reports through its exit status
            status = 1
            try:
                with login_lock(token_path, 10, "corp"):
                    status = 0
            finally:
                os._exit(status)
        time.sleep(0.3)  # the child is now waiting for the file lock we hold
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
