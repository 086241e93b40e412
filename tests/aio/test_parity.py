"""The two front doors have one public surface: a difference must be on the list below, with why.

``SSORefreshableSession`` and ``AioSSORefreshableSession`` share their core
(``_session_core``); this test keeps it that way. It compares what our classes define (their
own classes in the MRO, not boto3's or aiobotocore's, whose surfaces differ by design):
constructor parameters and their defaults, public methods and properties, each member's kind
and parameters, and which members are coroutines on the async side. It also checks that every
constructor parameter is documented in the class docstring's ``Args:`` section, which is what
the API reference shows.
"""

from __future__ import annotations

import inspect
import re
from typing import Any

import pytest

from refreshable_sso.aio import AioSSORefreshableSession
from refreshable_sso.aio.session import NO_RESOURCES
from refreshable_sso.errors import ConfigurationError
from refreshable_sso.session import SSORefreshableSession
from refreshable_sso.session._core import _OPTION_OF, SessionCore, SessionOptions

SYNC, ASYNC = SSORefreshableSession, AioSSORefreshableSession

# The allowed differences. Keep this short; each entry says why the difference must exist.
CONSTRUCTOR_ONLY_SYNC: set[str] = set()  # none: one constructor (SessionCore.__init__)
# Parameters one door takes only to refuse them with a ConfigurationError that says why. The
# async session *is* the aiobotocore session (an AioSession subclass): there is no other
# session for it to wrap (tests/aio/test_session.py::test_configuration_errors_name_the_field).
REFUSED_ON_ASYNC = {"botocore_session"}
MEMBERS_ONLY_SYNC: set[str] = set()  # none
MEMBERS_ONLY_ASYNC = {
    # aiobotocore's sessions keep the region in their config store; boto3.Session has a
    # region_name property of its own (inherited, so not listed on the sync side here).
    "region_name",
}

# What calls AWS (or waits on a lock a refresh holds) is a coroutine on the async side.
AWAITED = {
    "clear_cache",  # closes aiobotocore clients
    "client",
    "close",
    "console_url",
    "credentials_role_arn",
    "ensure_valid_credentials",
    "get_identity",
    "refresh_credentials",
    "refreshable_credentials",
    "whoami",
}
# Properties whose value is awaited on the async side (``await session.credentials``).
AWAITABLE_PROPERTIES = {"credentials"}
# Not coroutines, but async iterators: ``async for account in session.list_accounts()``.
ASYNC_ITERATORS = {"list_accounts", "list_roles"}
# Exists so that a caller gets a clear error, not an AttributeError (see NO_RESOURCES).
RAISES_ON_ASYNC = {"resource"}


def _own_classes(cls: type) -> list[type]:
    return [k for k in cls.__mro__ if k.__module__.startswith("refreshable_sso")]


def _surface(cls: type) -> dict[str, Any]:
    """Public name -> the raw attribute (property, classmethod, function) our classes define."""
    found: dict[str, Any] = {}
    for klass in reversed(_own_classes(cls)):
        for name, value in vars(klass).items():
            if not name.startswith("_"):
                found[name] = value
    return found


def _kind(value: Any) -> str:
    if isinstance(value, property):
        return "property"
    if isinstance(value, classmethod):
        return "classmethod"
    if isinstance(value, staticmethod):
        return "staticmethod"
    if callable(value):
        return "method"
    return "attribute"


def _parameters(value: Any) -> list[tuple[str, Any, Any]]:
    function = value.__func__ if isinstance(value, (classmethod, staticmethod)) else value
    signature = inspect.signature(function)
    return [(p.name, p.kind, p.default) for p in list(signature.parameters.values())[1:]]


def _constructor(cls: type) -> dict[str, Any]:
    parameters = inspect.signature(cls.__init__).parameters.values()
    return {p.name: p.default for p in parameters if p.name != "self"}


def test_constructor_parameters_are_the_same() -> None:
    sync, aio = _constructor(SYNC), _constructor(ASYNC)
    assert set(sync) - set(aio) == CONSTRUCTOR_ONLY_SYNC
    assert set(aio) - set(sync) == set()
    for name in set(sync) & set(aio):
        assert sync[name] == aio[name], f"{name}: default {sync[name]!r} vs {aio[name]!r}"


