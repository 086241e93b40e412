"""``LoginOptions``: one frozen, validated object carries a sign-in's options from ``login()``,
the CLI and a session down to the provider, which keeps that very object; no provider is
patched after construction; and there is one HTTP settings type."""

from __future__ import annotations

import threading
import urllib.request
from pathlib import Path

import pydantic
import pytest

import refreshable_sso
from refreshable_sso.aws import clients as _aws
from refreshable_sso.config import HttpConfig, SSOConfig
from refreshable_sso.emulator import Emulator
from refreshable_sso.errors import ConfigurationError
from refreshable_sso.session import SSORefreshableSession
from refreshable_sso.tokens.login.device import DeviceCodeProvider
from refreshable_sso.tokens.login.options import LoginOptions
from refreshable_sso.tokens.login.pkce import AuthorizationCodeProvider
from refreshable_sso.tokens.login.policy import default_interactive_provider, interactive_provider
from refreshable_sso.tokens.login.signin import login, logout
from refreshable_sso.tokens.store import TokenCache

from .conftest import SSO_SESSION, EmulatorFactory, Prompt

SECRET = "aoa-secret-access-token-value"


def test_the_options_are_frozen() -> None:
    options = LoginOptions(timeout=30)
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        options.timeout = 60  # type: ignore[misc]
    assert options.timeout == 30


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"timeout": 0}, "timeout"),
        ({"timeout": "soon"}, "timeout"),
        ({"flow": "web"}, "flow"),
        ({"scopes": "sso:account:access"}, "scopes"),
        ({"scopes": []}, "scopes"),
        ({"message": "Go to {uri}"}, "message"),
        ({"prompt_callback": "not callable"}, "prompt_callback"),
        ({"browser_opener": 42}, "browser_opener"),
        ({"cancel_event": True}, "cancel_event"),
        ({"reuse_margin": -1}, "reuse_margin"),
        ({"slow_down_step": -1}, "slow_down_step"),
        ({"token_cache": ["not", "a", "mapping"]}, "token_cache"),
        ({"http": {"max_attempts": 0}}, "max_attempts"),
        ({"open_brwoser": False}, "open_brwoser"),
    ],
)
def test_a_bad_option_is_a_configuration_error_naming_the_field(
    fields: dict[str, object], field: str
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        LoginOptions(**fields)
    (problem,) = caught.value.problems
    assert problem.split(":", 1)[0].split(".")[-1] == field
    assert "LoginOptions" in str(caught.value)


def test_the_token_cache_is_kept_as_given_and_never_shown() -> None:
    store = {"token": {"accessToken": SECRET}}
    options = LoginOptions(token_cache=store)
    assert options.token_cache is store  # the caller's object, not a copy
    for text in (repr(options), str(options)):
        assert SECRET not in text
        assert "token_cache" not in text
    with pytest.raises(ConfigurationError) as caught:
        LoginOptions(token_cache=SECRET)
    assert SECRET not in str(caught.value)


def test_providers_keep_the_very_object_they_are_given(emu_factory: EmulatorFactory) -> None:
    emu = emu_factory(auto_approve=True)
    options = LoginOptions(flow="device", timeout=30, browser_opener=lambda url: False)
    for provider in (
        DeviceCodeProvider(emu.start_url, emu.region, options=options),
        AuthorizationCodeProvider(emu.start_url, emu.region, options=options),
        interactive_provider(emu.start_url, emu.region, SSO_SESSION, options),
        default_interactive_provider(
            SSOConfig(
                start_url=emu.start_url,
                sso_region=emu.region,
                account_id=emu.default_account_id,
                role_name=emu.default_role_name,
                sso_session_name=SSO_SESSION,
            ),
            options=options,
        ),
    ):
        assert provider.options is options
        assert provider.prompt.browser_opener is options.browser_opener
        assert provider.timeout == 30


def test_the_separate_keywords_still_build_the_options(emu_factory: EmulatorFactory) -> None:
    emu = emu_factory(auto_approve=True)

    def opener(url: str) -> bool:
        return False

    provider = AuthorizationCodeProvider(
        emu.start_url, emu.region, timeout=42, browser_opener=opener, fallback_to_device=False
    )
    assert isinstance(provider.options, LoginOptions)
    assert provider.options.timeout == 42
    assert provider.options.browser_opener is opener
    assert provider.fallback_to_device is False
    assert (
        AuthorizationCodeProvider(
            emu.start_url, emu.region, options=LoginOptions(flow="pkce")
        ).fallback_to_device
        is False
    )
    assert AuthorizationCodeProvider(emu.start_url, emu.region).fallback_to_device is True


def test_keywords_next_to_options_are_refused_by_name(emu_factory: EmulatorFactory) -> None:
    emu = emu_factory(auto_approve=True)
    with pytest.raises(ConfigurationError, match="timeout") as caught:
        DeviceCodeProvider(emu.start_url, emu.region, timeout=5, options=LoginOptions())
    assert caught.value.problems == ("timeout: given both as a keyword and in options",)
    with pytest.raises(ConfigurationError, match="flow"):
        login(emu.start_url, emu.region, use_device_code=True, options=LoginOptions())


def test_a_token_store_of_another_sign_in_is_refused(emu_factory: EmulatorFactory) -> None:
    emu = emu_factory(auto_approve=True)
    other = TokenCache(emu.start_url, "someone-else", mapping={})
    with pytest.raises(ConfigurationError, match="another sign-in"):
        DeviceCodeProvider(
            emu.start_url,
            emu.region,
            sso_session_name=SSO_SESSION,
            options=LoginOptions(token_store=other),
        )


@pytest.mark.parametrize("mapping", [False, True], ids=["files", "mapping"])
def test_a_session_signs_in_through_the_token_cache_its_reader_and_policy_watch(
    sso_emulator: Emulator, tmp_path: Path, mapping: bool
) -> None:
    """One TokenCache object, given at construction: nothing patched onto the provider."""
    session = SSORefreshableSession(
        start_url=sso_emulator.start_url,
        sso_region=sso_emulator.region,
        account_id=sso_emulator.default_account_id,
        role_name=sso_emulator.default_role_name,
        sso_session_name=SSO_SESSION,
        region_name="us-east-1",
        login="auto",
        login_flow="device",
        token_cache={} if mapping else None,
        token_cache_dir=None if mapping else tmp_path,
        endpoints={"sso": sso_emulator.url, "sso_oidc": sso_emulator.url},
        defer_refresh=True,
    )
    policy = session._login_policy
    assert policy is not None
    interactive = policy.interactive
    assert isinstance(interactive, DeviceCodeProvider)
    assert interactive.token_cache is policy.token_cache
    assert interactive.options.token_store is policy.token_cache
    assert session._cached_provider is not None
    assert policy.token_cache is session._cached_provider.cache
    assert interactive.options.token_cache is (session._token_mapping if mapping else None)


def test_login_takes_the_options_whole_end_to_end(
    emu_factory: EmulatorFactory, tmp_path: Path
) -> None:
    """A browser sign-in (PKCE) through the browser_opener and cache_dir of the options."""
    emu = emu_factory(auto_approve=True)
    opened: list[str] = []

    def browser(url: str) -> bool:
        opened.append(url)
        fetch = lambda: urllib.request.urlopen(url, timeout=10).read()  # noqa: E731, S310
        threading.Thread(target=fetch).start()
        return True

    options = LoginOptions(browser_opener=browser, cache_dir=tmp_path, timeout=30)
    token = login(emu.start_url, emu.region, sso_session_name=SSO_SESSION, options=options)
    assert token.can_refresh()
    assert len(opened) == 1
    assert emu.calls("StartDeviceAuthorization") == 0
    token_file = TokenCache(emu.start_url, SSO_SESSION, tmp_path).path
    assert token_file.parent == tmp_path
    assert token_file.exists()
    # the same options find that token again, and logout removes it from there
    again = login(emu.start_url, emu.region, sso_session_name=SSO_SESSION, options=options)
    assert again.access_token.get_secret_value() == token.access_token.get_secret_value()
    assert len(opened) == 1
    result = logout(emu.start_url, emu.region, sso_session_name=SSO_SESSION, options=options)
    assert token_file in result.removed
    assert not token_file.exists()


def test_login_with_a_mapping_writes_nothing_to_disk(
    emu_factory: EmulatorFactory, tmp_path: Path
) -> None:
    emu = emu_factory(auto_approve=True)
    store: dict[str, object] = {}
    prompt = Prompt()
    options = LoginOptions(
        flow="device", open_browser=False, prompt_callback=prompt, token_cache=store
    )
    token = login(emu.start_url, emu.region, sso_session_name=SSO_SESSION, options=options)
    assert len(prompt.seen) == 1
    assert store  # the token and the registration live in the caller's mapping
    assert not TokenCache(emu.start_url, SSO_SESSION).path.exists()
    again = login(emu.start_url, emu.region, sso_session_name=SSO_SESSION, options=options)
    assert again.access_token.get_secret_value() == token.access_token.get_secret_value()
    assert len(prompt.seen) == 1


def test_there_is_one_http_settings_type() -> None:
    assert _aws.HttpSettings is HttpConfig
    assert refreshable_sso.HttpConfig is HttpConfig
    assert HttpConfig() == _aws.DEFAULT_HTTP
    settings = _aws.HttpSettings(connect_timeout=1, read_timeout=2, max_attempts=1)
    assert isinstance(settings, HttpConfig)
    assert settings.worst_case_wait == 3
    with pytest.raises(pydantic.ValidationError):
        settings.max_attempts = 2  # type: ignore[misc]
    assert LoginOptions(http={"max_attempts": 5}).http == HttpConfig(max_attempts=5)
