"""Real peers read our credentials: the AWS CLI v1 through credential_process, and the AWS SDK
for JavaScript v3 through its process provider and its container (HTTP) providers.

Both are installed by session fixtures (the AWS CLI into its own venv, since it pins botocore;
the Node packages with npm into a temporary folder). They run in tox env ``peers``; in CI a
missing Node.js is a failure, never a skip.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from refreshable_sso.emulator import Emulator
from tests.serving.conftest import ACCOUNT, CLI, OTHER_ROLE, ROLE

pytestmark = pytest.mark.peer

_JS_CLIENT = textwrap.dedent(
    """
    const { STSClient, GetCallerIdentityCommand } = require("@aws-sdk/client-sts");
    const providers = require("@aws-sdk/credential-providers");
    const mode = process.argv[2];
    const credentials = {
      process: () => providers.fromProcess({ profile: "dev-process" }),
      http: () => providers.fromHttp({}),
      container: () => providers.fromContainerMetadata({ maxRetries: 1 }),
      chain: () => undefined,  // the SDK's default chain finds the container variables
    }[mode]();
    const client = new STSClient({ region: "us-east-1", credentials });
    client.send(new GetCallerIdentityCommand({}))
      .then((r) => console.log(JSON.stringify({ Account: r.Account, Arn: r.Arn })))
      .catch((e) => { console.error(e.name + ": " + e.message); process.exit(1); });
    """
)


def _require(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        message = (
            f"{tool} is not installed; the peer tests need Node.js and npm (.ci/run installs them)"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def aws_cli(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The AWS CLI v1 in a venv of its own (it pins its botocore)."""
    venv = tmp_path_factory.mktemp("awscli-venv")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", "--disable-pip-version-check", "awscli"],
        check=True,
        timeout=900,
    )
    return venv / "bin" / "aws"


@pytest.fixture(scope="session")
def node_sdk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with @aws-sdk/client-sts and @aws-sdk/credential-providers and our client."""
    node, npm = _require("node"), _require("npm")
    del node
    folder = tmp_path_factory.mktemp("node-sdk")
    (folder / "package.json").write_text('{"name": "peer", "private": true}\n')
    subprocess.run(
        [
            npm,
            "install",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
            "@aws-sdk/client-sts",
            "@aws-sdk/credential-providers",
        ],
        cwd=folder,
        check=True,
        timeout=900,
    )
    (folder / "whoami.js").write_text(_JS_CLIENT)
    return folder


def _identity(result: subprocess.CompletedProcess[str]) -> dict[str, str]:
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip(), f"no output; stderr: {result.stderr}"
    identity: dict[str, str] = json.loads(result.stdout)
    return identity


def test_aws_cli_v1_with_the_credential_process_profile(aws_cli: Path, emu: Emulator) -> None:
    run = [
        str(aws_cli),
        "sts",
        "get-caller-identity",
        "--profile",
        "dev-process",
        "--output",
        "json",
    ]
    first = subprocess.run(run, capture_output=True, text=True, timeout=120, check=False)
    identity = _identity(first)
    assert identity["Account"] == ACCOUNT
    assert f"AWSReservedSSO_{ROLE}_" in identity["Arn"]
    again = subprocess.run(run, capture_output=True, text=True, timeout=120, check=False)
    assert _identity(again) == identity
    assert emu.calls("GetRoleCredentials") == 1  # the second command read the shared cache


def test_javascript_sdk_process_provider(node_sdk: Path, emu: Emulator) -> None:
    result = subprocess.run(
        ["node", "whoami.js", "process"],
        cwd=node_sdk,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    identity = _identity(result)
    assert identity["Account"] == ACCOUNT
    assert f"AWSReservedSSO_{ROLE}_" in identity["Arn"]


@pytest.mark.parametrize("mode", ["http", "container", "chain"])
def test_javascript_sdk_container_providers_under_exec(
    node_sdk: Path, emu: Emulator, mode: str
) -> None:
    result = subprocess.run(
        [*CLI, "exec", "--profile", "dev-admin", "--", "node", "whoami.js", mode],
        cwd=node_sdk,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    identity = _identity(result)
    assert identity["Account"] == ACCOUNT
    assert f"AWSReservedSSO_{OTHER_ROLE}_" in identity["Arn"]
