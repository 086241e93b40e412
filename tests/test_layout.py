"""The layout by concern (issue 20 part 6) kept every old import path, and lost no public name.

``MOVED`` is the one table of what moved where. Each old path of a public module is now an alias
whose module object *is* the new one (so monkeypatching either patches both, and ``is`` holds);
the three modules that became packages (``credentials``, ``profiles``, ``admin``) re-export their
names instead; the old private paths are gone, their importers name the new ones.

``OLD_SURFACE`` was generated once from the tree before the move: for each public module that
moved, the public names it had (its ``__all__`` and every public name it defined, its logger and
type variables aside). The tests prove each is still there, and is the very object of the new
home. Pickles name a class by module path, so a pickle made before the move names an old path:
one test builds such pickles and loads them.
"""

from __future__ import annotations

import importlib
import pickle
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from types import ModuleType

import pytest

#: old path -> new path. Public modules keep the old path (an alias, or a re-exporting package);
#: private ones (a leading underscore) do not.
MOVED: dict[str, str] = {
    # credentials/
    "refreshable_sso.credentials": "refreshable_sso.credentials.role",
    "refreshable_sso.assume": "refreshable_sso.credentials.chain",
    "refreshable_sso._reuse": "refreshable_sso.credentials.reuse",
    # aws/: the botocore/boto3 adapter layer
    "refreshable_sso._aws": "refreshable_sso.aws.clients",
    "refreshable_sso._botocore": "refreshable_sso.aws._botocore",
    "refreshable_sso._redact": "refreshable_sso.aws.redact",
    "refreshable_sso._fanout": "refreshable_sso.aws.fanout",
    "refreshable_sso._paused_gc": "refreshable_sso.aws.paused_gc",
    "refreshable_sso.shared_loader": "refreshable_sso.aws.loader",
    "refreshable_sso.fast_credentials": "refreshable_sso.aws.fast_credentials",
    # tokens/login/: signing in
    "refreshable_sso.signin": "refreshable_sso.tokens.login.signin",
    "refreshable_sso.tokens.login_options": "refreshable_sso.tokens.login.options",
    "refreshable_sso.tokens.policy": "refreshable_sso.tokens.login.policy",
    "refreshable_sso.tokens.interactive": "refreshable_sso.tokens.login.interactive",
    "refreshable_sso.tokens.device": "refreshable_sso.tokens.login.device",
    "refreshable_sso.tokens.pkce": "refreshable_sso.tokens.login.pkce",
    "refreshable_sso._prompt_server": "refreshable_sso.tokens.login._prompt_server",
    # profiles/: the AWS config file
    "refreshable_sso.profiles": "refreshable_sso.profiles.reader",
    "refreshable_sso.configfile": "refreshable_sso.profiles.editor",
    # admin/
    "refreshable_sso.admin": "refreshable_sso.admin.assignments",
    # session/: the core and the sync front door, with what only the session uses
    "refreshable_sso.session": "refreshable_sso.session.sync",
    "refreshable_sso._session_core": "refreshable_sso.session._core",
    "refreshable_sso._wiring": "refreshable_sso.session._wiring",
    "refreshable_sso._pickling": "refreshable_sso.session._pickling",
    "refreshable_sso.sign_in_watch": "refreshable_sso.session.sign_in_watch",
    "refreshable_sso.clients": "refreshable_sso.session.client_cache",
    # storage/: the old shims (storage/ itself moved there earlier)
    "refreshable_sso.cachefile": "refreshable_sso.storage.files",
    "refreshable_sso.mappingstore": "refreshable_sso.storage.mapping",
    "refreshable_sso._paths": "refreshable_sso.storage.paths",
}

#: the modules that became packages: their old path re-exports the names instead of aliasing
PACKAGES = (
    "refreshable_sso.credentials",
    "refreshable_sso.profiles",
    "refreshable_sso.admin",
    "refreshable_sso.session",
)

ALIASES = [
    old for old in MOVED if old not in PACKAGES and not old.rsplit(".", 1)[1].startswith("_")
]
#: already re-exports of storage/ before this move (they name storage's loggers)
STORAGE_SHIMS = ("refreshable_sso.cachefile", "refreshable_sso.mappingstore")
PRIVATE = [old for old in MOVED if old.rsplit(".", 1)[1].startswith("_")]

