"""The real AWS CLI v2 (Debian's ``awscli`` package, which scripts/bootstrap installs) as a peer.

Debian's CLI (2.9) predates the ``AWS_ENDPOINT_URL_<SERVICE>`` variables, so a test points it
at the emulator through ``AWS_DATA_PATH``: its botocore reads data files there first, and an
endpoint ruleset there that always answers the emulator's URL replaces AWS's own.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

AWS_CLI_V2 = Path("/usr/bin/aws")  # a pip-installed `aws` elsewhere on PATH is v1

#: The API versions of the services the CLI must reach on the emulator.
API_VERSIONS = {"sso": "2019-06-10", "sso-oidc": "2019-06-10", "sts": "2011-06-15"}


def aws_cli_v2() -> Path:
    """The AWS CLI v2 binary; skip the test without it (fail instead when ``CI`` is set)."""
    if not os.access(AWS_CLI_V2, os.X_OK):
        message = "the AWS CLI v2 is not installed (apt-get install awscli)"
        if os.environ.get("CI"):
            pytest.fail(message + " and CI is set: scripts/bootstrap installs it")
        pytest.skip(message)
    return AWS_CLI_V2


def endpoint_data(root: Path, url: str, services: tuple[str, ...] = tuple(API_VERSIONS)) -> Path:
    """An ``AWS_DATA_PATH`` folder whose endpoint rulesets send ``services`` to ``url``."""
    ruleset = {
        "version": "1.0",
        "parameters": {"Region": {"builtIn": "AWS::Region", "required": False, "type": "String"}},
        "rules": [
            {
                "conditions": [],
                "endpoint": {"url": url, "properties": {}, "headers": {}},
                "type": "endpoint",
            }
        ],
    }
    for service in services:
        folder = root / service / API_VERSIONS[service]
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "endpoint-rule-set-1.json").write_text(json.dumps(ruleset), encoding="utf-8")
    return root
