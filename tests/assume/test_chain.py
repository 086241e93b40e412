"""Chained sessions: hops refresh on their own schedule, one AssumeRole per hop per generation."""

from __future__ import annotations

import itertools
import threading
import time
from typing import Any

import pytest

from refreshable_sso._clock import OffsetClock
from refreshable_sso.config import AssumeRoleConfig
from refreshable_sso.emulator import Emulator
from refreshable_sso.errors import AssumeRoleError, ConfigurationError
from tests.virtual_time import VirtualRun

from .conftest import AUDIT, DEPLOY, MFA_ROLE, MFA_SERIAL, PARTNER, SSO_SESSION, chained

THREADS = 16
TTL = 5.0  # seconds every assumed-role credential lives (emulator knob)
ADVISORY, MANDATORY = 2.5, 1.5  # generous: a loaded machine delays signed calls
GENERATIONS = 4  # final credentials seen: 3 expiries crossed


def test_whoami_reports_the_final_role(signed_in: Emulator) -> None:
    session = chained(
        signed_in,
        [{"role_arn": DEPLOY, "role_session_name": "deployer"}, AssumeRoleConfig(role_arn=AUDIT)],
    )
    ident = session.whoami()
    assert ident["Account"] == "333333333333"
    assert ident["role_name"] == "Audit"
    assert not ident["is_sso_role"]
    assert ident["Arn"].startswith("arn:aws:sts::333333333333:assumed-role/Audit/refreshable-sso-")
    assert session.role_chain is not None
    assert [f.call_count for f in session.role_chain.fetchers] == [1, 1]
    assert signed_in.calls("GetRoleCredentials") == 1


def test_sixteen_threads_across_expiries_of_a_two_hop_chain(
    sso_emulator_factory: Any, shared_clock: OffsetClock
) -> None:
    """On the shared virtual clock: time moves in 0.25 s steps paced by the threads' calls (no
    call in flight sees more than 1 s pass, under the 1.5 s mandatory window)."""
    run = VirtualRun(shared_clock, step=0.25, max_span=1.0)
    emu: Emulator = sso_emulator_factory(auto_approve=True, assumed_role_ttl=TTL)
    emu.seed_token_cache(sso_session_name=SSO_SESSION)
    session = chained(
        emu,
        [{"role_arn": DEPLOY}, {"role_arn": AUDIT, "role_session_name": "audit"}],
        advisory_timeout=ADVISORY,
        mandatory_timeout=MANDATORY,
    )
    sts = session.client("sts", endpoint_url=emu.url)
    failures: list[BaseException] = []
    final_keys: set[str] = set()
    lock = threading.Lock()
    stop = threading.Event()

    def worker() -> None:
        while not stop.is_set():
            try:
                with run.iteration():
                    ident = sts.get_caller_identity()
                    key = session.get_credentials().get_frozen_credentials().access_key
            except BaseException as exc:
                with lock:
                    failures.append(exc)
                return
            assert ident["Arn"] == "arn:aws:sts::333333333333:assumed-role/Audit/audit"
            with lock:
                final_keys.add(key)
                if len(final_keys) > GENERATIONS:
                    stop.set()
            time.sleep(0.02)

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for t in threads:
        t.start()
    run.run(120 * TTL, until=stop)  # the workers stop it after GENERATIONS expiries
    for t in threads:
        t.join(timeout=120)
    stop.set()
    print(
        f"\n{time.monotonic() - started:.1f} s, {THREADS} threads: "
        f"{emu.calls('GetCallerIdentity')} calls, {len(failures)} failed, "
        f"{len(emu.assumed_role_sessions('Deploy'))} Deploy + "
        f"{len(emu.assumed_role_sessions('Audit'))} Audit AssumeRole, "
        f"{emu.calls('GetRoleCredentials')} GetRoleCredentials"
    )
    assert not failures, failures[:3]
    assert len(final_keys) > GENERATIONS
    for role in ("Deploy", "Audit"):
        issued = emu.assumed_role_sessions(role)
        # one AssumeRole per generation: every issued credential was used by the next hop or
        # by the callers, and each was replaced only once it was inside the advisory window
        for before, after in itertools.pairwise(issued):
            assert after["issued_at"] >= before["expires_at"] - ADVISORY - 0.5, (role, issued)
    audit = emu.assumed_role_sessions("Audit")
    assert {s["access_key_id"] for s in audit} >= final_keys
    assert len(audit) == len(final_keys)
    # the SSO hop lives an hour: never refreshed while the assumed hops turned over
    assert emu.calls("GetRoleCredentials") == 1
    assert emu.calls("AssumeRole") == len(emu.assumed_role_sessions())
    assert emu.errors("AssumeRole") == {}


