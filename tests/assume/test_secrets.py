"""Chained credentials never show up in reprs, logs, pickles or files others can read."""

from __future__ import annotations

import logging
import pickle
import stat

import pytest

from refreshable_sso.emulator import Emulator

from .conftest import AUDIT, DEPLOY, chained


def test_no_secrets_in_reprs_logs_pickles_or_loose_files(
    signed_in: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    session = chained(
        signed_in,
        [{"role_arn": DEPLOY}, {"role_arn": AUDIT}],
    )
    creds = session.refreshable_credentials()
    chain = session.role_chain
    assert chain is not None
    current = chain.final.current
    assert current is not None
    shown = " ".join(
        [repr(session), repr(chain), repr(chain.final), repr(current), str(current), caplog.text]
        + [repr(h) for h in session.assume_role_config]
    )
    for secret in (creds.secret_key, creds.token):
        assert secret not in shown
    with pytest.raises(TypeError):
        pickle.dumps(current)
    for fetcher in chain.fetchers:
        assert fetcher.entry is not None
        mode = stat.S_IMODE(fetcher.entry.path.stat().st_mode)
        assert mode == 0o600, oct(mode)
