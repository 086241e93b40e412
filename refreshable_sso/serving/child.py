"""Running a command with a role's credentials (``refreshable-sso exec``).

The child's environment is ours minus the AWS variables that would compete with the
credentials we hand it (another profile, static keys, another credentials endpoint, web
identity), plus those credentials. Everything else passes through: endpoints, CA bundles,
proxies, the region. stdin/stdout/stderr are inherited untouched; SIGINT and SIGTERM sent to
us are forwarded; the child's exit status becomes ours (128 + N when a signal N ended it).
"""

from __future__ import annotations

import logging
import signal
import subprocess
from collections.abc import Mapping, Sequence
from types import FrameType

logger = logging.getLogger(__name__)

#: Variables that would make an SDK in the child use other credentials than ours.
CONFLICTING = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
)

FORWARDED_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def child_environment(
    parent: Mapping[str, str], credentials: Mapping[str, str], region: str | None = None
) -> tuple[dict[str, str], list[str]]:
    """The child's environment and the names removed from the parent's (sorted)."""
    removed = sorted(name for name in CONFLICTING if name in parent)
    env = {name: value for name, value in parent.items() if name not in CONFLICTING}
    env.update(credentials)
    if region and not (env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")):
        env["AWS_REGION"] = region
        env["AWS_DEFAULT_REGION"] = region
    return env, removed


def exit_status(returncode: int) -> int:
    """A shell's convention: a child ended by signal N exits 128 + N."""
    return 128 - returncode if returncode < 0 else returncode


def run_child(argv: Sequence[str], env: Mapping[str, str]) -> int:
    """Run ``argv`` to completion, forwarding SIGINT/SIGTERM; its exit status.

    ``FileNotFoundError`` / ``PermissionError`` propagate (the CLI turns them into 127/126).
    """
    started: list[subprocess.Popen[bytes]] = []
    pending: list[int] = []  # signals that arrived before the child existed

    def forward(signum: int, frame: FrameType | None) -> None:
        if not started:
            pending.append(signum)
        elif started[0].poll() is None:
            logger.info("Forwarding signal %d to the child (pid %d)", signum, started[0].pid)
            started[0].send_signal(signum)

    # Handlers first: a signal between the child's start and our handler would kill only us.
    previous = {sig: signal.signal(sig, forward) for sig in FORWARDED_SIGNALS}
    try:
        child = subprocess.Popen(list(argv), env=dict(env))
        started.append(child)
        for signum in pending:
            child.send_signal(signum)
        returncode = child.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return exit_status(returncode)


__all__ = ["CONFLICTING", "child_environment", "exit_status", "run_child"]
