"""Where the AWS CLI v2 and botocore keep their caches, and how they name the files (and where
our own lock files and side records go, beside them).

The names must match byte for byte, or we and ``aws sso login`` would not share one login.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path


def sso_cache_dir() -> Path:
    """``~/.aws/sso/cache``: access tokens and client registrations."""
    return Path(os.path.expanduser(os.path.join("~", ".aws", "sso", "cache")))


def cli_cache_dir() -> Path:
    """``~/.aws/cli/cache``: role credentials as the AWS CLI caches them."""
    return Path(os.path.expanduser(os.path.join("~", ".aws", "cli", "cache")))


#: Our own files (lock files, sign-in records) live in a private folder beside each cache
#: folder, never in it: filelock leaves its files behind on release, and the AWS CLI's folders
#: must hold only the CLI's files.
PRIVATE_DIR_SUFFIX = ".refreshable-sso"


def private_dir(cache_dir: Path) -> Path:
    """Our private folder for ``cache_dir`` (``~/.aws/sso/cache`` -> ``~/.aws/sso/.cache.refreshable-sso``).

    Derived from the cache folder's absolute path alone, so every process of ours that uses
    the same cache folder locks the same files.
    """
    absolute = Path(os.path.abspath(cache_dir))
    return absolute.parent / f".{absolute.name}{PRIVATE_DIR_SUFFIX}"


def lock_path_for(path: Path, suffix: str = ".lock") -> Path:
    """The lock file guarding ``path``: ``<name><suffix>`` in the private folder of its folder."""
    absolute = Path(os.path.abspath(path))
    return private_dir(absolute.parent) / f"{absolute.name}{suffix}"


def sign_in_record_path(token_path: Path) -> Path:
    """Our side file recording when the sign-in behind ``token_path`` happened."""
    absolute = Path(os.path.abspath(token_path))
    return private_dir(absolute.parent) / f"{absolute.stem}.sign-in.json"


def _sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()


def token_cache_key(start_url: str, sso_session_name: str | None = None) -> str:
    """sha1 of the sso-session name (sso-session profiles) or of the start URL (legacy)."""
    return _sha1(sso_session_name if sso_session_name else start_url)


def token_cache_path(
    start_url: str, sso_session_name: str | None = None, cache_dir: Path | None = None
) -> Path:
    """The token file botocore and the AWS CLI read for this start URL / sso-session."""
    return (cache_dir or sso_cache_dir()) / f"{token_cache_key(start_url, sso_session_name)}.json"


def registration_cache_key(
    start_url: str,
    region: str,
    scopes: Sequence[str] | None,
    sso_session_name: str | None,
) -> str:
    """The client-registration file name the AWS CLI v2 uses (tool, startUrl, region, scopes, session).

    The formula is the AWS CLI v2's ``SSOTokenFetcher._registration_cache_key``
    (``awscli/botocore/utils.py``). For a legacy profile (a start URL, no sso-session) the CLI
    passes no scopes at all (``sso_registration_scopes`` exists only in sso-session sections),
    so ``scopes`` is ``null`` in the hashed JSON whatever scopes we register with; otherwise
    the two tools would never share the legacy registration file.
    """
    args = {
        "tool": "botocore",
        "startUrl": start_url,
        "region": region,
        "scopes": list(scopes) if scopes is not None and sso_session_name else None,
        "session_name": sso_session_name,
    }
    return _sha1(json.dumps(args, sort_keys=True))


def registration_cache_path(
    start_url: str,
    region: str,
    scopes: Sequence[str] | None,
    sso_session_name: str | None,
    cache_dir: Path | None = None,
) -> Path:
    """Path of the cached client registration for this start URL / region / scopes / session."""
    key = registration_cache_key(start_url, region, scopes, sso_session_name)
    return (cache_dir or sso_cache_dir()) / f"{key}.json"


def role_credentials_cache_key(
    account_id: str,
    role_name: str,
    *,
    sso_session_name: str | None = None,
    start_url: str | None = None,
) -> str:
    """The AWS CLI's role-credential cache key: accountId, roleName and sessionName or startUrl."""
    args: dict[str, str] = {"accountId": account_id, "roleName": role_name}
    if sso_session_name:
        args["sessionName"] = sso_session_name
    elif start_url:
        args["startUrl"] = start_url
    return _sha1(json.dumps(args, sort_keys=True, separators=(",", ":")))


def role_credentials_cache_path(
    account_id: str,
    role_name: str,
    *,
    sso_session_name: str | None = None,
    start_url: str | None = None,
    cache_dir: Path | None = None,
) -> Path:
    """Path of the cached role credentials for one account/role of one sign-in."""
    key = role_credentials_cache_key(
        account_id, role_name, sso_session_name=sso_session_name, start_url=start_url
    )
    return (cache_dir or cli_cache_dir()) / f"{key}.json"
