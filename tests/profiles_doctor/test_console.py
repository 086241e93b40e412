"""Console sign-in: the emulator's federation endpoint, session.console_url() and the CLI."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from refreshable_sso.console import (
    ConsoleSignInError,
    console_destination,
    console_url,
    federation_endpoint,
    partition_for_region,
)
from refreshable_sso.emulator import Emulator
from refreshable_sso.errors import ConfigurationError
from refreshable_sso.session import SSORefreshableSession
from tests.browser import chromium, new_page

from .conftest import SSO_SESSION, Runner


def _session(emu: Emulator, **kwargs: Any) -> SSORefreshableSession:
    return SSORefreshableSession(
        start_url=emu.start_url,
        sso_region=emu.region,
        account_id="222222222222",
        role_name="ReadOnlyAccess",
        sso_session_name=SSO_SESSION,
        **kwargs,
    )


def _write_profile(config_path: Path, emu: Emulator) -> None:
    config_path.write_text(
        f"[profile staging]\nsso_session = {SSO_SESSION}\nsso_account_id = 222222222222\n"
        f"sso_role_name = ReadOnlyAccess\nregion = eu-west-1\n\n"
        f"[sso-session {SSO_SESSION}]\nsso_start_url = {emu.start_url}\nsso_region = {emu.region}\n"
        "sso_registration_scopes = sso:account:access\n"
    )


def test_partitions_and_destinations() -> None:
    assert partition_for_region("eu-west-1").federation_endpoint == (
        "https://signin.aws.amazon.com/federation"
    )
    assert partition_for_region("us-gov-west-1").federation_endpoint == (
        "https://signin.amazonaws-us-gov.com/federation"
    )
    assert partition_for_region("cn-north-1").federation_endpoint == (
        "https://signin.amazonaws.cn/federation"
    )
    assert console_destination("us-gov-east-1") == (
        "https://console.amazonaws-us-gov.com/console/home?region=us-gov-east-1"
    )
    assert console_destination("cn-northwest-1", "/s3/home") == (
        "https://console.amazonaws.cn/s3/home?region=cn-northwest-1"
    )
    assert console_destination("eu-west-1", "https://example.com/x") == "https://example.com/x"
    assert federation_endpoint("eu-west-1") == "https://signin.aws.amazon.com/federation"


def test_federation_endpoint_variable_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REFRESHABLE_SSO_FEDERATION_ENDPOINT", "http://evil.example.com/federation")
    with pytest.raises(ConfigurationError, match="REFRESHABLE_SSO_FEDERATION_ENDPOINT"):
        federation_endpoint("eu-west-1")


def test_session_console_url_shape(signed_in: Emulator) -> None:
    with _session(signed_in, region_name="eu-west-1") as session:
        url = session.console_url(destination="/ec2/home", duration=3600)
    parts = urlsplit(url)
    assert url.startswith(f"{signed_in.url}/federation?")
    query = parse_qs(parts.query)
    assert query["Action"] == ["login"]
    assert query["Issuer"] == ["refreshable-sso"]
    assert query["Destination"] == ["https://console.aws.amazon.com/ec2/home?region=eu-west-1"]
    assert query["SigninToken"][0]
    assert signed_in.calls("Federation") == 1


def test_gov_cloud_destination_through_the_same_flow(signed_in: Emulator) -> None:
    with _session(signed_in, region_name="us-gov-west-1") as session:
        url = session.console_url()
    destination = parse_qs(urlsplit(url).query)["Destination"][0]
    assert destination == "https://console.amazonaws-us-gov.com/console/home?region=us-gov-west-1"


def test_forged_and_expired_credentials_are_refused(signed_in: Emulator) -> None:
    real = signed_in.role_credentials()
    endpoint = f"{signed_in.url}/federation"
    good = {
        "access_key": real["AccessKeyId"],
        "secret_key": real["SecretAccessKey"],
        "token": real["SessionToken"],
    }
    assert console_url(good, "us-east-1", endpoint=endpoint)
    for forged in (
        {**good, "secret_key": "x" * 40},
        {**good, "token": "forged"},
        {**good, "access_key": "ASIAFORGEDFORGED0000"},
    ):
        with pytest.raises(ConsoleSignInError, match="HTTP 400"):
            console_url(forged, "us-east-1", endpoint=endpoint)
    with pytest.raises(ConfigurationError, match="900"):
        console_url(good, "us-east-1", endpoint=endpoint, duration=60)
    signed_in.clock.advance(2 * 3600)
    with pytest.raises(ConsoleSignInError, match="expired"):
        console_url(good, "us-east-1", endpoint=endpoint)


def test_login_refuses_an_unknown_or_stale_token(signed_in: Emulator) -> None:
    query = urlencode(
        {"Action": "login", "Destination": "https://console.aws.amazon.com/", "SigninToken": "nope"}
    )
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(f"{signed_in.url}/federation?{query}", timeout=10)  # noqa: S310
    assert info.value.code == 400
    with _session(signed_in) as session:
        url = session.console_url()
    signed_in.clock.advance(16 * 60)
    with pytest.raises(urllib.error.HTTPError) as stale:
        urllib.request.urlopen(url, timeout=10)  # noqa: S310
    assert json.loads(stale.value.read())["message"].endswith("expired")


def test_unreachable_federation_endpoint_is_a_clear_error(signed_in: Emulator) -> None:
    real = signed_in.role_credentials()
    creds = {"access_key": real["AccessKeyId"], "secret_key": "s", "token": "t"}
    with pytest.raises(ConsoleSignInError, match="Cannot reach"):
        console_url(creds, "us-east-1", endpoint="http://127.0.0.1:9/federation", timeout=2)


def test_cli_console_url_only_and_browser(
    signed_in: Emulator, run_cli: Runner, config_path: Path
) -> None:
    _write_profile(config_path, signed_in)
    printed = run_cli("console", "--profile", "staging", "--url-only")
    assert printed.code == 0, printed.err
    assert printed.out.strip().startswith(f"{signed_in.url}/federation?Action=login")
    opened = run_cli("console", "--profile", "staging")  # BROWSER=true in the tests' env
    assert opened.code == 0, opened.err
    assert "Opened the AWS console as ReadOnlyAccess in 222222222222" in opened.out
    assert "SigninToken" not in opened.out
    bad = run_cli("console", "--profile", "staging", "--duration", "10", "--url-only")
    assert bad.code == 1
    assert "900" in bad.err


@pytest.mark.browser
def test_console_url_opens_the_federation_page_naming_the_role(signed_in: Emulator) -> None:
    with _session(signed_in, region_name="eu-west-1") as session:
        url = session.console_url(destination="/s3/home")
    with chromium() as browser, new_page(browser) as page:
        page.goto(url)
        assert urlsplit(page.url).path == "/federation/console"
        assert page.locator("#role").inner_text() == "Role: ReadOnlyAccess"
        assert page.locator("#account").inner_text() == "Account: 222222222222"
        assert "alice" in page.locator("#user").inner_text()
        assert "AWSReservedSSO_ReadOnlyAccess_" in page.locator("#arn").inner_text()
        assert "https://console.aws.amazon.com/s3/home?region=eu-west-1" in (
            page.locator("#destination").inner_text()
        )
        assert "ReadOnlyAccess" in page.title()