def test_public_members_are_the_same() -> None:
    sync, aio = _surface(SYNC), _surface(ASYNC)
    assert set(sync) - set(aio) == MEMBERS_ONLY_SYNC, "add it to the async session"
    assert set(aio) - set(sync) == MEMBERS_ONLY_ASYNC, "add it to the sync session"
    # the 14 the async session once lacked, and the newer credentials_role_arn, are all there
    for name in (
        "assume_role",
        "assume_role_config",
        "role_chain",
        "console_url",
        "credentials",
        "credentials_account_id",
        "credentials_role_arn",
        "ensure_valid_credentials",
        "expiration_time",
        "needs_refresh",
        "on_sign_in_expiring",
        "resource",
        "serve_container_credentials",
        "sign_in_expires_at",
        "sign_in_remaining",
    ):
        assert name in aio, name


def test_each_member_has_the_same_kind_and_parameters() -> None:
    sync, aio = _surface(SYNC), _surface(ASYNC)
    for name in set(sync) & set(aio):
        assert _kind(sync[name]) == _kind(aio[name]), name
        if _kind(sync[name]) in ("method", "classmethod", "staticmethod"):
            assert _parameters(sync[name]) == _parameters(aio[name]), name


def test_what_does_io_is_awaited_on_the_async_side_only() -> None:
    sync, aio = _surface(SYNC), _surface(ASYNC)
    for name, value in aio.items():
        if _kind(value) != "method":
            continue
        assert inspect.iscoroutinefunction(value) == (name in AWAITED), name
        assert not inspect.iscoroutinefunction(sync.get(name)), name
    for name in ASYNC_ITERATORS:
        assert not inspect.iscoroutinefunction(aio[name])
        assert "AsyncIterator" in str(inspect.signature(aio[name]).return_annotation)
    for name in AWAITABLE_PROPERTIES:
        assert "Coroutine" in str(inspect.signature(aio[name].fget).return_annotation)
    assert set(aio) >= AWAITED | AWAITABLE_PROPERTIES | ASYNC_ITERATORS


def test_resource_on_the_async_session_names_aioboto3() -> None:
    assert set(_surface(ASYNC)) >= RAISES_ON_ASYNC
    session = AioSSORefreshableSession(
        start_url="https://d-1234567890.awsapps.com/start",
        sso_region="us-east-1",
        account_id="123456789012",
        role_name="ReadOnly",
        login="never",
    )
    with pytest.raises(NotImplementedError, match="aioboto3") as caught:
        session.resource("s3")
    assert str(caught.value) == NO_RESOURCES


@pytest.mark.parametrize("cls", [SYNC, ASYNC], ids=["sync", "async"])
def test_every_constructor_parameter_is_documented(cls: type) -> None:
    """The constructor is written once (the core's ``__init__``) and documented there, in an
    Args section the API reference shows with each class; every parameter, and every flat
    keyword of ``SessionOptions``, is named in it."""
    assert cls.__init__ is SessionCore.__init__, "one constructor for both front doors"
    doc = inspect.getdoc(cls.__init__) or ""
    assert "\nArgs:\n" in doc, f"{cls.__name__}.__init__ has no Args section"
    args = doc.split("\nArgs:\n", 1)[1]
    documented = set(re.findall(r"^    (\w+):", args, flags=re.MULTILINE))
    assert set(_constructor(cls)) - {"options"} == documented - {"options"}
    assert "**options:" in args
    for name in SessionOptions.__annotations__:
        assert f"``{name}``" in args, f"flat keyword {name} is not documented"
    assert set(SessionOptions.__annotations__) == set(_OPTION_OF)


def test_what_the_async_door_refuses_it_refuses_clearly() -> None:
    for name in REFUSED_ON_ASYNC:
        with pytest.raises(ConfigurationError, match=f"{name}: not accepted by AioSSO"):
            ASYNC(
                start_url="https://d-1234567890.awsapps.com/start",
                sso_region="us-east-1",
                account_id="123456789012",
                role_name="ReadOnly",
                login="never",
                **{name: object()},
            )


def test_the_allow_lists_are_real() -> None:
    """Each listed difference still exists (a fixed one must leave the list)."""
    assert set(_constructor(SYNC)) - set(_constructor(ASYNC)) >= CONSTRUCTOR_ONLY_SYNC
    assert set(_surface(ASYNC)) - set(_surface(SYNC)) >= MEMBERS_ONLY_ASYNC
    assert (
        len(CONSTRUCTOR_ONLY_SYNC | MEMBERS_ONLY_SYNC | MEMBERS_ONLY_ASYNC | REFUSED_ON_ASYNC) <= 3
    )
