"""Configuration validation: every bad field named at once, with a fix hint and secrets masked."""

from __future__ import annotations

import pytest

from refreshable_sso.config import (
    CacheConfig,
    EndpointConfig,
    HttpConfig,
    RefreshConfig,
    SSOConfig,
    validate,
    validate_session_config,
)
from refreshable_sso.errors import ConfigurationError

GOOD = {
    "start_url": "https://d-1234567890.awsapps.com/start",
    "sso_region": "us-east-1",
    "account_id": "111111111111",
    "role_name": "ReadOnlyAccess",
}


def _problem_fields(error: ConfigurationError) -> list[str]:
    return [problem.split(":", 1)[0] for problem in error.problems]


def test_good_config_round_trips() -> None:
    config = validate(SSOConfig, GOOD)
    assert config.account_id == "111111111111"
    assert config.registration_scopes == ("sso:account:access",)
    assert validate(SSOConfig, config) is config


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/start",
        "http://localhost:1234/start",
        "http://[::1]:99/start",
        "https://my-org.awsapps.com/start",
    ],
)
def test_start_url_https_or_loopback_http_accepted(url: str) -> None:
    assert validate(SSOConfig, GOOD, start_url=url).start_url == url


@pytest.mark.parametrize(
    ("field", "value", "needle"),
    [
        ("start_url", "http://d-1234567890.awsapps.com/start", "https://"),
        ("start_url", "ftp://example.com/start", "https://"),
        ("start_url", "d-1234567890.awsapps.com/start", "https://"),
        ("start_url", "https://user:hunter2@example.com/start", "user name or password"),
        ("sso_region", "us_east_1", "region"),
        ("sso_region", "", "region"),
        ("account_id", "12345678901", "12 digits"),
        ("account_id", "12345678901a", "12 digits"),
        ("role_name", "Read Only", "role_name"),
        ("role_name", "x" * 65, "role_name"),
        ("sso_session_name", " padded ", "sso-session"),
        ("registration_scopes", [], "scope"),
    ],
)
def test_each_bad_sso_field_is_named(field: str, value: object, needle: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        validate(SSOConfig, GOOD, **{field: value})
    assert _problem_fields(caught.value) == [field]
    assert needle in str(caught.value)


def test_integer_account_id_accepted_when_12_digits() -> None:
    assert validate(SSOConfig, GOOD, account_id=111111111111).account_id == "111111111111"


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"advisory_timeout": 10, "mandatory_timeout": 10}, "mandatory_timeout"),
        ({"advisory_timeout": 10, "mandatory_timeout": 20}, "mandatory_timeout"),
        ({"advisory_timeout": 0}, "advisory_timeout"),
        ({"advisory_timeout": -5, "mandatory_timeout": 1}, "advisory_timeout"),
        ({"advisory_timeout": 10, "mandatory_timeout": 0}, "mandatory_timeout"),
        ({"token_refresh_window": -1}, "token_refresh_window"),
    ],
)
def test_refresh_windows(fields: dict[str, float], bad: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        validate(RefreshConfig, fields)
    assert bad in _problem_fields(caught.value)


def test_refresh_defaults_match_botocore_convention() -> None:
    config = RefreshConfig()
    assert (config.defer_refresh, config.advisory_timeout, config.mandatory_timeout) == (
        True,
        900,
        600,
    )


@pytest.mark.parametrize(
    ("model", "fields", "bad"),
    [
        (CacheConfig, {"max_size": -1}, "max_size"),
        (CacheConfig, {"eviction_policy": "FIFO"}, "eviction_policy"),
        (HttpConfig, {"read_timeout": 0}, "read_timeout"),
        (HttpConfig, {"connect_timeout": -1}, "connect_timeout"),
        (HttpConfig, {"max_attempts": 0}, "max_attempts"),
        (HttpConfig, {"retry_mode": "forever"}, "retry_mode"),
        (EndpointConfig, {"sso": "http://sso.example.com"}, "sso"),
        (EndpointConfig, {"sts": "not a url"}, "sts"),
    ],
)
def test_other_sections(model: type, fields: dict[str, object], bad: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        validate(model, fields)
    assert _problem_fields(caught.value) == [bad]


def test_max_size_zero_is_allowed() -> None:
    assert validate(CacheConfig, max_size=0).max_size == 0


def test_every_bad_field_listed_at_once_with_hints() -> None:
    with pytest.raises(ConfigurationError) as caught:
        validate_session_config(
            sso={
                "start_url": "http://example.com/start",
                "sso_region": "nowhere",
                "account_id": "1234",
                "role_name": "bad role",
            },
            refresh={"advisory_timeout": 5, "mandatory_timeout": 50},
            cache={"max_size": -2},
            http={"read_timeout": 0},
            login="sometimes",
        )
    error = caught.value
    assert isinstance(error, ValueError)  # ConfigurationError is a ValueError too
    assert _problem_fields(error) == [
        "start_url",
        "sso_region",
        "account_id",
        "role_name",
        "mandatory_timeout",
        "max_size",
        "read_timeout",
        "login",
    ]
    message = str(error)
    assert "8 problems" in message
    for problem in error.problems:
        assert problem in message
    assert "e.g." in message
    assert error.__cause__ is not None


def test_missing_required_fields_say_what_to_pass() -> None:
    with pytest.raises(ConfigurationError) as caught:
        validate_session_config(sso={})
    assert _problem_fields(caught.value) == ["start_url", "sso_region", "account_id", "role_name"]
    assert "required but missing; pass" in caught.value.problems[0]


def test_secret_values_are_masked_in_message_and_cause() -> None:
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    with pytest.raises(ConfigurationError) as caught:
        validate(
            SSOConfig, GOOD, aws_secret_access_key=secret, start_url=f"https://u:{secret}@x.com/s"
        )
    text = str(caught.value) + repr(caught.value) + str(caught.value.__cause__)
    assert secret not in text
    assert "aws_secret_access_key" in str(caught.value)


def test_wrong_section_type_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError) as caught:
        validate_session_config(sso=GOOD, refresh=42)  # type: ignore[arg-type]
    assert _problem_fields(caught.value) == ["refresh"]


def test_http_config_becomes_botocore_retry_settings() -> None:
    settings = validate(
        HttpConfig, max_attempts=5, retry_mode="adaptive", read_timeout=2
    ).to_settings()
    config = settings.botocore_config(unsigned=True)
    assert config.retries == {"total_max_attempts": 5, "mode": "adaptive"}
    assert config.read_timeout == 2
