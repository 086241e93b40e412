"""pytest fixtures that run the local IAM Identity Center emulator.

Registered as a ``pytest11`` entry point, so any project that installs refreshable_sso can
use them to test its own SSO code offline:

* ``sso_emulator`` - a started emulator (``auto_approve=True``, default lifetimes);
* ``sso_emulator_factory(**options)`` - start emulators with your own options;
* ``sso_emulator_env`` - ``sso_emulator`` with its ``AWS_ENDPOINT_URL_*`` variables set;
* ``shared_clock`` - one virtual clock for the library and the emulators of the test:
  ``shared_clock.advance(3600)`` (or ``sso_emulator.clock.advance(3600)``) ages tokens and
  credentials on both sides at once, so an expiry is a call instead of a sleep.

pytest loads this module in every run of every project that has refreshable_sso installed, so
it imports nothing heavy: the emulator (and with it botocore) is imported when a fixture is
first requested.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from refreshable_sso._clock import OffsetClock
    from refreshable_sso.emulator import Emulator

EmulatorFactory = Callable[..., "Emulator"]


@pytest.fixture
def shared_clock() -> Iterator[OffsetClock]:
    """A virtual clock installed as the library's clock for this test (restored afterwards).

    Emulators the test starts through ``sso_emulator`` / ``sso_emulator_factory`` read the same
    clock, so advancing it moves the library's and the emulator's view of time together.
    """
    from refreshable_sso._clock import OffsetClock, use_clock

    clock = OffsetClock()
    with use_clock(clock):
        yield clock


@pytest.fixture
def sso_emulator_factory(request: pytest.FixtureRequest) -> Iterator[EmulatorFactory]:
    """Start emulators with any :class:`Emulator` options; all are stopped at teardown.

    When the test also uses ``shared_clock``, every emulator reads that clock (unless the
    test passes its own ``clock=``).
    """
    from refreshable_sso.emulator import Emulator

    started: list[Emulator] = []
    shared = (
        request.getfixturevalue("shared_clock") if "shared_clock" in request.fixturenames else None
    )

    def factory(**options: Any) -> Emulator:
        if shared is not None:
            options.setdefault("clock", shared)
        emulator = Emulator(**options).start()
        started.append(emulator)
        return emulator

    yield factory
    for emulator in reversed(started):
        emulator.stop()


@pytest.fixture
def sso_emulator(sso_emulator_factory: EmulatorFactory) -> Emulator:
    """A running emulator that approves every sign-in at once."""
    return sso_emulator_factory(auto_approve=True)


@pytest.fixture
def sso_emulator_env(sso_emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    """``sso_emulator`` with ``AWS_ENDPOINT_URL_SSO/_SSO_OIDC/_STS`` pointing at it."""
    for name, value in sso_emulator.env().items():
        monkeypatch.setenv(name, value)
    return sso_emulator