def test_refreshing_the_final_hop_does_not_touch_a_fresh_source(
    sso_emulator_factory: Any,
) -> None:
    emu: Emulator = sso_emulator_factory(auto_approve=True)
    emu.seed_token_cache(sso_session_name=SSO_SESSION)
    session = chained(emu, [{"role_arn": DEPLOY}, {"role_arn": AUDIT}])
    first = session.refreshable_credentials()
    again = session.refresh_credentials()
    assert again.access_key != first.access_key
    assert [s["role_name"] for s in emu.assumed_role_sessions()] == ["Deploy", "Audit", "Audit"]
    assert emu.calls("GetRoleCredentials") == 1


def test_sibling_session_one_hop_further_shares_the_token_provider(signed_in: Emulator) -> None:
    deploy = chained(signed_in, {"role_arn": DEPLOY, "role_session_name": "deployer"})
    audit = deploy.assume_role(AUDIT, role_session_name="auditor")
    assert audit.token_provider is deploy.token_provider
    assert [h.role_arn for h in audit.assume_role_config] == [DEPLOY, AUDIT]
    assert audit.whoami()["Arn"] == "arn:aws:sts::333333333333:assumed-role/Audit/auditor"
    assert deploy.whoami()["Arn"] == "arn:aws:sts::222222222222:assumed-role/Deploy/deployer"
    # the Deploy hop was assumed once and shared through the assume-role cache file
    assert len(signed_in.assumed_role_sessions("Deploy")) == 1
    with pytest.raises(ConfigurationError, match="not both"):
        deploy.assume_role(AssumeRoleConfig(role_arn=AUDIT), external_id="xx")


def test_external_id_and_mfa_hops(signed_in: Emulator) -> None:
    partner = chained(signed_in, {"role_arn": PARTNER, "external_id": "example-external-id"})
    assert partner.whoami()["role_name"] == "ExternalPartner"
    codes: list[str] = []

    def code() -> str:
        codes.append(signed_in.mfa_code())
        return codes[-1]

    mfa = chained(
        signed_in, {"role_arn": MFA_ROLE, "mfa_serial": MFA_SERIAL, "mfa_token_provider": code}
    )
    assert mfa.whoami()["role_name"] == "MfaProtected"
    assert len(codes) == 1
    wrong = chained(
        signed_in,
        {"role_arn": MFA_ROLE, "mfa_serial": MFA_SERIAL, "mfa_token_provider": "000000"},
        cache_credentials=False,
    )
    with pytest.raises(AssumeRoleError) as info:
        wrong.refreshable_credentials()
    assert info.value.error_code == "AccessDenied"
    assert info.value.role_arn == MFA_ROLE
    assert "000000" not in str(info.value)


def test_sts_refusals_name_the_role_and_the_code(signed_in: Emulator) -> None:
    for hop, code in (
        ({"role_arn": PARTNER}, "AccessDenied"),
        ({"role_arn": DEPLOY, "duration_seconds": 7200}, "ValidationError"),
        ({"role_arn": AUDIT}, "AccessDenied"),  # Audit trusts Deploy, not the SSO role
    ):
        session = chained(signed_in, hop)
        with pytest.raises(AssumeRoleError) as info:
            session.refreshable_credentials()
        assert info.value.error_code == code
        assert hop["role_arn"] in str(info.value)


def test_bad_hops_are_refused_with_field_names(signed_in: Emulator) -> None:
    with pytest.raises(ConfigurationError) as info:
        chained(
            signed_in,
            [
                {"role_arn": "arn:aws:iam::22:role/x"},
                {
                    "role_arn": DEPLOY,
                    "role_session_name": "no spaces allowed",
                    "duration_seconds": 60,
                },
                {"role_arn": DEPLOY, "mfa_token_provider": "123456"},
            ],
        )
    problems = "\n".join(info.value.problems)
    assert "assume_role[0].role_arn" in problems
    assert "assume_role[1].role_session_name" in problems
    assert "assume_role[1].duration_seconds" in problems
    assert "needs mfa_serial" in problems
    with pytest.raises(ConfigurationError):
        chained(signed_in, [])
