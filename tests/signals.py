"""Children that a test interrupts must not inherit the test runner's signal dispositions.

A suite started from a background job (``nohup tox &``) runs with SIGINT ignored; Python keeps
an inherited SIG_IGN, so a child would never see Ctrl-C. ``default_sigint`` as ``preexec_fn``
gives the child the default disposition, whatever the parent had.
"""

from __future__ import annotations

import signal


def default_sigint() -> None:
    """Restore SIGINT's default disposition (``preexec_fn`` of a child that gets SIGINT)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def ignore_sigint() -> None:
    """Ignore SIGINT, as a background job does (``preexec_fn`` to imitate ``nohup ... &``)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
