"""Shared helpers for the benchmark scripts: an isolated HOME and a median-per-call timer."""

from __future__ import annotations

import os
import statistics
import tempfile
import timeit
from collections.abc import Callable
from typing import Any

SSO_SESSION = "bench"


def isolate_home() -> str:
    """Point HOME and the AWS config/credential files at a fresh temp dir (never the real ~/.aws)."""
    home = tempfile.mkdtemp(prefix="refreshable-sso-bench-")
    for name in list(os.environ):
        if name.startswith("AWS_"):
            del os.environ[name]
    os.environ["HOME"] = home
    os.environ["AWS_CONFIG_FILE"] = os.path.join(home, ".aws", "config")
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.path.join(home, ".aws", "credentials")
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    return home


def median_call_us(func: Callable[[], Any], *, number: int = 2000, repeat: int = 41) -> float:
    """Median over ``repeat`` batches of the mean cost of one call, in microseconds."""
    func()  # warm up (the first call may build what later calls hit)
    batches = timeit.repeat(func, number=number, repeat=repeat)
    return statistics.median(batches) / number * 1e6
