"""Rendering AWS_* variables for shells and env files (``refreshable-sso export``).

Each format quotes values the way its reader needs, so a value can never run as code when
the output is ``eval``-ed or sourced.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable, Mapping

_DOTENV_PLAIN = re.compile(r"^[A-Za-z0-9_./+=:@%-]*$")


def _posix(name: str, value: str) -> str:
    return f"export {name}={shlex.quote(value)}"


def _dotenv(name: str, value: str) -> str:
    if _DOTENV_PLAIN.match(value):
        return f"{name}={value}"
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")
    return f'{name}="{escaped}"'


def _fish(name: str, value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"set -gx {name} '{escaped}'"


def _powershell(name: str, value: str) -> str:
    # In a double-quoted PowerShell string, ` $ and " are special; the backtick escapes them.
    escaped = value.replace("`", "``").replace("$", "`$").replace('"', '`"')
    return f'$Env:{name} = "{escaped}"'


LINE_FORMATS: dict[str, Callable[[str, str], str]] = {
    "env": _posix,
    "dotenv": _dotenv,
    "fish": _fish,
    "powershell": _powershell,
}
FORMATS: tuple[str, ...] = (*LINE_FORMATS, "json")


def render(variables: Mapping[str, str], fmt: str) -> str:
    """One line per variable in ``fmt`` (``env``, ``dotenv``, ``fish``, ``powershell``)."""
    line = LINE_FORMATS[fmt]
    return "".join(line(name, value) + "\n" for name, value in variables.items())


def render_json(document: Mapping[str, object]) -> str:
    return json.dumps(document, indent=2) + "\n"


__all__ = ["FORMATS", "LINE_FORMATS", "render", "render_json"]