# Generated once from the tree before the move (see the module docstring); do not regenerate.
OLD_SURFACE: dict[str, tuple[str, ...]] = {
    "refreshable_sso.credentials": (
        "EXPIRED_ON_ARRIVAL_BACKOFF",
        "PROVIDER_TYPE",
        "RoleCredentialCache",
        "RoleCredentialEntry",
        "RoleCredentialFetcher",
        "RoleCredentials",
        "SKEW_TOLERANCE",
        "on_local_clock",
        "server_date",
    ),
    "refreshable_sso.assume": (
        "AssumeRoleFetcher",
        "AssumedCredentials",
        "Fetch",
        "METHOD",
        "RoleChain",
        "assume_role_kwargs",
        "cache_key",
        "cache_path",
        "refreshable",
    ),
    "refreshable_sso.shared_loader": (
        "BOTO3_DATA_PATH",
        "botocore_session",
        "data_loader",
        "shared_loader",
    ),
    "refreshable_sso.fast_credentials": (
        "FastDeferredRefreshableCredentials",
        "FastRefreshableCredentials",
    ),
    "refreshable_sso.signin": (
        "DEFAULT_MIN_VALID",
        "LogoutResult",
        "login",
        "logout",
    ),
    "refreshable_sso.tokens.device": (
        "DEFAULT_INTERVAL",
        "DeviceCodeProvider",
        "MIN_INTERVAL",
        "SLOW_DOWN_STEP",
        "run_device_flow",
    ),
    "refreshable_sso.tokens.pkce": (
        "AuthorizationCodeProvider",
        "CALLBACK_PATH",
        "CallbackResult",
        "LoopbackListener",
        "VERIFIER_LENGTH",
        "authorize_url",
        "code_challenge",
        "new_code_verifier",
    ),
    "refreshable_sso.tokens.interactive": (
        "BrowserOpener",
        "CancellableWait",
        "DEFAULT_AUTHORIZE_MESSAGE",
        "DEFAULT_DEVICE_MESSAGE",
        "DEFAULT_LOGIN_TIMEOUT",
        "DEFAULT_REUSE_MARGIN",
        "DISABLE_BROWSER_ENV",
        "InteractiveTokenProvider",
        "LOGIN_FLOWS",
        "LOGIN_FLOW_ENV",
        "LoginFlow",
        "LoginOptions",
        "Notifier",
        "PromptCallback",
        "SLOW_DOWN_STEP",
        "UserPrompt",
        "browser_unavailable_reason",
        "check_message_template",
        "notify_stderr",
        "open_with_webbrowser",
        "resolve_login_flow",
    ),
    "refreshable_sso.tokens.policy": (
        "LOCK_GRACE",
        "LOGIN_LOCK_PURPOSE",
        "LOGIN_POLICIES",
        "LoginEvent",
        "LoginPolicy",
        "LoginPolicyProvider",
        "default_interactive_provider",
        "default_login_policy",
        "interactive_provider",
        "login_lock",
        "login_lock_path",
        "store_login_lock",
    ),
    "refreshable_sso.tokens.login_options": (
        "BrowserOpener",
        "DEFAULT_LOGIN_TIMEOUT",
        "DEFAULT_REUSE_MARGIN",
        "LoginFlow",
        "LoginOptions",
        "Notifier",
        "PromptCallback",
        "SLOW_DOWN_STEP",
    ),
    "refreshable_sso.profiles": (
        "ChainedProfile",
        "SSOProfile",
        "TOKEN_EXPORT_KEY",
        "TOKEN_STORAGE_KEY",
        "config_file_path",
        "load_profile_chain",
        "load_sso_profile",
    ),
    "refreshable_sso.configfile": (
        "ConfigDocument",
        "profile_section",
        "sso_session_section",
    ),
    "refreshable_sso.admin": (
        "ACCOUNT",
        "Assignment",
        "OU",
        "PRINCIPAL_TYPES",
        "PrincipalSpec",
        "TargetSpec",
        "list_assignments",
    ),
    "refreshable_sso.session": (
        "CREDENTIAL_METHOD",
        "SSORefreshableSession",
        "TemporaryCredentials",
    ),
    "refreshable_sso.sign_in_watch": (
        "DEFAULT_BEFORE",
        "SignInCallback",
        "SignInExpiringEvent",
        "SignInWatch",
    ),
    "refreshable_sso.clients": (
        "CacheInfo",
        "CacheSettings",
        "ClientCache",
        "check_settings",
        "client_key",
        "config_key",
    ),
    "refreshable_sso.cachefile": (
        "CacheLockTimeoutError",
        "DEFAULT_LOCK_TIMEOUT",
        "DIR_MODE",
        "FILE_MODE",
        "FileVersion",
        "JsonCacheFile",
        "JsonFileRecord",
        "LOCK_POLL_INTERVAL",
        "STALE_TEMP_SECONDS",
        "make_private_dirs",
        "remove_stale_temp_files",
        "wall_time",
    ),
    "refreshable_sso.mappingstore": (
        "CacheMapping",
        "MappingCacheFile",
        "MappingRecord",
        "mapping_file",
        "private_file",
        "tracked_mappings",
    ),
}


