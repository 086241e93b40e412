"""What the doctor reports: findings with a status, the evidence, and the exact fix."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Status(str, Enum):
    """FAIL: will break a refresh or exposes a secret. WARN: worth a look. OK: fine."""

    OK = "OK"
    WARN = "WARN"
    FAIL = "FAIL"


@dataclass(frozen=True)
class Repair:
    """A fix ``--fix`` may apply on its own: safe, local, and undoable by hand."""

    description: str
    apply: Callable[[], None] = field(repr=False, compare=False)


@dataclass(frozen=True)
class Finding:
    """One check's result. ``fix`` is a command or a config line a person can use as is."""

    check: str
    status: Status
    summary: str
    evidence: tuple[str, ...] = ()
    fix: str | None = None
    repair: Repair | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "status": self.status.value,
            "summary": self.summary,
            "evidence": list(self.evidence),
            "fix": self.fix,
            "auto_fixable": self.repair is not None,
        }


def ok(check: str, summary: str, *evidence: str) -> Finding:
    return Finding(check, Status.OK, summary, tuple(evidence))


def warn(
    check: str, summary: str, *evidence: str, fix: str | None = None, repair: Repair | None = None
) -> Finding:
    return Finding(check, Status.WARN, summary, tuple(evidence), fix, repair)


def fail(
    check: str, summary: str, *evidence: str, fix: str | None = None, repair: Repair | None = None
) -> Finding:
    return Finding(check, Status.FAIL, summary, tuple(evidence), fix, repair)
