"""Get the token from a command: ``CommandTokenProvider`` (an argv list, never a shell).

    python examples/login_command.py    # offline: the command prints an emulator token

The command prints ``{"accessToken": "...", "expiresAt": "2030-01-02T03:04:05Z"}`` on stdout;
its stderr goes straight to yours. A non-zero exit, invalid JSON or a timeout is a clear
``TokenProviderError``; a command that does not exist declines (a chain moves on).
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from refreshable_sso.emulator import Emulator
from refreshable_sso.errors import TokenProviderError
from refreshable_sso.tokens.simple import CommandTokenProvider


def main() -> int:
    with Emulator(auto_approve=True) as emu, tempfile.TemporaryDirectory() as scratch:
        issued = emu.sign_in()
        tool = Path(scratch) / "token_tool.py"
        tool.write_text(
            "import json, sys\n"
            "print('token_tool: fetching the token', file=sys.stderr)\n"
            f"print(json.dumps({json.dumps({k: issued[k] for k in ('accessToken', 'expiresAt')})}))\n"
        )
        provider = CommandTokenProvider([sys.executable, str(tool)], timeout=10)
        token = provider.get_token()
        print(f"token from the command, valid until {token.expires_at:%H:%M:%S} UTC")

        broken = Path(scratch) / "broken_tool.py"
        broken.write_text("print('this is not JSON')\n")
        try:
            CommandTokenProvider([sys.executable, str(broken)]).get_token()
        except TokenProviderError as exc:
            print(f"as expected: {exc}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
