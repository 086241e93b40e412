"""How the CLI talks on stderr: logging per verbosity, and one message per expected failure.

At default verbosity botocore's own warnings (e.g. "Refreshing temporary credentials failed
during mandatory refresh period", logged with a traceback) are not printed where they happen:
they are collected and folded, as one line each, into the error message the command ends
with, so a person sees one explanation with its cause instead of raw tracebacks. ``-v``
prints log records as they happen (without tracebacks), ``-vv`` at DEBUG with tracebacks.
"""

from __future__ import annotations

import logging
import sys
import traceback

from refreshable_sso.aws.redact import redact
from refreshable_sso.errors import RefreshableSSOError

_THIRD_PARTY = ("botocore", "boto3", "urllib3", "s3transfer")


class _NoTraceback(logging.Formatter):
    """One line per record: the traceback of an expected failure is not for the person."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(f"{record.levelname} {record.name}: {record.getMessage()}")


def _third_party(record: logging.LogRecord) -> bool:
    return record.name.split(".", 1)[0] in _THIRD_PARTY


class FoldedWarnings(logging.Handler):
    """Collects third-party warnings (message only, deduplicated) for the final error message."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []
        self.addFilter(_third_party)
        self.undo: tuple[int, logging.Handler] | None = None  # (root level, console handler)

    def emit(self, record: logging.LogRecord) -> None:
        text = redact(f"{record.name}: {record.getMessage()}")
        if text not in self.messages and len(self.messages) < 5:
            self.messages.append(text)


def configure_logging(verbosity: int) -> FoldedWarnings:
    """Route log records to stderr for this verbosity; returns the folded-warning collector.

    ``restore_logging(folded)`` undoes it (``main`` may run several times in one process, e.g.
    in tests, and must not leave handlers on a stream that is gone).
    """
    root = logging.getLogger()
    console = logging.StreamHandler(sys.stderr)
    folded = FoldedWarnings()
    folded.undo = (root.level, console)
    if verbosity <= 0:
        console.setLevel(logging.WARNING)
        console.setFormatter(_NoTraceback())
        console.addFilter(lambda record: not _third_party(record))
        root.addHandler(folded)
        root.setLevel(logging.WARNING)
    elif verbosity == 1:
        console.setLevel(logging.INFO)
        console.setFormatter(_NoTraceback())
        root.setLevel(logging.INFO)
    else:
        console.setLevel(logging.DEBUG)
        console.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        root.setLevel(logging.DEBUG)
    root.addHandler(console)
    return folded


def restore_logging(folded: FoldedWarnings) -> None:
    """Remove what ``configure_logging`` added and put the root level back."""
    root = logging.getLogger()
    root.removeHandler(folded)
    if folded.undo is not None:
        level, console = folded.undo
        root.removeHandler(console)
        root.setLevel(level)
        folded.undo = None


def is_aws_error(exc: BaseException) -> bool:
    """A botocore error (ClientError, timeouts, ...) without importing botocore to find out."""
    return type(exc).__module__.split(".", 1)[0] in ("botocore", "boto3")


def _causes(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    cause = exc.__cause__ or exc.__context__
    while cause is not None and len(chain) < 3 and cause not in chain:
        chain.append(cause)
        cause = cause.__cause__ or cause.__context__
    return chain


def error_message(exc: BaseException, folded: FoldedWarnings | None = None) -> str:
    """The text a person sees: our message, its cause when it adds something, folded warnings."""
    text = str(exc) or type(exc).__name__
    if is_aws_error(exc):
        text = f"the AWS call failed: {text}"
    lines = [f"refreshable-sso: error: {text}"]
    for cause in _causes(exc):
        if isinstance(cause, RefreshableSSOError):
            continue  # ours: its message was composed into the one above
        said = str(cause)
        if said and said not in text:
            lines.append(f"  cause: {type(cause).__name__}: {redact(said)}")
            break
    for warning in folded.messages if folded else []:
        lines.append(f"  reported by {warning}")
    return "\n".join(lines)


def report_error(
    exc: BaseException,
    verbosity: int,
    folded: FoldedWarnings | None,
    *,
    one_line: bool = False,
) -> None:
    """Print the failure: one message; the traceback only at ``-vv``.

    ``one_line``: only the message's first line (ours, naming cause and fix) at default
    verbosity, for commands whose stderr another program shows (credential_process).
    """
    if verbosity >= 2:
        traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
    message = error_message(exc, folded)
    if one_line and verbosity == 0:
        print(message.splitlines()[0], file=sys.stderr)
        return
    print(message, file=sys.stderr)
    if verbosity == 0:
        print("  (run again with -vv for details and a traceback)", file=sys.stderr)