def test_the_table_and_the_recorded_surface_agree() -> None:
    """Every public module that moved has its names recorded, and nothing else is recorded."""
    public = {old for old in MOVED if old not in PRIVATE}
    assert set(OLD_SURFACE) == public


@pytest.mark.parametrize("old", ALIASES)
def test_an_old_public_path_is_the_moved_module_itself(old: str) -> None:
    module = importlib.import_module(old)
    new = importlib.import_module(MOVED[old])
    assert module is new
    parent, leaf = old.rsplit(".", 1)
    assert getattr(importlib.import_module(parent), leaf) is new
    for name in OLD_SURFACE[old]:
        assert getattr(module, name) is getattr(new, name), name


@pytest.mark.parametrize("old", PACKAGES)
def test_a_module_that_became_a_package_re_exports_every_name(old: str) -> None:
    package = importlib.import_module(old)
    new = importlib.import_module(MOVED[old])
    assert package.__path__  # a package now
    missing = [name for name in OLD_SURFACE[old] if not hasattr(package, name)]
    assert missing == []
    for name in OLD_SURFACE[old]:
        assert getattr(package, name) is getattr(new, name), name
    # ``from ... import *`` gives what it gave before: the old ``__all__``
    star: dict[str, object] = {}
    exec(f"from {old} import *", star)  # noqa: S102  (a fixed module path from the table above)
    assert set(star) - {"__builtins__"} == set(package.__all__)
    assert set(package.__all__) <= set(OLD_SURFACE[old])


@pytest.mark.parametrize("old", PRIVATE)
def test_an_old_private_path_is_gone(old: str) -> None:
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module(old)
    assert isinstance(importlib.import_module(MOVED[old]), ModuleType)


def test_old_paths_work_when_imported_first_in_a_fresh_interpreter() -> None:
    """Nothing here has imported the new paths yet: the old ones must bring them in themselves."""
    script = "\n".join(
        [
            "import importlib, sys",
            f"aliases = {ALIASES!r}",
            "for old in aliases:",
            "    module = importlib.import_module(old)",
            "    assert sys.modules[old] is module, old",
            "    assert module.__name__ != old, old",
            "from refreshable_sso import signin, assume, configfile, cachefile, shared_loader",
            "from refreshable_sso.tokens import device, login_options",
            "import refreshable_sso.tokens.pkce as pkce",
            "assert signin.login is sys.modules['refreshable_sso.tokens.login.signin'].login",
            "assert pkce is sys.modules['refreshable_sso.tokens.login.pkce']",
            "from refreshable_sso.credentials import RoleCredentialFetcher",
            "from refreshable_sso.profiles import load_sso_profile",
            "from refreshable_sso.admin import list_assignments",
            "print('ok')",
        ]
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_the_moved_modules_keep_their_logger_names() -> None:
    """Logging configurations name our loggers; a move must not silence them."""
    moved_here = [old for old in (*ALIASES, *PACKAGES) if old not in STORAGE_SHIMS]
    for old in moved_here:
        module = importlib.import_module(MOVED[old])
        logger = getattr(module, "logger", None)
        if logger is not None:
            assert logger.name == old, old


def _pickled_under(cls: type, module_path: str, value: object) -> bytes:
    """``value`` pickled as a pickle made before the move would be: naming ``module_path``."""
    moved_to = cls.__module__
    cls.__module__ = module_path
    try:
        data = pickle.dumps(value)
    finally:
        cls.__module__ = moved_to
    assert module_path.encode() in data
    assert moved_to.encode() not in data
    return data


def test_a_pickle_that_names_an_old_module_path_still_loads() -> None:
    from refreshable_sso.credentials.role import RoleCredentials
    from refreshable_sso.tokens.login.options import LoginOptions
    from refreshable_sso.tokens.login.signin import LogoutResult

    options = LoginOptions(flow="device", timeout=123.0)
    credentials = RoleCredentials(
        access_key_id="ASIAOLDPICKLE",
        secret_access_key="secret",  # type: ignore[arg-type]  (pydantic makes it a SecretStr)
        session_token="token",  # type: ignore[arg-type]
        expiration=datetime(2030, 1, 1, tzinfo=timezone.utc),
    )
    result = LogoutResult(signed_out=True, removed=(Path("/tmp/x.json"),))
    for cls, old, value in (
        (LoginOptions, "refreshable_sso.tokens.login_options", options),
        (RoleCredentials, "refreshable_sso.credentials", credentials),
        (LogoutResult, "refreshable_sso.signin", result),
    ):
        loaded = pickle.loads(_pickled_under(cls, old, value))  # noqa: S301  (our own bytes)
        assert type(loaded) is cls
        assert loaded == value
