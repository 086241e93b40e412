"""One botocore data loader per process, shared by every session we create.

A botocore ``Loader`` caches every JSON file it parses (service models, endpoint rules,
``endpoints.json``) on the loader instance, and a new ``botocore.session.Session`` makes its own
loader. So a hundred sessions (one per account in an org-wide script) would parse the same
megabytes a hundred times and keep a hundred copies. Sessions made here all get the loader
``refreshable_sso.aws.clients`` already uses for its SSO/OIDC/STS clients, so a held role costs the
memory of its own credentials and clients only.

A caller's own ``botocore_session`` is left exactly as it is (its loader, its search paths).
A session whose ``data_path`` (``AWS_DATA_PATH`` or the config file) differs from the default
gets a shared loader of its own for that path, so custom models keep working.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import boto3
import botocore.session
from botocore.exceptions import ProfileNotFound
from botocore.loaders import Loader

from refreshable_sso.aws import _botocore
from refreshable_sso.aws import clients as _aws

# boto3's resource models; boto3.Session appends this folder to its loader on every __init__.
BOTO3_DATA_PATH = os.path.join(os.path.dirname(boto3.__file__), "data")

_lock = threading.Lock()
_loaders: dict[str | None, Loader] = {}


class _SearchPaths(list[str]):
    """A search path list that ignores repeated ``append`` calls of a folder it already has.

    ``boto3.Session._setup_loader`` appends boto3's data folder each time a session is made; on
    a shared loader that would grow the list (and every lookup miss) by one entry per session.
    """

    def append(self, path: str) -> None:
        with _lock:
            if path not in self:
                super().append(path)


def shared_loader(data_path: str | None = None) -> Loader:
    """The process-wide loader for ``data_path`` (None: botocore's default search paths)."""
    with _lock:
        loader = _loaders.get(data_path)
        if loader is None:
            loader = _aws._loader() if data_path is None else _aws.new_loader(data_path)
            if not isinstance(loader.search_paths, _SearchPaths):
                _botocore.replace_search_paths(loader, _SearchPaths(loader.search_paths))
            _loaders[data_path] = loader
    loader.search_paths.append(BOTO3_DATA_PATH)
    return loader


def botocore_session(
    profile_name: str | None = None, loader: Loader | None = None
) -> botocore.session.Session:
    """A new botocore session whose data loader is ``loader`` or the shared one for its data path."""
    session = botocore.session.Session(profile=profile_name)
    if loader is None:
        try:
            data_path = session.get_config_variable("data_path")
        except ProfileNotFound:  # boto3 reports a missing profile itself, where it always has
            data_path = None
        loader = shared_loader(data_path if isinstance(data_path, str) and data_path else None)
    session.register_component("data_loader", loader)
    return session


def data_loader(session: Any) -> Loader:
    """The data loader a boto3 or botocore session uses."""
    core = _botocore.core_session(session)
    loader: Loader = core.get_component("data_loader")
    return loader


__all__ = ["BOTO3_DATA_PATH", "botocore_session", "data_loader", "shared_loader"]
